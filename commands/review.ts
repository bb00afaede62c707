import { SlashCommandBuilder } from "@discordjs/builders";
import type { Command } from "../src/adapters/discord/command.js";
import { send } from "../src/adapters/discord/respond.js";
import { reviewAnswerMessage, reviewMonth } from "../src/adapters/discord/review-message.js";

/** `/review [month]`: the monthly report with its chart, for everyone in the channel. */
export default {
  data: () =>
    new SlashCommandBuilder()
      .setName("review")
      .setDescription("The monthly review: volume, failures, escalations, suggestions and a chart")
      .addStringOption((o) =>
        o.setName("month").setDescription("YYYY-MM (default: the last full month)"),
      )
      .toJSON(),
  async execute(interaction, ctx) {
    const month = reviewMonth(interaction.options.getString("month"));
    // Rendering the chart takes longer than an interaction may wait unanswered.
    await interaction.deferReply();
    await send(interaction, await reviewAnswerMessage(ctx, await ctx.engine.reviewAsked(month)));
  },
} satisfies Command;
