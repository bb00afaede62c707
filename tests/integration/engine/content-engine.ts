import { loadConfigFile } from "../../../src/config/load.js";
import type { OpenStore } from "../../../src/db/open-store.js";
import { Engine } from "../../../src/engine/engine.js";
import type { EngineOptions } from "../../../src/engine/reads.js";
import type { WorkerRunner } from "../../../src/workers/runner.js";

/**
 * An engine on `opened` with the default config, `runner` doing the content category's work
 * (its worker, `demo-writer`), polling every 50 ms unless `options` say otherwise.
 */
export function contentEngine(
  opened: OpenStore,
  runner: WorkerRunner,
  options: Omit<Partial<EngineOptions>, "store" | "runners"> = {},
): Engine {
  return new Engine({
    config: loadConfigFile("config/steward.yaml", {}),
    configDir: "config",
    store: opened,
    runners: new Map([["demo-writer", runner]]),
    pollMs: 50,
    ...options,
  });
}
