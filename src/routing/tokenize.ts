import { stemmer } from "stemmer";
import { eng, removeStopwords } from "stopword";

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
const STOP_WORDS = [...eng, ...REQUEST_FILLER];

/** Runs of Unicode letters and digits; anything else separates words. */
const WORD = /[\p{L}\p{N}]+/gu;
/** An apostrophe inside a word ("can't", "what's") joins it rather than splitting off a stray "t". */
const INNER_APOSTROPHE = /(?<=\p{L})['’](?=\p{L})/gu;
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
  const found = text.toLowerCase().replace(INNER_APOSTROPHE, "").match(WORD);
  return found === null ? [] : removeStopwords(found, STOP_WORDS);
}

function stem(word: string): string {
  return stemmer(word.replace(BRITISH_ISE, "$1iz$2"));
}
