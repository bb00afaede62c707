import type { Config } from "../config/schema.js";
import { StewardError } from "../core/errors.js";

/** Who pressed a button: a Discord member (id and roles) or the trusted local console user. */
export interface Person {
  id: string;
  roles?: readonly string[];
  /** The local console: whoever can type there already owns the machine. */
  trusted?: boolean;
}

/** Operators are the configured users and the holders of the configured roles. */
export function isOperator(config: Config, person: Person): boolean {
  if (person.trusted === true) return true;
  const { users, roles } = config.discord.operators;
  return users.includes(person.id) || (person.roles ?? []).some((role) => roles.includes(role));
}

/** The one guard on escalation decisions: refuses anybody who is not an operator. */
export function requireOperator(config: Config, person: Person): void {
  if (!isOperator(config, person)) {
    throw new StewardError("not_operator", "Only operators can act on escalations.");
  }
}
