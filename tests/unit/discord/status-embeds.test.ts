import { describe, expect, it } from "vitest";
import { overviewEmbed } from "../../../src/adapters/discord/status-embeds.js";
import type { ProcessRecord } from "../../../src/core/processes.js";

const NOW = Date.UTC(2026, 11, 8, 9, 0, 0);

function running(host: string, categories: string[], roles: ProcessRecord["roles"] = []) {
  return {
    id: `${host}:1:ab`,
    host,
    pid: 1,
    roles,
    categories,
    version: "0.2.0",
    config: "3f2a9c0d1b7e",
    startedAt: NOW - 60_000,
    heartbeatAt: NOW - 2_000,
  };
}

function processesField(live: ProcessRecord[]): string | undefined {
  const embed = overviewEmbed({
    counts: [],
    inFlight: [],
    anomalies: [],
    waitingForDetails: [],
    escalations: [],
    pausedWorkers: [],
    outboxBacklog: 0,
    processes: { live, stale: [] },
    now: NOW,
  });
  return embed.fields?.find((field) => field.name === "Processes")?.value;
}

describe("/status overview: processes", () => {
  it("names what a worker host claims when it claims fewer categories than the processes together", () => {
    const value = processesField([
      running("app", ["support", "research"], ["gateway", "scheduler"]),
      running("gpu", ["research"]),
    ]);
    expect(value?.split("\n")).toEqual([
      "app pid 1 · gateway, scheduler · beat 2s ago",
      "gpu pid 1 · no roles · works research · beat 2s ago",
    ]);
  });

  it("says nothing of categories when every process claims the same", () => {
    const value = processesField([running("app", ["support"]), running("gpu", ["support"])]);
    expect(value).not.toContain("works");
  });
});
