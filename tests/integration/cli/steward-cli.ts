import { execFileSync } from "node:child_process";

/** `steward …` with the default config on the database `db`; its stdout. */
export function steward(args: string[], db: string): string {
  return execFileSync(process.execPath, ["bin/steward.js", ...args], {
    env: { ...process.env, STEWARD_DB: db, STEWARD_CONFIG: "config/steward.yaml" },
    encoding: "utf8",
  });
}
