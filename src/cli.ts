import { Command, InvalidArgumentError } from "commander";
import type { RouteOptions } from "./adapters/console/route-command.js";
import { locateStore, readSettings, type StoreLocation } from "./config/env.js";
import { ConfigError, loadConfigFile } from "./config/load.js";
import { systemClock } from "./core/clock.js";
import { VERSION } from "./package-info.js";

const program = new Command()
  .name("steward")
  .description("The operations layer of a one-person AI business.")
  .version(VERSION, "-v, --version", "print the version")
  .showHelpAfterError();

program
  .command("start")
  .description(
    "run Steward: Discord when DISCORD_TOKEN is set, else the console on a terminal, else headless",
  )
  .action(async () => {
    const { main } = await import("./main.js");
    await main(settingsOrExit(), "auto").catch(reportAndExit);
  });

program
  .command("serve")
  .description("run headless: Discord when configured, webhooks, schedules, workers; no console")
  .action(async () => {
    const { main } = await import("./main.js");
    await main(settingsOrExit(), "serve").catch(reportAndExit);
  });

program
  .command("worker")
  .description(
    "run only workers, on a PostgreSQL database shared with `steward serve` (any host that reaches it)",
  )
  .option("--categories <a,b>", "work only these categories' tasks (default: every category)")
  .option("--concurrency <n>", "run at most n tasks at once in this process", positiveInteger)
  .action(async (options: { categories?: string; concurrency?: number }) => {
    const { runWorker } = await import("./worker.js");
    const categories = options.categories
      ?.split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    await runWorker(settingsOrExit(), {
      categories,
      concurrency: options.concurrency,
    }).catch(reportAndExit);
  });

program
  .command("console")
  .description("run Steward with the local console, whatever the environment says")
  .action(async () => {
    const { main } = await import("./main.js");
    await main(settingsOrExit(), "console").catch(reportAndExit);
  });

program
  .command("review")
  .description("the monthly review: volume, latency, failures, escalations and suggestions")
  .option("--month <YYYY-MM>", "the month to review (default: the previous full month)")
  .option("--json", "print the review as JSON")
  .option("--chart <file.png>", "also write the daily volume chart to this PNG file")
  .action(async (options: { month?: string; json?: boolean; chart?: string }) => {
    const { reviewCommand } = await import("./adapters/console/review-command.js");
    await reviewCommand(settingsOrExit(), loadOrExit(), options).catch(reportAndExit);
  });

program
  .command("status")
  .description("counts by state and category, tasks in flight, paused workers; or one task")
  .argument("[task]", "a task id (T-42) for its brief, routing trace and timeline")
  .option("--json", "print it as JSON")
  .action(async (task: string | undefined, options: { json?: boolean }) => {
    const { statusCommand } = await import("./adapters/console/status-command.js");
    try {
      await statusCommand(settingsOrExit(), loadOrExit(), task, options.json === true);
    } catch (error) {
      reportAndExit(error);
    }
  });

program
  .command("check-config")
  .description("validate a config file and print every problem with its path")
  .argument("[file]", "config file (default: $STEWARD_CONFIG or config/steward.yaml)")
  .action((file: string | undefined) => {
    const path = file ?? settingsOrExit().configPath;
    try {
      const config = loadConfigFile(path);
      console.log(
        `OK ${path}: ${config.categories.length} categories, ${Object.keys(config.workers).length} workers`,
      );
    } catch (error) {
      reportAndExit(error);
    }
  });

program
  .command("config-schema")
  .description("print the config file's JSON Schema (for editors; config/steward.schema.json)")
  .action(async () => {
    const { configJsonSchema } = await import("./config/json-schema.js");
    console.log(JSON.stringify(configJsonSchema(), null, 2));
  });

program
  .command("register-commands")
  .description("register Steward's slash commands in the configured guild (bulk overwrite)")
  .action(async () => {
    const settings = settingsOrExit();
    if (settings.discordToken === undefined) reportAndExit(new Error("DISCORD_TOKEN is not set"));
    const { registerCommands } = await import("./adapters/discord/register.js");
    const names = await registerCommands(loadOrExit(), {
      token: settings.discordToken,
      apiBase: settings.discordApiBase,
    }).catch(reportAndExit);
    console.log(`OK registered /${names.join(", /")}`);
  });

program
  .command("migrate")
  .description("create the database or apply pending migrations")
  .action(async () => {
    const { openStore } = await import("./db/open-store.js");
    const opened = await openStore(storeOrExit(), systemClock).catch(reportAndExit);
    await opened.store.close();
    console.log(`OK ${opened.description} is up to date`);
  });

program
  .command("backup")
  .description("copy the database to FILE (SQLite online backup: safe while Steward runs)")
  .argument("<file>", "where to write the copy (must not exist)")
  .action(async (file: string) => {
    const where = storeOrExit();
    if (where.kind !== "sqlite") {
      reportAndExit(new Error("backup copies a SQLite file; back PostgreSQL up with pg_dump"));
    }
    const { backupDatabase } = await import("./db/backup.js");
    const copy = await backupDatabase(where.path, file).catch(reportAndExit);
    const mib = (copy.bytes / 1024 / 1024).toFixed(1);
    console.log(`OK ${where.path} backed up to ${copy.file} (${copy.pages} pages, ${mib} MiB)`);
  });

program
  .command("migrate-store")
  .description(
    "copy a SQLite database whole into an empty PostgreSQL one (ids kept, counts checked)",
  )
  .requiredOption("--from <file>", "the SQLite file to copy")
  .requiredOption("--to <url>", "the PostgreSQL database, postgres://…")
  .action(async (options: { from: string; to: string }) => {
    const { migrateStore, redacted } = await import("./db/pg/migrate-store.js");
    const copied = await migrateStore(options.from, options.to).catch(reportAndExit);
    for (const { table, rows } of copied) console.log(`${table.padEnd(18)} ${rows}`);
    console.log(`OK ${options.from} copied to ${redacted(options.to)}`);
  });

program
  .command("route")
  .description("dry run: where a request would go, by which rule and why, and what filing would do")
  .argument("[text...]", "the request, as someone would type it")
  .option("--source <source>", "where the request comes from", "console")
  .option("--category <name>", "a category named by the requester")
  .option("--rules-only", "skip the LLM classifier even when one is configured")
  .option(
    "--eval <file.jsonl>",
    "score routing and intake on a labelled file ({text, category} lines)",
  )
  .option("--fit <file.jsonl>", "propose the confidence threshold a labelled file supports")
  .option(
    "--fit-corpus",
    "propose the threshold at which each fifth of the corpus, routed by a classifier trained without it, stays under the target (and the --fit file too, if named)",
  )
  .option(
    "--target <rate>",
    "for --fit and --fit-corpus: the silent-misroute rate to stay under",
    parseFloat,
    0.03,
  )
  .option("--json", "print the result as JSON")
  .action(async (words: string[], options: RouteOptions) => {
    const { routeCommand } = await import("./adapters/console/route-command.js");
    await routeCommand(readSettings(), loadOrExit(), words.join(" "), options).catch(reportAndExit);
  });

const routing = program
  .command("routing")
  .description("what the router learned from people's decisions (reroutes, named categories)");

routing
  .command("examples")
  .description("list the learned examples, oldest first")
  .option("--category <name>", "only this category's")
  .option("--json", "print them as JSON")
  .option("--export", "print them as the config's `examples`, to review and paste")
  .option("--corpus", "print them as corpus lines ({text, category}), to append to the corpus")
  .option("--confirmations", "include tasks done where the router put them (counted otherwise)")
  .action(
    async (options: {
      category?: string;
      json?: boolean;
      export?: boolean;
      corpus?: boolean;
      confirmations?: boolean;
    }) => {
      const { examplesCommand } = await import("./adapters/console/routing-command.js");
      await examplesCommand(readSettings(), loadOrExit(), options).catch(reportAndExit);
    },
  );

routing
  .command("forget")
  .description("unlearn one example (a mistaken decision), or a task's confirmation")
  .argument(
    "<id>",
    "the example's id (#12) or the confirmation's task (T-42), from `routing examples`",
  )
  .action(async (id: string) => {
    const { forgetCommand } = await import("./adapters/console/routing-command.js");
    await forgetCommand(readSettings(), loadOrExit(), id).catch(reportAndExit);
  });

/** The environment, read once per command; a bad LOG_LEVEL or port is a one-line error. */
function settingsOrExit() {
  try {
    return readSettings();
  } catch (error) {
    return reportAndExit(error);
  }
}

/** Where the data is: STEWARD_DB, else the config's `database.url`, else the default file. */
function storeOrExit(): StoreLocation {
  const settings = settingsOrExit();
  // STEWARD_DB alone needs no config (a migration before the config is written).
  return settings.store ?? locateStore(settings, loadOrExit());
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

function loadOrExit() {
  try {
    return loadConfigFile(settingsOrExit().configPath);
  } catch (error) {
    return reportAndExit(error);
  }
}

function reportAndExit(error: unknown): never {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

// A setting read inside an action (STEWARD_HTTP_PORT…) fails here too: one line, exit 1.
await program.parseAsync().catch(reportAndExit);
