import {
  type APIApplication,
  type APIApplicationCommand,
  type APIApplicationCommandOption,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  type RESTGetAPIGatewayBotResult,
  type RESTPostAPIApplicationCommandsJSONBody,
} from "discord-api-types/v10";
import { Codes, type FieldError, invalidFormBody, notFound } from "./errors.js";
import type { World } from "./messages.js";
import { botUser, guildPayload, isThread, memberOf, readyPayload, threadsOf } from "./payloads.js";
import { ok, type RestRequest, type Route } from "./rest.js";

const namePattern = /^[-_\p{L}\p{N}]{1,32}$/u;

/** The checks Discord applies on registration that @discordjs/builders may not have caught. */
function checkCommands(commands: RESTPostAPIApplicationCommandsJSONBody[]): void {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  commands.forEach((command, i) => {
    const type = command.type ?? ApplicationCommandType.ChatInput;
    const chat = type === ApplicationCommandType.ChatInput;
    if (
      !(chat
        ? namePattern.test(command.name) && command.name === command.name.toLowerCase()
        : command.name)
    ) {
      errors.push({
        path: [i, "name"],
        code: "APPLICATION_COMMAND_INVALID_NAME",
        message: "Command name is invalid",
      });
    }
    const key = `${type}:${command.name}`;
    if (seen.has(key)) {
      errors.push({
        path: [i, "name"],
        code: "APPLICATION_COMMANDS_DUPLICATE_NAME",
        message: "Application command names must be unique",
      });
    }
    seen.add(key);
    if (!chat) return;
    const description = "description" in command ? (command.description ?? "") : "";
    if (description.length < 1 || description.length > 100) {
      errors.push({
        path: [i, "description"],
        code: "BASE_TYPE_BAD_LENGTH",
        message: "Must be between 1 and 100 in length.",
      });
    }
    const check = (options: APIApplicationCommandOption[], path: (string | number)[]) => {
      let optionalSeen = false;
      options.forEach((option, j) => {
        if (
          option.type === ApplicationCommandOptionType.Subcommand ||
          option.type === ApplicationCommandOptionType.SubcommandGroup
        ) {
          check(option.options ?? [], [...path, j, "options"]);
          return;
        }
        if (!option.required) optionalSeen = true;
        else if (optionalSeen) {
          errors.push({
            path: [...path, j],
            code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
            message: "Required options must be placed before non-required options",
          });
        }
      });
    };
    check(("options" in command ? command.options : undefined) ?? [], [i, "options"]);
  });
  if (errors.length > 0) throw invalidFormBody(errors);
}

/** Bulk overwrite keeps the id of a command with the same name and type, as Discord does. */
function overwrite(
  world: World,
  previous: APIApplicationCommand[],
  bodies: RESTPostAPIApplicationCommandsJSONBody[],
  guildId: string | undefined,
): APIApplicationCommand[] {
  const { state } = world;
  checkCommands(bodies);
  return bodies.map((body) => {
    const type = body.type ?? ApplicationCommandType.ChatInput;
    const kept = previous.find((c) => c.name === body.name && c.type === type);
    return {
      ...body,
      id: kept?.id ?? state.snowflakes.next(),
      application_id: state.ids.application,
      ...(guildId ? { guild_id: guildId } : {}),
      type,
      description: "description" in body ? (body.description ?? "") : "",
      default_member_permissions: body.default_member_permissions ?? null,
      nsfw: body.nsfw ?? false,
      integration_types: [ApplicationIntegrationType.GuildInstall],
      contexts: null,
      version: state.snowflakes.next(),
    } as APIApplicationCommand;
  });
}

function ownGuild(world: World, request: RestRequest): void {
  if (request.params.guildId !== world.state.ids.guild) throw notFound(Codes.UnknownGuild, "Guild");
}

function ownApp(world: World, request: RestRequest): void {
  if (request.params.appId !== world.state.ids.application) {
    throw notFound(10002, "Application");
  }
}

export function miscRoutes(world: World, gatewayUrl: string, guildName: string): Route[] {
  const { state } = world;
  const gatewayBot: RESTGetAPIGatewayBotResult = {
    url: gatewayUrl,
    shards: 1,
    session_start_limit: {
      total: 1000,
      remaining: 999,
      reset_after: 86_400_000,
      max_concurrency: 1,
    },
  };
  const guildCommands = "/applications/:appId/guilds/:guildId/commands";
  const application = (): APIApplication => ({
    id: state.ids.application,
    name: botUser(state).username,
    icon: null,
    description: "",
    bot_public: false,
    bot_require_code_grant: false,
    bot: botUser(state),
    summary: "",
    verify_key: "0".repeat(64),
    team: null,
    flags: readyPayload(state, "", gatewayUrl, [0, 1]).application.flags ?? 0,
    flags_new: "0",
    owner: state.users.get(state.ids.operator),
  });
  return [
    { method: "GET", pattern: "/gateway/bot", handle: () => ok(gatewayBot) },
    { method: "GET", pattern: "/gateway", auth: false, handle: () => ok({ url: gatewayUrl }) },
    { method: "GET", pattern: "/users/@me", handle: () => ok(botUser(state)) },
    {
      method: "GET",
      pattern: "/users/:userId",
      handle: (request) => {
        const user = state.users.get(request.params.userId ?? "");
        if (!user) throw notFound(Codes.UnknownUser, "User");
        return ok(user);
      },
    },
    { method: "GET", pattern: "/applications/@me", handle: () => ok(application()) },
    {
      method: "GET",
      pattern: "/guilds/:guildId",
      handle: (request) => {
        ownGuild(world, request);
        const counts =
          request.query.get("with_counts") === "true"
            ? { approximate_member_count: state.members.size, approximate_presence_count: 0 }
            : {};
        return ok({ ...guildPayload(state, guildName), ...counts });
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guildId/channels",
      handle: (request) => {
        ownGuild(world, request);
        return ok([...state.channels.values()].filter((c) => !isThread(c)));
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guildId/threads/active",
      handle: (request) => {
        ownGuild(world, request);
        const threads = threadsOf(state).filter((t) => !t.thread_metadata?.archived);
        return ok({ threads, members: threads.flatMap((t) => (t.member ? [t.member] : [])) });
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guildId/roles",
      handle: (request) => {
        ownGuild(world, request);
        return ok([...state.roles.values()]);
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guildId/members/:userId",
      handle: (request) => {
        ownGuild(world, request);
        if (!state.members.has(request.params.userId ?? ""))
          throw notFound(Codes.UnknownMember, "Member");
        return ok(memberOf(state, request.params.userId ?? ""));
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guildId/members",
      handle: (request) => {
        ownGuild(world, request);
        const limit = Number(request.query.get("limit") ?? 1);
        return ok([...state.members.values()].slice(0, limit));
      },
    },
    {
      method: "PUT",
      pattern: guildCommands,
      handle: (request) => {
        ownApp(world, request);
        ownGuild(world, request);
        const bodies = (request.body ?? []) as RESTPostAPIApplicationCommandsJSONBody[];
        state.guildCommands = overwrite(world, state.guildCommands, bodies, state.ids.guild);
        return ok(state.guildCommands);
      },
    },
    {
      method: "GET",
      pattern: guildCommands,
      handle: (request) => {
        ownApp(world, request);
        ownGuild(world, request);
        return ok(state.guildCommands);
      },
    },
    {
      method: "POST",
      pattern: guildCommands,
      handle: (request) => {
        ownApp(world, request);
        ownGuild(world, request);
        const body = request.body as RESTPostAPIApplicationCommandsJSONBody;
        const others = state.guildCommands.filter((c) => c.name !== body.name);
        const [created] = overwrite(world, state.guildCommands, [body], state.ids.guild);
        if (created) state.guildCommands = [...others, created];
        return ok(created, 201);
      },
    },
    {
      method: "PUT",
      pattern: "/applications/:appId/commands",
      handle: (request) => {
        ownApp(world, request);
        const bodies = (request.body ?? []) as RESTPostAPIApplicationCommandsJSONBody[];
        state.globalCommands = overwrite(world, state.globalCommands, bodies, undefined);
        return ok(state.globalCommands);
      },
    },
    {
      method: "GET",
      pattern: "/applications/:appId/commands",
      handle: (request) => {
        ownApp(world, request);
        return ok(state.globalCommands);
      },
    },
  ];
}
