import type { ModalSubmitInteraction, RepliableInteraction } from "discord.js";
import { categoryNamed } from "../../config/lookup.js";
import type { Config } from "../../config/schema.js";
import { BRIEF_FIELDS } from "../../core/brief.js";
import { checkFieldsOnlyRequest } from "../../intake/checks.js";
import type { FieldValues, RawRequest } from "../../intake/intake.js";
import { acknowledgeFirst } from "./acknowledge.js";
import { briefModal, readBriefModal } from "./brief-modal.js";
import type { DiscordContext } from "./context.js";
import { encodeCustomId } from "./custom-ids.js";
import { replyWithCard } from "./task-posts.js";

/** Where /task requests come from; a category's `match.sources` may name it. */
export const SLASH_SOURCE = "discord:task";

export interface NewTaskOptions {
  fields: FieldValues;
  category?: string;
  priority?: number;
}

/** The brief form for /task without an objective (or with `details:true`), options prefilled. */
export function newTaskModal(options: NewTaskOptions) {
  return briefModal({
    customId: encodeCustomId({
      kind: "new_task",
      category: options.category,
      priority: options.priority,
    }),
    title: "New task",
    fields: BRIEF_FIELDS,
    required: ["objective"],
    values: options.fields,
  });
}

export function slashRequest(
  interaction: RepliableInteraction,
  options: NewTaskOptions,
): RawRequest {
  return {
    source: SLASH_SOURCE,
    requester: interaction.user.id,
    fields: options.fields,
    category: options.category,
    priority: options.priority,
    sourceRef: {
      guild: interaction.guildId ?? "",
      channel: interaction.channelId ?? "",
      interaction: interaction.id,
    },
  };
}

/**
 * What intake would refuse in a request made of fields (empty, a field over the limit, a category
 * that does not exist), refused the same way before anything is acknowledged: a deferred reply
 * is public or private for good, and a refusal is for the requester's eyes only. Intake still
 * checks everything; this only lets the common refusals stay private without waiting for it.
 */
export function checkFileable(request: RawRequest, config: Config): void {
  checkFieldsOnlyRequest(request);
  if (request.category !== undefined) categoryNamed(config, request.category);
}

/**
 * Files the request and answers with its card; the card is then kept up to date.
 *
 * What can be refused is refused first, privately. A request that will become a task is then
 * acknowledged ("Steward is thinking…", public like the card), so a burst of /task is answered
 * without waiting for routing, storage and the card; the card then fills in that reply.
 */
export async function fileTask(
  interaction: RepliableInteraction,
  ctx: DiscordContext,
  request: RawRequest,
): Promise<void> {
  checkFileable(request, ctx.engine.config);
  await acknowledgeFirst(interaction);
  const result = await ctx.engine.submit(request);
  await replyWithCard(interaction, ctx, result.task);
}

/** The /task modal was submitted: the same filing as the command itself. */
export function onNewTaskModal(
  interaction: ModalSubmitInteraction,
  ctx: DiscordContext,
  carried: { category?: string; priority?: number },
): Promise<void> {
  const request = slashRequest(interaction, { ...carried, fields: readBriefModal(interaction) });
  return fileTask(interaction, ctx, request);
}

/** The categories /task offers: every one a request can be filed under (not the catch-all). */
export function categoryChoices(config: Config) {
  return config.categories
    .filter((category) => !category.catch_all)
    .slice(0, 25)
    .map((category) => ({ name: category.name, value: category.name }));
}
