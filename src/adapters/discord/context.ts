import type { Client } from "discord.js";
import type { Logger } from "../../core/log.js";
import type { Engine } from "../../engine/engine.js";
import type { StatusReader } from "../../engine/status.js";
import type { Nonces } from "./nonce.js";
import type { CardProgress } from "./progress.js";
import type { ChatRefs } from "./refs.js";

/** What every Discord handler may use: the engine, where things were posted, and the client. */
export interface DiscordContext {
  engine: Engine;
  client: Client;
  refs: ChatRefs;
  status: StatusReader;
  progress: CardProgress;
  logger: Logger;
  /** Set while an outbox message is delivered: each message it creates carries its nonce. */
  nonces?: Nonces;
}
