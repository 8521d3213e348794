/** A build that failed: the builder's exit, a timeout, or an output that does not pass its checks. */
export class BuildError extends Error {
  override name = "BuildError";
}
