/**
 * The JSON object in a model's answer: models wrap it in prose or code fences now and then, so
 * the text from the first `{` to the last `}` is read. Undefined when there is none.
 */
export function jsonObjectIn(text: string): unknown {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start === -1 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}
