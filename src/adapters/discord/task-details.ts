import type { ButtonInteraction, ModalSubmitInteraction } from "discord.js";
import { BRIEF_FIELD_LABELS, BRIEF_FIELDS, type BriefField } from "../../core/brief.js";
import { formatTaskId } from "../../core/states.js";
import { briefModal, readBriefModal } from "./brief-modal.js";
import { stateLabel } from "./cards.js";
import type { DiscordContext } from "./context.js";
import { encodeCustomId } from "./custom-ids.js";
import { personOf } from "./person.js";
import { Refusal, send } from "./respond.js";
import { clip, LIMITS, NO_PINGS, who } from "./safety.js";

/**
 * The requester's Add details button and its modal: asks for exactly the missing fields and
 * hands the answer to the engine, which resumes the task.
 */
export async function onTaskDetails(
  interaction: ButtonInteraction | ModalSubmitInteraction,
  taskId: number,
  ctx: DiscordContext,
): Promise<void> {
  const { engine } = ctx;
  const task = await engine.task(taskId);
  const id = formatTaskId(taskId);
  const requester = interaction.user.id === task.requester;
  if (!requester && !engine.isOperator(personOf(interaction))) {
    throw new Refusal(
      `Only ${who(task.requester)}, who asked for ${id}, or an operator can add its details.`,
    );
  }
  if (interaction.isButton()) {
    if (task.state !== "needs_clarification") {
      throw new Refusal(`${id} is ${stateLabel(task.state)} now: it is not waiting for details.`);
    }
    const missing: readonly BriefField[] =
      task.missingFields.length > 0 ? task.missingFields : BRIEF_FIELDS;
    await interaction.showModal(
      briefModal({
        customId: encodeCustomId({ kind: "task_details", taskId }),
        title: `${id} · add details`,
        fields: missing,
        required: task.missingFields,
      }),
    );
    return;
  }
  const fields = readBriefModal(interaction);
  const result = await engine.answer(taskId, { fields }, interaction.user.id);
  const added = Object.keys(fields)
    .map((field) => BRIEF_FIELD_LABELS[field as BriefField].toLowerCase())
    .join(", ");
  const content = clip(
    `${who(interaction.user.id)} added ${added || "details"}: ${id} is ${stateLabel(result.task.state)}.`,
    LIMITS.content,
  );
  if (interaction.isFromMessage()) {
    // The prompt is answered: its button goes, so nobody answers it twice.
    const answered = clip(`${interaction.message.content}\n✅ ${content}`, LIMITS.content);
    await interaction.update({ content: answered, components: [], allowedMentions: NO_PINGS });
  } else {
    await send(interaction, { content });
  }
}
