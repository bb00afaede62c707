import { describe, expect, it } from "vitest";
import { freshStore, type OpenStore } from "./harness.js";

const ref = { channelId: "C1", messageId: "M1", threadId: null };

/** Chat refs: where a card or an escalation message was posted, found again by subject. */
export function chatRefContract(open: OpenStore): void {
  describe("chat refs", () => {
    const opened = freshStore(open);

    it("save keeps a ref per kind and subject; a second save replaces it", async () => {
      const { store } = opened();
      expect(await store.chatRefs.get("task", 1)).toBeUndefined();
      await store.chatRefs.save("task", 1, ref);
      await store.chatRefs.save("escalation", 1, { ...ref, messageId: "M2" });

      expect(await store.chatRefs.get("task", 1)).toEqual(ref);
      expect(await store.chatRefs.get("escalation", 1)).toEqual({ ...ref, messageId: "M2" });
      await store.chatRefs.save("task", 1, { channelId: "C2", messageId: "M3", threadId: "T1" });
      expect(await store.chatRefs.get("task", 1)).toEqual({
        channelId: "C2",
        messageId: "M3",
        threadId: "T1",
      });
    });

    it("setThread sets the thread of a kept ref and keeps nothing for an unknown one", async () => {
      const { store } = opened();
      await store.chatRefs.save("task", 1, ref);
      await store.chatRefs.setThread("task", 1, "T9");
      await store.chatRefs.setThread("task", 2, "T9");

      expect(await store.chatRefs.get("task", 1)).toEqual({ ...ref, threadId: "T9" });
      expect(await store.chatRefs.get("task", 2)).toBeUndefined();
    });
  });
}
