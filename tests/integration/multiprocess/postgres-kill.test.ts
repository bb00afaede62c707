/**
 * The multi-process kill test: on one PostgreSQL database, two `steward serve` (the leader and a
 * warm standby) and two `steward worker` processes, as separate processes of the real CLI, work
 * 1,000 tasks whose 20 ms module worker reports each run and whose output is POSTed to a
 * receiver on 127.0.0.1. The leader and one worker are killed with SIGKILL at moments drawn
 * from a seeded random (STEWARD_KILL_SEED), and started again half a second later as systemd
 * would. Every task must end done; an attempt may be repeated only when a kill cut its lease; an
 * output may arrive twice only when the kill fell between its POST and its being marked sent;
 * the leader's roles must be taken again within 10 s of its kill.
 *
 * The tasks are filed by an Engine in this process on the same database, not through webhooks:
 * filing goes on whoever is killed (a webhook needs a live serve), and the last 300, filed while
 * the processes run, wake them through LISTEN/NOTIFY as any door's commits would.
 */
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../../bench/support/random.js";
import { loadConfigFile } from "../../../src/config/load.js";
import { systemClock } from "../../../src/core/clock.js";
import type { ProcessList } from "../../../src/core/processes.js";
import { ROLES } from "../../../src/core/roles.js";
import { openStore } from "../../../src/db/open-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { databaseWithClient } from "../../postgres.js";
import { eventually, type LogEntry, launch, type StewardProcess } from "../../steward-process.js";
import { CONFIG, stewardEnv } from "./env.js";
import {
  allAttempts,
  attemptKey,
  doneCount,
  extraAttempts,
  leasedTo,
  stateCounts,
} from "./history.js";
import { type ReportedRun, repeated, startReceiver } from "./receiver.js";
import { type Kill, Supervisor, type Unit } from "./supervisor.js";

const TASKS = 1_000;
/**
 * Filed before the processes start, so the kills fall while every worker is busy (filing on
 * PostgreSQL is slower than 3 processes work); the rest are filed while they run.
 */
const BACKLOG = 700;
/** Requests filed at once, as from that many clients. */
const FILING_WAVE = 20;
const SEED = Number(process.env.STEWARD_KILL_SEED ?? 20_261_206);
/**
 * When the leader and a worker are killed: once this share of the backlog left when every
 * process is up is done, drawn in [from, from + span) for each, so the kills fall mid-work.
 */
const KILL_AT = { from: 0.1, span: 0.6 };
const TAKEOVER_LIMIT_MS = 10_000;
/** How late this process may read a request a killed process sent just before it died. */
const RECEIVE_LAG_MS = 1_000;

const START_TIMEOUT_MS = 60_000;
const FINISH_TIMEOUT_MS = 120_000;

/** The moment `entry` was logged, by the process's own clock (the same host's). */
const loggedAt = (entry: LogEntry) => Date.parse(entry.time as string);

function acquired(logs: LogEntry[]): LogEntry[] {
  return logs.filter((entry) => entry.msg === "role acquired");
}

/** The roles `run` said it took. */
function rolesOf(run: StewardProcess): Set<string> {
  return new Set(acquired(run.logs).map((entry) => entry.role as string));
}

/**
 * From the leader's kill to the moment each of its roles was taken again, by any process: each
 * role's first `role acquired` after the kill.
 */
function takeover(
  kill: Kill,
  roles: ReadonlySet<string>,
  processes: StewardProcess[],
): Record<string, number> {
  const after = processes
    .filter((run) => run.child.pid !== kill.pid)
    .flatMap((run) => acquired(run.logs))
    .filter((entry) => loggedAt(entry) >= kill.at);
  const byRole: Record<string, number> = {};
  for (const role of roles) {
    const times = after.filter((entry) => entry.role === role).map(loggedAt);
    if (times.length > 0) byRole[role] = Math.min(...times) - kill.at;
  }
  return byRole;
}

/** Files items `from`…`to` (outputs to `outputsUrl`), FILING_WAVE at a time. */
async function fileTasks(engine: Engine, from: number, to: number, outputsUrl: string) {
  for (let first = from; first <= to; first += FILING_WAVE) {
    const wave = [];
    for (let item = first; item <= Math.min(to, first + FILING_WAVE - 1); item++) {
      wave.push(
        engine.submit({
          source: "multiprocess-test",
          requester: "tester",
          category: "work",
          dedupeKey: `item-${item}`,
          fields: { objective: `Process item ${item}`, output_format: `POST to ${outputsUrl}` },
        }),
      );
    }
    for (const { task } of await Promise.all(wave)) expect(task.state).toBe("queued");
  }
}

/** Names each phase of the run with how long it took, for the printed figures. */
function phases() {
  const done: string[] = [];
  let since = Date.now();
  return {
    end(name: string) {
      const now = Date.now();
      done.push(`${name} ${((now - since) / 1000).toFixed(1)} s`);
      since = now;
    },
    toString: () => done.join(", "),
  };
}

const database = databaseWithClient();

describe("several Steward processes on one PostgreSQL database", () => {
  it("lose no task, repeat only what a kill cut and deliver each output once through kill -9 of the leader and a worker", async () => {
    const began = Date.now();
    const phase = phases();
    const random = mulberry32(SEED);
    const leaderShare = KILL_AT.from + random() * KILL_AT.span;
    const workerShare = KILL_AT.from + random() * KILL_AT.span;
    const workerVictim = random() < 0.5 ? 0 : 1;

    const { url, client: db } = database;
    const receiver = await startReceiver();
    const env = stewardEnv(url, receiver.outputsUrl, {
      STEWARD_HTTP_PORT: "0",
      RUNS_URL: receiver.runsUrl,
    });
    const supervisor = new Supervisor(env);
    const config = loadConfigFile(CONFIG, env);
    // Migrates the database before any process starts (they would wait on the same lock).
    const opened = await openStore({ kind: "postgres", url }, systemClock);
    const filing = new Engine({ config, configDir: dirname(CONFIG), store: opened });
    try {
      // 1. The backlog, then the four processes at once: the leader is the serve that took the
      // roles, the other its standby.
      await fileTasks(filing, 1, BACKLOG, receiver.outputsUrl);
      phase.end(`filing ${BACKLOG}`);
      const serves = [
        supervisor.start("serve-a", ["serve"]),
        supervisor.start("serve-b", ["serve"]),
      ];
      const workers = [
        supervisor.start("worker-1", ["worker"]),
        supervisor.start("worker-2", ["worker", "--categories", "work"]),
      ];
      await Promise.all([
        ...serves.map((unit) => unit.current.logged("steward started", START_TIMEOUT_MS)),
        ...workers.map((unit) => unit.current.logged("worker started", START_TIMEOUT_MS)),
      ]);
      // Every role taken; two serves starting together may share them: the one with most leads.
      const leader = await eventually(
        () => {
          const held = serves.map((unit) => rolesOf(unit.current));
          if (ROLES.some((role) => !held.some((roles) => roles.has(role)))) return undefined;
          return held[0]!.size >= held[1]!.size ? serves[0]! : serves[1]!;
        },
        "every role held by a serve",
        START_TIMEOUT_MS,
      );
      phase.end("starting 4 processes");
      const startedAt = Date.now();
      const doneAtStart = await doneCount(db);
      const killAt = (share: number) => doneAtStart + Math.floor(share * (BACKLOG - doneAtStart));
      const leaderKillAt = killAt(leaderShare);
      const workerKillAt = killAt(workerShare);

      // 2. File the rest while they work; kill the leader and a worker once enough are done.
      const filed = fileTasks(filing, BACKLOG + 1, TASKS, receiver.outputsUrl);
      const killWhen = async (unit: Unit, done: number) => {
        await eventually(
          async () => ((await doneCount(db)) >= done ? true : undefined),
          `${done} tasks done before killing ${unit.name}`,
          FINISH_TIMEOUT_MS,
        );
        const kill = await supervisor.kill(unit);
        // Dead now, its leases not yet expired: the attempts this kill cut.
        return { kill, cut: await leasedTo(db, kill.owner) };
      };
      const leaderRoles = rolesOf(leader.current);
      const [leaderKill, workerKill] = await Promise.all([
        killWhen(leader, leaderKillAt),
        killWhen(workers[workerVictim]!, workerKillAt),
        filed,
      ]);
      phase.end("to the kills");
      // Measured from the logs below; waited for here so a slow takeover is seen, not cut off.
      await eventually(
        () =>
          Object.keys(takeover(leaderKill.kill, leaderRoles, supervisor.all())).length ===
          leaderRoles.size
            ? true
            : undefined,
        "every role taken again after the leader's kill",
        TAKEOVER_LIMIT_MS * 2,
      ).catch(() => undefined);

      // 3. Wait for every task done and every output received, then stop every process.
      await eventually(
        async () => {
          const outputs = new Set(receiver.outputs.map((received) => received.body.task));
          return (await doneCount(db)) === TASKS && outputs.size === TASKS ? true : undefined;
        },
        `all ${TASKS} done and delivered`,
        FINISH_TIMEOUT_MS,
      );
      const finishedAt = Date.now();
      phase.end("the rest of the run");
      // `steward status --json` as an operator would run it beside them: who is up, with what.
      const status = launch(["status", "--json"], env);
      const statusExit = await status.exited;
      await supervisor.stop();

      // 4. The figures, printed before any assertion can fail.
      const roles = takeover(leaderKill.kill, leaderRoles, supervisor.all());
      const takeoverMs =
        Object.keys(roles).length === leaderRoles.size
          ? Math.max(...Object.values(roles))
          : Number.NaN;
      const attempts = await allAttempts(db);
      const cutByKills = new Set([...leaderKill.cut, ...workerKill.cut]);
      const { cut, unexplained, succeeded } = extraAttempts(attempts, cutByKills);
      const rerun = repeated(receiver.runs, (run: ReportedRun) => run.task);
      const redelivered = repeated(receiver.outputs, (output) => output.task);
      console.log(
        `multi-process kill test (seed ${SEED}): leader killed at ${leaderKillAt} done ` +
          `(holding ${leaderKill.cut.length} leases), ${workerKill.kill.unit} at ${workerKillAt} done ` +
          `(holding ${workerKill.cut.length}), ${doneAtStart} done when all were up; its roles taken ` +
          `again in ${takeoverMs} ms (${[...leaderRoles].map((role) => `${role} ${roles[role] ?? "never"}`).join(", ")}); ` +
          `${cut.length} attempt(s) cut by a kill, ${rerun.length} task(s) run twice, ` +
          `${redelivered.length} output(s) delivered twice; ${TASKS} tasks in ` +
          `${((finishedAt - startedAt) / 1000).toFixed(1)} s; test ${((Date.now() - began) / 1000).toFixed(1)} s (${phase}); ` +
          `kills: ${supervisor.kills.map((kill) => `${kill.unit} pid ${kill.pid} at ${kill.at}`).join(", ")}`,
      );

      // What went wrong in the processes, should an assertion below fail.
      const troubles = supervisor
        .all()
        .flatMap((run) =>
          run.logs
            .filter((entry) => entry.level === "warn" || entry.level === "error")
            .map((entry) => `pid ${run.child.pid} ${entry.level}: ${entry.msg}`),
        );
      if (troubles.length > 0) console.log(`logged by the processes:\n${troubles.join("\n")}`);

      // 5. Nothing lost, nothing crashed, the standby took over in time; status lists the four
      // processes running at the end as live, their roles every role.
      expect(supervisor.crashes).toEqual([]);
      expect({ ...statusExit, stderr: status.stderr() }).toMatchObject({ code: 0 });
      const { live } = (JSON.parse(status.stdout()) as { processes: ProcessList }).processes;
      for (const unit of supervisor.units) {
        expect(live.map((entry) => entry.pid)).toContain(unit.current.child.pid);
      }
      const liveRoles = live
        .filter((entry) => supervisor.units.some((unit) => unit.current.child.pid === entry.pid))
        .flatMap((entry) => entry.roles);
      expect(new Set(liveRoles)).toEqual(new Set(ROLES));
      expect(await stateCounts(db)).toEqual({ done: TASKS });
      expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);

      // 6. Attempts: one success each; every other attempt was abandoned by a killed process.
      expect(unexplained).toEqual([]);
      expect(attempts.filter((attempt) => attempt.outcome === "running")).toEqual([]);
      expect(succeeded.size).toBe(TASKS);

      // 7. Runs, as the worker told the receiver: each attempt ran once, and any run but the
      // successful one was an attempt a kill cut (the process died before its success was written).
      const outcomeOf = new Map(attempts.map((a) => [attemptKey(a.taskId, a.number), a.outcome]));
      const cutKeys = new Set(cut.map((a) => attemptKey(a.taskId, a.number)));
      const runKeys = receiver.runs.map(({ body }) => attemptKey(body.task, body.attempt));
      expect(runKeys.length - new Set(runKeys).size).toBe(0);
      for (const key of runKeys) {
        const explained = outcomeOf.get(key) === "succeeded" || cutKeys.has(key);
        expect({ run: key, outcome: outcomeOf.get(key), explained }).toMatchObject({
          explained: true,
        });
      }
      expect(runKeys.filter((key) => outcomeOf.get(key) === "succeeded").length).toBe(TASKS);

      // 8. Outputs: each received once, but one the leader's kill caught between its POST and
      // its being marked sent, sent again by the new deliverer: the first copy sent before the
      // death (read by this busy process up to RECEIVE_LAG_MS after), the second after it.
      const serveKills = supervisor.kills.filter((kill) => kill.unit.startsWith("serve"));
      expect(redelivered.length).toBeLessThanOrEqual(serveKills.length);
      for (const { key, times } of redelivered) {
        const [first, second] = times as [number, number];
        const straddled = serveKills.some(
          (kill) => first <= kill.diedAt + RECEIVE_LAG_MS && second > kill.diedAt + RECEIVE_LAG_MS,
        );
        expect({ output: key, times, straddled }).toEqual({ output: key, times, straddled: true });
      }
    } finally {
      await supervisor.stop();
      await filing.stop().catch(() => undefined);
      await opened.store.close();
    }
  }, 180_000);
});
