import { BRIEF_FIELDS } from "../../core/brief.js";
import { StewardError } from "../../core/errors.js";
import { formatEscalationId, formatTaskId } from "../../core/states.js";
import { briefOf, type Task } from "../../core/task.js";
import type { Engine, EscalationRequest } from "../../engine/engine.js";
import type { StatusReader } from "../../engine/status.js";
import type { FieldValues } from "../../intake/intake.js";
import type { Command, GroupDecision } from "./commands.js";
import { outcomeText } from "./escalation-cards.js";
import { type ConsoleView, duration, stateLabel } from "./format.js";
import { type Ask, askFields } from "./guided.js";
import { helpText } from "./help.js";
import type { Progress } from "./progress.js";
import { reviewAnswerText } from "./review.js";
import { SETTLE_TIMEOUT_MS, settle } from "./settle.js";
import { statusDetail, statusOverview } from "./status-view.js";
import { movedLine, taskCard } from "./task-card.js";

/** Everything a command may use: the engine, who is typing, and where text goes. */
export interface Session {
  engine: Engine;
  queries: Pick<StatusReader, "moving" | "openTaskIds">;
  /** The console user: requester of what they file, and an operator. */
  user: string;
  view: ConsoleView;
  progress: Progress;
  print(text: string): void;
  ask: Ask;
  /** Aborted when the person interrupts a long command (Ctrl-C during `wait`). */
  signal(): AbortSignal;
}

export type Outcome = "continue" | "quit";

/** Runs one parsed command; expected failures are thrown as StewardError for the caller. */
export async function runCommand(command: Command, session: Session): Promise<Outcome> {
  const { engine, user, progress, print } = session;
  switch (command.kind) {
    case "empty":
      return "continue";
    case "invalid":
      print(`! ${command.message}`);
      return "continue";
    case "task":
      return file(session, { text: command.text });
    case "guided_task":
      return guidedTask(session);
    case "status":
      print(
        command.taskId === undefined
          ? await overview(session)
          : statusDetail(await engine.detail(command.taskId)),
      );
      return "continue";
    case "review":
      print(await reviewAnswerText(engine, await engine.reviewAsked(command.month)));
      return "continue";
    case "retry": {
      await progress.quietly(
        () => engine.retry(command.taskId, user),
        (task) => print(movedLine(task, "retried")),
      );
      return "continue";
    }
    case "reroute": {
      await progress.quietly(
        () => engine.reroute(command.taskId, command.category, user),
        (task) => print(movedLine(task, "rerouted")),
      );
      return "continue";
    }
    case "cancel":
      return cancel(session, command.taskId);
    case "edit":
      return edit(session, command.taskId);
    case "answer": {
      await progress.quietly(
        () => engine.answer(command.taskId, { text: command.text }, user),
        (result) => print(taskCard(result, session.view)),
      );
      return "continue";
    }
    case "group":
      return decideGroup(session, command.escalationId, command.decision);
    case "wait":
      return wait(session, command.taskId);
    case "help":
      print(helpText(session.view));
      return "continue";
    case "quit":
      return "quit";
  }
}

async function file(
  session: Session,
  request: { text?: string; fields?: FieldValues },
): Promise<Outcome> {
  const { engine, user, progress } = session;
  const raw = { source: "console", requester: user, ...request };
  // The console reads and routes as every other door does: through the models configured,
  // asked before the progress lines are held (quietly), so a slow model holds back nobody's.
  const asked = await engine.withModels(raw);
  await progress.quietly(
    () => engine.submit(asked, { rulesOnly: true }),
    (result) => session.print(taskCard(result, session.view)),
  );
  return "continue";
}

async function guidedTask(session: Session): Promise<Outcome> {
  session.print("New task: answer each question; an empty line skips it.");
  const fields = await askFields(BRIEF_FIELDS, session.ask);
  if (fields === undefined) {
    session.print("(stopped: nothing filed)");
    return "continue";
  }
  return file(session, { fields });
}

async function cancel(session: Session, taskId: number): Promise<Outcome> {
  const { engine, user, progress } = session;
  const before = (await engine.task(taskId)).state;
  await progress.quietly(
    () => engine.cancel(taskId, user, "cancelled at the console"),
    () => session.print(`${formatTaskId(taskId)} cancelled (it was ${stateLabel(before)})`),
  );
  return "continue";
}

/** Asks for the missing fields (or all of them), then runs the brief through intake again. */
async function edit(session: Session, taskId: number): Promise<Outcome> {
  const { engine, user, progress } = session;
  const task = await engine.task(taskId);
  const id = formatTaskId(taskId);
  if (task.state !== "needs_clarification" && task.state !== "escalated") {
    // Checked before asking anything, so nobody types five answers to be refused.
    throw new StewardError(
      "illegal_transition",
      `${id} is ${stateLabel(task.state)}; only a task waiting for details or escalated can be edited`,
    );
  }
  const fields = task.missingFields.length > 0 ? task.missingFields : BRIEF_FIELDS;
  session.print(`Editing ${id}: an empty line keeps a field as it is; list fields add items.`);
  const values = await askFields(fields, session.ask, briefOf(task));
  if (values === undefined || Object.keys(values).length === 0) {
    session.print(`(nothing changed: ${id} is still ${stateLabel(task.state)})`);
    return "continue";
  }
  await progress.quietly(
    () => engine.answer(taskId, { fields: values }, user),
    (result) => session.print(taskCard(result, session.view)),
  );
  return "continue";
}

/** `retry E-3` and the like: one decision for the whole group, through the engine. */
async function decideGroup(
  session: Session,
  escalationId: number,
  decision: GroupDecision,
): Promise<Outcome> {
  const { engine, progress } = session;
  let request: EscalationRequest;
  if (decision.action === "edit") {
    const fields = await askGroupFields(session, escalationId);
    if (fields === undefined) return "continue";
    request = { action: "edit", fields };
  } else {
    request = decision;
  }
  // The console user owns the machine: an operator by definition.
  const person = { id: session.user, trusted: true };
  await progress.quietly(
    () => engine.actOnEscalation(escalationId, request, person),
    (outcome) => session.print(outcomeText(outcome, request)),
  );
  return "continue";
}

/**
 * The guided prompt of `edit E-3`: the fields the waiting tasks miss (else all of them), once
 * for the whole group. `undefined` when nothing is to be sent.
 */
async function askGroupFields(
  session: Session,
  escalationId: number,
): Promise<FieldValues | undefined> {
  const ref = formatEscalationId(escalationId);
  const waiting = await waitingIn(session.engine, escalationId);
  const missing = BRIEF_FIELDS.filter((name) =>
    waiting.some((task) => task.missingFields.includes(name)),
  );
  const ids = waiting.map((task) => formatTaskId(task.id)).join(", ");
  const scope = waiting.length === 1 ? ids : `${ids}; each answer applies to all of them`;
  session.print(`Editing ${ref} (${scope}): an empty line keeps a field; list fields add items.`);
  // Several briefs have no single current value to show; one brief does.
  const current = waiting.length === 1 ? briefOf(waiting[0]!) : undefined;
  const values = await askFields(missing.length > 0 ? missing : BRIEF_FIELDS, session.ask, current);
  if (values === undefined || Object.keys(values).length === 0) {
    session.print(`(nothing changed: ${ref} still waits for a decision)`);
    return undefined;
  }
  return values;
}

/** The tasks a group still waits on; checked before asking, so nobody answers to be refused. */
async function waitingIn(engine: Engine, escalationId: number): Promise<Task[]> {
  const ref = formatEscalationId(escalationId);
  const group = await engine.escalation(escalationId);
  if (group === undefined) throw new StewardError("escalation_not_found", `${ref} does not exist`);
  const waiting = (await engine.waitingIn(escalationId)).map((member) => member.task);
  if (group.state === "resolved" || waiting.length === 0) {
    throw new StewardError("stale_action", `${ref} is resolved; nothing is waiting to be edited`);
  }
  return waiting;
}

async function wait(session: Session, taskId: number | undefined): Promise<Outcome> {
  const signal = session.signal();
  const still = await settle(settleDeps(session), { taskId, signal });
  if (still.length === 0) return "continue";
  const ids = still.map(formatTaskId).join(", ");
  const after = duration(SETTLE_TIMEOUT_MS);
  session.print(
    signal.aborted
      ? `(stopped waiting; still moving: ${ids})`
      : `! still moving after ${after}: ${ids}`,
  );
  return "continue";
}

export function settleDeps(session: Pick<Session, "engine" | "queries">) {
  const { engine, queries } = session;
  return {
    moving: (horizon: number) => queries.moving(horizon),
    task: (id: number) => engine.task(id),
    now: () => engine.clock.now(),
  };
}

async function overview(session: Session): Promise<string> {
  return statusOverview(await session.engine.status.snapshot());
}
