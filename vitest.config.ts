import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // better-sqlite3 is a native addon: separate processes keep each file's database its own.
    pool: "forks",
    testTimeout: 30_000,
    // The CLI a test spawns (bin/steward.js) runs the sources, never a stale dist/.
    env: { STEWARD_FROM_SOURCE: "1" },
    hookTimeout: 30_000,
  },
});
