import {
  type ButtonInteraction,
  MessageFlags,
  type ModalSubmitInteraction,
  type StringSelectMenuInteraction,
} from "discord.js";
import { BRIEF_FIELDS } from "../../core/brief.js";
import { StewardError } from "../../core/errors.js";
import { formatEscalationId, formatTaskId } from "../../core/states.js";
import { briefOf } from "../../core/task.js";
import type { EscalationOutcome, EscalationRequest } from "../../engine/engine.js";
import type { Person } from "../../escalation/operators.js";
import { briefModal, readBriefModal } from "./brief-modal.js";
import type { DiscordContext } from "./context.js";
import { type CustomId, encodeCustomId } from "./custom-ids.js";
import { escalationPayload, escalationRows } from "./escalation-message.js";
import { escalationThread, refreshEscalation } from "./escalation-posts.js";
import { personOf } from "./person.js";
import { Refusal } from "./respond.js";
import { clip, LIMITS, NO_PINGS, who } from "./safety.js";

type EscalationId = Extract<CustomId, { kind: "escalation" }>;
type Pressed = ButtonInteraction | StringSelectMenuInteraction | ModalSubmitInteraction;

function verb(request: EscalationRequest): string {
  switch (request.action) {
    case "retry":
      return "retried";
    case "cancel":
      return "cancelled";
    case "reroute":
      return `rerouted to \`${request.category}\``;
    case "edit":
      return "edited the brief of";
  }
}

/** What the press asks for; selects carry their choice in `values`, modals in their fields. */
function requestOf(interaction: Pressed, action: EscalationId["action"]): EscalationRequest {
  switch (action) {
    case "retry":
    case "cancel":
      return { action };
    case "reroute": {
      const category = interaction.isStringSelectMenu() ? interaction.values[0] : undefined;
      if (category === undefined) throw new Refusal("Pick the category to reroute to.");
      return { action, category };
    }
    case "edit":
      return { action, fields: interaction.isModalSubmit() ? readBriefModal(interaction) : {} };
    case "pick":
      throw new Error("pick is not a decision");
  }
}

/** Edit brief: the form first (prefilled when it is about one task), the decision on submit. */
async function showEditForm(interaction: ButtonInteraction, id: EscalationId, ctx: DiscordContext) {
  const { engine } = ctx;
  const waiting = await engine.waitingIn(id.escalationId, id.taskId);
  if (waiting.length === 0) {
    throw new StewardError(
      "stale_action",
      `nothing in ${formatEscalationId(id.escalationId)} is waiting for a decision any more`,
    );
  }
  const only = waiting.length === 1 ? waiting[0]?.task : undefined;
  await interaction.showModal(
    briefModal({
      customId: encodeCustomId(id),
      title: only
        ? `${formatTaskId(only.id)} · edit brief`
        : `${formatEscalationId(id.escalationId)} · edit briefs`,
      fields: BRIEF_FIELDS,
      values: only ? briefOf(only) : undefined,
    }),
  );
}

/** One task of a group: its own controls, privately, to the operator who picked it. */
async function showTaskControls(
  interaction: StringSelectMenuInteraction,
  id: EscalationId,
  ctx: DiscordContext,
) {
  const { engine } = ctx;
  const taskId = Number(interaction.values[0]);
  const [member] = await engine.waitingIn(id.escalationId, taskId);
  if (member === undefined) {
    throw new StewardError(
      "stale_action",
      `${formatTaskId(taskId)} is no longer waiting in ${formatEscalationId(id.escalationId)}`,
    );
  }
  const group = (await engine.escalation(id.escalationId))!;
  const card = await engine.escalationCard(id.escalationId, who);
  await interaction.reply({
    content: `Decide for ${formatTaskId(taskId)} only:`,
    components: escalationRows(engine.config, card, group, [member], taskId),
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_PINGS,
  });
}

/** Tells the escalation's thread who decided what (nobody is pinged). */
async function recordInThread(ctx: DiscordContext, escalationId: number, text: string) {
  try {
    const thread = await escalationThread(ctx, escalationId);
    await thread?.send({ content: text, allowedMentions: NO_PINGS });
  } catch (error) {
    ctx.logger.warn(`discord: could not note a decision in ${formatEscalationId(escalationId)}`, {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

function outcomeText(person: Person, request: EscalationRequest, outcome: EscalationOutcome) {
  const acted = outcome.acted.map((task) => formatTaskId(task.id)).join(", ");
  const skipped = outcome.skipped.map((entry) => `${formatTaskId(entry.taskId)}: ${entry.why}`);
  const did = acted === "" ? "changed nothing" : `${verb(request)} ${acted}`;
  return clip(
    [
      `${who(person.id)} ${did}.`,
      ...(skipped.length > 0 ? [`Not changed: ${skipped.join("; ")}`] : []),
    ].join("\n"),
    LIMITS.content,
  );
}

/**
 * Retry, Reroute, Cancel and Edit brief on an escalation (or one task of it). The engine
 * refuses non-operators and stale presses; the message is redrawn from what it decided.
 */
export async function onEscalationAction(
  interaction: Pressed,
  id: EscalationId,
  ctx: DiscordContext,
): Promise<void> {
  const { engine } = ctx;
  const person = personOf(interaction);
  if (id.action === "pick" || (id.action === "edit" && interaction.isButton())) {
    // Checked before a form or a menu is shown, so nobody fills one in only to be refused.
    engine.requireOperator(person);
    if (interaction.isStringSelectMenu()) return showTaskControls(interaction, id, ctx);
    if (interaction.isButton()) return showEditForm(interaction, id, ctx);
    throw new Refusal("That control does not do anything here.");
  }
  const request = requestOf(interaction, id.action);
  const outcome = await engine.actOnEscalation(id.escalationId, request, person, id.taskId);
  const text = outcomeText(person, request, outcome);
  const updatable = interaction.isModalSubmit()
    ? interaction.isFromMessage()
      ? interaction
      : null
    : interaction;
  if (updatable !== null && !updatable.message.flags.has(MessageFlags.Ephemeral)) {
    // Pressed on the escalation's own message: redraw it in the same response.
    await updatable.update(
      await escalationPayload(engine, id.escalationId, updatable.message.components),
    );
  } else {
    // A private per-task panel (or a form opened from one): say what happened there.
    if (updatable === null) {
      await interaction.reply({
        content: text,
        flags: MessageFlags.Ephemeral,
        allowedMentions: NO_PINGS,
      });
    } else {
      await updatable.update({ content: text, components: [], allowedMentions: NO_PINGS });
    }
    await refreshEscalation(ctx, id.escalationId).catch((error: unknown) =>
      ctx.logger.warn(`discord: could not redraw ${formatEscalationId(id.escalationId)}`, {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  await recordInThread(ctx, id.escalationId, text);
}
