import { describe, expect, it } from "vitest";
import type { ProcessEntry } from "../../src/core/processes.js";
import { freshStore, type OpenStore } from "./harness.js";

const entry = (id: string, overrides: Partial<ProcessEntry> = {}): ProcessEntry => ({
  id,
  host: "host-a",
  pid: 100,
  roles: [],
  categories: ["content"],
  version: "1.2.3",
  config: "3f2a9c0d1b7e",
  ...overrides,
});

/** The processes sharing a database: registered, beating, stale when they stop, gone when closed. */
export function processContract(open: OpenStore): void {
  describe("processes", () => {
    const opened = freshStore(open);

    it("a registered process is listed live with what it registered, started and beating now", async () => {
      const { store, clock } = opened();
      await store.processes.register(entry("a", { roles: ["gateway", "delivery"] }));

      expect(await store.processes.list(10_000)).toEqual({
        live: [
          {
            ...entry("a", { roles: ["gateway", "delivery"] }),
            startedAt: clock.now(),
            heartbeatAt: clock.now(),
          },
        ],
        stale: [],
      });
    });

    it("a process that stops beating turns stale after the window; a beat brings it back", async () => {
      const { store, clock } = opened();
      await store.processes.register(entry("a"));
      clock.advance(10_000);
      expect((await store.processes.list(10_000)).live.map(({ id }) => id)).toEqual(["a"]);

      clock.advance(1);
      expect(await store.processes.list(10_000)).toMatchObject({ live: [], stale: [{ id: "a" }] });

      await store.processes.beat("a", { roles: [], categories: ["content"] });
      expect(await store.processes.list(10_000)).toMatchObject({ live: [{ id: "a" }], stale: [] });
    });

    it("a beat records the roles and categories the process has now", async () => {
      const { store, clock } = opened();
      await store.processes.register(entry("a"));
      clock.advance(3_000);
      await store.processes.beat("a", { roles: ["scheduler"], categories: ["research", "code"] });

      const [listed] = (await store.processes.list(10_000)).live;
      expect(listed).toMatchObject({
        roles: ["scheduler"],
        categories: ["research", "code"],
        startedAt: clock.now() - 3_000,
        heartbeatAt: clock.now(),
      });
    });

    it("a process that said it is gone is listed neither live nor stale", async () => {
      const { store, clock } = opened();
      await store.processes.register(entry("a"));
      await store.processes.register(entry("b", { host: "host-b" }));
      await store.processes.gone("a");
      clock.advance(60_000);

      expect(await store.processes.list(10_000)).toMatchObject({ live: [], stale: [{ id: "b" }] });
    });

    it("processes are listed oldest first, each with its host and pid", async () => {
      const { store, clock } = opened();
      await store.processes.register(entry("b", { host: "host-b", pid: 7 }));
      clock.advance(1_000);
      await store.processes.register(entry("a", { host: "host-a", pid: 9 }));

      const { live } = await store.processes.list(10_000);
      expect(live.map(({ id, host, pid }) => ({ id, host, pid }))).toEqual([
        { id: "b", host: "host-b", pid: 7 },
        { id: "a", host: "host-a", pid: 9 },
      ]);
    });
  });
}
