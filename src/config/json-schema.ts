import { z } from "zod";
import { configSchema } from "./schema.js";

/**
 * The config file's JSON Schema, for editors (`steward config-schema`; the default config names
 * the committed copy in a yaml-language-server comment). It describes what a person writes
 * (zod's input side: defaults optional, durations as text); `check-config` stays the judge,
 * as it also knows references between sections and `${NAME}` substitution.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }),
    title: "Steward configuration",
    description: "config/steward.yaml: see the README's Configuration section.",
  };
}
