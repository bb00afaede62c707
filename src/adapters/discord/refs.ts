import type { ChatRef, ChatRefKind, ChatRefStore } from "../../core/chat-refs.js";

export type { ChatRef };

type Kind = ChatRefKind;

/** How long a notice waits for the card it belongs under before going elsewhere. */
const CARD_WAIT_MS = 10_000;

/**
 * The Discord ids Steward must find again: stored in `chat_refs` so edits and thread posts
 * still land in the right place after a restart.
 */
export class ChatRefs {
  /** Cards being posted right now: a notice for the task waits for its card first. */
  private readonly posting = new Map<number, Promise<unknown>>();

  constructor(private readonly store: ChatRefStore<"async">) {}

  task(taskId: number): Promise<ChatRef | undefined> {
    return this.store.get("task", taskId);
  }

  escalation(escalationId: number): Promise<ChatRef | undefined> {
    return this.store.get("escalation", escalationId);
  }

  saveTask(taskId: number, ref: ChatRef): Promise<void> {
    return this.store.save("task", taskId, ref);
  }

  saveEscalation(escalationId: number, ref: ChatRef): Promise<void> {
    return this.store.save("escalation", escalationId, ref);
  }

  setThread(kind: Kind, subjectId: number, threadId: string): Promise<void> {
    return this.store.setThread(kind, subjectId, threadId);
  }

  /**
   * Announces a card on its way. Must be called in the same tick as the submit that created
   * the task, so the outbox (which runs on a timer) cannot see the task's first notice first.
   */
  expectCard(taskId: number, posting: Promise<unknown>): void {
    const settled = posting.catch(() => undefined);
    this.posting.set(taskId, settled);
    void settled.then(() => {
      if (this.posting.get(taskId) === settled) this.posting.delete(taskId);
    });
  }

  /** Resolves once the task's card (if one is being posted) is stored, or after a bound. */
  async cardPosted(taskId: number): Promise<void> {
    const posting = this.posting.get(taskId);
    if (posting === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => {
      timer = setTimeout(resolve, CARD_WAIT_MS);
    });
    await Promise.race([posting, bound]);
    clearTimeout(timer);
  }
}
