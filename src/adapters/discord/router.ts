import type { Interaction } from "discord.js";
import { COMMANDS } from "./commands.js";
import type { DiscordContext } from "./context.js";
import { parseCustomId } from "./custom-ids.js";
import { onEscalationAction } from "./escalation-actions.js";
import { onNewTaskModal } from "./new-task.js";
import { answerError, Refusal } from "./respond.js";
import { onTaskDetails } from "./task-details.js";

/**
 * The one interaction router: slash commands go to `commands/`, components and modals by their
 * custom id (parsed before any handler runs). Whatever a handler throws is answered here.
 */
export function createInteractionRouter(
  ctx: DiscordContext,
): (interaction: Interaction) => Promise<void> {
  return async (interaction) => {
    try {
      await route(interaction, ctx);
    } catch (error) {
      await answerError(interaction, error, ctx.logger);
    }
  };
}

async function route(interaction: Interaction, ctx: DiscordContext): Promise<void> {
  if (interaction.isChatInputCommand()) {
    const command = COMMANDS.get(interaction.commandName);
    if (command === undefined) throw new Refusal(`Steward has no /${interaction.commandName}.`);
    return command.execute(interaction, ctx);
  }
  if (
    !interaction.isButton() &&
    !interaction.isStringSelectMenu() &&
    !interaction.isModalSubmit()
  ) {
    return;
  }
  const id = parseCustomId(interaction.customId);
  if (id === undefined) {
    throw new Refusal("This control is not one Steward knows (an older message?): use /status.");
  }
  switch (id.kind) {
    case "escalation":
      return onEscalationAction(interaction, id, ctx);
    case "task_details":
      if (interaction.isStringSelectMenu()) break;
      return onTaskDetails(interaction, id.taskId, ctx);
    case "new_task":
      if (!interaction.isModalSubmit()) break;
      return onNewTaskModal(interaction, ctx, id);
  }
  throw new Refusal("That control does not do anything here.");
}
