import { stemmer } from "stemmer";
import { eng } from "stopword";

/** A word as written (lower-cased) and the stem it is compared by. */
export interface Term {
  word: string;
  stem: string;
}

/**
 * Words that say how something is asked, not what it is about ("please", "need"): the English list
 * keeps them, and they would only dilute the similarity of short requests.
 */
const REQUEST_FILLER = [
  "please",
  "pls",
  "plz",
  "kindly",
  "thanks",
  "thank",
  "hey",
  "hi",
  "hello",
  "need",
  "want",
  "just",
  "someone",
  "something",
  "anything",
  "us",
  "let",
  "ok",
  "okay",
  "asap",
  "quick",
  "quickly",
];
/** A set, not `removeStopwords`: that scans the whole list for every word of a long request. */
const STOP_WORDS = new Set([...eng, ...REQUEST_FILLER]);
/**
 * Words the English list drops that say what kind of job a request is when it opens with them:
 * "how does Jane App handle waitlists", "who are they", "make the footer sticky".
 */
const TELLING_OPENERS = ["how", "what", "where", "which", "who", "make", "get", "take", "do"];
const OPENING_STOP_WORDS = new Set(
  [...STOP_WORDS].filter((word) => !TELLING_OPENERS.includes(word)),
);
/** The opening searched for its first words: greetings and filler seldom run longer. */
const OPENING_CHARS = 200;
/** Stemming is the dearest step and words repeat, so stems are remembered (bounded: any text). */
const STEM_CACHE_LIMIT = 20_000;
const stems = new Map<string, string>();

/**
 * Runs of Unicode letters and digits; anything else separates words. An apostrophe inside a word
 * ("can't", "what's") is kept, then dropped, rather than splitting off a stray "t".
 */
const WORD = /[\p{L}\p{N}]+(?:['’]\p{L}+)*/gu;
const APOSTROPHE = /['’]/g;
const HAS_APOSTROPHE = /['’]/;
const NUMBER = /^\p{N}+$/u;
/** British -ise spellings become -ize so "summarise" and "summarize" share a stem. */
const BRITISH_ISE = /^(.{4,})is(e|es|ed|ing|ation|ations)$/u;

/**
 * Lower-cased, stop-word-free, stemmed word tokens, in order. Duplicates are kept: keyword rules
 * match token sequences and similarity counts how often a category mentions a term.
 */
export function tokenize(text: string): string[] {
  const found = words(text);
  for (let index = 0; index < found.length; index++) found[index] = stem(found[index]!);
  return found;
}

/** Like `tokenize`, keeping each word as written so explanations can show words, not stems. */
export function terms(text: string): Term[] {
  return words(text).map((word) => ({ word, stem: stem(word) }));
}

/**
 * The text's words, lower-cased, without apostrophes or `stopWords`; at most `limit` of them.
 * One loop and no callbacks: routing runs it on every request.
 */
function words(text: string, stopWords = STOP_WORDS, limit = Number.POSITIVE_INFINITY): string[] {
  const lower = text.toLowerCase();
  const found = lower.match(WORD);
  if (found === null) return [];
  // Most requests have no apostrophe at all: one scan of the text, not two of every word.
  const apostrophes = HAS_APOSTROPHE.test(lower);
  const kept: string[] = [];
  for (const match of found) {
    const word = apostrophes ? match.replace(APOSTROPHE, "") : match;
    if (!stopWords.has(word) && kept.push(word) === limit) break;
  }
  return kept;
}

/**
 * The stems of the first `count` words a request leads with, filler and greetings skipped (the
 * instruction, mostly: "fix…", "pay…", "find…", "who…"). Kept apart from `tokenize`, whose
 * stop words stay what keyword rules and decisions were written and measured with.
 */
export function openingStems(text: string, count: number): string[] {
  return words(text.slice(0, OPENING_CHARS), OPENING_STOP_WORDS, count).map(stem);
}

function stem(word: string): string {
  // Numbers (ticket and order ids) have no stem, and would only crowd the cache out.
  if (NUMBER.test(word)) return word;
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    if (stems.size >= STEM_CACHE_LIMIT) stems.clear();
    stemmed = stemmer(word.replace(BRITISH_ISE, "$1iz$2"));
    stems.set(word, stemmed);
  }
  return stemmed;
}
