/**
 * Interaction acknowledgement under a burst: N `/task` interactions at once through the loopback
 * Discord (tests/e2e/discord), answered by Steward's whole path and, as a peer in the same run,
 * by a bare discord.js handler that only `deferReply()`s.
 *
 *   npx tsx bench/interactions.ts [--n 200] [--rounds 3]
 *
 * Protocol:
 * - This process hosts the fake Discord and drives it; each system runs in its own child
 *   process (as a bot and Discord are different machines), so Discord's own work is not
 *   billed to the bot. Steward's child: Engine on a fresh SQLite file (WAL) in a temp dir,
 *   `startDiscord` (which registers the commands), default poll and debounce settings, its
 *   category's worker replaced by an instant no-op runner. The peer's child: a discord.js
 *   client whose only handler is `interaction.deferReply()`.
 * - Per system: a warm-up burst of 20, then `rounds` measured bursts of N: every
 *   INTERACTION_CREATE is written to the gateway in one synchronous loop, so they arrive
 *   together. Steward's previous burst is finished (all cards done, outbox empty) before the next.
 * - Acknowledgement latency: the fake's clock from writing the dispatch to receiving the
 *   interaction callback; p50/p99/max over all measured interactions. A callback later than
 *   3 s is refused (as Discord does) and counted.
 * - "All acked": from the first dispatch to the last accepted callback. Steward's callback may be
 *   a deferral whose card then fills in `@original`, so "all cards posted" is from the first
 *   dispatch until every `@original` shows its card. "All cards done" adds the worker, the output
 *   reply (outbox) and the debounced card edits, until every card's State field says done.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client, Events, GatewayIntentBits } from "discord.js";
import { startDiscord } from "../src/adapters/discord/adapter.js";
import { parseConfig } from "../src/config/load.js";
import { silentLogger } from "../src/core/log.js";
import { openDatabase } from "../src/db/connection.js";
import { Engine } from "../src/engine/engine.js";
import type { WorkerRunner } from "../src/workers/runner.js";
import { type FakeDiscord, startFakeDiscord } from "../tests/e2e/discord/server.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
    system: { type: "string" },
    env: { type: "string" },
  },
});

const CONFIG = `
discord:
  guild: "\${DISCORD_GUILD_ID}"
  channels:
    intake: ["\${DISCORD_INTAKE_CHANNEL_ID}"]
    escalations: "\${DISCORD_ESCALATION_CHANNEL_ID}"
    reports: "\${DISCORD_REPORTS_CHANNEL_ID}"
  operators: { roles: ["\${DISCORD_OPERATOR_ROLE_ID}"] }
categories:
  - name: support
    description: Replies to customers about refunds and tickets
    examples: ["Answer the refund request from a customer"]
    match: { keywords: [refund, ticket] }
    worker: instant
    limits: { concurrency: 8 }
  - name: unsorted
    description: Requests that clip no other category
    examples: ["anything"]
    catch_all: true
workers:
  instant: { kind: demo }
`;

const instant: WorkerRunner = async (task) => ({ output: `Answered: ${task.brief.objective}` });

// ── Child: one system, connected to the parent's fake Discord ───────────────────────────────

async function runSteward(env: Record<string, string>): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-"));
  const database = openDatabase(join(dir, "steward.db"));
  const engine = new Engine({
    config: parseConfig(CONFIG, "bench.yaml", env),
    configDir: dir,
    database,
    runners: new Map([["instant", instant]]),
  });
  engine.start();
  const discord = await startDiscord({
    engine,
    token: env.DISCORD_TOKEN!,
    apiBase: env.DISCORD_API_BASE,
    logger: silentLogger,
  });
  return async () => {
    await discord.stop();
    await engine.stop(1_000);
    database.close();
    rmSync(dir, { recursive: true, force: true });
  };
}

async function runBare(env: Record<string, string>): Promise<() => Promise<void>> {
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
    ],
    rest: { api: env.DISCORD_API_BASE },
    allowedMentions: { parse: [] },
  });
  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isChatInputCommand()) void interaction.deferReply().catch(() => undefined);
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(env.DISCORD_TOKEN);
  await ready;
  return async () => {
    await client.destroy();
  };
}

async function child(system: string, env: Record<string, string>): Promise<void> {
  const stop = system === "steward" ? await runSteward(env) : await runBare(env);
  process.send?.("ready");
  process.once("message", async () => {
    await stop();
    process.exit(0);
  });
}

// ── Parent: the fake Discord and the bursts ─────────────────────────────────────────────────

function startChild(system: string, env: Record<string, string>): Promise<ChildProcess> {
  const path = fileURLToPath(import.meta.url);
  const proc = fork(path, ["--system", system, "--env", JSON.stringify(env)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    proc.once("message", () => resolve(proc));
    proc.once("exit", (code) => reject(new Error(`${system} exited with ${code} before ready`)));
  });
}

function stopChild(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once("exit", () => resolve());
    proc.send("stop");
  });
}

type Handle = ReturnType<FakeDiscord["slashCommand"]>;

interface Burst {
  latencies: number[];
  refused: number;
  allAckedMs: number;
  /** Until every reply shows a card (Steward only). */
  allPostedMs: number;
  handles: Handle[];
  start: number;
}

async function burst(fake: FakeDiscord, n: number, label: string, cards: boolean): Promise<Burst> {
  const start = performance.now();
  const handles = Array.from({ length: n }, (_, i) =>
    fake.slashCommand(
      "task",
      { objective: `Answer the refund ticket #${label}-${i}`, acceptance: "polite" },
      fake.ids.member,
    ),
  );
  const callbacks = await Promise.all(handles.map((handle) => handle.response(30_000)));
  const allAckedMs = performance.now() - start;
  let waiting = cards ? handles : [];
  const posted = await untilTrue(() => {
    waiting = waiting.filter((handle) => !hasCard(handle));
    return waiting.length === 0;
  }, 30_000);
  return {
    latencies: callbacks.map((callback) => callback.latencyMs),
    refused: callbacks.filter((callback) => !callback.accepted).length,
    allAckedMs,
    allPostedMs: cards && posted ? performance.now() - start : Number.NaN,
    handles,
    start,
  };
}

function hasCard(handle: Handle): boolean {
  return (handle.original()?.embeds.length ?? 0) > 0;
}

function isDone(handle: Handle): boolean {
  const fields = handle.original()?.embeds[0]?.fields ?? [];
  return fields.some((field) => field.name === "State" && field.value.startsWith("done"));
}

async function untilTrue(check: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
  Number.NaN;

async function measure(fake: FakeDiscord, system: string, n: number, rounds: number) {
  const proc = await startChild(system, fake.env);
  const steward = system === "steward";
  try {
    const warm = await burst(fake, 20, `${system}-warm`, steward);
    if (steward) await untilTrue(() => warm.handles.every(isDone), 60_000, 50);
    const latencies: number[] = [];
    const acked: number[] = [];
    const posted: number[] = [];
    const done: number[] = [];
    let refused = 0;
    for (let round = 1; round <= rounds; round++) {
      const result = await burst(fake, n, `${system}-${round}`, steward);
      latencies.push(...result.latencies);
      refused += result.refused;
      acked.push(result.allAckedMs);
      posted.push(result.allPostedMs);
      if (steward) {
        const finished = await untilTrue(() => result.handles.every(isDone), 120_000, 50);
        done.push(finished ? performance.now() - result.start : Number.NaN);
      }
    }
    latencies.sort((a, b) => a - b);
    const median = (list: number[]) =>
      percentile(
        [...list].sort((a, b) => a - b),
        50,
      );
    return {
      system: steward ? "steward /task" : "bare deferReply()",
      interactions: latencies.length,
      "ack p50 ms": percentile(latencies, 50).toFixed(0),
      "ack p99 ms": percentile(latencies, 99).toFixed(0),
      "ack max ms": (latencies.at(-1) ?? Number.NaN).toFixed(0),
      "refused (>3 s)": refused,
      "all acked ms": median(acked).toFixed(0),
      "all cards posted ms": steward ? median(posted).toFixed(0) : "",
      "all cards done ms": steward ? median(done).toFixed(0) : "",
    };
  } finally {
    await stopChild(proc);
  }
}

async function parent(): Promise<void> {
  const n = Number(values.n);
  const rounds = Number(values.rounds);
  const fake = await startFakeDiscord();
  try {
    // Steward first: it registers the commands the peer then answers.
    const rows = [
      await measure(fake, "steward", n, rounds),
      await measure(fake, "bare", n, rounds),
    ];
    console.log(
      `bursts of ${n} /task interactions, ${rounds} round(s) each (median of rounds for totals), node ${process.version}`,
    );
    console.table(rows);
  } finally {
    await fake.close();
  }
}

if (values.system !== undefined) await child(values.system, JSON.parse(values.env ?? "{}"));
else await parent();
