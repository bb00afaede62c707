import { and, eq } from "drizzle-orm";
import type { ChatRef, ChatRefKind, ChatRefStore } from "../core/chat-refs.js";
import type { Clock } from "../core/clock.js";
import type { Db } from "./connection.js";
import { chatRefs } from "./schema.js";

/** `chat_refs`: the Discord ids Steward must find again. */
export class ChatRefRows implements ChatRefStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  get(kind: ChatRefKind, subjectId: number): ChatRef | undefined {
    return this.db
      .select({
        channelId: chatRefs.channelId,
        messageId: chatRefs.messageId,
        threadId: chatRefs.threadId,
      })
      .from(chatRefs)
      .where(and(eq(chatRefs.kind, kind), eq(chatRefs.subjectId, subjectId)))
      .get();
  }

  save(kind: ChatRefKind, subjectId: number, ref: ChatRef): void {
    const row = { ...ref, updatedAt: this.clock.now() };
    this.db
      .insert(chatRefs)
      .values({ kind, subjectId, ...row })
      .onConflictDoUpdate({ target: [chatRefs.kind, chatRefs.subjectId], set: row })
      .run();
  }

  setThread(kind: ChatRefKind, subjectId: number, threadId: string): void {
    this.db
      .update(chatRefs)
      .set({ threadId, updatedAt: this.clock.now() })
      .where(and(eq(chatRefs.kind, kind), eq(chatRefs.subjectId, subjectId)))
      .run();
  }
}
