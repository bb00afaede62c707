import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { APIEmbed, APIMessage } from "discord-api-types/v10";
import { afterEach, beforeEach, expect } from "vitest";
import { type DiscordAdapter, startDiscord } from "../../src/adapters/discord/adapter.js";
import { parseConfig } from "../../src/config/load.js";
import type { Logger } from "../../src/core/log.js";
import type { TaskState } from "../../src/core/states.js";
import { Engine } from "../../src/engine/engine.js";
import { tempDir, testDatabase } from "../helpers.js";
import { type FakeDiscord, startFakeDiscord } from "./discord/server.js";

export const fixturesDir = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** A small world: two echo categories, a billing category whose API can be "down", a catch-all. */
export const E2E_CONFIG = `
discord:
  guild: "\${DISCORD_GUILD_ID}"
  channels:
    intake: ["\${DISCORD_INTAKE_CHANNEL_ID}"]
    escalations: "\${DISCORD_ESCALATION_CHANNEL_ID}"
    reports: "\${DISCORD_REPORTS_CHANNEL_ID}"
  operators: { roles: ["\${DISCORD_OPERATOR_ROLE_ID}"], users: [] }
intake:
  required: [objective, acceptance_criteria]
categories:
  - name: support
    description: Replies to customers about refunds and tickets
    examples: ["Answer the refund request from a customer"]
    match: { keywords: [refund, ticket] }
    worker: echo
  - name: content
    description: Blog posts and newsletters
    examples: ["Draft a blog post about the launch"]
    match: { keywords: [blog, newsletter] }
    worker: echo
  - name: billing
    description: Charging customers through the billing API
    examples: ["Charge the invoice for the consulting work"]
    match: { keywords: [invoice, charge] }
    worker: flaky
    limits: { max_attempts: 1, concurrency: 4 }
  - name: release
    description: Release notes, then a support reply about them
    examples: ["Write the release notes for 2.0"]
    match: { keywords: [release] }
    worker: echo
    then: support
  - name: unsorted
    description: Requests that clip no other category
    examples: ["anything"]
    catch_all: true
workers:
  echo: { kind: module, path: echo.ts }
  flaky: { kind: module, path: flaky.ts }
policies:
  transient: { max_attempts: 1, backoff: { base: 10ms, factor: 2, max: 50ms, jitter: false } }
escalation: { batch_window: 200ms }
`;

export interface Steward {
  fake: FakeDiscord;
  engine: Engine;
  discord: DiscordAdapter;
  database: ReturnType<typeof testDatabase>;
  /** `$E2E_DIR`: the flaky worker reads its `down` switch here. */
  dir: string;
  logs: { level: string; message: string; context?: Record<string, unknown> }[];
  billingDown(down: boolean): void;
  stop(): Promise<void>;
}

function recordingLogger(logs: Steward["logs"]): Logger {
  const at = (level: string) => (message: string, context?: Record<string, unknown>) => {
    logs.push({ level, message, context });
  };
  return { info: at("info"), warn: at("warn"), error: at("error") };
}

/** The real pieces: Engine on a real SQLite file, the Discord adapter, the fake Discord. */
export async function startSteward(): Promise<Steward> {
  const fake = await startFakeDiscord({ heartbeatIntervalMs: 1_000 });
  const config = parseConfig(E2E_CONFIG, "e2e.yaml", fake.env);
  const database = testDatabase();
  const dir = tempDir();
  const logs: Steward["logs"] = [];
  const logger = recordingLogger(logs);
  const engine = new Engine({
    config,
    configDir: fixturesDir,
    database,
    env: { E2E_DIR: dir },
    logger,
    pollMs: 10,
    random: () => 0.5,
  });
  engine.start();
  const discord = await startDiscord({
    engine,
    token: fake.env.DISCORD_TOKEN!,
    apiBase: fake.env.DISCORD_API_BASE,
    logger,
    outboxEveryMs: 40,
    progressDebounceMs: 40,
  });
  const steward: Steward = {
    fake,
    engine,
    discord,
    database,
    dir,
    logs,
    billingDown: (down) => {
      const file = path.join(dir, "down");
      if (down) writeFileSync(file, "down");
      else rmSync(file, { force: true });
    },
    stop: async () => {
      // The adapter running now (a test may have restarted it).
      await steward.discord.stop();
      await engine.stop(100);
      await fake.close();
    },
  };
  return steward;
}

/** Polls until `value()` is truthy and returns it; fails naming `what` on timeout. */
export async function until<T>(
  value: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 8_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await value();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The task's state, or `missing` while it has not been filed yet. */
export async function stateOf(steward: Steward, taskId: number): Promise<TaskState | "missing"> {
  return (await steward.engine.findTask(taskId))?.state ?? "missing";
}

export async function waitForState(
  steward: Steward,
  taskId: number,
  state: TaskState,
  timeoutMs?: number,
) {
  return until(
    async () => (await stateOf(steward, taskId)) === state,
    `T-${taskId} to be ${state} (is ${await stateOf(steward, taskId)})`,
    timeoutMs,
  );
}

/**
 * The card a `/task` (or its form) answered with. The interaction is acknowledged first; the
 * card then fills in that reply, so it is waited for rather than read off the callback.
 */
export function cardOf(handle: { original(): APIMessage | undefined }): Promise<APIMessage> {
  return until(() => {
    const reply = handle.original();
    return reply !== undefined && reply.embeds.length > 0 ? reply : undefined;
  }, "the task card in the reply");
}

/** The first embed of a message, as a person sees it. */
export function embedOf(message: APIMessage | undefined): APIEmbed {
  const embed = message?.embeds[0];
  if (embed === undefined) throw new Error(`message ${message?.id} has no embed`);
  return embed;
}

export function field(embed: APIEmbed, name: string): string {
  return embed.fields?.find((entry) => entry.name === name)?.value ?? "";
}

/** Every component custom id on a message, with whether it is disabled. */
export function controls(message: APIMessage | undefined): { id: string; disabled: boolean }[] {
  const rows = (message?.components ?? []) as {
    components?: { custom_id?: string; disabled?: boolean }[];
  }[];
  return rows.flatMap((row) =>
    (row.components ?? []).flatMap((c) =>
      c.custom_id ? [{ id: c.custom_id, disabled: c.disabled === true }] : [],
    ),
  );
}

/**
 * The billing API down, `count` billing tasks filed with `/task` by a member: resolves once each
 * is escalated, with the escalation message (the one with buttons). Tasks T-1 to T-`count` on a
 * fresh Steward.
 */
export async function escalatedCharges(steward: Steward, count = 1): Promise<APIMessage> {
  const { fake } = steward;
  steward.billingDown(true);
  for (let n = 1; n <= count; n++) {
    await fake
      .slashCommand(
        "task",
        { objective: `Charge the invoice for client ${n}`, acceptance: "charged" },
        fake.ids.member,
      )
      .response();
  }
  for (let id = 1; id <= count; id++) await waitForState(steward, id, "escalated");
  return until(
    () => fake.messages(fake.ids.escalationChannel).find((m) => controls(m).length > 0),
    "the escalation message",
  );
}

/** Safety net for every test: nothing the bot sent could ping anyone but an intended user. */
export function expectNoStrayPings(steward: Steward): void {
  for (const record of steward.fake.mentions) {
    expect(record.allowedMentions?.parse, `${record.via} ${record.content.slice(0, 60)}`).toEqual(
      [],
    );
    expect(record.pings.everyone).toBe(false);
    expect(record.pings.roles).toEqual([]);
  }
}

/** No unexpected error reached the log. */
export function expectNoErrors(steward: Steward): void {
  expect(steward.logs.filter((entry) => entry.level === "error")).toEqual([]);
}

/**
 * A fresh Steward for each test of the file, checked after each (nobody pinged, nothing
 * logged as an error) and stopped.
 */
export function startStewardForEachTest(assign: (steward: Steward) => void): void {
  let current: Steward | undefined;
  beforeEach(async () => {
    current = await startSteward();
    assign(current);
  });
  afterEach(async () => {
    if (current === undefined) return;
    expectNoStrayPings(current);
    expectNoErrors(current);
    await current.stop();
  });
}
