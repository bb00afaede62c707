import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // better-sqlite3 is a native addon: separate processes keep each file's database its own.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
