import { SlashCommandBuilder } from "@discordjs/builders";
import type { Command } from "../src/adapters/discord/command.js";
import { Refusal, send } from "../src/adapters/discord/respond.js";
import { overviewEmbed, taskDetailEmbeds } from "../src/adapters/discord/status-embeds.js";
import { parseTaskId } from "../src/core/states.js";

/** `/status`: the whole picture, or one task's brief, routing trace and timeline. */
export default {
  data: () =>
    new SlashCommandBuilder()
      .setName("status")
      .setDescription("Where every task is, or the full story of one")
      .addStringOption((o) => o.setName("task").setDescription("A task id, e.g. T-42"))
      .toJSON(),
  async execute(interaction, ctx) {
    const text = interaction.options.getString("task");
    if (text === null) {
      await send(
        interaction,
        { embeds: [overviewEmbed(await ctx.status.snapshot())] },
        { ephemeral: true },
      );
      return;
    }
    const taskId = parseTaskId(text);
    if (taskId === undefined) throw new Refusal(`"${text}" is not a task id: try T-42 or 42.`);
    const embeds = taskDetailEmbeds(await ctx.status.task(taskId));
    await send(interaction, { embeds }, { ephemeral: true });
  },
} satisfies Command;
