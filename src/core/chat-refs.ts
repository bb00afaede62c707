import type { Answer, StorageMode } from "./storage-mode.js";

/** Where a card or an escalation message lives, and the thread its conversation goes on in. */
export interface ChatRef {
  channelId: string;
  messageId: string;
  threadId: string | null;
}

export type ChatRefKind = "task" | "escalation";

/**
 * Where a chat adapter posted things, kept so edits and thread posts still land in the right
 * place after a restart; `src/db/chat-ref-store.ts` implements it, `src/db/pg/chat-ref-store.ts`
 * on PostgreSQL.
 */
export interface ChatRefStore<M extends StorageMode = "sync"> {
  get(kind: ChatRefKind, subjectId: number): Answer<M, ChatRef | undefined>;
  /** Keeps `ref` for the subject, replacing what was kept. */
  save(kind: ChatRefKind, subjectId: number, ref: ChatRef): Answer<M, void>;
  /** The thread of a kept ref; nothing when none is kept. */
  setThread(kind: ChatRefKind, subjectId: number, threadId: string): Answer<M, void>;
}
