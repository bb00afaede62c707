import { describe, expect, it } from "vitest";
import { Progress } from "../../../src/adapters/console/progress.js";
import { T0, task } from "./fixtures.js";

function heard() {
  const lines: string[] = [];
  return {
    lines,
    progress: new Progress(
      (line) => lines.push(line.trim()),
      () => T0,
    ),
  };
}

describe("progress lines around a console command", () => {
  it("drops the moves the command made, shows its card, then the moves heard meanwhile", async () => {
    const { lines, progress } = heard();
    const filed = task({ id: 5, state: "queued", attempts: 0 });
    await progress.quietly(
      async () => {
        progress.listener(filed);
        // Heard while the command is awaited: another task, and the filed one moving on.
        progress.listener(task({ id: 2, state: "done", attempts: 1 }));
        progress.listener(task({ id: 5, state: "running", attempts: 1 }));
        return { task: filed };
      },
      () => lines.push("card T-5"),
    );
    expect(lines).toEqual(["card T-5", "T-2 done", "T-5 running (attempt 1)"]);
    progress.listener(task({ id: 7, state: "queued", attempts: 0 }));
    expect(lines.at(-1)).toBe("T-7 queued");
  });

  it("a command that fails shows no card, and the moves heard meanwhile still show", async () => {
    const { lines, progress } = heard();
    const failing = progress.quietly(
      async () => {
        progress.listener(task({ id: 2, state: "done", attempts: 1 }));
        throw new Error("refused");
      },
      () => lines.push("card"),
    );
    await expect(failing).rejects.toThrow("refused");
    expect(lines).toEqual(["T-2 done"]);
  });
});
