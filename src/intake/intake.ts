/*
 * Over 400 lines, knowingly: the brief's planning (parse, route, fill in, what is missing) and
 * the Intake class that files, resumes and reroutes share the same helpers; moving the plan to
 * its own module is left to the architecture step (issue 19), with the file-size rule.
 */
import { categoryNamed, maxAttemptsOf } from "../config/lookup.js";
import type { CategoryConfig, Config } from "../config/schema.js";
import {
  BRIEF_FIELD_LABELS,
  type Brief,
  type BriefField,
  briefText,
  emptyBrief,
  type FilledFields,
  isFieldEmpty,
  MAX_FIELD_CHARS,
  missingFields,
} from "../core/brief.js";
import { destinationRefusal } from "../core/destination.js";
import { StewardError } from "../core/errors.js";
import type { TokenUsage } from "../core/model.js";
import type { Outbox } from "../core/outbox.js";
import type { TaskRepository, WriteOptions } from "../core/ports.js";
import type { Actor, TaskState } from "../core/states.js";
import {
  briefColumns,
  briefOf,
  type RoutingTrace,
  type SourceRef,
  type Task,
  type TaskEvent,
} from "../core/task.js";
import type { RouteRequest, Router } from "../routing/classify.js";
import { type AgentReading, fillFromAgent, routedByAgent } from "./agent.js";
import { normaliseFields, parseFreeText } from "./parse.js";
import { criteriaInProse } from "./prose.js";

export type FieldValues = Partial<Record<BriefField, string | string[]>>;

/** A request as any door delivers it: free text, structured fields, or both. */
export interface RawRequest {
  source: string;
  requester: string;
  text?: string;
  fields?: FieldValues;
  attachments?: string[];
  /** A category named by the requester; recorded as the deciding rule. */
  category?: string;
  priority?: number;
  sourceRef?: SourceRef;
  /** Idempotency key of the delivery: the same key from the same source files nothing new. */
  dedupeKey?: string;
  parentId?: number;
  /** A decision made before intake (the LLM classifier); the rules router is not asked again. */
  routing?: RoutingTrace;
  /** What the LLM intake agent read into the request, when it was asked (see agent.ts). */
  agent?: AgentReading;
  /** Tokens the LLM classifier's question used, recorded with the task. */
  classifierUsage?: TokenUsage;
}

export interface IntakeResult {
  task: Task;
  brief: Brief;
  missing: BriefField[];
  routing: RoutingTrace;
  /** The fields intake filled in for the requester, and from where. */
  filled: FilledFields;
  /** True when the dedupe key matched an earlier delivery and nothing new was filed. */
  duplicate: boolean;
}

/** A request intake has checked and routed (see `Intake.prepare`), or found delivered before. */
export type Filing = { request: RawRequest } & (
  | { earlier: Task }
  | {
      brief: Brief;
      routing: RoutingTrace;
      category: CategoryConfig;
      missing: BriefField[];
      filled: FilledFields;
      /** Why the destination the output format names would be refused, if it would. */
      refusal?: string;
    }
);

export interface IntakeDeps {
  config: Config;
  router: Router;
  tasks: TaskRepository;
  outbox: Outbox;
  /** Called inside the transaction that escalated a task, so the escalation is staged with it. */
  onEscalated?: (task: Task, reason: string) => void;
}

export const DOES_NOT_FIT = "does not fit any category";

/** The routing rule recorded when a person moved a task to another category. */
export const REROUTE_RULE = "reroute";

/** Filing and resuming stand or fall with whatever write they are part of (a batch of filings). */
const WITH_CALLER: WriteOptions = { undo: "all" };

/** Refuses what cannot become a brief before anything is stored. */
export function checkRequestSize(request: Pick<RawRequest, "text" | "fields">): void {
  const values = [request.text ?? "", ...Object.values(request.fields ?? {}).flat()];
  if (values.every((value) => value.trim() === "")) {
    throw new StewardError("empty_request", "The request is empty: say what you need done.");
  }
}

/** Longest requester, source, delivery key or source reference stored: names and ids, not prose. */
export const MAX_LABEL_CHARS = 200;
/** At most this many attachments, each a URL of at most this many characters. */
const MAX_ATTACHMENTS = 20;
const MAX_ATTACHMENT_CHARS = 2000;

/**
 * Everything stored beside the brief that came from outside is bounded too: a sender controls
 * the requester of a webhook, a message's attachments, a delivery key.
 */
function checkLabelSizes(request: RawRequest): void {
  const labels: [string, string | undefined][] = [
    ["Requester", request.requester],
    ["Source", request.source],
    ["Delivery key", request.dedupeKey],
    ...Object.entries(request.sourceRef ?? {}).map(([key, value]): [string, string] => [
      `Source reference ${key}`,
      value,
    ]),
  ];
  for (const [label, value] of labels) {
    if (value !== undefined && value.length > MAX_LABEL_CHARS) {
      throw new StewardError(
        "field_too_long",
        `${label} is ${value.length} characters; the limit is ${MAX_LABEL_CHARS}.`,
      );
    }
  }
  const attachments = request.attachments ?? [];
  if (
    attachments.length > MAX_ATTACHMENTS ||
    attachments.some((url) => url.length > MAX_ATTACHMENT_CHARS)
  ) {
    throw new StewardError(
      "field_too_long",
      `At most ${MAX_ATTACHMENTS} attachments of ${MAX_ATTACHMENT_CHARS} characters each are kept.`,
    );
  }
}

/**
 * What intake refuses in a request made of fields alone (empty, a field over the limit), checked
 * without routing or storing it: for an adapter that must choose whether its answer is public
 * before the request is filed. `submit` checks the same again.
 */
export function checkFieldsOnlyRequest(request: Pick<RawRequest, "fields">): void {
  checkRequestSize(request);
  checkFieldSizes(normaliseFields(request.fields ?? {}));
}

function checkFieldSizes(brief: Brief): void {
  for (const [field, value] of Object.entries(brief) as [BriefField, string | string[]][]) {
    const length = Array.isArray(value) ? value.join("\n").length : value.length;
    if (length > MAX_FIELD_CHARS) {
      throw new StewardError(
        "field_too_long",
        `${BRIEF_FIELD_LABELS[field]} is ${length} characters; the limit is ${MAX_FIELD_CHARS}. ` +
          "Shorten it or link to the material instead.",
      );
    }
  }
}

/** Text and fields together: fields win where both say something. */
function buildBrief(request: RawRequest): { brief: Brief; namedCategory: string | undefined } {
  const parsed = parseFreeText(request.text ?? "", request.attachments ?? []);
  // Free text alone (most requests): its brief is already fresh, with nothing to merge in.
  const brief =
    request.fields === undefined
      ? parsed.brief
      : mergeBriefs(parsed.brief, normaliseFields(request.fields));
  return { brief, namedCategory: request.category ?? parsed.category };
}

/** `over` fills every field it has; `base` keeps the rest. Lists are joined, not replaced. */
export function mergeBriefs(base: Brief, over: Brief): Brief {
  return {
    objective: pickFilled(base.objective, over.objective),
    inputs: joinLists(base.inputs, over.inputs),
    constraints: joinLists(base.constraints, over.constraints),
    output_format: pickFilled(base.output_format, over.output_format),
    acceptance_criteria: joinLists(base.acceptance_criteria, over.acceptance_criteria),
  };
}

function pickFilled(base: string, over: string): string {
  return over.trim() !== "" ? over : base;
}

function joinLists(base: string[], over: string[]): string[] {
  return over.length === 0 ? [...base] : [...base, ...over.filter((item) => !base.includes(item))];
}

/** A category's defaults fill only what the requester left empty. */
export function applyDefaults(brief: Brief, category: CategoryConfig): Brief {
  const defaults = category.defaults;
  const filled = { ...brief };
  if (isFieldEmpty(filled, "objective") && defaults.objective)
    filled.objective = defaults.objective;
  if (isFieldEmpty(filled, "output_format") && defaults.output_format) {
    filled.output_format = defaults.output_format;
  }
  for (const field of ["inputs", "constraints", "acceptance_criteria"] as const) {
    const value = defaults[field];
    if (isFieldEmpty(filled, field) && value) filled[field] = value;
  }
  return filled;
}

export function describeMissing(missing: readonly BriefField[]): string {
  return missing.map((field) => BRIEF_FIELD_LABELS[field].toLowerCase()).join(", ");
}

/**
 * What filing a request would make of it, storing nothing: its brief (with the category's
 * defaults), its routing and the fields still missing. Intake files this; the dry run and
 * `route --eval` show it.
 */
export function planFiling(config: Config, router: Router, request: RawRequest) {
  const { brief: parsed, namedCategory } = buildBrief(request);
  checkFieldSizes(parsed);
  const rules =
    request.routing ??
    router.route({ text: briefText(parsed), source: request.source, category: namedCategory });
  const routing = routedByAgent(rules, request.agent);
  const category = categoryNamed(config, routing.category);
  const { brief, filled } = fillIn(parsed, request.text ?? "", category, request.agent);
  const { missing, refusal } = unmet(brief, config);
  const next = decide({ missing, refusal }, category, routing);
  return { brief, routing, category, missing, refusal, filled, next };
}

/** "inputs (from the intake agent); acceptance criteria (from content's defaults)". */
export function describeFilled(filled: FilledFields): string {
  const bySource = new Map<string, string[]>();
  for (const [name, source] of Object.entries(filled) as [BriefField, string][]) {
    bySource.set(source, [...(bySource.get(source) ?? []), BRIEF_FIELD_LABELS[name].toLowerCase()]);
  }
  return [...bySource]
    .map(([source, fields]) => `${fields.join(", ")} (from ${source})`)
    .join("; ");
}

/** What intake filled in when it filed the task, as its first event recorded it. */
export function filledOf(events: readonly TaskEvent[]): FilledFields {
  const filled = events[0]?.data?.filled;
  return filled !== null && typeof filled === "object" ? (filled as FilledFields) : {};
}

/**
 * What can be known without asking: the intake agent's reading when it gave one, then the rules
 * for what is still empty. The fields the agent calls unknown stay empty, to be asked for.
 */
function fillIn(
  parsed: Brief,
  text: string,
  category: CategoryConfig,
  agent: AgentReading | undefined,
): { brief: Brief; filled: FilledFields } {
  const read = fillFromAgent(parsed, agent);
  const ruled = fillByRules(read.brief, text, category);
  const brief = ruled.brief;
  const filled = { ...ruled.filled, ...read.filled };
  for (const field of read.unknown) {
    Object.assign(brief, { [field]: emptyBrief()[field] });
    delete filled[field];
  }
  return { brief, filled };
}

/**
 * Criteria the text states in passing, then the category's defaults for whatever is still
 * empty. Criteria from both are kept (the requester's first): the defaults are the category's
 * idea of "done", the prose says what this request adds.
 */
function fillByRules(
  parsed: Brief,
  text: string,
  category: CategoryConfig,
): { brief: Brief; filled: FilledFields } {
  const stated = isFieldEmpty(parsed, "acceptance_criteria") ? criteriaInProse(text) : [];
  const defaults = `${category.name}'s defaults`;
  const brief = applyDefaults(parsed, category);
  const filled: FilledFields = {};
  for (const field of Object.keys(brief) as BriefField[]) {
    if (isFieldEmpty(parsed, field) && !isFieldEmpty(brief, field)) filled[field] = defaults;
  }
  if (stated.length > 0) {
    const fromDefaults = isFieldEmpty(parsed, "acceptance_criteria")
      ? brief.acceptance_criteria
      : [];
    brief.acceptance_criteria = [
      ...stated,
      ...fromDefaults.filter((item) => !stated.includes(item)),
    ];
    filled.acceptance_criteria =
      fromDefaults.length > 0
        ? `the request's own words and ${defaults}`
        : "the request's own words";
  }
  return { brief, filled };
}

/** Tokens the models used on a request, by question, kept on its intake event. */
export interface ModelTokens {
  agent?: TokenUsage;
  classifier?: TokenUsage;
}

/** What the intake event records of the models asked: how the agent fared, the tokens used. */
function modelData(request: RawRequest): { agent?: string; tokens?: ModelTokens } {
  const tokens: ModelTokens = {
    ...(request.agent?.usage && { agent: request.agent.usage }),
    ...(request.classifierUsage && { classifier: request.classifierUsage }),
  };
  return {
    ...(request.agent && {
      agent: request.agent.answered ? "answered" : `failed: ${request.agent.failure}`,
    }),
    ...(Object.keys(tokens).length > 0 && { tokens }),
  };
}

/**
 * What the brief still lacks before it may be queued: the required fields left empty, and the
 * output format when the destination it names would be refused (`refusal` says why).
 */
export interface Unmet {
  missing: BriefField[];
  refusal?: string;
}

function unmet(brief: Brief, config: Config): Unmet {
  const missing = missingFields(brief, config.intake.required);
  const refusal = destinationRefusal(brief.output_format, config.delivery);
  if (refusal === undefined || missing.includes("output_format")) return { missing };
  return { missing: [...missing, "output_format"], refusal };
}

/** Where a routed, completed brief goes next, and why. */
export function decide(
  { missing, refusal }: Unmet,
  category: CategoryConfig,
  routing: RoutingTrace,
): { state: TaskState; reason: string } {
  // Without an objective there is nothing to route; with one that fits nowhere, a person
  // deciding where it goes helps more than asking the requester for criteria first.
  if (missing.includes("objective")) return clarify({ missing, refusal });
  if (category.catch_all) return { state: "escalated", reason: DOES_NOT_FIT };
  if (missing.length > 0) return clarify({ missing, refusal });
  return { state: "queued", reason: `routed to ${category.name}: ${routing.explanation}` };
}

function clarify({ missing, refusal }: Unmet): { state: TaskState; reason: string } {
  const empty = missing.filter((field) => refusal === undefined || field !== "output_format");
  const reasons = [
    ...(empty.length > 0 ? [`missing ${describeMissing(empty)}`] : []),
    ...(refusal === undefined ? [] : [`output format: ${refusal}`]),
  ];
  return { state: "needs_clarification", reason: reasons.join("; ") };
}

export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  /** Any request → a routed task in needs_clarification, queued or escalated. */
  submit(request: RawRequest): IntakeResult {
    return this.file(this.prepare(request));
  }

  /**
   * What intake makes of a request before storing it: checked (a request it refuses throws
   * here), parsed and routed. Writes nothing: `file` stores it.
   */
  prepare(request: RawRequest): Filing {
    checkRequestSize(request);
    checkLabelSizes(request);
    const earlier = this.earlierDelivery(request);
    if (earlier !== undefined) return { request, earlier };
    const { brief, routing, category, missing, refusal, filled } = planFiling(
      this.deps.config,
      this.deps.router,
      request,
    );
    return { request, brief, routing, category, missing, refusal, filled };
  }

  /** Stores a prepared request as a task, with what its first state asks for. */
  file(filing: Filing): IntakeResult {
    if ("earlier" in filing) return this.resultOf(filing.earlier, true);
    // Filed since this one was prepared: the same delivery twice in one batch.
    const earlier = this.earlierDelivery(filing.request);
    if (earlier !== undefined) return this.resultOf(earlier, true);
    const { request, brief, routing, category, missing, refusal, filled } = filing;
    const { tasks } = this.deps;
    const next = decide({ missing, refusal }, category, routing);
    return tasks.write(() => {
      const task = tasks.create(
        {
          state: next.state,
          ...briefColumns(brief),
          missingFields: missing,
          category: category.name,
          routing,
          priority: request.priority ?? category.priority,
          maxAttempts: maxAttemptsOf(this.deps.config, category),
          parentId: request.parentId ?? null,
          requester: request.requester,
          source: request.source,
          sourceRef: request.sourceRef ?? {},
          dedupeKey: request.dedupeKey ?? null,
        },
        {
          actor: request.requester,
          reason: next.reason,
          data: {
            rule: routing.rule,
            ...(Object.keys(filled).length > 0 && { filled }),
            ...modelData(request),
          },
        },
      );
      this.afterEntering(task, next.reason);
      return { task, brief, missing, routing, filled, duplicate: false };
    }, WITH_CALLER);
  }

  /**
   * The requester answered a clarification (or an operator edited the brief): merge the
   * answer and run the brief through intake again.
   */
  resume(
    taskId: number,
    answer: { text?: string; fields?: FieldValues },
    actor: Actor,
  ): IntakeResult {
    const { tasks } = this.deps;
    const task = tasks.require(taskId);
    if (task.state !== "needs_clarification" && task.state !== "escalated") {
      throw new StewardError(
        "illegal_transition",
        `T-${taskId} is ${task.state}; only a task waiting for details or escalated can be edited`,
      );
    }
    checkRequestSize(answer);
    const answered = this.answerBrief(briefOf(task), task.missingFields, answer);
    checkFieldSizes(answered);
    const { brief, routing, category } = this.route(
      answered,
      task.source,
      task.routing.rule === "explicit" ? task.category : undefined,
      // A person's reroute is a decision, not a guess to revisit with more text.
      task.routing.rule === REROUTE_RULE ? task.routing : undefined,
    );
    const needs = unmet(brief, this.deps.config);
    const { missing } = needs;
    const next = decide(needs, category, routing);
    if (task.state === "escalated" && next.state === "escalated") {
      throw new StewardError(
        "illegal_transition",
        `T-${taskId} still ${DOES_NOT_FIT}; reroute it instead`,
      );
    }
    return tasks.write(() => {
      const moved = tasks.transition(taskId, next.state, {
        actor,
        reason: `details added; ${next.reason}`,
        // Editing an escalated brief is an operator's intervention; answering a question is not.
        data:
          task.state === "escalated"
            ? { rule: routing.rule, action: "edit" }
            : { rule: routing.rule },
        patch: {
          ...briefColumns(brief),
          missingFields: missing,
          category: category.name,
          routing,
          // The answer starts a fresh set of attempts: the earlier ones failed for want of it.
          maxAttempts: task.attempts + maxAttemptsOf(this.deps.config, category),
          nextRunAt: 0,
        },
      });
      this.afterEntering(moved, next.reason);
      return { task: moved, brief, missing, routing, filled: {}, duplicate: false };
    }, WITH_CALLER);
  }

  /**
   * An operator moved the task to another category: that category's defaults and the
   * required fields apply as if it had been routed there, so it never reaches the queue
   * incomplete.
   */
  reroute(
    taskId: number,
    category: CategoryConfig,
    routing: RoutingTrace,
    actor: Actor,
    data: Record<string, unknown>,
  ): Task {
    const { tasks, config } = this.deps;
    const task = tasks.require(taskId);
    const brief = applyDefaults(briefOf(task), category);
    const needs = unmet(brief, config);
    const { missing } = needs;
    const next = missing.length > 0 ? "needs_clarification" : "queued";
    const why = missing.length > 0 ? clarify(needs).reason : "";
    const moved = tasks.transition(taskId, next, {
      actor,
      reason: `rerouted from ${task.category} to ${category.name} by ${actor}${why === "" ? "" : `; ${why}`}`,
      data,
      patch: {
        ...briefColumns(brief),
        missingFields: missing,
        category: category.name,
        routing,
        maxAttempts: task.attempts + maxAttemptsOf(config, category),
        nextRunAt: 0,
      },
    });
    this.afterEntering(moved, moved.state === "needs_clarification" ? why : "");
    return moved;
  }

  /** Free text answers the missing fields in order; labelled text and fields answer by name. */
  private answerBrief(
    brief: Brief,
    missing: BriefField[],
    answer: { text?: string; fields?: FieldValues },
  ): Brief {
    const text = answer.text ?? "";
    const parsed = parseFreeText(text).brief;
    const labelled = (Object.keys(parsed) as BriefField[]).some(
      (field) => field !== "objective" && !isFieldEmpty(parsed, field),
    );
    let answered = brief;
    if (text.trim() !== "" && !labelled) {
      // An unlabelled reply answers the first missing question; with none missing (a worker
      // asked), it is context for the next attempt, never a new objective.
      const field = missing[0] ?? "inputs";
      answered = mergeBriefs(answered, normaliseFields({ [field]: text }));
    } else if (text.trim() !== "") {
      answered = mergeBriefs(answered, parsed);
    }
    return mergeBriefs(answered, normaliseFields(answer.fields ?? {}));
  }

  /** The brief a request would become and what it should be routed on; stores nothing. */
  preview(request: RawRequest): { brief: Brief; routeRequest: RouteRequest } {
    checkRequestSize(request);
    const { brief, namedCategory } = buildBrief(request);
    return {
      brief,
      routeRequest: { text: briefText(brief), source: request.source, category: namedCategory },
    };
  }

  private route(
    brief: Brief,
    source: string,
    namedCategory: string | undefined,
    decided?: RoutingTrace,
  ) {
    const routing =
      decided ??
      this.deps.router.route({ text: briefText(brief), source, category: namedCategory });
    const category = categoryNamed(this.deps.config, routing.category);
    return { brief: applyDefaults(brief, category), routing, category };
  }

  /** The task an earlier delivery with the request's dedupe key filed, if any. */
  private earlierDelivery(request: RawRequest): Task | undefined {
    if (request.dedupeKey === undefined) return undefined;
    return this.deps.tasks.findByDedupeKey(request.source, request.dedupeKey);
  }

  private afterEntering(task: Task, reason: string): void {
    if (task.state === "needs_clarification") {
      this.deps.outbox.add(
        { kind: "clarification", taskId: task.id, missing: task.missingFields, note: reason },
        `clarification:${task.id}:${task.updatedAt}:${task.missingFields.join(",")}`,
      );
    } else if (task.state === "escalated") {
      this.deps.onEscalated?.(task, reason);
    }
  }

  private resultOf(task: Task, duplicate: boolean): IntakeResult {
    return {
      task,
      brief: briefOf(task),
      missing: task.missingFields,
      routing: task.routing,
      filled: {},
      duplicate,
    };
  }
}
