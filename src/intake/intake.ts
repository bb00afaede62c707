import { categoryNamed, maxAttemptsOf } from "../config/lookup.js";
import type { CategoryConfig, Config } from "../config/schema.js";
import { type Brief, type BriefField, briefText, type FilledFields } from "../core/brief.js";
import { StewardError } from "../core/errors.js";
import type { TokenUsage } from "../core/model.js";
import type { Outbox } from "../core/outbox.js";
import type { TaskRepository, WriteOptions } from "../core/ports.js";
import { NOTHING } from "../core/resolved.js";
import type { Actor } from "../core/states.js";
import {
  briefColumns,
  briefOf,
  type RoutingTrace,
  type SourceRef,
  type Task,
} from "../core/task.js";
import type { RouteRequest, Router } from "../routing/classify.js";
import { REROUTE_RULE } from "../routing/learned.js";
import { type AgentReading, routedByAgent } from "./agent.js";
import { answerBrief } from "./answer.js";
import { checkFieldSizes, checkLabelSizes, checkRequestSize } from "./checks.js";
import { modelData } from "./model-usage.js";
import { normaliseFields, parseFreeText } from "./parse.js";
import {
  applyDefaults,
  clarify,
  DOES_NOT_FIT,
  decide,
  fillIn,
  mergeBriefs,
  unmet,
} from "./plan.js";

/*
 * Intake's door: the request as any door delivers it, the plan of its filing (parsed, routed,
 * filled in; see plan.ts), and `Intake`, which files it, merges a requester's answer into it and
 * applies an operator's reroute.
 */

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
  tasks: TaskRepository<"async">;
  outbox: Outbox<"async">;
  /** Called inside the transaction that escalated a task, so the escalation is staged with it. */
  onEscalated?: (task: Task, reason: string) => Promise<void>;
}

/** Filing and resuming stand or fall with whatever write they are part of (a batch of filings). */
const WITH_CALLER: WriteOptions = { undo: "all" };

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

export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  /** Any request → a routed task in needs_clarification, queued or escalated. */
  async submit(request: RawRequest): Promise<IntakeResult> {
    return this.file(await this.prepare(request));
  }

  /**
   * What intake makes of a request before storing it: checked (a request it refuses throws
   * here), parsed and routed. Writes nothing: `file` stores it.
   */
  async prepare(request: RawRequest): Promise<Filing> {
    const planned = this.plan(request);
    const earlier = await this.earlierDelivery(request);
    return earlier === undefined ? planned : { request, earlier };
  }

  /**
   * `prepare` without looking for an earlier delivery: for a request without a dedupe key, which
   * none can have filed.
   */
  plan(request: RawRequest): Filing {
    checkRequestSize(request);
    checkLabelSizes(request);
    const { brief, routing, category, missing, refusal, filled } = planFiling(
      this.deps.config,
      this.deps.router,
      request,
    );
    return { request, brief, routing, category, missing, refusal, filled };
  }

  /** Stores a prepared request as a task, with what its first state asks for. */
  async file(filing: Filing): Promise<IntakeResult> {
    if ("earlier" in filing) return this.resultOf(filing.earlier, true);
    // Filed since this one was prepared: the same delivery twice in one batch.
    const earlier = await this.earlierDelivery(filing.request);
    if (earlier !== undefined) return this.resultOf(earlier, true);
    const { request, brief, routing, category, missing, refusal, filled } = filing;
    const { tasks } = this.deps;
    const next = decide({ missing, refusal }, category, routing);
    return tasks.write(async () => {
      const task = await tasks.create(
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
      // (Queued, most are: nothing more to write, and no promise to wait on.)
      if (task.state !== "queued") await this.afterEntering(task, next.reason);
      return { task, brief, missing, routing, filled, duplicate: false };
    }, WITH_CALLER);
  }

  /**
   * The requester answered a clarification (or an operator edited the brief): merge the
   * answer and run the brief through intake again.
   */
  async resume(
    taskId: number,
    answer: { text?: string; fields?: FieldValues },
    actor: Actor,
  ): Promise<IntakeResult> {
    const { tasks } = this.deps;
    const task = await tasks.require(taskId);
    if (task.state !== "needs_clarification" && task.state !== "escalated") {
      throw new StewardError(
        "illegal_transition",
        `T-${taskId} is ${task.state}; only a task waiting for details or escalated can be edited`,
      );
    }
    checkRequestSize(answer);
    const answered = answerBrief(briefOf(task), task.missingFields, answer);
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
    return tasks.write(async () => {
      const moved = await tasks.transition(taskId, next.state, {
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
      await this.afterEntering(moved, next.reason);
      return { task: moved, brief, missing, routing, filled: {}, duplicate: false };
    }, WITH_CALLER);
  }

  /**
   * An operator moved the task to another category: that category's defaults and the
   * required fields apply as if it had been routed there, so it never reaches the queue
   * incomplete.
   */
  async reroute(
    taskId: number,
    category: CategoryConfig,
    routing: RoutingTrace,
    actor: Actor,
    data: Record<string, unknown>,
  ): Promise<Task> {
    const { tasks, config } = this.deps;
    const task = await tasks.require(taskId);
    const brief = applyDefaults(briefOf(task), category);
    const needs = unmet(brief, config);
    const { missing } = needs;
    const next = missing.length > 0 ? "needs_clarification" : "queued";
    const why = missing.length > 0 ? clarify(needs).reason : "";
    const moved = await tasks.transition(taskId, next, {
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
    await this.afterEntering(moved, moved.state === "needs_clarification" ? why : "");
    return moved;
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
  private earlierDelivery(request: RawRequest): Promise<Task | undefined> {
    // (Most requests carry no dedupe key.)
    if (request.dedupeKey === undefined) return NOTHING;
    return this.deps.tasks.findByDedupeKey(request.source, request.dedupeKey);
  }

  private async afterEntering(task: Task, reason: string): Promise<void> {
    if (task.state === "needs_clarification") {
      await this.deps.outbox.add(
        { kind: "clarification", taskId: task.id, missing: task.missingFields, note: reason },
        `clarification:${task.id}:${task.updatedAt}:${task.missingFields.join(",")}`,
      );
    } else if (task.state === "escalated") {
      await this.deps.onEscalated?.(task, reason);
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
