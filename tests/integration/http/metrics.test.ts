import { describe, expect, it } from "vitest";
import { deliver, startTestServer } from "./setup.js";

async function scrape(url: string): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return { contentType: response.headers.get("content-type"), text: await response.text() };
}

/** The value of one sample line, e.g. `steward_tasks{state="queued"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("counts tasks by state and category, transitions, escalations and failures", async () => {
    const { server, engine } = await startTestServer();
    for (const order of [1, 2]) {
      const body = JSON.stringify({ text: `Answer the refund request for order ${order}` });
      expect((await deliver(server.url, "helpdesk", body)).status).toBe(202);
    }
    // Named into the catch-all: escalated at intake, with no failure class.
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Water the plants\nDone when: they are watered",
      category: "unsorted",
    });
    const before = await scrape(server.url);
    expect(before.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(before.text, 'steward_tasks{state="queued"}')).toBe(2);
    expect(sample(before.text, 'steward_tasks{state="escalated"}')).toBe(1);
    expect(sample(before.text, 'steward_tasks{state="done"}')).toBe(0);
    expect(
      sample(before.text, 'steward_tasks_by_category{state="queued",category="support"}'),
    ).toBe(2);
    expect(sample(before.text, 'steward_task_transitions_total{to="queued"}')).toBe(2);
    expect(sample(before.text, 'steward_task_transitions_total{to="escalated"}')).toBe(1);
    expect(sample(before.text, "steward_escalations_total")).toBe(1);
    expect(sample(before.text, "steward_escalations_open")).toBe(1);
    expect(sample(before.text, "steward_anomalies_open")).toBe(0);
    expect(sample(before.text, "steward_outbox_backlog")).toBe(await engine.outbox.backlog());
    const { live, stale } = await engine.status.processes();
    expect(sample(before.text, 'steward_processes{state="live"}')).toBe(live.length);
    expect(sample(before.text, 'steward_processes{state="stale"}')).toBe(stale.length);
    expect(sample(before.text, 'steward_worker_paused{worker="demo-writer"}')).toBe(0);
    expect(before.text).not.toContain("steward_task_failures_total{");
    expect(before.text).toContain("process_cpu_user_seconds_total");

    await engine.escalate(1, { reason: "the reply failed review twice", failureClass: "logic" });
    await engine.cancel(2, "owner");
    const after = await scrape(server.url);
    expect(sample(after.text, 'steward_tasks{state="queued"}')).toBe(0);
    expect(sample(after.text, 'steward_tasks{state="escalated"}')).toBe(2);
    expect(sample(after.text, 'steward_tasks{state="cancelled"}')).toBe(1);
    // A label pair with no tasks left disappears rather than reading a stale count.
    expect(
      sample(after.text, 'steward_tasks_by_category{state="queued",category="support"}'),
    ).toBeUndefined();
    expect(sample(after.text, 'steward_task_transitions_total{to="escalated"}')).toBe(2);
    expect(sample(after.text, 'steward_task_transitions_total{to="cancelled"}')).toBe(1);
    expect(sample(after.text, 'steward_task_failures_total{class="logic"}')).toBe(1);
    expect(sample(after.text, "steward_escalations_total")).toBe(2);
  });

  it("reports the status checker's last run and keeps each server's registry its own", async () => {
    const first = await startTestServer();
    const second = await startTestServer();
    first.server.metrics.observeCheck(1500);
    await deliver(first.server.url, "helpdesk", JSON.stringify({ text: "Refund order 9" }));
    const one = await scrape(first.server.url);
    const two = await scrape(second.server.url);
    expect(sample(one.text, "steward_status_check_duration_seconds")).toBe(1.5);
    expect(sample(two.text, "steward_status_check_duration_seconds")).toBe(0);
    expect(sample(one.text, 'steward_task_transitions_total{to="queued"}')).toBe(1);
    expect(sample(two.text, 'steward_task_transitions_total{to="queued"}')).toBeUndefined();
  });

  it("times the queue and the run per category, counts attempts and failures per worker", async () => {
    const { server, engine, config } = await startTestServer();
    const demo = config.workers["demo-writer"];
    if (demo?.kind !== "demo") throw new Error("the default config's demo-writer is gone");
    demo.delay = 50;
    for (const order of [1, 2]) {
      const body = JSON.stringify({
        text: `Objective: Answer the refund request for order ${order}\nDone when: replied`,
      });
      expect((await deliver(server.url, "helpdesk", body)).status).toBe(202);
    }
    engine.start();
    let text = "";
    for (let tries = 0; tries < 200; tries++) {
      text = (await scrape(server.url)).text;
      // Counters follow the commits (the gauges read the open group): wait for those.
      if (sample(text, 'steward_task_transitions_total{to="done"}') === 2) break;
      await new Promise((wait) => setTimeout(wait, 50));
    }
    expect(sample(text, 'steward_tasks{state="done"}')).toBe(2);
    expect(sample(text, 'steward_task_queued_seconds_count{category="support"}')).toBe(2);
    expect(sample(text, 'steward_task_running_seconds_count{category="support"}')).toBe(2);
    // Each run took the demo worker's 50 ms at least.
    expect(sample(text, 'steward_task_running_seconds_sum{category="support"}')).toBeGreaterThan(
      0.1,
    );
    expect(sample(text, 'steward_worker_attempts_total{worker="demo-writer"}')).toBe(2);
    expect(text).toMatch(
      /^steward_build_info\{version="\d+\.\d+\.\d+",node_version="v[\d.]+"\} 1$/m,
    );

    // Escalated as soon as it is filed, whether or not the pool has taken it yet.
    const third = await engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Answer the refund request for order 3\nDone when: replied",
      category: "support",
    });
    await engine.escalate(third.task.id, {
      reason: "the reply failed review twice",
      failureClass: "logic",
    });
    const after = (await scrape(server.url)).text;
    expect(sample(after, 'steward_worker_failures_total{worker="demo-writer",class="logic"}')).toBe(
      1,
    );
    await engine.stop(1000);
  });
});
