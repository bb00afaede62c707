import { execFileSync, spawnSync } from "node:child_process";

/** `steward …` with the default config on the database `db`; its stdout. */
export function steward(args: string[], db: string): string {
  return execFileSync(process.execPath, ["bin/steward.js", ...args], {
    env: envFor(db),
    encoding: "utf8",
  });
}

/** `steward …` as `steward` runs it, expected to fail: what it said on stderr. */
export function stewardFails(args: string[], db: string): string {
  const run = spawnSync(process.execPath, ["bin/steward.js", ...args], {
    env: envFor(db),
    encoding: "utf8",
  });
  if (run.status === 0) throw new Error(`steward ${args.join(" ")} succeeded: ${run.stdout}`);
  return run.stderr;
}

function envFor(db: string): NodeJS.ProcessEnv {
  return { ...process.env, STEWARD_DB: db, STEWARD_CONFIG: "config/steward.yaml" };
}
