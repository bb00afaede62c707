import { afterEach, describe, expect, it, vi } from "vitest";
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

  describe("on a shared store, a start that fails", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A job whose first `failures` starts throw, as while the database is down. */
    function failingJob(failures: number) {
      const steps: string[] = [];
      const errors: string[] = [];
      let tries = 0;
      const job = new RoleJob(
        "scheduler",
        {
          start: async () => {
            tries += 1;
            steps.push(`start ${tries}`);
            if (tries <= failures) throw new Error("the database is not answering");
          },
          stop: () => steps.push("stopped"),
        },
        { ...silentLogger, error: (message) => errors.push(message) },
      );
      return { job, steps, errors };
    }

    it("is taken down and tried again while the role is held, each wait twice the last", async () => {
      vi.useFakeTimers();
      const roles = new TestRoles();
      const { job, steps, errors } = failingJob(2);
      job.holdWith(roles);
      roles.give("scheduler");
      await vi.advanceTimersByTimeAsync(0);
      expect(steps).toEqual(["start 1", "stopped"]);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(steps).toEqual(["start 1", "stopped", "start 2", "stopped"]);
      await vi.advanceTimersByTimeAsync(3_999);
      expect(job.active).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(steps.at(-1)).toBe("start 3");
      expect(job.active).toBe(true);
      expect(errors).toEqual([
        "scheduler: could not start: the database is not answering; trying again in 2 s",
        "scheduler: could not start: the database is not answering; trying again in 4 s",
      ]);
    });

    it("is not tried again once the role is lost, nor once the job is closed", async () => {
      vi.useFakeTimers();
      const roles = new TestRoles();
      const { job, steps } = failingJob(Number.POSITIVE_INFINITY);
      job.holdWith(roles);
      roles.give("scheduler");
      await vi.advanceTimersByTimeAsync(0);
      roles.take("scheduler");
      await vi.advanceTimersByTimeAsync(120_000);
      expect(steps).toEqual(["start 1", "stopped"]);

      roles.give("scheduler");
      await vi.advanceTimersByTimeAsync(0);
      await job.close();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(steps).toEqual(["start 1", "stopped", "start 2", "stopped"]);
    });
  });
});
