/** A promise already settled, made once: for answering at once on busy paths without making one. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** The same, answering `undefined`: nothing found, at once. */
export const NOTHING: Promise<undefined> = Promise.resolve(undefined);
