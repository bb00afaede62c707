import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("steward --version", () => {
  it("prints the package's version", () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) {
      expect(execFileSync(process.execPath, ["bin/steward.js", flag], { encoding: "utf8" })).toBe(
        `${version}\n`,
      );
    }
  });
});
