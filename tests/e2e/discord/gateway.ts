import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  GatewayCloseCodes as Close,
  GatewayDispatchEvents as E,
  type GatewayDispatchPayload,
  type GatewayGuildCreateDispatchData,
  type GatewayGuildMembersChunkDispatchData,
  type GatewayReadyDispatchData,
  type GatewayRequestGuildMembersData,
  type GatewaySendPayload,
  GatewayIntentBits as Intent,
  GatewayOpcodes as Op,
} from "discord-api-types/v10";
import { type WebSocket, WebSocketServer } from "ws";

/** The `d` of a dispatch event, from discord-api-types (events sharing one payload type included). */
export type DispatchData<T extends E> = GatewayDispatchPayload extends infer P
  ? P extends { t: infer U; d: infer D }
    ? T extends U
      ? D
      : never
    : never
  : never;

export type Dispatch = <T extends E>(event: T, data: DispatchData<T>) => number | undefined;

export interface GatewayHooks {
  token: string;
  /** The `ws://` URL clients are told to resume at. */
  url: string;
  heartbeatIntervalMs: number;
  botId: string;
  /** READY and the GUILD_CREATEs that follow, built from current state on every identify. */
  identify(
    sessionId: string,
    shard: [number, number],
  ): {
    ready: GatewayReadyDispatchData;
    guilds: GatewayGuildCreateDispatchData[];
  };
  requestMembers(
    request: GatewayRequestGuildMembersData,
    intents: number,
  ): GatewayGuildMembersChunkDispatchData;
}

export interface GatewayStats {
  /** WebSocket connections accepted. */
  connections: number;
  identifies: number;
  resumes: number;
  /** RESUMEs refused with INVALID_SESSION (op 9). */
  invalidSessions: number;
  heartbeats: number;
  /** Intents of the last IDENTIFY. */
  intents: number | undefined;
  /** Query of the last connection, e.g. `v=10&encoding=json`. */
  query: string | undefined;
  /** Ops the client sent, in order (1 heartbeat, 2 identify, 6 resume, 8 request members…). */
  received: number[];
}

interface Session {
  id: string;
  seq: number;
  intents: number;
  /** Sent dispatches, for replay on RESUME (Discord replays what a dropped socket missed). */
  buffer: { s: number; frame: string }[];
  socket?: WebSocket;
}

interface Connection {
  socket: WebSocket;
  session?: Session;
}

const guildEvents = new Set<string>([
  E.GuildCreate,
  E.GuildUpdate,
  E.GuildDelete,
  E.GuildRoleCreate,
  E.GuildRoleUpdate,
  E.GuildRoleDelete,
  E.ChannelCreate,
  E.ChannelUpdate,
  E.ChannelDelete,
  E.ChannelPinsUpdate,
  E.ThreadCreate,
  E.ThreadUpdate,
  E.ThreadDelete,
  E.ThreadListSync,
  E.ThreadMemberUpdate,
]);
const memberEvents = new Set<string>([E.GuildMemberAdd, E.GuildMemberUpdate, E.GuildMemberRemove]);
const messageEvents = new Set<string>([E.MessageCreate, E.MessageUpdate, E.MessageDelete]);
const reactionEvents = new Set<string>([E.MessageReactionAdd, E.MessageReactionRemove]);

interface MessageLike {
  author?: { id: string };
  mentions?: { id: string }[];
}

/**
 * What a session with these intents receives: nothing for unsubscribed events, and message
 * bodies blanked without MESSAGE_CONTENT unless the bot wrote or was mentioned in them.
 */
function forIntents(t: string, d: unknown, intents: number, botId: string): unknown | null {
  const has = (bit: number) => (intents & bit) !== 0;
  if (guildEvents.has(t) && !has(Intent.Guilds)) return null;
  if (memberEvents.has(t) && !has(Intent.GuildMembers)) return null;
  if (reactionEvents.has(t) && !has(Intent.GuildMessageReactions)) return null;
  if (t === E.TypingStart && !has(Intent.GuildMessageTyping)) return null;
  if (!messageEvents.has(t)) return d;
  if (!has(Intent.GuildMessages)) return null;
  const message = d as MessageLike;
  const readable =
    has(Intent.MessageContent) ||
    message.author?.id === botId ||
    message.mentions?.some((u) => u.id === botId);
  if (t === E.MessageDelete || readable) return d;
  return { ...message, content: "", embeds: [], attachments: [], components: [], poll: undefined };
}

function isOpen(socket: WebSocket | undefined): socket is WebSocket {
  return socket !== undefined && socket.readyState === socket.OPEN;
}

export class FakeGateway {
  readonly stats: GatewayStats = {
    connections: 0,
    identifies: 0,
    resumes: 0,
    invalidSessions: 0,
    heartbeats: 0,
    intents: undefined,
    query: undefined,
    received: [],
  };
  /** Off simulates a zombie connection: discord.js then reconnects on its next heartbeat. */
  ackHeartbeats = true;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private current: Session | undefined;
  private readonly connections = new Set<Connection>();
  private waiters: { event: "ready" | "resumed"; resolve: () => void }[] = [];

  constructor(private readonly hooks: GatewayHooks) {}

  /** Accepts `GET /gateway?v=10&encoding=json` upgrades; anything else is refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname.replace(/\/$/, "") !== "/gateway") {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, url.searchParams));
  }

  private accept(socket: WebSocket, query: URLSearchParams): void {
    this.stats.connections++;
    this.stats.query = query.toString();
    const connection: Connection = { socket };
    this.connections.add(connection);
    socket.on("close", (code) => {
      this.connections.delete(connection);
      const session = connection.session;
      if (session?.socket !== socket) return;
      session.socket = undefined;
      // As on Discord, a 1000/1001 close ends the session (discord.js destroy() does that).
      if (code === 1000 || code === 1001) this.forget(session);
    });
    socket.on("message", (raw, isBinary) => this.receive(connection, raw.toString(), isBinary));
    if (query.get("v") !== "10") {
      socket.close(Close.InvalidAPIVersion, "Invalid API version");
      return;
    }
    if ((query.get("encoding") ?? "json") !== "json") {
      socket.close(Close.DecodeError, "Only JSON encoding is served");
      return;
    }
    this.send(socket, { op: Op.Hello, d: { heartbeat_interval: this.hooks.heartbeatIntervalMs } });
  }

  private send(socket: WebSocket, payload: object): void {
    if (isOpen(socket)) socket.send(JSON.stringify(payload));
  }

  private receive(connection: Connection, raw: string, isBinary: boolean): void {
    let payload: GatewaySendPayload;
    try {
      if (isBinary) throw new Error("binary");
      payload = JSON.parse(raw) as GatewaySendPayload;
    } catch {
      connection.socket.close(Close.DecodeError, "Error while decoding payload");
      return;
    }
    this.stats.received.push(payload.op);
    switch (payload.op) {
      case Op.Heartbeat:
        this.stats.heartbeats++;
        if (this.ackHeartbeats) this.send(connection.socket, { op: Op.HeartbeatAck });
        break;
      case Op.Identify:
        if (!this.mayAuthenticate(connection, payload.d.token)) break;
        if (typeof payload.d.intents !== "number") this.fail(connection, Close.InvalidIntents);
        else this.identify(connection, payload.d.intents, payload.d.shard ?? [0, 1]);
        break;
      case Op.Resume:
        if (this.mayAuthenticate(connection, payload.d.token)) {
          this.resume(connection, payload.d.session_id, payload.d.seq);
        }
        break;
      case Op.RequestGuildMembers:
        if (!connection.session) this.fail(connection, Close.NotAuthenticated);
        else {
          const { session } = connection;
          this.emit(
            session,
            E.GuildMembersChunk,
            this.hooks.requestMembers(payload.d, session.intents),
          );
        }
        break;
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
        if (!connection.session) this.fail(connection, Close.NotAuthenticated);
        break;
      default:
        this.fail(connection, Close.UnknownOpcode);
    }
  }

  /** One IDENTIFY or RESUME per connection, with the bot's token (4005 / 4004 otherwise). */
  private mayAuthenticate(connection: Connection, token: string): boolean {
    if (connection.session) this.fail(connection, Close.AlreadyAuthenticated);
    else if (token !== this.hooks.token) this.fail(connection, Close.AuthenticationFailed);
    else return true;
    return false;
  }

  private forget(session: Session): void {
    this.sessions.delete(session.id);
    if (this.current === session) this.current = [...this.sessions.values()].at(-1);
  }

  private fail(connection: Connection, code: Close): void {
    connection.socket.close(code, Close[code]);
  }

  private identify(connection: Connection, intents: number, shard: [number, number]): void {
    this.stats.identifies++;
    this.stats.intents = intents;
    const session: Session = { id: randomBytes(16).toString("hex"), seq: 0, intents, buffer: [] };
    this.sessions.set(session.id, session);
    session.socket = connection.socket;
    connection.session = session;
    this.current = session;
    const { ready, guilds } = this.hooks.identify(session.id, shard);
    this.emit(session, E.Ready, ready);
    for (const guild of guilds) this.emit(session, E.GuildCreate, guild);
    this.notify("ready");
  }

  private resume(connection: Connection, sessionId: string, seq: number): void {
    const session = this.sessions.get(sessionId);
    if (!session || seq > session.seq) {
      this.stats.invalidSessions++;
      // d: false → not resumable; discord.js then identifies afresh.
      this.send(connection.socket, { op: Op.InvalidSession, d: false });
      return;
    }
    this.stats.resumes++;
    session.socket?.close(Close.SessionTimedOut, "Superseded by a resume");
    session.socket = connection.socket;
    connection.session = session;
    this.current = session;
    for (const entry of session.buffer) {
      if (entry.s > seq) connection.socket.send(entry.frame);
    }
    this.emit(session, E.Resumed, undefined);
    this.notify("resumed");
  }

  /** One dispatch on one session: next sequence number, buffered for replay, sent if connected. */
  private emit<T extends E>(session: Session, event: T, data: DispatchData<T>): number | undefined {
    const d = forIntents(event, data, session.intents, this.hooks.botId);
    if (d === null) return undefined;
    const s = ++session.seq;
    const frame = JSON.stringify({ op: Op.Dispatch, t: event, s, d });
    session.buffer.push({ s, frame });
    if (session.buffer.length > 1000) session.buffer.shift();
    if (isOpen(session.socket)) session.socket.send(frame);
    return s;
  }

  /**
   * Sends a dispatch to every live session (each with its own sequence; a session whose socket
   * is down buffers it and gets it replayed on RESUME). Returns the sequence number in the
   * latest session, or undefined when there is none or its intents filter the event out.
   */
  dispatch<T extends E>(event: T, data: DispatchData<T>): number | undefined {
    let latest: number | undefined;
    for (const session of this.sessions.values()) {
      const s = this.emit(session, event, data);
      if (session === this.current) latest = s;
    }
    return latest;
  }

  /**
   * Closes the current socket. The default 4000 (unknown error) makes discord.js RESUME;
   * 1000 makes it identify afresh; `abrupt` kills the TCP connection (client sees 1006);
   * `invalidateSession` forgets the session so a RESUME gets op 9 and a re-IDENTIFY follows.
   */
  async drop(options: { code?: number; invalidateSession?: boolean; abrupt?: boolean } = {}) {
    const session = this.current;
    if (!session) return;
    if (options.invalidateSession) this.forget(session);
    const socket = session.socket;
    if (!socket) return;
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    if (options.abrupt) socket.terminate();
    else socket.close(options.code ?? Close.UnknownError, "Dropped by the test");
    await closed;
  }

  /** Resolves at the next READY or RESUMED the gateway sends. */
  waitFor(event: "ready" | "resumed", timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fake discord: no ${event} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        event,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private notify(event: "ready" | "resumed"): void {
    const matching = this.waiters.filter((w) => w.event === event);
    this.waiters = this.waiters.filter((w) => w.event !== event);
    for (const waiter of matching) waiter.resolve();
  }

  /** Whether the latest session has an open socket. */
  get connected(): boolean {
    return isOpen(this.current?.socket);
  }

  close(): Promise<void> {
    for (const { socket } of this.connections) socket.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
