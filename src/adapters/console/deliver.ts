import type { Clock } from "../../core/clock.js";
import {
  CHAT_KINDS,
  type OutboxKind,
  type OutboxMessage,
  type PendingMessage,
} from "../../core/outbox.js";
import { formatEscalationId } from "../../core/states.js";
import type { Engine } from "../../engine/engine.js";
import { engineOutbox, OutboxPump } from "../outbox-pump.js";
import { type GroupSnapshot, groupIdsOf, isGroupMessage } from "./escalation-cards.js";
import type { ConsoleView } from "./format.js";
import { messageCard, type TaskEscalation } from "./message-cards.js";
import { reviewText } from "./review.js";

/** Everything meant for a person; files and webhooks belong to the output pump. */
export const CONSOLE_KINDS: readonly OutboxKind[] = CHAT_KINDS;

/** How often the outbox is checked between commands. */
const EVERY_MS = 200;

const NEEDS_DETAIL: ReadonlySet<OutboxKind> = new Set([
  "task_done",
  "clarification",
  "task_escalated",
]);

/** The console's outbox pump: each message rendered as a card and printed, in order. */
export function consoleDelivery(
  engine: Engine,
  view: ConsoleView,
  write: (text: string) => void,
): OutboxPump {
  // Remembered for the session, so a group of one task can point at the card already shown.
  const shownTasks = new Set<number>();
  return new OutboxPump({
    ...engineOutbox(engine),
    logger: engine.logger,
    kinds: CONSOLE_KINDS,
    everyMs: EVERY_MS,
    deliver: async (pending) => {
      // The scheduled review: its text and chart, as `review --month` prints them.
      if (pending.message.kind === "review_report") {
        write(await reviewText(engine, await engine.review(pending.message.month)));
        return;
      }
      await showMessage(engine, view, write, pending, shownTasks);
    },
  });
}

/** What delivery reads from the engine. */
export type DeliverySource = Pick<
  Engine,
  | "detail"
  | "markDelivered"
  | "escalationCard"
  | "openAnomalies"
  | "escalation"
  | "openEscalationOf"
> & {
  clock: Pick<Clock, "now">;
};

/** Throws when the card cannot be rendered now; the pump then retries it later. */
export async function showMessage(
  engine: DeliverySource,
  view: ConsoleView,
  write: (text: string) => void,
  { message }: PendingMessage,
  shownTasks: Set<number> = new Set(),
): Promise<void> {
  const detail =
    NEEDS_DETAIL.has(message.kind) && "taskId" in message
      ? await engine.detail(message.taskId)
      : undefined;
  const groups = isGroupMessage(message)
    ? { groups: await loadGroups(engine, groupIdsOf(message)), now: engine.clock.now(), shownTasks }
    : undefined;
  const escalation =
    message.kind === "task_escalated" && detail?.task.state === "escalated"
      ? await escalationOf(engine, message.taskId, shownTasks)
      : undefined;
  const anomalies =
    message.kind === "anomalies" ? await engine.openAnomalies(message.anomalyIds) : undefined;
  write(messageCard(message, detail, view, { groups, escalation, anomalies }));
  // Only a full four-question card counts: one for a task that moved on is a single line.
  if (message.kind === "task_escalated" && detail?.task.state === "escalated") {
    if (!escalation?.joins) shownTasks.add(message.taskId);
  }
  if (message.kind === "escalation" || message.kind === "escalation_digest") {
    for (const group of groups?.groups.values() ?? []) {
      for (const taskId of group.card.taskIds) shownTasks.add(taskId);
    }
  }
  if (reachedItsDestination(message)) await engine.markDelivered(message.taskId);
}

/** The open group a task waits in, and whether another of its tasks was shown in full. */
async function escalationOf(
  engine: DeliverySource,
  taskId: number,
  shownTasks: ReadonlySet<number>,
): Promise<TaskEscalation | undefined> {
  const group = await engine.openEscalationOf(taskId);
  if (group === undefined) return undefined;
  const others = (await engine.escalationCard(group.id)).taskIds.filter((id) => id !== taskId);
  return { escalationId: group.id, joins: others.some((id) => shownTasks.has(id)) };
}

async function loadGroups(
  engine: DeliverySource,
  ids: readonly number[],
): Promise<Map<number, GroupSnapshot>> {
  const groups = new Map<number, GroupSnapshot>();
  for (const id of ids) {
    const row = await engine.escalation(id);
    if (row === undefined) throw new Error(`${formatEscalationId(id)} does not exist`);
    groups.set(id, {
      card: await engine.escalationCard(id),
      category: row.category,
      createdAt: row.createdAt,
      ...(row.state === "resolved"
        ? { resolved: { resolution: row.resolution ?? "resolved", by: row.resolvedBy ?? "system" } }
        : {}),
    });
  }
  return groups;
}

/** A done card printed here is the reply; files, webhooks and channels are delivered elsewhere. */
function reachedItsDestination(
  message: OutboxMessage,
): message is Extract<OutboxMessage, { kind: "task_done" }> {
  // Messages written before destinations existed have none: they were replies.
  return message.kind === "task_done" && (message.destination?.kind ?? "reply") === "reply";
}
