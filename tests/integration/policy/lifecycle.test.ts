import { describe, expect, it } from "vitest";
import { MAX_FIELD_CHARS } from "../../../src/core/brief.js";
import { attempts } from "../../../src/db/schema.js";
import { insertTask } from "../../helpers.js";
import {
  budgetLeft,
  isAlive,
  makeEngine,
  outboxMessages,
  policyConfig,
  runsOf,
  shellWorker,
  startEngine,
  states,
  submit,
  waitFor,
  waitForState,
} from "./helpers.js";

/** One category served by the sleeping fixture: a task that runs until it is stopped. */
const sleeperConfig = () =>
  policyConfig(`
    categories:
      - { name: slow, description: Slow work, examples: [slow], worker: sleeper }
    workers:
      sleeper: ${shellWorker("sleep.mjs")}
  `);

/** One category whose worker echoes the objective back: runs finish at once. */
const echoConfig = (category: string) =>
  policyConfig(`
    categories:
      - { name: ${category}, description: Writing, examples: [write], worker: writer }
    workers:
      writer: ${shellWorker("echo.mjs")}
  `);

/** A two-step pipeline: each draft, once done, is filed again as a polish step. */
const draftThenPolish = () =>
  policyConfig(`
    categories:
      - { name: draft, description: Drafts, examples: [draft], worker: writer, then: polish }
      - name: polish
        description: Polishing
        examples: [polish]
        worker: writer
        defaults: { acceptance_criteria: [reads well] }
    workers:
      writer: ${shellWorker("echo.mjs")}
  `);

/** Waits until the task's child has started and recorded its pid. */
async function runningChild(records: string, taskId: number): Promise<number> {
  await waitFor(() => runsOf(records, taskId).length > 0, 5000, `T-${taskId}'s child to start`);
  return runsOf(records, taskId)[0]!.pid;
}

describe("pipelines", () => {
  it("files the next step with the first's output, linked both ways, in the transaction that completes the first", async () => {
    const { engine } = startEngine(draftThenPolish());

    const first = await submit(engine, "draft", "Draft the launch note");
    // Whenever the first reads done, the next step must already exist and be linked.
    let seenDoneAlone = false;
    await waitFor(
      async () => {
        const task = await engine.task(first.id);
        if (
          task.state === "done" &&
          (task.nextId === null || !(await engine.findTask(task.nextId)))
        ) {
          seenDoneAlone = true;
        }
        return task.state === "done";
      },
      5000,
      "the first step to be done",
    );
    expect(seenDoneAlone).toBe(false);

    const done = await engine.task(first.id);
    const next = await engine.task(done.nextId!);
    expect(next).toMatchObject({
      parentId: first.id,
      category: "polish",
      source: "pipeline:draft",
      requester: "owner",
      inputs: [`Output of T-${first.id} (draft):\n${done.output}`],
      acceptanceCriteria: ["reads well"],
    });
    expect(done.output).toBe("Draft the launch note");
    expect((await engine.detail(next.id)).events[0]).toMatchObject({
      from: "intake",
      to: "queued",
    });

    await waitForState(engine, next.id, "done");
    expect((await engine.task(next.id)).output).toContain(
      `Output of T-${first.id} (draft):\nDraft the launch note`,
    );
    expect((await engine.task(next.id)).nextId).toBeNull();
    expect(await outboxMessages(engine)).toMatchObject([
      { kind: "task_done", taskId: first.id },
      { kind: "task_done", taskId: next.id },
    ]);
  });

  it("a step finishing as Steward stops: its next step is told before stop returns", async () => {
    const { engine, database } = startEngine(draftThenPolish());
    const heard: string[] = [];
    engine.onTaskChange((task) => heard.push(`${task.source} ${task.state}`));
    const first = await submit(engine, "draft", "Draft the launch note");
    await waitForState(engine, first.id, "running");

    // The run ends within the grace period; its completion files the next step.
    await engine.stop(5000);
    database.close();
    await new Promise((resolve) => setImmediate(resolve));

    expect(heard).toContain("pipeline:draft queued");
  });
});

describe("a next step intake refuses", () => {
  it("leaves the first step done without one, says why, and the pool goes on", async () => {
    const { engine, errors } = startEngine(draftThenPolish());
    // At the limit itself: the next step's objective adds "polish step for T-1: " and is refused.
    const long = await submit(engine, "draft", `Draft ${"a".repeat(MAX_FIELD_CHARS - 6)}`);
    const short = await submit(engine, "draft", "Draft the launch note");
    await waitForState(engine, long.id, "done");
    await waitForState(engine, short.id, "done");

    expect((await engine.task(long.id)).nextId).toBeNull();
    expect((await engine.task(short.id)).nextId).not.toBeNull();
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^T-${long.id} is done, but its next step \\(polish\\) could not be filed: Objective is \\d+ characters`,
        ),
      ),
    ]);
    expect(await states(engine, long.id)).toEqual(["queued", "running", "reviewing", "done"]);
  });
});

describe("claiming", () => {
  it("a task queued without a word to the pool is still claimed, by its next poll", async () => {
    const { engine, database } = startEngine(echoConfig("draft"));
    // The first claim drains the category: passes skip it until something may be queued.
    const first = await submit(engine, "draft", "Draft the launch note");
    await waitForState(engine, first.id, "done");
    // Written straight to the file, as another process would: no kick, only the poll sees it.
    const unannounced = insertTask(database, { category: "draft", objective: "Draft the FAQ" });
    await waitForState(engine, unannounced.id, "done");
    expect(await states(engine, unannounced.id)).toEqual(["running", "reviewing", "done"]);
  });
});

describe("stopping work", () => {
  it("cancel while running stops the child, abandons the attempt and keeps the task cancelled", async () => {
    const { engine, records } = startEngine(sleeperConfig());
    const task = await submit(engine, "slow", "Take your time");
    const pid = await runningChild(records, task.id);
    expect((await engine.task(task.id)).state).toBe("running");

    const cancelled = await engine.cancel(task.id, "owner");
    expect(cancelled.state).toBe("cancelled");

    await waitFor(() => engine.pool.running === 0, 3000, "the run to end");
    await waitFor(() => !isAlive(pid), 3000, "the child to be stopped");
    const eventsAfterCancel = (await engine.detail(task.id)).events.length;
    // A few poll cycles: nothing may move the task again.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const { events, attempts: tried, task: final } = await engine.detail(task.id);
    expect(events).toHaveLength(eventsAfterCancel);
    expect(await states(engine, task.id)).toEqual(["queued", "running", "cancelled"]);
    expect(events.at(-1)).toMatchObject({
      from: "running",
      to: "cancelled",
      actor: "owner",
      reason: "cancelled",
    });
    expect(tried).toMatchObject([{ outcome: "abandoned", error: "cancelled while running" }]);
    expect(final).toMatchObject({ state: "cancelled", leaseOwner: null, leaseExpiresAt: null });
    expect(await outboxMessages(engine)).toMatchObject([
      { kind: "task_cancelled", taskId: task.id, actor: "owner", reason: "cancelled" },
    ]);
  });

  it("a graceful stop past its grace period puts the running task back in the queue, uncounted", async () => {
    const { engine, records } = startEngine(sleeperConfig());
    const task = await submit(engine, "slow", "Take your time");
    const pid = await runningChild(records, task.id);

    await engine.stop(50);

    const { events, attempts: tried, task: requeued } = await engine.detail(task.id);
    expect(events.at(-1)).toMatchObject({
      from: "running",
      to: "queued",
      actor: "system",
      reason: "Steward shut down before it finished; it will run again",
    });
    expect(tried).toMatchObject([
      { number: 1, outcome: "abandoned", error: "Steward shut down before it finished" },
    ]);
    expect(requeued).toMatchObject({ state: "queued", leaseOwner: null });
    expect(await budgetLeft(engine, task.id)).toBe(3);
    expect(engine.pool.running).toBe(0);
    await waitFor(() => !isAlive(pid), 3000, "the child to be stopped");
  });

  it("start-up returns tasks a dead process left running to the queue, and they complete", async () => {
    const { engine, database } = makeEngine(echoConfig("content"));
    const now = Date.now();
    const stranded = [now - 60_000, now + 60_000].map((leaseExpiresAt) => {
      const task = insertTask(database, {
        state: "running",
        category: "content",
        acceptanceCriteria: ["it is written"],
        attempts: 1,
        leaseOwner: "old-host:4242",
        leaseExpiresAt,
      });
      database.db
        .insert(attempts)
        .values({
          taskId: task.id,
          number: 1,
          worker: "writer",
          startedAt: now - 90_000,
          outcome: "running",
        })
        .run();
      return task;
    });

    await engine.start();

    const reason = "recovered at start-up: the process running it stopped";
    for (const task of stranded) {
      // Expired or not, every lease of a previous process is void once this one starts.
      expect((await engine.detail(task.id)).events[0]).toMatchObject({
        from: "running",
        to: "queued",
        actor: "system",
        reason,
      });
    }
    // The abandoned attempt was not the tasks' fault: their budgets are whole again.
    for (const task of stranded) expect(await budgetLeft(engine, task.id)).toBe(3);
    for (const task of stranded) await waitForState(engine, task.id, "done");
    for (const task of stranded) {
      const { attempts: tried, task: done } = await engine.detail(task.id);
      expect(tried.map((attempt) => [attempt.number, attempt.outcome, attempt.error])).toEqual([
        [1, "abandoned", reason],
        [2, "succeeded", null],
      ]);
      expect(done).toMatchObject({ output: "Write the weekly newsletter", attempts: 2 });
      expect(await states(engine, task.id)).toEqual(["queued", "running", "reviewing", "done"]);
    }
  });
});
