/**
 * Current CppNix's experimental features that change what parses
 * (`--extra-experimental-features`). Process-wide like CppNix's settings: the
 * command line sets them before anything is parsed (workers get a copy).
 */

let pipeOperators = false;

/** `pipe-operators`: `x |> f` and `f <| x`. Returns the previous setting. */
export function setPipeOperators(enabled: boolean): boolean {
  const prev = pipeOperators;
  pipeOperators = enabled;
  return prev;
}

export function pipeOperatorsEnabled(): boolean {
  return pipeOperators;
}
