import {
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APIMessageTopLevelComponent,
  ButtonStyle,
  ComponentType,
  type MessageMentionOptions,
  type TopLevelComponent,
} from "discord.js";
import type { Config } from "../../config/schema.js";
import { formatEscalationId, formatTaskId } from "../../core/states.js";
import type { Engine } from "../../engine/engine.js";
import type { EscalationActionKind, EscalationCard } from "../../escalation/format.js";
import type { EscalatedTask, EscalationGroup } from "../../escalation/store.js";
import { encodeCustomId } from "./custom-ids.js";
import {
  absoluteTime,
  clip,
  defuse,
  LIMITS,
  NO_PINGS,
  oneLine,
  shortLiteral,
  who,
} from "./safety.js";

type Row = APIActionRowComponent<APIComponentInMessageActionRow>;

export interface EscalationPayload {
  content: string;
  embeds: APIEmbed[];
  components: Row[];
  allowedMentions: MessageMentionOptions;
}

type Style = ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger;

const BUTTONS: Partial<Record<EscalationActionKind, { label: string; style: Style }>> = {
  retry: { label: "Retry", style: ButtonStyle.Primary },
  cancel: { label: "Cancel", style: ButtonStyle.Danger },
  edit: { label: "Edit brief", style: ButtonStyle.Secondary },
};

/** `rerouted:content` → `rerouted to content`. */
export function describeResolution(resolution: string): string {
  const [verb, target] = resolution.split(":");
  return target === undefined ? (verb ?? resolution) : `${verb} to ${target}`;
}

/**
 * The controls of an escalation: the buttons the card offers, a select of categories for
 * Reroute, and (for a group, on the group's own message) a select of its waiting tasks.
 */
export function escalationRows(
  config: Config,
  card: EscalationCard,
  group: Pick<EscalationGroup, "id" | "category">,
  waiting: readonly EscalatedTask[],
  taskId?: number,
): Row[] {
  const escalationId = group.id;
  const id = (action: "retry" | "reroute" | "cancel" | "edit" | "pick") =>
    encodeCustomId({ kind: "escalation", action, escalationId, ...(taskId ? { taskId } : {}) });
  const rows: Row[] = [];
  const buttons = card.actions.flatMap((action) => {
    const button = BUTTONS[action];
    return button === undefined
      ? []
      : [{ type: ComponentType.Button as const, custom_id: id(action), ...button }];
  });
  if (buttons.length > 0) rows.push({ type: ComponentType.ActionRow, components: buttons });
  const targets = config.categories.filter((c) => !c.catch_all && c.name !== group.category);
  if (card.actions.includes("reroute") && targets.length > 0) {
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: id("reroute"),
          placeholder: "Reroute to…",
          options: targets.slice(0, LIMITS.selectOptions).map((category) => ({
            label: category.name,
            value: category.name,
            description: clip(oneLine(category.description), 100),
          })),
        },
      ],
    });
  }
  if (taskId === undefined && waiting.length > 1 && card.actions.length > 0) {
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: id("pick"),
          placeholder: "Act on one task only…",
          options: waiting.slice(0, LIMITS.selectOptions).map(({ task }) => ({
            label: clip(
              `${formatTaskId(task.id)} · ${oneLine(task.objective)}`,
              LIMITS.selectLabel,
            ),
            value: String(task.id),
          })),
        },
      ],
    });
  }
  return rows;
}

/** The same controls, greyed out: a decided escalation keeps what was offered, unpressable. */
export function disabledRows(components: readonly (TopLevelComponent | Row)[]): Row[] {
  return components.flatMap((component) => {
    const json = ("toJSON" in component ? component.toJSON() : component) as
      | APIMessageTopLevelComponent
      | Row;
    if (json.type !== ComponentType.ActionRow) return [];
    return [
      {
        ...json,
        components: json.components.map((child) => ({ ...child, disabled: true })),
      } as Row,
    ];
  });
}

function decisions(group: EscalationGroup, members: readonly EscalatedTask[]): string {
  if (group.state === "resolved") {
    const when = group.resolvedAt === null ? "" : ` · ${absoluteTime(group.resolvedAt)}`;
    const how = describeResolution(group.resolution ?? "resolved");
    return `✅ **Decided**: ${how} by ${who(group.resolvedBy ?? "system")}${when}`;
  }
  const decided = members.filter((member) => member.resolution !== null);
  if (decided.length === 0) return "";
  const lines = decided.map(
    (member) =>
      `${formatTaskId(member.task.id)} ${describeResolution(member.resolution ?? "decided")}`,
  );
  return clip(`**Decided so far**: ${lines.join(" · ")}`, 1000);
}

/** The card as an embed; mentions defused again after the fact, each part within its limit. */
export function escalationEmbed(
  card: EscalationCard,
  group: EscalationGroup,
  members: readonly EscalatedTask[],
): APIEmbed {
  const decided = decisions(group, members);
  const color = group.state === "resolved" ? 0x57f287 : group.urgent ? 0xed4245 : 0xe67e22;
  const fields = card.fields.map((field) => ({
    name: clip(defuse(field.name), 256),
    value: clip(defuse(field.value), LIMITS.fieldValue),
  }));
  const fixed =
    card.title.length + card.footer.length + fields.reduce((n, f) => n + f.name.length, 0);
  const room = LIMITS.embedTotal - fixed - fields.reduce((n, f) => n + f.value.length, 0) - 16;
  const description = [decided, defuse(card.description)].filter(Boolean).join("\n\n");
  return {
    title: clip(defuse(card.title), LIMITS.embedTitle),
    description: clip(description, Math.max(1, Math.min(LIMITS.embedDescription, room))),
    color,
    fields,
    footer: { text: card.footer },
  };
}

/** The escalation message as it should look now: open with its controls, or decided. */
export async function escalationPayload(
  engine: Engine,
  escalationId: number,
  current?: readonly (TopLevelComponent | Row)[],
): Promise<EscalationPayload> {
  const card = await engine.escalationCard(escalationId, who);
  const group = (await engine.escalation(escalationId))!;
  const members = await engine.escalationMembers(escalationId);
  const waiting = await engine.waitingIn(escalationId);
  const open = group.state !== "resolved";
  const components = open
    ? escalationRows(engine.config, card, group, waiting)
    : disabledRows(current ?? []);
  return {
    content: open
      ? `**${formatEscalationId(escalationId)}** needs an operator's decision.`
      : `**${formatEscalationId(escalationId)}** is decided.`,
    embeds: [escalationEmbed(card, group, members)],
    components,
    allowedMentions: NO_PINGS,
  };
}

/** The first message in an escalation's thread: what it covers and where to look. */
export async function threadIntro(engine: Engine, escalationId: number): Promise<string> {
  const members = await engine.escalationMembers(escalationId);
  const lines = members
    .slice(0, 20)
    .map(
      ({ task }) =>
        `• ${formatTaskId(task.id)} · ${shortLiteral(task.objective, 120)} (${who(task.requester)})`,
    );
  const more = members.length > 20 ? [`… and ${members.length - 20} more`] : [];
  return clip(
    [
      `Decisions on ${formatEscalationId(escalationId)} are recorded here. Only operators can press its buttons.`,
      ...lines,
      ...more,
      `\`/status task:T-n\` shows any task's brief and timeline.`,
    ].join("\n"),
    LIMITS.content,
  );
}
