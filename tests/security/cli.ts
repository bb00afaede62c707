import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../helpers.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real command line (`node bin/steward.js …`) in its own process, on a fresh database,
 * with `stdin` piped in and closed; resolves when it exits (killed after `timeoutMs`).
 */
export function runSteward(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number } = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DISCORD_TOKEN: undefined,
    STEWARD_DB: join(tempDir(), "steward.db"),
    STEWARD_HTTP_PORT: "0",
    USER: "owner",
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, ["bin/steward.js", ...args], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.stdin ?? "");
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(
        new Error(
          `steward ${args.join(" ")} did not exit.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 25_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
