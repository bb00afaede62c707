/** A port's methods, each answering with a promise of what the synchronous one returns. */
export type Promised<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<T> : never;
};

/**
 * What a method does to the store: `"read"` only reads it, so a face may run it without a write
 * around it (on SQLite, without committing a group of writes that is open).
 */
export type Access = "read" | "write";

/**
 * Every method of a port, named once with what it does: a method added to a port does not
 * compile until listed.
 */
export type MethodNames<R> = Record<keyof R, Access>;

/** The methods `names` lists of a synchronous repository, each run through `call`. */
export function promised<R>(
  repository: R,
  names: MethodNames<R>,
  call: <T>(run: () => T, access: Access) => Promise<T>,
): Promised<R> {
  const methods = repository as Record<string, (...args: unknown[]) => unknown>;
  const face: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, access] of Object.entries(names) as [string, Access][]) {
    const method = methods[name]!;
    face[name] = (...args) => call(() => method.apply(repository, args), access);
  }
  return face as Promised<R>;
}
