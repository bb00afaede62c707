/**
 * A configured regular expression (routing rules, review checks, error classes): matched
 * case-insensitively with Unicode semantics, as the `iu` flags say.
 *
 * V8 runs `\b` under `iu` far slower than under `i` alone (it must consider the Unicode case
 * foldings of word characters; docs/performance.md). For ASCII text and a pattern of ASCII that
 * uses no Unicode-only syntax, the two flags match exactly the same: the foldings where they differ
 * (long s, the Kelvin sign…) involve characters that are in neither. Such text is matched by the
 * `i` compile; any other by the `iu` one.
 */
export interface Pattern {
  readonly source: string;
  test(text: string): boolean;
}

/** Escapes whose meaning needs the `u` flag (`\p{…}`, `\u{…}`). */
const UNICODE_ESCAPE = /\\[pP]|\\u\{/;
/**
 * Compiled once per source: review checks and error rules are applied on every completion or
 * failure, and their patterns are the config's, a bounded set.
 */
const compiled = new Map<string, Pattern>();

export function configuredPattern(source: string): Pattern {
  let pattern = compiled.get(source);
  if (pattern === undefined) {
    pattern = compile(source);
    compiled.set(source, pattern);
  }
  return pattern;
}

function compile(source: string): Pattern {
  const exact = new RegExp(source, "iu");
  if (!isAscii(source) || UNICODE_ESCAPE.test(source))
    return { source, test: (text) => exact.test(text) };
  const ascii = new RegExp(source, "i");
  return { source, test: (text) => (isAscii(text) ? ascii : exact).test(text) };
}

/** Any UTF-16 unit above ASCII (a regex scans twice as fast as a loop over char codes). */
const NON_ASCII = /[\u0080-\uffff]/;

function isAscii(text: string): boolean {
  return !NON_ASCII.test(text);
}
