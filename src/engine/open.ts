import { dirname } from "node:path";
import { locateStore, type Settings } from "../config/env.js";
import type { Config } from "../config/schema.js";
import { systemClock } from "../core/clock.js";
import { type OpenStore, openStore } from "../db/open-store.js";
import { buildReview, type Review } from "../review/report.js";
import { Engine } from "./engine.js";

type Where = Pick<Settings, "store" | "configPath">;

/**
 * An engine on the configured store for one command of the command line, never started (it
 * reads, and never claims a task from a running Steward); the store is closed once `work` is over.
 */
export function withEngine<T>(
  settings: Where,
  config: Config,
  work: (engine: Engine) => T | Promise<T>,
): Promise<T> {
  return withStore(settings, config, (store) =>
    work(new Engine({ config, configDir: dirname(settings.configPath), store })),
  );
}

/** The month's review straight from the store, with no engine built (`steward review`). */
export function withReviews<T>(
  settings: Pick<Settings, "store">,
  config: Config,
  work: (review: (month: string) => Promise<Review>) => T | Promise<T>,
): Promise<T> {
  return withStore(settings, config, ({ store }) =>
    work((month) => buildReview(store.review, config, month)),
  );
}

async function withStore<T>(
  settings: Pick<Settings, "store">,
  config: Config,
  work: (opened: OpenStore) => T | Promise<T>,
): Promise<T> {
  // The server's time on PostgreSQL: what `status` says of other processes' beats is theirs.
  const opened = await openStore(locateStore(settings, config), systemClock, { time: "server" });
  try {
    return await work(opened);
  } finally {
    await opened.store.close();
  }
}
