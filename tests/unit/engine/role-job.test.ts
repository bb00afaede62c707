import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/log.js";
import type { Role, RoleHandlers, Roles } from "../../../src/core/roles.js";
import { RoleJob } from "../../../src/engine/role-job.js";

/** Roles handed out and taken back by the test, as another process dying or returning would. */
class TestRoles implements Roles {
  readonly shared = true;
  private readonly handlers = new Map<Role, RoleHandlers>();
  private readonly holding = new Set<Role>();
  hold(role: Role, handlers: RoleHandlers = {}): void {
    this.handlers.set(role, handlers);
  }
  held(): ReadonlySet<Role> {
    return this.holding;
  }
  async close(): Promise<void> {}
  give(role: Role): void {
    this.holding.add(role);
    this.handlers.get(role)?.onAcquired?.();
  }
  take(role: Role): void {
    this.holding.delete(role);
    this.handlers.get(role)?.onLost?.(new Error("connection lost"));
  }
}

function recordingJob() {
  const steps: string[] = [];
  const job = new RoleJob(
    "scheduler",
    {
      start: async () => {
        steps.push("start…");
        await new Promise((resolve) => setTimeout(resolve, 20));
        steps.push("started");
      },
      stop: () => steps.push("stopped"),
    },
    silentLogger,
  );
  return { job, steps };
}

describe("a job that runs while its role is held", () => {
  it("starts only once the role is held, and stops when it is lost", async () => {
    const roles = new TestRoles();
    const { job, steps } = recordingJob();
    job.holdWith(roles);
    expect(job.started()).toBeUndefined();
    expect(steps).toEqual([]);

    roles.give("scheduler");
    await job.started();
    expect(job.active).toBe(true);
    roles.take("scheduler");
    await job.stop();
    expect(steps).toEqual(["start…", "started", "stopped"]);
    expect(job.active).toBe(false);
  });

  it("a loss during the start stops it after the start, never alongside", async () => {
    const roles = new TestRoles();
    const { job, steps } = recordingJob();
    job.holdWith(roles);
    roles.give("scheduler");
    roles.take("scheduler");
    roles.give("scheduler");
    await job.stop();
    expect(steps).toEqual(["start…", "started", "stopped", "start…", "started", "stopped"]);
  });

  it("once closed, it does not start again when the role comes back", async () => {
    const roles = new TestRoles();
    const { job, steps } = recordingJob();
    job.holdWith(roles);
    roles.give("scheduler");
    await job.close();
    roles.take("scheduler");
    roles.give("scheduler");
    await job.stop();
    expect(steps).toEqual(["start…", "started", "stopped"]);
  });

  it("a start that fails is told by `started()` and leaves the job stopped", async () => {
    const roles = new TestRoles();
    const job = new RoleJob(
      "gateway",
      {
        start: async () => {
          throw new Error("401: invalid token");
        },
        stop: () => {},
      },
      silentLogger,
    );
    job.holdWith(roles);
    roles.give("gateway");
    await expect(job.started()).rejects.toThrow("401: invalid token");
    expect(job.active).toBe(false);
  });
});
