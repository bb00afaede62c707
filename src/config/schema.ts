import { Cron } from "croner";
import { z } from "zod";
import { BRIEF_FIELDS } from "../core/brief.js";
import { FAILURE_CLASSES } from "../core/failures.js";
import { parseDuration } from "./duration.js";
import type { LabelledRequest } from "./labelled.js";
import { referenceIssues } from "./references.js";

/** A duration as written (`30m`) becomes milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a duration like 30m, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return parsed;
});

const cron = z.string().superRefine((pattern, ctx) => {
  try {
    new Cron(pattern, { paused: true }).stop();
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: `expected a cron pattern like "*/15 * * * *", got ${JSON.stringify(pattern)} (${(error as Error).message})`,
    });
  }
});

const regex = z.string().superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern, "iu");
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: `not a valid regular expression: ${(error as Error).message}`,
    });
  }
});

const name = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, "expected a lower-case name (letters, digits, - and _)");

/** Ids that come from optional environment variables: an empty one means "not set". */
const discordId = z.string().trim().default("");
const discordIds = z
  .array(z.string().trim())
  .default([])
  .transform((ids) => ids.filter((id) => id !== ""));

const textOrList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]));

export const briefFieldSchema = z.enum(BRIEF_FIELDS);

const briefTemplate = z.strictObject({
  objective: z.string().optional(),
  inputs: textOrList.optional(),
  constraints: textOrList.optional(),
  output_format: z.string().optional(),
  acceptance_criteria: textOrList.optional(),
});

export { FAILURE_CLASSES };
export const failureClassSchema = z.enum(FAILURE_CLASSES);

const workerCommon = {
  timeout: duration.default(600_000),
  description: z.string().optional(),
};

const shellWorker = z.strictObject({
  kind: z.literal("shell"),
  command: z.array(z.string()).min(1, "expected the program and its arguments as a list"),
  cwd: z.string().optional(),
  /** Names of environment variables passed through; nothing else leaks into the child. */
  env: z.array(z.string()).default([]),
  /** Exit code → failure class, on top of the documented defaults. */
  exit_codes: z
    .record(z.string().regex(/^\d+$/, "expected an exit code"), failureClassSchema)
    .default({}),
  ...workerCommon,
});

const httpWorker = z.strictObject({
  kind: z.literal("http"),
  url: z.url(),
  token: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  ...workerCommon,
});

const llmWorker = z.strictObject({
  kind: z.literal("llm"),
  base_url: z.url(),
  model: z.string().min(1),
  api_key: z.string().optional(),
  prompt: z.string().default(""),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  ...workerCommon,
});

const moduleWorker = z.strictObject({
  kind: z.literal("module"),
  path: z.string().min(1),
  export: z.string().default("default"),
  ...workerCommon,
});

const demoWorker = z.strictObject({
  kind: z.literal("demo"),
  /** Simulated work time, so the task card visibly moves. */
  delay: duration.default(0),
  ...workerCommon,
});

export const workerSchema = z.discriminatedUnion("kind", [
  shellWorker,
  httpWorker,
  llmWorker,
  moduleWorker,
  demoWorker,
]);

const reviewCheck = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("non_empty") }),
  z.strictObject({ kind: z.literal("contains"), text: z.string().min(1) }),
  z.strictObject({ kind: z.literal("regex"), pattern: regex }),
  z.strictObject({ kind: z.literal("max_length"), chars: z.number().int().positive() }),
  z.strictObject({
    kind: z.literal("json"),
    schema: z.record(z.string(), z.unknown()).optional(),
  }),
]);

const stallThresholds = z.strictObject({
  needs_clarification: duration.optional(),
  queued: duration.optional(),
  running: duration.optional(),
  reviewing: duration.optional(),
  retry_wait: duration.optional(),
  escalated: duration.optional(),
});

const categorySchema = z.strictObject({
  name,
  description: z.string().min(1),
  examples: z.array(z.string().min(1)).min(1, "expected at least one example"),
  match: z
    .strictObject({
      keywords: z.array(z.string().min(1)).default([]),
      regexes: z.array(regex).default([]),
      sources: z.array(z.string().min(1)).default([]),
    })
    .default({ keywords: [], regexes: [], sources: [] }),
  /** The catch-all: what fits nowhere lands here and is escalated, never guessed. */
  catch_all: z.boolean().default(false),
  worker: z.string().optional(),
  defaults: briefTemplate.default({}),
  priority: z.number().int().default(0),
  limits: z
    .strictObject({
      max_attempts: z.number().int().positive().optional(),
      concurrency: z.number().int().positive().default(1),
      stall: stallThresholds.default({}),
    })
    .default({ concurrency: 1, stall: {} }),
  review: z
    .strictObject({
      checks: z.array(reviewCheck).default([{ kind: "non_empty" }]),
      reviewer: z.string().optional(),
    })
    .default({ checks: [{ kind: "non_empty" }] }),
  // biome-ignore lint/suspicious/noThenProperty: README.md's config names the pipeline step `then:`
  then: z.string().optional(),
});

/**
 * A JSON Lines file of labelled requests (`{"text", "category"}`) the text classifier trains on
 * beside the categories' examples, relative to the config file. Lines labelled with the
 * catch-all teach what fits nowhere.
 */
const corpus = z.string().min(1).optional();

/**
 * The rules classifier's threshold when the config names none: where the development set stays
 * under 3 % silent misroutes with the default categories and no corpus (`route --fit`). A corpus
 * supports a lower one (the default config's 0.34; `route --fit-corpus --fit dev.jsonl`).
 */
const RULES_MIN_CONFIDENCE = 0.53;

const classifierSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("rules"),
    min_confidence: z.number().min(0).max(1).default(RULES_MIN_CONFIDENCE),
    corpus,
  }),
  z.strictObject({
    kind: z.literal("llm"),
    worker: z.string(),
    min_confidence: z.number().min(0).max(1).default(0.5),
    corpus,
  }),
]);

const errorRule = z.strictObject({
  match: regex,
  class: failureClassSchema,
});

const policiesSchema = z.strictObject({
  transient: z
    .strictObject({
      max_attempts: z.number().int().positive().default(3),
      backoff: z
        .strictObject({
          base: duration.default(30_000),
          factor: z.number().min(1).default(2),
          max: duration.default(900_000),
          jitter: z.boolean().default(true),
        })
        .default({ base: 30_000, factor: 2, max: 900_000, jitter: true }),
    })
    .default({ max_attempts: 3, backoff: { base: 30_000, factor: 2, max: 900_000, jitter: true } }),
  logic: z
    .strictObject({ escalate_after_same_failure: z.number().int().positive().default(2) })
    .default({ escalate_after_same_failure: 2 }),
  systemic: z
    .strictObject({
      pause: z.boolean().default(true),
      probe_every: duration.default(300_000),
      /** Consecutive connection failures across different tasks that mean "the dependency is down". */
      after_consecutive: z.number().int().positive().default(3),
    })
    .default({ pause: true, probe_every: 300_000, after_consecutive: 3 }),
  /** How errors that carry no class are classified, first match wins; otherwise transient. */
  classify: z.array(errorRule).default([]),
});

const quietHours = z.strictObject({
  start: z.string().regex(/^\d{2}:\d{2}$/, "expected a time like 22:00"),
  end: z.string().regex(/^\d{2}:\d{2}$/, "expected a time like 07:00"),
  timezone: z.string().default("UTC"),
});

const scheduleSchema = z.strictObject({
  name,
  cron,
  timezone: z.string().optional(),
  category: z.string().optional(),
  priority: z.number().int().default(0),
  brief: briefTemplate,
});

const webhookSchema = z.strictObject({
  /** Empty (an unset `${NAME:-}`) disables the webhook: it refuses every delivery. */
  secret: z.string(),
  category: z.string().optional(),
  /** Body field → brief field, for structured payloads; otherwise `text` is free text. */
  fields: z.partialRecord(briefFieldSchema, z.string()).default({}),
  text_field: z.string().default("text"),
  requester_field: z.string().optional(),
  idempotency_field: z.string().optional(),
  max_body_bytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024),
});

export const configSchema = z
  .strictObject({
    discord: z
      .strictObject({
        guild: discordId,
        channels: z
          .strictObject({
            intake: discordIds,
            escalations: discordId,
            reports: discordId,
          })
          .default({ intake: [], escalations: "", reports: "" }),
        operators: z
          .strictObject({ roles: discordIds, users: discordIds })
          .default({ roles: [], users: [] }),
      })
      .default({
        guild: "",
        channels: { intake: [], escalations: "", reports: "" },
        operators: { roles: [], users: [] },
      }),
    intake: z
      .strictObject({
        required: z.array(briefFieldSchema).default(["objective", "acceptance_criteria"]),
        classifier: classifierSchema.default({
          kind: "rules",
          min_confidence: RULES_MIN_CONFIDENCE,
        }),
        /** An llm worker that reads free-text requests into briefs (see src/intake/agent.ts). */
        agent: z.strictObject({ worker: z.string() }).optional(),
      })
      .default({
        required: ["objective", "acceptance_criteria"],
        classifier: { kind: "rules", min_confidence: RULES_MIN_CONFIDENCE },
      }),
    categories: z.array(categorySchema).min(1, "expected at least one category"),
    workers: z.record(name, workerSchema),
    policies: policiesSchema.default(policiesSchema.parse({})),
    monitor: z
      .strictObject({
        every: cron.default("*/15 * * * *"),
        stall_factor: z.number().positive().default(3),
      })
      .default({ every: "*/15 * * * *", stall_factor: 3 }),
    escalation: z
      .strictObject({
        batch_window: duration.default(300_000),
        remind_after: duration.default(14_400_000),
        quiet_hours: quietHours.optional(),
      })
      .default({ batch_window: 300_000, remind_after: 14_400_000 }),
    review: z
      .strictObject({ schedule: cron.default("0 9 1 * *"), timezone: z.string().optional() })
      .default({ schedule: "0 9 1 * *" }),
    schedules: z.array(scheduleSchema).default([]),
    webhooks: z.record(name, webhookSchema).default({}),
    http: z.strictObject({ host: z.string().default("127.0.0.1") }).default({ host: "127.0.0.1" }),
    /** Where outputs may go when a brief's output format names a file or a URL. */
    delivery: z
      .strictObject({
        /** Files are written only below this folder (relative to the working directory). */
        dir: z.string().default("data/outputs"),
        /** URL prefixes a brief may send its output to; anything else is refused. */
        allowed_urls: z.array(z.url()).default([]),
      })
      .default({ dir: "data/outputs", allowed_urls: [] }),
    database: z
      .strictObject({
        /** A `postgres://` URL (usually `${DATABASE_URL}`); STEWARD_DB, when set, wins. */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL")
          .optional(),
        /**
         * How long a claimed task stays its process's without a renewal: a process that died
         * holds its tasks this long before another process runs them again.
         */
        lease: duration
          .refine((ms) => ms >= 3_000, "expected at least 3s: a lease is renewed every third of it")
          .default(60_000),
      })
      .default({ lease: 60_000 }),
  })
  .superRefine((config, ctx) => {
    for (const issue of referenceIssues(config)) ctx.addIssue({ code: "custom", ...issue });
  });

/** What a human wrote. */
export type ConfigInput = z.input<typeof configSchema>;
/** What the parser made of it: durations in milliseconds, defaults filled, references checked. */
export type Config = z.output<typeof configSchema> & {
  /** The lines of `intake.classifier.corpus`, read by the loader. */
  readonly corpus?: readonly LabelledRequest[];
  /** The file's `configFingerprint`, made by the loader (a config built in code has none). */
  readonly fingerprint?: string;
};
export type CategoryConfig = Config["categories"][number];
export type WorkerConfig = z.output<typeof workerSchema>;
export type ReviewCheck = z.output<typeof reviewCheck>;
export type { FailureClass } from "../core/failures.js";
export type ScheduleConfig = Config["schedules"][number];
export type WebhookConfig = Config["webhooks"][string];
export type BriefTemplate = z.output<typeof briefTemplate>;
