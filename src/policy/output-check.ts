import { z } from "zod";
import type { ReviewCheck } from "../config/schema.js";
import { configuredPattern } from "../core/pattern.js";

/**
 * The structural half of the output check (a category's `review.checks` in the config): each
 * check it declares, applied to the output. Returns the reasons it fails; an empty list means it
 * passes. The other half, a reviewer worker's verdict, is parsed by `parseVerdict`.
 */
export function checkOutput(output: string, checks: readonly ReviewCheck[]): string[] {
  return checks.flatMap((check) => {
    const reason = failedReason(output, check);
    return reason === undefined ? [] : [reason];
  });
}

function failedReason(output: string, check: ReviewCheck): string | undefined {
  switch (check.kind) {
    case "non_empty":
      return output.trim() === "" ? "the output is empty" : undefined;
    case "contains":
      return output.toLowerCase().includes(check.text.toLowerCase())
        ? undefined
        : `the output does not mention "${check.text}"`;
    case "regex":
      return configuredPattern(check.pattern).test(output)
        ? undefined
        : `the output does not match /${check.pattern}/`;
    case "max_length":
      return output.length <= check.chars
        ? undefined
        : `the output is ${output.length} characters, over the limit of ${check.chars}`;
    case "json":
      return jsonProblem(output, check.schema);
  }
}

function jsonProblem(
  output: string,
  schema: Record<string, unknown> | undefined,
): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch (error) {
    return `the output is not valid JSON (${(error as Error).message})`;
  }
  if (schema === undefined) return undefined;
  const result = z
    .fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0])
    .safeParse(value);
  if (result.success) return undefined;
  return `the JSON does not match its schema: ${result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"} ${issue.message}`)
    .join("; ")}`;
}

/** What a reviewer worker must answer. */
export const reviewerVerdict = z.object({
  pass: z.boolean(),
  reasons: z.array(z.string()).default([]),
});
export type ReviewerVerdict = z.infer<typeof reviewerVerdict>;

/** A reviewer's output → a verdict; an answer that is not one counts as a failure of the reviewer. */
export function parseVerdict(output: string): ReviewerVerdict | undefined {
  const start = output.indexOf("{");
  const end = output.lastIndexOf("}");
  if (start === -1 || end <= start) return undefined;
  try {
    const parsed = reviewerVerdict.safeParse(JSON.parse(output.slice(start, end + 1)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
