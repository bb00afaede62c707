/**
 * The review is plain text (a terminal, a file, a code block in Discord), while escalation
 * summaries are written for Discord's markdown and resolutions are stored as codes: both are
 * turned into words here.
 */

/** `14 tasks in \`support\` failed: EX\_TEMPFAIL` → `14 tasks in support failed: EX_TEMPFAIL`. */
export function plainText(markdown: string): string {
  return markdown.replace(/\\([\\`*_~|>#\-[\]()])/g, "$1").replace(/`+([^`]*)`+/g, "$1");
}

/** A resolution code as a person says it: `rerouted:content` → `rerouted to content`. */
export function resolutionText(resolution: string): string {
  if (resolution.startsWith("rerouted:")) return `rerouted to ${resolution.slice(9)}`;
  if (resolution === "recovered") return "recovered by itself";
  return resolution;
}

/**
 * What a root cause is about, from its parts (`class|category|worker|error`): the class (or
 * that it fit no category), the category and the worker; the error is in the summary.
 */
export function causeLabel(parts: {
  failureClass: string | null;
  category: string | null;
  worker: string | null;
}): string {
  // No class (stored as null, or `none` in the key): it never reached a worker.
  const what =
    parts.failureClass === null || parts.failureClass === "none" ? "not run" : parts.failureClass;
  const where = parts.category === null ? [] : [`in ${parts.category}`];
  const worker = parts.worker === null || parts.worker === "-" ? [] : [`worker ${parts.worker}`];
  return [what, ...where, ...worker].join(", ");
}
