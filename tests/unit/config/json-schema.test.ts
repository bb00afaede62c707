import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../../src/config/json-schema.js";
import { configSchema } from "../../../src/config/schema.js";

describe("the config JSON Schema", () => {
  it("is committed as `steward config-schema` prints it, so editors never read a stale one", () => {
    const committed = JSON.parse(readFileSync("config/steward.schema.json", "utf8"));
    expect(committed).toEqual(configJsonSchema());
  });

  it("describes every top-level section, refuses unknown keys, and is named by the default config", () => {
    const schema = configJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(configSchema.shape).sort());
    expect(schema.additionalProperties).toBe(false);
    const firstLine = readFileSync("config/steward.yaml", "utf8").split("\n")[0];
    expect(firstLine).toBe("# yaml-language-server: $schema=./steward.schema.json");
  });
});
