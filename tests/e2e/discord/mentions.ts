import { AllowedMentionsTypes, type APIAllowedMentions } from "discord-api-types/v10";
import type { Pings } from "./state.js";

function all(content: string, pattern: RegExp): string[] {
  return [...new Set([...content.matchAll(pattern)].map((m) => m[1] ?? ""))];
}

/**
 * Who Discord would notify. Without `allowed_mentions` every parsed mention pings (this is
 * what happens when the bot forgets them); with it, only the listed types or ids do.
 */
export function computePings(
  content: string,
  allowed: APIAllowedMentions | null | undefined,
  repliedTo: string | undefined,
): Pings {
  const users = all(content, /<@!?(\d{15,21})>/g);
  const roles = all(content, /<@&(\d{15,21})>/g);
  const everyone = /@(everyone|here)\b/.test(content);
  if (!allowed) {
    return { users, roles, everyone, repliedUser: repliedTo !== undefined };
  }
  const parse = allowed.parse ?? [];
  const pick = (parsed: string[], type: AllowedMentionsTypes, ids: string[] | undefined) =>
    parse.includes(type) ? parsed : parsed.filter((id) => ids?.includes(id));
  return {
    users: pick(users, AllowedMentionsTypes.User, allowed.users),
    roles: pick(roles, AllowedMentionsTypes.Role, allowed.roles),
    everyone: everyone && parse.includes(AllowedMentionsTypes.Everyone),
    repliedUser: repliedTo !== undefined && allowed.replied_user === true,
  };
}

export function pingsAnyone(pings: Pings): boolean {
  return pings.users.length > 0 || pings.roles.length > 0 || pings.everyone || pings.repliedUser;
}
