/** A delivery that can never succeed as written: retrying would not help. */
export class RefusedDestination extends Error {
  override name = "RefusedDestination";
}
