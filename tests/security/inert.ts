import { expect } from "vitest";

/** ESC (sequences), CSI in one byte, BEL, CR: what a terminal acts on instead of printing. */
const ACTIVE = ["\x1b", "\x9b", "\x07", "\r"];

/** Fails if `text` holds a character a terminal would act on. */
export function expectInert(text: string): void {
  for (const character of ACTIVE) expect(text).not.toContain(character);
}
