import { stringify } from "yaml";
import type { Settings } from "../../config/env.js";
import type { Config } from "../../config/schema.js";
import { formatTaskId, parseTaskId } from "../../core/states.js";
import { withEngine } from "../../engine/open.js";
import { describeLearned, type LearnedExample } from "../../routing/learned.js";

/**
 * `steward routing examples`: what people's decisions taught the router. Confirmations (tasks
 * done where the router put them: one per task) are counted, and listed or exported only when
 * asked for; `--json` gives everything, each with its origin.
 */
export async function examplesCommand(
  settings: Settings,
  config: Config,
  options: {
    category?: string;
    json?: boolean;
    export?: boolean;
    corpus?: boolean;
    confirmations?: boolean;
  },
): Promise<void> {
  const learned = await withEngine(settings, config, (engine) =>
    engine.learning.examples(options.category),
  );
  if (options.json) return console.log(JSON.stringify(learned, null, 2));
  const examples = options.confirmations
    ? learned
    : learned.filter((example) => example.origin !== "confirmation");
  const confirmations = learned.length - examples.length;
  if (options.export) console.log(asConfigExamples(examples));
  else if (options.corpus) for (const line of asCorpusLines(examples)) console.log(line);
  else {
    if (examples.length === 0)
      console.log("no decision learned yet: reroutes and named categories teach the router");
    for (const example of examples) console.log(describeExample(example));
    if (confirmations > 0) {
      console.log(
        `and ${confirmations} confirmation${confirmations === 1 ? "" : "s"} (tasks done where the router put them; --confirmations lists them, \`routing forget T-42\` forgets one)`,
      );
    }
  }
}

/**
 * `steward routing forget <id>`: a decision by its number (`#12`, `12`), a confirmation by its
 * task (`T-42`): forgotten for good, a confirmation kept out of what start-up reads again.
 */
export async function forgetCommand(settings: Settings, config: Config, id: string): Promise<void> {
  const task = /^\s*t-?\d+\s*$/i.test(id) ? parseTaskId(id) : undefined;
  if (task !== undefined) {
    const forgotten = await withEngine(settings, config, (engine) =>
      engine.learning.unconfirm(task, "cli"),
    );
    if (!forgotten) throw new Error(`the router learns no confirmation from ${formatTaskId(task)}`);
    return console.log(
      `OK forgot ${formatTaskId(task)}'s confirmation; the router no longer learns from it${APPLIES}`,
    );
  }
  const number = Number(id.replace(/^#/, ""));
  if (!Number.isInteger(number) || number <= 0) {
    throw new Error(`"${id}" is not an example id (#12) or a confirmation's task (T-42)`);
  }
  const forgotten = await withEngine(settings, config, (engine) => engine.learning.forget(number));
  if (!forgotten) throw new Error(`no learned example #${number}`);
  console.log(`OK forgot example #${number}; the router no longer learns from it${APPLIES}`);
}

/** A Steward running beside the command reads it within `LEARNING_REFRESH_MS`. */
const APPLIES = " (a running Steward forgets it within a minute)";

/** A decision under its number; a confirmation under its task, which says it (`T-42, done in…`). */
function describeExample(example: LearnedExample): string {
  const text = example.text.replace(/\s+/g, " ").slice(0, 100);
  const from = example.from === null ? "" : ` (was ${example.from})`;
  const handle = example.origin === "confirmation" ? "" : `#${example.id}  `;
  return `${handle}${describeLearned(example)}${from}\n     ${JSON.stringify(text)}`;
}

/** The examples as YAML under each category's name, ready to merge into the config. */
function asConfigExamples(examples: readonly LearnedExample[]): string {
  const byCategory: Record<string, { examples: string[] }> = {};
  for (const example of examples) {
    byCategory[example.category] ??= { examples: [] };
    const entry = byCategory[example.category]!;
    const line = example.text.replace(/\s+/g, " ").trim();
    if (!entry.examples.includes(line)) entry.examples.push(line);
  }
  return `# Learned examples by category: merge the ones worth keeping into config's categories.\n${stringify(byCategory)}`;
}

/** One `{"text", "category"}` line each, the format of `intake.classifier.corpus`. */
function asCorpusLines(examples: readonly LearnedExample[]): string[] {
  return examples.map((example) =>
    JSON.stringify({ text: example.text.trim(), category: example.category }),
  );
}
