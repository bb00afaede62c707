/** Minimal typings for the parts of `stopword` Steward uses (the package ships none). */
declare module "stopword" {
  /** English stop words, lower-case. */
  export const eng: string[];
  /** The tokens that are not in `stopwords` (English by default), compared case-insensitively. */
  export function removeStopwords(tokens: string[], stopwords?: string[]): string[];
}
