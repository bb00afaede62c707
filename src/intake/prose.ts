/**
 * Acceptance criteria a request states in passing, without a label: a length ("under 300
 * words"), a deadline ("by Friday"), a purpose that can be checked ("so that the tests pass"),
 * or an explicit condition ("make sure it links to the pricing page"). Intake fills them in
 * rather than asking the requester for what they already said.
 */

const NUMBER = String.raw`(?:\d+(?:[.,]\d+)?k?|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|a hundred)`;
const UNIT = `(?:words?|characters?|chars|lines?|sentences?|paragraphs?|bullets?|bullet points?|points?|pages?|slides?|tweets?|posts?|minutes?|mins?|seconds?|items?|options?|examples?|variations?|versions?|ideas?|names?|sources?|rows?)`;
const WEEKDAY = "(?:mon|tues|wednes|thurs|fri|satur|sun)day";
const DEADLINE_WORDS = String.raw`(?:${WEEKDAY}|tomorrow|tonight|today|eod|eow|end of (?:the )?(?:day|week|month|quarter|year)|next week|this week|monday morning|noon|the \d{1,2}(?:st|nd|rd|th)|\d{1,2}(?:st|nd|rd|th)?(?: of)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}(?:st|nd|rd|th)?)`;

const PATTERNS: readonly RegExp[] = [
  // "under 300 words", "no more than 5 bullets", "max 2 pages", "at least three sources"
  new RegExp(
    String.raw`\b(?:under|below|less than|fewer than|no more than|not more than|max(?:imum)?|at most|up to|at least|min(?:imum)?|exactly)\s+${NUMBER}\s+${UNIT}\b`,
    "gi",
  ),
  // "3 options", "five headline ideas", "a 200-word summary" — a count of what is delivered
  new RegExp(
    String.raw`\b${NUMBER}[- ]${UNIT}\b(?= (?:summary|post|reply|email|draft|thread|list|intro|bio)\b)`,
    "gi",
  ),
  // "by Friday", "before the 15th", "due tomorrow"
  new RegExp(String.raw`\b(?:by|before|due|no later than|until)\s+${DEADLINE_WORDS}\b`, "gi"),
  // "so that the tests pass", "so it stops timing out" — not a chatty "ok so the thing from…"
  /\bso that [^.!?\n,;]{3,80}/gi,
  /\bso (?:it|they|the tests?|the build|ci|people|customers|users) (?:\w+ )?(?:pass(?:es)?|works?|stops?|loads?|builds?|runs?|can|will|won't|doesn't|don't|no longer|never|always)\b[^.!?\n,;]{0,80}/gi,
  // "make sure it links to /pricing", "ensure nothing breaks", "it must mention the discount"
  /\b(?:make sure|ensure|be sure|must)\b(?: that)? [^.!?\n;]{3,100}/gi,
];

/** Up to this many criteria from prose: more is a list the requester should label. */
const MAX_CRITERIA = 4;

/** The criteria a free-text request states without a label, in the order written. */
export function criteriaInProse(text: string): string[] {
  const candidates: { at: number; text: string }[] = [];
  for (const pattern of PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const phrase = tidy(match[0]);
      if (phrase.length >= 6) candidates.push({ at: match.index, text: phrase });
    }
  }
  // Longest first: "make sure it's under 300 words" keeps the "under 300 words" inside it.
  const kept: { at: number; text: string }[] = [];
  for (const candidate of candidates.sort((a, b) => b.text.length - a.text.length)) {
    if (!kept.some((other) => overlaps(other, candidate.at, candidate.text))) kept.push(candidate);
  }
  return kept
    .sort((a, b) => a.at - b.at)
    .slice(0, MAX_CRITERIA)
    .map((item) => item.text);
}

function overlaps(other: { at: number; text: string }, at: number, text: string): boolean {
  return at < other.at + other.text.length && other.at < at + text.length;
}

function tidy(phrase: string): string {
  return phrase
    .replace(/\s+/g, " ")
    .replace(/[\s,:;-]+$/, "")
    .trim();
}
