import { defineConfig } from "drizzle-kit";

/** The PostgreSQL store's migrations (`src/db/pg/`); `drizzle.config.ts` is SQLite's. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/pg/schema.ts",
  out: "./drizzle-pg",
});
