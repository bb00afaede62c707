/** Discord's JSON error codes the fake answers with (discord.js surfaces them as DiscordAPIError.code). */
export const Codes = {
  General: 0,
  UnknownChannel: 10003,
  UnknownGuild: 10004,
  UnknownMember: 10007,
  UnknownMessage: 10008,
  UnknownUser: 10013,
  UnknownWebhook: 10015,
  UnknownInteraction: 10062,
  InteractionAlreadyAcknowledged: 40060,
  CannotEditOthersMessage: 50005,
  EmptyMessage: 50006,
  InvalidFormBody: 50035,
  ThreadAlreadyCreated: 160004,
} as const;

export interface FieldError {
  path: (string | number)[];
  code: string;
  message: string;
}

/** An error a route throws; rest.ts turns it into Discord's `{ code, message, errors? }` body. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }

  body(): { code: number; message: string; errors?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** Discord nests form errors by path: `{ embeds: { 0: { title: { _errors: [...] } } } }`. */
export function invalidFormBody(errors: FieldError[]): RestError {
  const root: Record<string, unknown> = {};
  for (const error of errors) {
    let node = root;
    for (const key of error.path) {
      const next = (node[String(key)] ?? {}) as Record<string, unknown>;
      node[String(key)] = next;
      node = next;
    }
    const list = (node._errors ?? []) as unknown[];
    list.push({ code: error.code, message: error.message });
    node._errors = list;
  }
  return new RestError(400, Codes.InvalidFormBody, "Invalid Form Body", root);
}

export const notFound = (code: number, what: string) => new RestError(404, code, `Unknown ${what}`);
