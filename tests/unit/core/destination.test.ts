import { describe, expect, it } from "vitest";
import { destinationOf } from "../../../src/core/destination.js";

describe("where an output goes, read from its output format", () => {
  it.each([
    ["markdown draft", { kind: "reply" }],
    ["file:reports/weekly.md", { kind: "file", path: "reports/weekly.md" }],
    ["a table, write it to reports/q3.csv", { kind: "file", path: "reports/q3.csv" }],
    ["save to the file notes/todo.txt please", { kind: "file", path: "notes/todo.txt" }],
    [
      "POST it to https://hooks.example.test/steward.",
      { kind: "webhook", url: "https://hooks.example.test/steward" },
    ],
    ["post in <#123456789>", { kind: "channel", channelId: "123456789" }],
  ])("%s", (format, expected) => {
    expect(destinationOf(format)).toEqual(expected);
  });
});
