/* The shared wording of suggestions: quoted objectives and errors, lists of words. */

export function quote(text: string, max = 160): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function list(words: readonly string[]): string {
  return words.map((word) => `"${word}"`).join(", ");
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
