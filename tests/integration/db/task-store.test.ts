import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { isStewardError } from "../../../src/core/errors.js";
import {
  canTransition,
  IllegalTransitionError,
  TASK_STATES,
  TRANSITIONS,
} from "../../../src/core/states.js";
import { MonitorQueries } from "../../../src/db/monitor-queries.js";
import { Engine } from "../../../src/engine/engine.js";
import { insertTask, testDatabase, testStore } from "../../helpers.js";

const storedStates = TASK_STATES.filter((state) => state !== "intake");
const pairs = storedStates.flatMap((from) =>
  TASK_STATES.map((to) => ({ from, to, legal: canTransition(from, to) })),
);

describe("task lifecycle, against a real SQLite file", () => {
  it.each(pairs.filter((pair) => pair.legal))(
    "$from → $to is allowed and recorded with its event",
    ({ from, to }) => {
      const { store, clock, ...database } = testStore(new ManualClock(1_000));
      const task = insertTask(database, { state: from });
      clock.advance(500);

      const moved = store.transition(task.id, to, {
        actor: "U123",
        reason: "because the test says so",
      });

      expect(moved.state).toBe(to);
      expect(moved.stateSince).toBe(1_500);
      expect(store.events(task.id)).toEqual([
        expect.objectContaining({
          from,
          to,
          at: 1_500,
          actor: "U123",
          reason: "because the test says so",
        }),
      ]);
    },
  );

  it.each(pairs.filter((pair) => !pair.legal))(
    "$from → $to is refused and changes nothing",
    ({ from, to }) => {
      const { store, ...database } = testStore();
      const task = insertTask(database, { state: from });

      const attempt = () => store.transition(task.id, to, { actor: "system", reason: "illegal" });

      expect(attempt).toThrow(IllegalTransitionError);
      expect(store.require(task.id).state).toBe(from);
      expect(store.events(task.id)).toEqual([]);
    },
  );

  it("terminal states allow no move at all", () => {
    expect(TRANSITIONS.done).toEqual([]);
    expect(TRANSITIONS.cancelled).toEqual([]);
  });

  it("the refusal carries a stable code and says which move was refused", () => {
    const { store, ...database } = testStore();
    const task = insertTask(database, { state: "done" });
    try {
      store.transition(task.id, "queued", { actor: "system", reason: "retry" });
      expect.unreachable();
    } catch (error) {
      expect(isStewardError(error, "illegal_transition")).toBe(true);
      expect((error as Error).message).toBe(`T-${task.id} cannot go from done to queued`);
    }
  });

  it("a failure later in the same transaction leaves neither the state change nor its event", () => {
    const { store, ...database } = testStore();
    const task = insertTask(database, { state: "running" });

    expect(() =>
      store.write(() => {
        store.transition(task.id, "reviewing", { actor: "worker:demo", reason: "output ready" });
        throw new Error("disk full while writing the outbox");
      }),
    ).toThrow("disk full");

    expect(store.require(task.id).state).toBe("running");
    expect(store.events(task.id)).toEqual([]);
  });

  it("a failing event insert rolls back the state change", () => {
    const { store, sqlite, ...database } = testStore();
    const task = insertTask({ sqlite, ...database }, { state: "queued" });
    sqlite.exec(
      "CREATE TRIGGER refuse_events BEFORE INSERT ON task_events BEGIN SELECT RAISE(ABORT, 'event refused'); END",
    );

    expect(() =>
      store.transition(task.id, "running", { actor: "worker:demo", reason: "claimed" }),
    ).toThrow("event refused");
    expect(store.require(task.id).state).toBe("queued");
  });

  it("each event records when the task entered the state it left, and the stays read from it", () => {
    const { store, clock, ...database } = testStore(new ManualClock(1_000));
    const task = insertTask(database, { state: "queued", stateSince: 1_000 });
    clock.advance(4_000);
    store.transition(task.id, "running", { actor: "system", reason: "claimed" });
    clock.advance(250);
    store.transition(task.id, "reviewing", { actor: "system", reason: "output" });
    expect(store.events(task.id).map(({ from, enteredAt, at }) => [from, enteredAt, at])).toEqual([
      ["queued", 1_000, 5_000],
      ["running", 5_000, 5_250],
    ]);
    // A row from before the start was recorded: the stay begins with the task's previous event.
    database.sqlite
      .prepare("UPDATE task_events SET entered_at = NULL WHERE \"from\" = 'running'")
      .run();
    const queries = new MonitorQueries(database.sqlite);
    const problems: string[] = [];
    expect(queries.stays("queued", 0, 10, problems).stays).toEqual([
      { category: task.category, duration: 4_000 },
    ]);
    expect(queries.stays("running", 0, 10, problems).stays).toEqual([
      { category: task.category, duration: 250 },
    ]);
    expect(problems).toEqual([]);
  });

  it("a path of steps is one write of the row, with an event for every step", () => {
    const { store, clock, ...database } = testStore(new ManualClock(1_000));
    const task = insertTask(database, { state: "running", stateSince: 1_000, leaseOwner: "me" });
    clock.advance(300);
    const done = store.advance(task.id, [
      { to: "reviewing", actor: "worker:w", reason: "output ready", patch: { output: "draft" } },
      { to: "done", actor: "system", reason: "passed", patch: { leaseOwner: null } },
    ]);
    expect(done).toMatchObject({ state: "done", output: "draft", leaseOwner: null });
    expect(done.stateSince).toBe(1_300);
    expect(
      store
        .events(task.id)
        .map(({ from, to, enteredAt, at, actor }) => [from, to, enteredAt, at, actor]),
    ).toEqual([
      ["running", "reviewing", 1_000, 1_300, "worker:w"],
      ["reviewing", "done", 1_300, 1_300, "system"],
    ]);
  });

  it("a path with an illegal step anywhere writes nothing", () => {
    const { store, ...database } = testStore();
    const task = insertTask(database, { state: "running" });
    expect(() =>
      store.advance(task.id, [
        { to: "reviewing", actor: "system", reason: "output ready", patch: { output: "draft" } },
        { to: "running", actor: "system", reason: "not a move from reviewing" },
      ]),
    ).toThrow(IllegalTransitionError);
    expect(store.require(task.id)).toMatchObject({ state: "running", output: null });
    expect(store.events(task.id)).toEqual([]);
  });

  it("a move from a held row that has moved on since writes nothing and says so", () => {
    const { store, ...database } = testStore();
    const held = insertTask(database, { state: "running", leaseOwner: "me" });
    store.transition(held.id, "cancelled", { actor: "owner", reason: "not needed" });
    const moved = () =>
      store.advance(
        held.id,
        [
          { to: "reviewing", actor: "worker:w", reason: "output ready", patch: { output: "late" } },
          { to: "done", actor: "system", reason: "passed" },
        ],
        held,
      );
    expect(moved).toThrow(`T-${held.id} is no longer running`);
    expect(moved).toThrow(expect.objectContaining({ name: "StewardError", code: "task_moved" }));
    expect(store.require(held.id)).toMatchObject({ state: "cancelled", output: null });
    expect(store.events(held.id).map((event) => event.to)).toEqual(["cancelled"]);
  });

  it("creating a task records its first event from intake", () => {
    const { store } = testStore(new ManualClock(42));
    const task = store.create(
      {
        state: "needs_clarification",
        objective: "Fix the build",
        inputs: [],
        constraints: [],
        outputFormat: "",
        acceptanceCriteria: [],
        missingFields: ["acceptance_criteria"],
        category: "engineering",
        routing: {
          category: "engineering",
          classifier: "rules",
          rule: "explicit",
          score: 1,
          matched: [],
          explanation: "named",
        },
        priority: 0,
        maxAttempts: 3,
        parentId: null,
        requester: "U1",
        source: "console",
        sourceRef: {},
        dedupeKey: null,
      },
      { actor: "U1", reason: "missing acceptance criteria" },
    );
    expect(task.id).toBeGreaterThan(0);
    expect(store.events(task.id)).toEqual([
      expect.objectContaining({ from: "intake", to: "needs_clarification", at: 42, actor: "U1" }),
    ]);
    // Returned without a read: it must be the row exactly as stored.
    expect(task).toStrictEqual(store.require(task.id));
  });

  it("a task filed through intake is returned exactly as stored", async () => {
    const database = testDatabase();
    const engine = new Engine({
      config: loadConfigFile("config/steward.yaml", {}),
      configDir: "config",
      database,
    });
    const filed = [
      (
        await engine.submit({
          source: "webhook:helpdesk",
          requester: "customer@example.com",
          text: "Objective: Refund order 1234\nInputs: https://shop.example/orders/1234\nDone when: refunded",
          sourceRef: { deliveryId: "d-1" },
          dedupeKey: "d-1",
          priority: 3,
        })
      ).task,
      (await engine.submit({ source: "console", requester: "owner", text: "something vague" }))
        .task,
    ];
    for (const task of filed) expect(task).toStrictEqual(await engine.task(task.id));
  });
});
