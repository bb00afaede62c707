/** Where a card or an escalation message lives, and the thread its conversation goes on in. */
export interface ChatRef {
  channelId: string;
  messageId: string;
  threadId: string | null;
}

export type ChatRefKind = "task" | "escalation";

/**
 * Where a chat adapter posted things, kept so edits and thread posts still land in the right
 * place after a restart; `src/db/chat-ref-store.ts` implements it.
 */
export interface ChatRefStore {
  get(kind: ChatRefKind, subjectId: number): ChatRef | undefined;
  save(kind: ChatRefKind, subjectId: number, ref: ChatRef): void;
  setThread(kind: ChatRefKind, subjectId: number, threadId: string): void;
}
