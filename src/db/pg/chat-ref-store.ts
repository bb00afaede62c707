import { and, eq } from "drizzle-orm";
import type { ChatRef, ChatRefKind, ChatRefStore } from "../../core/chat-refs.js";
import type { Clock } from "../../core/clock.js";
import { chatRefs } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** `chat_refs` on PostgreSQL: the chat ids Steward must find again. */
export class PgChatRefStore implements ChatRefStore<"async"> {
  constructor(
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  async get(kind: ChatRefKind, subjectId: number): Promise<ChatRef | undefined> {
    const [ref] = await this.db
      .select({
        channelId: chatRefs.channelId,
        messageId: chatRefs.messageId,
        threadId: chatRefs.threadId,
      })
      .from(chatRefs)
      .where(and(eq(chatRefs.kind, kind), eq(chatRefs.subjectId, subjectId)));
    return ref;
  }

  async save(kind: ChatRefKind, subjectId: number, ref: ChatRef): Promise<void> {
    const row = { ...ref, updatedAt: this.clock.now() };
    await this.db
      .insert(chatRefs)
      .values({ kind, subjectId, ...row })
      .onConflictDoUpdate({ target: [chatRefs.kind, chatRefs.subjectId], set: row });
  }

  async setThread(kind: ChatRefKind, subjectId: number, threadId: string): Promise<void> {
    await this.db
      .update(chatRefs)
      .set({ threadId, updatedAt: this.clock.now() })
      .where(and(eq(chatRefs.kind, kind), eq(chatRefs.subjectId, subjectId)));
  }

  private get db() {
    return this.transactions.db;
  }
}
