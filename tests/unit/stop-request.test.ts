import { describe, expect, it } from "vitest";
import { StopRequest } from "../../src/shutdown.js";

describe("a reason of the process's own to stop", () => {
  it("heard before the stop is armed, is handed to it once armed; after, at once; the first only", () => {
    const stopped: string[] = [];
    const outgrown = new StopRequest();
    outgrown.request("schema outgrown");
    outgrown.request("outgrown again");
    expect(stopped).toEqual([]);
    outgrown.arm((why) => stopped.push(why));
    expect(stopped).toEqual(["schema outgrown"]);

    const later = new StopRequest();
    later.arm((why) => stopped.push(why));
    later.request("later");
    expect(stopped).toEqual(["schema outgrown", "later"]);
  });
});
