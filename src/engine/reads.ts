import type { Config } from "../config/schema.js";
import type { Attempt } from "../core/attempt.js";
import type { ChatRefStore } from "../core/chat-refs.js";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, silentLogger } from "../core/log.js";
import type { Outbox } from "../core/outbox.js";
import type { ScheduleRuns } from "../core/schedule-runs.js";
import type { Task, TaskEvent } from "../core/task.js";
import { type EscalationCard, formatEscalation, type PersonName } from "../escalation/format.js";
import { isOperator, type Person, requireOperator } from "../escalation/operators.js";
import type { EscalatedTask, EscalationGroup } from "../escalation/store.js";
import type { OpenAnomaly } from "../monitor/store.js";
import { chooseReview, type ReviewAnswer } from "../review/choose.js";
import { buildReview, type Review } from "../review/report.js";
import type { Router } from "../routing/classify.js";
import type { WorkerPool } from "../workers/pool.js";
import type { RoutingLearning } from "./routing-learning.js";
import type { StatusReader, TaskDetail } from "./status.js";
import { detailOf, type Parts, type WiringHooks, type WiringOptions, wire } from "./wiring.js";

export interface EngineOptions extends Omit<WiringOptions, "clock"> {
  /** The store's by default (on PostgreSQL, the server's time); the system's without a store. */
  clock?: Clock;
  logger?: Logger;
}

/**
 * The outbox as the doors see it: the delivery side, for their pumps and `/metrics`, answering
 * with promises. Messages are added by the engine, in the write that caused them.
 */
export type EngineOutbox = Omit<Outbox<"async">, "add">;

/** What the doors ask of people's routing decisions (`steward routing`). */
export type EngineLearning = Pick<RoutingLearning, "examples" | "forget" | "unconfirm" | "refresh">;

/**
 * The engine's read side: what the doors show (tasks and their timelines, escalations and who
 * waits in them, status, reviews), over the stores the engine's wiring built and keeps private.
 * `Engine` adds the commands and the lifecycle; adapters only ever see an `Engine`.
 */
export class EngineReads {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly router: Router;
  /** People's routing decisions, learned by the router. */
  readonly learning: EngineLearning;
  readonly pool: WorkerPool;
  readonly outbox: EngineOutbox;
  /** Where a chat adapter posted cards and escalation messages. */
  readonly chatRefs: ChatRefStore<"async">;
  /** When each schedule last fired (the scheduler's cursors). */
  readonly schedules: ScheduleRuns<"async">;
  /** Other processes work the same store (PostgreSQL). */
  readonly sharedStore: boolean;
  protected readonly parts: Parts;

  /** `hooks` are the engine's reactions to what its parts do, asked for once `this` exists. */
  constructor(options: EngineOptions, hooks: (self: EngineReads) => WiringHooks) {
    this.config = options.config;
    // The store's: on PostgreSQL with the server's time, the one every process agrees on.
    this.clock = options.clock ?? options.store?.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.parts = wire({ ...options, clock: this.clock }, hooks(this));
    this.router = this.parts.router;
    this.pool = this.parts.pool;
    this.learning = this.parts.learning;
    this.sharedStore = this.parts.opened.coordination !== undefined;
    const { outbox, chatRefs, schedules } = this.parts.store;
    this.outbox = outbox;
    this.chatRefs = chatRefs;
    this.schedules = schedules;
  }

  /** The task; `task_not_found` when there is none. */
  async task(taskId: number): Promise<Task> {
    return this.parts.store.tasks.require(taskId);
  }

  async findTask(taskId: number): Promise<Task | undefined> {
    return this.parts.store.tasks.get(taskId);
  }

  /** The task's timeline, oldest first. */
  async events(taskId: number): Promise<TaskEvent[]> {
    return this.parts.store.tasks.events(taskId);
  }

  async attempts(taskId: number): Promise<Attempt[]> {
    return this.parts.store.queue.attemptsOf(taskId);
  }

  async detail(taskId: number): Promise<TaskDetail> {
    return detailOf(this.parts.store, taskId);
  }

  /** The newest task filed from `source` (a schedule's), if any. */
  async latestFrom(source: string): Promise<Task | undefined> {
    return this.parts.store.tasks.latestFrom(source);
  }

  /** Resolves once the writes so far have committed: nothing is shown before it is durable. */
  committed(): Promise<void> {
    return this.parts.store.committed();
  }

  /** The status views' reads (counts, tasks in flight, what waits on a person). */
  get status(): StatusReader {
    return this.parts.status();
  }

  async escalation(escalationId: number): Promise<EscalationGroup | undefined> {
    return this.parts.escalations.group(escalationId);
  }

  /** Every task of an escalation, decided or not. */
  async escalationMembers(escalationId: number): Promise<EscalatedTask[]> {
    return this.parts.escalations.members(escalationId);
  }

  /** The tasks still waiting for a decision in `escalationId` (of `onlyTaskId` alone, if given). */
  async waitingIn(escalationId: number, onlyTaskId?: number): Promise<EscalatedTask[]> {
    return this.parts.escalations.waitingIn(escalationId, onlyTaskId);
  }

  /** The escalation a task is waiting in, if any. */
  async openEscalationOf(taskId: number): Promise<EscalationGroup | undefined> {
    return this.parts.escalations.openGroupOf(taskId);
  }

  /** `person` names the requester as the interface shows people (a mention, a name). */
  async escalationCard(escalationId: number, person?: PersonName): Promise<EscalationCard> {
    return formatEscalation(await this.parts.escalations.view(escalationId), person);
  }

  isOperator(person: Person): boolean {
    return isOperator(this.config, person);
  }

  /** Refuses (`not_operator`) anybody who may not decide escalations. */
  requireOperator(person: Person): void {
    requireOperator(this.config, person);
  }

  /** Workers paused by an incident, in config order. */
  async pausedWorkers(): Promise<string[]> {
    const paused = new Set((await this.openIncidents()).map((incident) => incident.worker));
    return Object.keys(this.config.workers).filter((worker) => paused.has(worker));
  }

  async openIncidents() {
    return this.parts.store.queue.openIncidents();
  }

  /** Where files that go with the data are written (review charts beside the SQLite file). */
  get dataDir(): string {
    return this.parts.opened.dataDir;
  }

  /** Throws unless the database takes writes now (`/readyz`). */
  checkWritable(): Promise<void> {
    return this.parts.opened.checkWritable();
  }

  /** The open anomalies among `ids`, in words: what a status-check message is about. */
  async openAnomalies(ids: readonly number[]): Promise<OpenAnomaly[]> {
    const wanted = new Set(ids);
    const open = await this.parts.store.monitor.openAnomalies();
    return open.filter((anomaly) => wanted.has(anomaly.id));
  }

  /** The month's review (`2024-05`), every figure read on one snapshot. */
  async review(month: string): Promise<Review> {
    return this.reviewOf(month);
  }

  /** What `review [month]` shows: without a month, the last full one unless it is empty. */
  async reviewAsked(month?: string): Promise<ReviewAnswer> {
    const timeZone = this.config.review.timezone ?? "UTC";
    return chooseReview(month, this.clock.now(), timeZone, (asked) => this.reviewOf(asked));
  }

  private reviewOf(month: string): Promise<Review> {
    return buildReview(this.parts.store.review, this.config, month);
  }
}
