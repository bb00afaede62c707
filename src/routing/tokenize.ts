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
/** Stemming is the dearest step and words repeat, so stems are remembered (bounded: any text). */
const STEM_CACHE_LIMIT = 20_000;
const stems = new Map<string, string>();

/**
 * Runs of Unicode letters and digits; anything else separates words. An apostrophe inside a word
 * ("can't", "what's") is kept, then dropped, rather than splitting off a stray "t".
 */
const WORD = /[\p{L}\p{N}]+(?:['’]\p{L}+)*/gu;
const APOSTROPHE = /['’]/g;
const NUMBER = /^\p{N}+$/u;
/** British -ise spellings become -ize so "summarise" and "summarize" share a stem. */
const BRITISH_ISE = /^(.{4,})is(e|es|ed|ing|ation|ations)$/u;

/**
 * Lower-cased, stop-word-free, stemmed word tokens, in order. Duplicates are kept: keyword rules
 * match token sequences and similarity counts how often a category mentions a term.
 */
export function tokenize(text: string): string[] {
  return words(text).map(stem);
}

/** Like `tokenize`, keeping each word as written so explanations can show words, not stems. */
export function terms(text: string): Term[] {
  return words(text).map((word) => ({ word, stem: stem(word) }));
}

function words(text: string): string[] {
  const found = text.toLowerCase().match(WORD) ?? [];
  return found.map(dropApostrophes).filter((word) => !STOP_WORDS.has(word));
}

function dropApostrophes(word: string): string {
  return word.includes("'") || word.includes("’") ? word.replace(APOSTROPHE, "") : word;
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
