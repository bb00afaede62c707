import { SlashCommandBuilder } from "@discordjs/builders";
import type { Command } from "../src/adapters/discord/command.js";
import {
  categoryChoices,
  fileTask,
  newTaskModal,
  slashRequest,
} from "../src/adapters/discord/new-task.js";

const PRIORITIES = [
  { name: "low", value: -1 },
  { name: "normal", value: 0 },
  { name: "high", value: 1 },
];

/** `/task`: a brief from options, or the brief form; answered with the task's card. */
export default {
  data: (config) =>
    new SlashCommandBuilder()
      .setName("task")
      .setDescription("Give Steward a task: it is briefed, routed and run, and you see it move")
      .addStringOption((o) => o.setName("objective").setDescription("What should be done"))
      .addStringOption((o) => o.setName("inputs").setDescription("Links, files, data to use"))
      .addStringOption((o) => o.setName("constraints").setDescription("Limits, tone, deadlines"))
      .addStringOption((o) => o.setName("output").setDescription("What the result looks like"))
      .addStringOption((o) => o.setName("acceptance").setDescription("How we know it is done"))
      .addStringOption((o) =>
        o
          .setName("category")
          .setDescription("Skip routing: file it under this category")
          .addChoices(...categoryChoices(config)),
      )
      .addIntegerOption((o) =>
        o
          .setName("priority")
          .setDescription("Default: the category's")
          .addChoices(...PRIORITIES),
      )
      .addBooleanOption((o) => o.setName("details").setDescription("Open the full brief form"))
      .toJSON(),
  async execute(interaction, ctx) {
    const option = (name: string) => interaction.options.getString(name) ?? undefined;
    const options = {
      fields: {
        objective: option("objective"),
        inputs: option("inputs"),
        constraints: option("constraints"),
        output_format: option("output"),
        acceptance_criteria: option("acceptance"),
      },
      category: option("category"),
      priority: interaction.options.getInteger("priority") ?? undefined,
    };
    if (options.fields.objective === undefined || interaction.options.getBoolean("details")) {
      await interaction.showModal(newTaskModal(options));
      return;
    }
    await fileTask(interaction, ctx, slashRequest(interaction, options));
  },
} satisfies Command;
