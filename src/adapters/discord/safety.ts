import { escapeMarkdown, type MessageMentionOptions } from "discord.js";
import { oneLine } from "../../core/one-line.js";
import { fitWords } from "../../escalation/format.js";

/** Discord's message and embed limits (embed ones mirror the escalation card's). */
export const LIMITS = {
  content: 2000,
  threadName: 100,
  modalTitle: 45,
  selectLabel: 100,
  selectOptions: 25,
  embedTitle: 256,
  embedDescription: 4096,
  fieldValue: 1024,
  embedFields: 25,
  embedTotal: 6000,
} as const;

/** The default for every message and interaction response: nobody is notified. */
export const NO_PINGS: MessageMentionOptions = { parse: [], repliedUser: false };

const SNOWFLAKE = /^\d{15,21}$/;

export function isSnowflake(id: string | null | undefined): id is string {
  return id !== null && id !== undefined && SNOWFLAKE.test(id);
}

/** Notifies exactly one person (the requester a message is for), nothing else. */
export function pingOnly(userId: string | undefined): MessageMentionOptions {
  return isSnowflake(userId) ? { parse: [], users: [userId], repliedUser: false } : NO_PINGS;
}

/** `<@id>` for a Discord user, else the name as literal text (console, webhook:helpdesk…). */
export function who(actor: string): string {
  return isSnowflake(actor) ? `<@${actor}>` : literal(actor);
}

/**
 * Mass and role mentions made inert to the eye as well: allowed_mentions already stops the
 * ping, this stops `@everyone` from even looking like one.
 */
export function defuse(text: string): string {
  return text.replace(/@(everyone|here)/g, "@\u200b$1").replace(/<@&(\d+)>/g, "<@\u200b&$1>");
}

/** Text a person or a worker wrote, shown as written: markdown escaped, mentions defused. */
export function literal(text: string): string {
  return defuse(escapeMarkdown(text));
}

/** The shared helper (src/core/one-line.ts), beside the other text helpers cards import here. */
export { oneLine };

/** Fits `max` characters, cut at a word boundary and marked with an ellipsis. */
export function clip(text: string, max: number): string {
  return fitWords(text, max);
}

/** One line of literal text, fitted. */
export function shortLiteral(text: string, max: number): string {
  return clip(literal(oneLine(text)), max);
}

/** `<t:…:R>`: Discord renders it as "in 5 minutes" in each reader's own clock. */
export function relativeTime(at: number): string {
  return `<t:${Math.floor(at / 1000)}:R>`;
}

export function absoluteTime(at: number): string {
  return `<t:${Math.floor(at / 1000)}:f>`;
}
