import {
  ActionRowBuilder,
  ModalBuilder,
  type ModalSubmitInteraction,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import { BRIEF_FIELD_LABELS, type BriefField, MAX_FIELD_CHARS } from "../../core/brief.js";
import type { FieldValues } from "../../intake/intake.js";
import { clip, LIMITS } from "./safety.js";

/** Discord caps a text input at 4000 characters; Steward's own cap may be lower. */
export const MODAL_MAX_CHARS = Math.min(MAX_FIELD_CHARS, 4000);

const STYLES: Record<BriefField, TextInputStyle> = {
  objective: TextInputStyle.Paragraph,
  inputs: TextInputStyle.Paragraph,
  constraints: TextInputStyle.Paragraph,
  output_format: TextInputStyle.Short,
  acceptance_criteria: TextInputStyle.Paragraph,
};

const PLACEHOLDERS: Record<BriefField, string> = {
  objective: "What should be done?",
  inputs: "Links, files, data to work from: one per line",
  constraints: "Limits, tone, deadlines: one per line",
  output_format: "e.g. a markdown draft, a reply in the thread, <#channel>",
  acceptance_criteria: "How we will know it is done: one per line",
};

export interface BriefModalOptions {
  customId: string;
  title: string;
  fields: readonly BriefField[];
  /** Fields the person must fill before Discord lets them submit. */
  required?: readonly BriefField[];
  /** Prefilled values (what was already typed as options). */
  values?: FieldValues;
}

/** A modal with one text input per brief field asked, named by the field. */
export function briefModal(options: BriefModalOptions): ModalBuilder {
  const rows = options.fields.map((field) => {
    const input = new TextInputBuilder()
      .setCustomId(field)
      .setLabel(BRIEF_FIELD_LABELS[field])
      .setStyle(STYLES[field])
      .setPlaceholder(PLACEHOLDERS[field])
      .setMaxLength(MODAL_MAX_CHARS)
      .setRequired(options.required?.includes(field) ?? false);
    const value = options.values?.[field];
    const text = Array.isArray(value) ? value.join("\n") : value;
    // A value too long to show whole is not prefilled: submitting a cut copy would replace it.
    if (text !== undefined && text.trim() !== "" && text.length <= MODAL_MAX_CHARS) {
      input.setValue(text);
    }
    return new ActionRowBuilder<TextInputBuilder>().addComponents(input);
  });
  return new ModalBuilder()
    .setCustomId(options.customId)
    .setTitle(clip(options.title, LIMITS.modalTitle))
    .addComponents(rows);
}

/** What was typed into a brief modal; empty inputs are left out (they change nothing). */
export function readBriefModal(interaction: ModalSubmitInteraction): FieldValues {
  const values: FieldValues = {};
  for (const field of Object.keys(BRIEF_FIELD_LABELS) as BriefField[]) {
    let text: string;
    try {
      text = interaction.fields.getTextInputValue(field);
    } catch {
      continue; // not asked in this modal
    }
    if (text.trim() !== "") values[field] = text;
  }
  return values;
}
