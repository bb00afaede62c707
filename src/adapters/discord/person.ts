import type { Interaction } from "discord.js";
import type { Person } from "../../escalation/operators.js";

/** Who pressed: their user id and the role ids of their membership in the guild. */
export function personOf(interaction: Interaction): Person {
  const member = interaction.member;
  const roles =
    member === null
      ? []
      : Array.isArray(member.roles)
        ? member.roles
        : [...member.roles.cache.keys()];
  return { id: interaction.user.id, roles };
}
