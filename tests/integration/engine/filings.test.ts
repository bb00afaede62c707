import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { Engine } from "../../../src/engine/engine.js";
import type { RawRequest } from "../../../src/intake/intake.js";
import { inOrder, outsideReader, testDatabase } from "../../helpers.js";

function request(requester: string, extra: Partial<RawRequest> = {}): RawRequest {
  return {
    source: "webhook:helpdesk",
    requester,
    text: `Objective: Answer the refund request from ${requester}\nDone when: the reply offers a refund`,
    ...extra,
  };
}

function steward() {
  const database = testDatabase();
  const engine = new Engine({
    config: loadConfigFile("config/steward.yaml", {}),
    configDir: "config",
    database,
  });
  return { database, engine, reader: outsideReader(database.file) };
}

describe("requests from the doors, filed together", () => {
  it("files the requests of one turn together: none is visible before all are committed", async () => {
    const { engine, reader } = steward();
    const heard: number[] = [];
    engine.onTaskChange((task) => heard.push(task.id));
    const calls = ["ann", "bob", "cyd"].map((who) => engine.submit(request(who)));
    expect(reader.count("tasks")).toBe(0);
    // Each caller resumes once its task is committed: by then, every task of the turn is.
    const seen = await Promise.all(calls.map((call) => call.then(() => reader.count("tasks"))));
    expect(seen).toEqual([3, 3, 3]);
    const tasks = (await Promise.all(calls)).map(({ task }) => task);
    expect(tasks.map((task) => task.requester)).toEqual(["ann", "bob", "cyd"]);
    expect(await inOrder(tasks, (task) => engine.task(task.id))).toStrictEqual(tasks);
    expect(reader.count("task_events")).toBe(3);
    expect(heard).toEqual(tasks.map((task) => task.id));
  });

  it("a request the database refuses fails alone; the others of its turn are filed once", async () => {
    const { database, engine, reader } = steward();
    database.sqlite.exec(`CREATE TRIGGER refuse_mallory BEFORE INSERT ON task_events
      WHEN (SELECT requester FROM tasks WHERE id = NEW.task_id) = 'mallory'
      BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const heard: string[] = [];
    engine.onTaskChange((task) => heard.push(task.requester));
    const outcomes = await Promise.allSettled(
      ["ann", "mallory", "bob"].map((who) => engine.submit(request(who))),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe("disk says no");
    // Mallory's task was written before its event was refused: undone with it, as a whole.
    expect(reader.count("tasks")).toBe(2);
    expect(reader.count("task_events")).toBe(2);
    expect(heard).toEqual(["ann", "bob"]);
  });

  it("a request intake refuses fails before the batch; the same delivery twice files one task", async () => {
    const { engine, reader } = steward();
    const outcomes = await Promise.allSettled([
      engine.submit(request("ann", { dedupeKey: "delivery-1" })),
      engine.submit({ source: "webhook:helpdesk", requester: "eve", text: "   " }),
      engine.submit(request("ann", { dedupeKey: "delivery-1" })),
    ]);
    const [first, empty, replay] = outcomes;
    expect(empty?.status).toBe("rejected");
    expect(first?.status === "fulfilled" && first.value.duplicate).toBe(false);
    expect(replay?.status === "fulfilled" && replay.value.duplicate).toBe(true);
    expect(replay?.status === "fulfilled" && replay.value.task.id).toBe(
      first?.status === "fulfilled" && first.value.task.id,
    );
    expect(reader.count("tasks")).toBe(1);
  });

  it("stopping files the requests already taken in before it commits", async () => {
    const { database, engine, reader } = steward();
    const call = engine.submit(request("ann"));
    await engine.stop();
    database.close();
    const { task } = await call;
    expect(task.state).toBe("queued");
    expect(reader.count("tasks")).toBe(1);
  });
});
