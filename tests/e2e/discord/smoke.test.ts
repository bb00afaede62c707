import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  LabelBuilder,
  type Message,
  MessageFlags,
  ModalBuilder,
  SlashCommandBuilder,
  StringSelectMenuBuilder,
  type TextChannel,
  TextInputBuilder,
  TextInputStyle,
} from "discord.js";
import { InteractionResponseType, MessageFlags as RawFlags } from "discord-api-types/v10";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type FakeDiscord, startFakeDiscord } from "./server.js";

const intents = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

let fake: FakeDiscord;
let client: Client;

/** The way Steward builds its client when DISCORD_API_BASE is set. */
async function login(apiBase: string, token: string): Promise<Client> {
  const bot = new Client({ intents, rest: { api: apiBase }, allowedMentions: { parse: [] } });
  const ready = new Promise<void>((resolve) => bot.once(Events.ClientReady, () => resolve()));
  await bot.login(token);
  await ready;
  return bot;
}

function textChannel(id: string): TextChannel {
  const channel = client.channels.cache.get(id);
  if (channel?.type !== ChannelType.GuildText) throw new Error(`no text channel ${id}`);
  return channel;
}

/** A PNG signature and IHDR header: enough for magic-bytes and for width/height. */
function tinyPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "ascii");
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  return header;
}

const commands = [
  new SlashCommandBuilder()
    .setName("status")
    .setDescription("Show a task")
    .addStringOption((o) =>
      o.setName("task").setDescription("Task id, e.g. T-42").setRequired(true),
    ),
  new SlashCommandBuilder()
    .setName("review")
    .setDescription("Monthly review")
    .addStringOption((o) => o.setName("month").setDescription("YYYY-MM")),
].map((c) => c.toJSON());

beforeEach(async () => {
  fake = await startFakeDiscord({ heartbeatIntervalMs: 400 });
  client = await login(fake.apiBase, fake.token);
});

afterEach(async () => {
  await client.destroy();
  await fake.close();
});

describe("fake Discord with the real discord.js client", () => {
  it("logs in through DISCORD_API_BASE, caches the guild and stores bulk-overwritten commands", async () => {
    const guild = client.guilds.cache.get(fake.ids.guild);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.map((c) => c.name).sort()).toEqual([
      "escalations",
      "intake",
      "reports",
    ]);
    expect(guild?.members.me?.id).toBe(fake.ids.bot);
    expect(
      guild?.members.cache.get(fake.ids.operator)?.roles.cache.has(fake.ids.operatorRole),
    ).toBe(true);
    expect(client.user?.id).toBe(fake.ids.bot);
    expect(client.application?.id).toBe(fake.ids.application);
    expect(fake.gatewayStats).toMatchObject({
      identifies: 1,
      intents: (1 << 0) | (1 << 9) | (1 << 15),
    });
    expect(fake.gatewayStats.query).toBe("v=10&encoding=json");
    expect(fake.requests[0]).toMatchObject({ method: "GET", path: "/gateway/bot", status: 200 });

    const first = await client.application?.commands.set(commands, fake.ids.guild);
    expect(first?.map((c) => c.name).sort()).toEqual(["review", "status"]);
    expect(fake.commands().map((c) => c.name)).toEqual(["status", "review"]);
    const ids = fake.commands().map((c) => c.id);
    await client.application?.commands.set(commands, fake.ids.guild);
    expect(fake.commands().map((c) => c.id)).toEqual(ids); // same names keep their ids

    // Heartbeats (HELLO said 400 ms) are sent and acknowledged: the client measures its ping
    // when the acknowledgement arrives, a moment after the server counted the heartbeat.
    await vi.waitFor(
      () => {
        expect(fake.gatewayStats.heartbeats).toBeGreaterThan(0);
        expect(client.ws.ping).toBeGreaterThanOrEqual(0);
      },
      { timeout: 2000 },
    );
    expect(fake.unmatchedRequests()).toEqual([]);
  });

  it("slash command: ephemeral deferReply (type 5) then editReply fills @original", async () => {
    await client.application?.commands.set(commands, fake.ids.guild);
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      const operator = interaction.inCachedGuild()
        ? interaction.member.roles.cache.has(fake.ids.operatorRole)
        : false;
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const task = interaction.options.getString("task", true);
      await interaction.editReply(
        `${task} is running (operator: ${operator}) <@${fake.ids.operator}>`,
      );
    });

    const handle = fake.slashCommand("status", { task: "T-42" });
    expect(handle.payload.data.options).toEqual([{ name: "task", type: 3, value: "T-42" }]);
    const callback = await handle.response();
    expect(callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(callback.ephemeral).toBe(true);
    expect(callback.accepted).toBe(true);
    expect(callback.latencyMs).toBeLessThan(3000);
    await vi.waitFor(() => expect(handle.original()?.content).toContain("T-42 is running"));
    const original = handle.original();
    expect(original?.content).toBe(`T-42 is running (operator: true) <@${fake.ids.operator}>`);
    expect(original?.flags).toBe(RawFlags.Ephemeral);
    // Ephemeral: nobody else in the channel sees it.
    expect(fake.messages(fake.ids.intakeChannel)).toEqual([]);
    expect(fake.messages(fake.ids.intakeChannel, { includeEphemeral: true })).toHaveLength(1);
    // The client's allowedMentions default went out with the edit: nobody pinged.
    expect(fake.mentions.at(-1)?.allowedMentions).toEqual({ parse: [] });
    expect(fake.pings()).toEqual([]);
  });

  it("refuses what Discord refuses: unknown commands and options", async () => {
    await client.application?.commands.set(commands, fake.ids.guild);
    expect(() => fake.slashCommand("nope")).toThrow(/not registered/);
    expect(() => fake.slashCommand("status", { taks: "T-1" })).toThrow(/no option "taks"/);
    expect(() => fake.slashCommand("status", {})).toThrow(/needs option "task"/);
  });

  it("button press answered with update() is a type 7 that edits the card", async () => {
    const pressedBy: string[] = [];
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isButton()) return;
      pressedBy.push(interaction.user.id);
      await interaction.update({
        content: `Retrying ${interaction.customId.split(":")[1]}`,
        components: [],
      });
    });
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId("retry:T-7").setLabel("Retry").setStyle(ButtonStyle.Primary),
      new ButtonBuilder().setCustomId("cancel:T-7").setLabel("Cancel").setStyle(ButtonStyle.Danger),
    );
    const sent = await textChannel(fake.ids.escalationChannel).send({
      content: "T-7 failed twice",
      components: [row],
    });
    const [card] = fake.messages(fake.ids.escalationChannel);
    expect(card?.id).toBe(sent.id);
    expect(card?.author.id).toBe(fake.ids.bot);
    expect(card?.components?.[0]).toMatchObject({
      type: 1,
      components: [{ custom_id: "retry:T-7" }, {}],
    });

    const handle = fake.pressButton(sent, "retry:T-7", fake.ids.operator);
    const callback = await handle.response();
    expect(callback.type).toBe(InteractionResponseType.UpdateMessage);
    expect(pressedBy).toEqual([fake.ids.operator]);
    const updated = fake.message(sent.id);
    expect(updated?.content).toBe("Retrying T-7");
    expect(updated?.components).toEqual([]);
    expect(updated?.edited_timestamp).not.toBeNull();
    // The buttons are gone, so nobody can press them again.
    expect(() => fake.pressButton(sent, "retry:T-7")).toThrow(/no component/);
  });

  it("select menu → modal (type 9) → modal submit → ephemeral reply", async () => {
    const replied: string[] = [];
    client.on(Events.InteractionCreate, async (interaction) => {
      if (interaction.isStringSelectMenu()) {
        const modal = new ModalBuilder()
          .setCustomId(`reroute:${interaction.values[0]}`)
          .setTitle("Reroute T-9")
          .addLabelComponents(
            new LabelBuilder()
              .setLabel("Why")
              .setTextInputComponent(
                new TextInputBuilder().setCustomId("reason").setStyle(TextInputStyle.Paragraph),
              ),
          );
        await interaction.showModal(modal);
      } else if (interaction.isModalSubmit()) {
        const reason = interaction.fields.getTextInputValue("reason");
        const response = await interaction.reply({
          content: `${interaction.customId}: ${reason}`,
          flags: MessageFlags.Ephemeral,
          withResponse: true,
        });
        replied.push(response.resource?.message?.content ?? "");
      }
    });
    const menu = new StringSelectMenuBuilder()
      .setCustomId("category")
      .addOptions({ label: "Content", value: "content" }, { label: "Research", value: "research" });
    const sent = await textChannel(fake.ids.escalationChannel).send({
      content: "Reroute T-9?",
      components: [new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(menu)],
    });
    expect(() => fake.chooseOption(sent, "category", ["nope"])).toThrow(/offers no nope/);
    const choice = fake.chooseOption(sent, "category", ["research"]);
    const opened = await choice.response();
    expect(opened.type).toBe(InteractionResponseType.Modal);
    expect(choice.modal()?.title).toBe("Reroute T-9");

    const submit = fake.submitModal({ from: choice }, { reason: "It is a research brief" });
    const answer = await submit.response();
    expect(answer.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(answer.ephemeral).toBe(true);
    expect(answer.withResponse).toBe(true);
    expect(submit.original()?.content).toBe("reroute:research: It is a research brief");
    // with_response=true returns the created message, which discord.js hands back.
    await vi.waitFor(() => expect(replied).toEqual(["reroute:research: It is a research brief"]));
  });

  it("a follow-up after a deferred reply fills the thinking message; the next one is new", async () => {
    await client.application?.commands.set(commands, fake.ids.guild);
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.deferReply();
      await interaction.followUp("Review for 2024-05 is ready");
      await interaction.followUp({ content: "Only you see this", flags: MessageFlags.Ephemeral });
    });
    const handle = fake.slashCommand("review", { month: "2024-05" }, fake.ids.member);
    expect((await handle.response()).ephemeral).toBe(false);
    await vi.waitFor(() => expect(handle.followUps()).toHaveLength(1));
    expect(handle.original()?.content).toBe("Review for 2024-05 is ready");
    expect(handle.original()?.interaction_metadata?.user.id).toBe(fake.ids.member);
    expect(handle.followUps()[0]?.flags).toBe(RawFlags.Ephemeral);
    const visible = fake.messages(fake.ids.intakeChannel).map((m) => m.content);
    expect(visible).toEqual(["Review for 2024-05 is ready"]);
  });

  it("without the MESSAGE_CONTENT intent a bot sees empty messages unless mentioned", async () => {
    const blind = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
      rest: { api: fake.apiBase },
    });
    const ready = new Promise<void>((resolve) => blind.once(Events.ClientReady, () => resolve()));
    await blind.login(fake.token);
    await ready;
    try {
      const seen: string[] = [];
      blind.on(Events.MessageCreate, (message) => seen.push(message.content));
      fake.postMessage(fake.ids.intakeChannel, fake.ids.member, "a brief");
      fake.postMessage(fake.ids.intakeChannel, fake.ids.member, `<@${fake.ids.bot}> a brief`);
      await vi.waitFor(() => expect(seen).toHaveLength(2));
      expect(seen).toEqual(["", `<@${fake.ids.bot}> a brief`]);
    } finally {
      await blind.destroy();
    }
  });

  it("uploads an attachment as multipart and keeps its bytes", async () => {
    const png = tinyPng(640, 360);
    const sent = await textChannel(fake.ids.reportsChannel).send({
      content: "Monthly review",
      files: [{ attachment: png, name: "chart.png" }],
    });
    const upload = fake.requests.find((r) => r.route === "POST /channels/:channelId/messages");
    expect(upload?.files).toHaveLength(1);
    expect(upload?.files[0]).toMatchObject({
      field: "files[0]",
      name: "chart.png",
      contentType: "image/png",
    });
    expect(upload?.files[0]?.bytes.equals(png)).toBe(true);
    expect(upload?.body).toMatchObject({ content: "Monthly review", attachments: [{ id: "0" }] });

    const [stored] = fake.messages(fake.ids.reportsChannel);
    expect(stored?.attachments[0]).toMatchObject({
      filename: "chart.png",
      width: 640,
      height: 360,
    });
    expect(sent.attachments.first()?.name).toBe("chart.png");
    // The attachment URL serves the bytes, as Discord's CDN would.
    const url = stored?.attachments[0]?.url ?? "";
    const downloaded = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(downloaded.equals(png)).toBe(true);
    expect(fake.file(url)?.name).toBe("chart.png");
  });

  it("starts a thread from a message and posts in it", async () => {
    const created = new Promise<boolean>((resolve) =>
      client.once(Events.ThreadCreate, (_thread, newly) => resolve(newly)),
    );
    const card = await textChannel(fake.ids.escalationChannel).send("E-1: three tasks stalled");
    const thread = await card.startThread({ name: "E-1 stalled tasks" });
    expect(thread.id).toBe(card.id); // Discord gives the thread the starter message's id
    expect(await created).toBe(true);
    await thread.send("Details: T-1, T-2, T-3");
    expect(fake.threads(fake.ids.escalationChannel).map((t) => t.name)).toEqual([
      "E-1 stalled tasks",
    ]);
    expect(fake.messages(thread.id).map((m) => m.content)).toEqual(["Details: T-1, T-2, T-3"]);
    await expect(card.startThread({ name: "again" })).rejects.toMatchObject({ code: 160004 });
  });

  it("receives a person's message, then resumes after a dropped gateway and replays what it missed", async () => {
    const seen: string[] = [];
    client.on(Events.MessageCreate, (message: Message) => {
      if (!message.author.bot) seen.push(message.content);
    });
    fake.postMessage(fake.ids.intakeChannel, fake.ids.member, "Write the weekly newsletter");
    await vi.waitFor(() => expect(seen).toEqual(["Write the weekly newsletter"]));

    const resumed = fake.waitForGateway("resumed");
    await fake.dropGateway();
    // Sent while the socket is down: Discord replays it on RESUME.
    fake.postMessage(fake.ids.intakeChannel, fake.ids.operator, "posted during the outage");
    await resumed;
    expect(fake.gatewayStats).toMatchObject({ identifies: 1, resumes: 1 });
    fake.postMessage(fake.ids.intakeChannel, fake.ids.member, "after the resume");
    await vi.waitFor(() => expect(seen).toHaveLength(3));
    expect(seen.slice(1)).toEqual(["posted during the outage", "after the resume"]);
  });

  it("identifies afresh when the session cannot be resumed", async () => {
    const ready = fake.waitForGateway("ready", 15_000);
    await fake.dropGateway({ invalidateSession: true });
    await ready;
    expect(fake.gatewayStats).toMatchObject({ identifies: 2, invalidSessions: 1 });
    const seen = new Promise<string>((resolve) =>
      client.once(Events.MessageCreate, (message) => resolve(message.content)),
    );
    fake.postMessage(fake.ids.intakeChannel, fake.ids.member, "still listening");
    expect(await seen).toBe("still listening");
  }, 20_000);

  it("survives two 503s (discord.js retries 5xx three times) and fails on four", async () => {
    const channel = textChannel(fake.ids.intakeChannel);
    const sends = (m: string, p: string) => m === "POST" && p.endsWith("/messages");
    const outage = fake.failRest({ status: 503, times: 2, match: sends });
    await channel.send("after a short outage");
    expect(outage.hits).toBe(2);
    const attempts = fake.requests.filter(
      (r) => r.route === "POST /channels/:channelId/messages" || r.fault,
    );
    expect(attempts.map((r) => r.status)).toEqual([503, 503, 200]);

    fake.failRest({ status: 503, times: 4, match: sends });
    const failed = channel.send("during a long outage");
    await expect(failed).rejects.toBeInstanceOf(HTTPError);
    await expect(failed).rejects.toMatchObject({ status: 503 });
    expect(fake.messages(fake.ids.intakeChannel).map((m) => m.content)).toEqual([
      "after a short outage",
    ]);
  });

  it("enforce_nonce: a nonce sent again in the same channel returns the first message, creates none", async () => {
    const channel = textChannel(fake.ids.intakeChannel);
    const created: string[] = [];
    client.on(Events.MessageCreate, (message: Message) => {
      if (message.author.bot) created.push(message.id);
    });
    const once = { nonce: "o1-done", enforceNonce: true } as const;
    const first = await channel.send({ content: "T-1 is done", ...once });
    const again = await channel.send({ content: "T-1 is done", ...once });
    expect(again.id).toBe(first.id);
    const posts = fake.requests.filter((r) => r.route === "POST /channels/:channelId/messages");
    expect(posts.map((r) => r.status)).toEqual([200, 200]);
    expect(fake.messages(fake.ids.intakeChannel).map((m) => m.id)).toEqual([first.id]);

    // Only the same nonce, enforced, in the same channel: anything else is a message of its own.
    await channel.send({ content: "another", nonce: "o2-done", enforceNonce: true });
    await channel.send({ content: "not enforced", nonce: "o1-done" });
    const other = textChannel(fake.ids.reportsChannel);
    const elsewhere = await other.send({ content: "elsewhere", ...once });
    expect(elsewhere.id).not.toBe(first.id);
    expect(fake.messages(fake.ids.intakeChannel)).toHaveLength(3);
    await vi.waitFor(() => expect(created).toHaveLength(4)); // one MESSAGE_CREATE per message

    const tooLong = channel.send({ content: "x", nonce: "n".repeat(26), enforceNonce: true });
    await expect(tooLong).rejects.toMatchObject({ code: 50035, status: 400 });
  });

  it("enforce_nonce holds only within its window: later, the same nonce posts anew", async () => {
    const brief = await startFakeDiscord({ heartbeatIntervalMs: 400, nonceWindowMs: 100 });
    const bot = await login(brief.apiBase, brief.token);
    try {
      const channel = bot.channels.cache.get(brief.ids.intakeChannel);
      if (channel?.type !== ChannelType.GuildText) throw new Error("no intake channel");
      const once = { nonce: "o1-done", enforceNonce: true } as const;
      const first = await channel.send({ content: "T-1 is done", ...once });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const later = await channel.send({ content: "T-1 is done", ...once });
      expect(later.id).not.toBe(first.id);
      expect(brief.messages(brief.ids.intakeChannel)).toHaveLength(2);
    } finally {
      await bot.destroy();
      await brief.close();
    }
  });

  it("answers invalid bodies like Discord and records who would be pinged", async () => {
    const channel = textChannel(fake.ids.intakeChannel);
    const tooLong = channel.send("x".repeat(2001));
    await expect(tooLong).rejects.toBeInstanceOf(DiscordAPIError);
    await expect(tooLong).rejects.toMatchObject({ code: 50035, status: 400 });
    await channel.send({
      content: `<@${fake.ids.operator}> look`,
      allowedMentions: { users: [fake.ids.operator] },
    });
    expect(fake.pings().map((m) => m.pings.users)).toEqual([[fake.ids.operator]]);
    expect(fake.messages(fake.ids.intakeChannel)[0]?.mentions.map((u) => u.id)).toEqual([
      fake.ids.operator,
    ]);
  });
});
