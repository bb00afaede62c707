import { describe, expect, it } from "vitest";
import { freshStore, type OpenStore } from "./harness.js";

/** Schedule runs and review posts: what the schedules remember across restarts. */
export function scheduleContract(open: OpenStore): void {
  describe("schedules and review posts", () => {
    const opened = freshStore(open);

    it("a schedule's last firing is recorded and replaced, per name", async () => {
      const { store, clock } = opened();
      expect(await store.schedules.lastFiredAt("daily")).toBeUndefined();
      await store.schedules.record("daily", clock.now());
      await store.schedules.record("weekly", clock.now() + 1);
      await store.schedules.record("daily", clock.now() + 5_000);

      expect(await store.schedules.lastFiredAt("daily")).toBe(clock.now() + 5_000);
      expect(await store.schedules.lastFiredAt("weekly")).toBe(clock.now() + 1);
    });

    it("a month's review is claimed once; months are listed in order", async () => {
      const { store, clock } = opened();
      expect(await store.reviewPosts.claim("2026-02", clock.now())).toBe(true);
      expect(await store.reviewPosts.claim("2026-01", clock.now())).toBe(true);
      expect(await store.reviewPosts.claim("2026-02", clock.now())).toBe(false);

      expect(await store.reviewPosts.months()).toEqual(["2026-01", "2026-02"]);
    });
  });
}
