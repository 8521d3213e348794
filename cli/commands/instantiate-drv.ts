/**
 * `lading instantiate` without `--eval`: prints .drv paths (evaluator/derivations'
 * instantiateDrvs), evaluated like the `--eval` path: on the main thread, again in a
 * deep-stack worker if the stack runs out.
 * Outside `--readonly-mode` the .drv files, toFile texts and sources are also
 * written into the local store under LADING_DATA_DIR.
 */
import type { InstantiateOptions, InstantiateResult } from "../../evaluator/index.js";
import { withStackFallback } from "./stack-fallback.js";

const STACK_MB = 1024;

/** The evaluator is loaded only here (a fallback worker loads its own copy). */
async function computeOnly(options: InstantiateOptions): Promise<InstantiateResult> {
  const { callInWorker, instantiateDrvs } = await import("../../evaluator/index.js");
  // The --lint-* levels are module state of this thread: a worker would not see them.
  const { lints } = await import("./instantiate.js");
  const linting = lints.absolutePaths !== "ignore" || lints.shortPaths !== "ignore" || lints.urls !== "ignore";
  const url = new URL("../../evaluator/index.js", import.meta.url).href;
  return withStackFallback({
    main: () => instantiateDrvs(options),
    overflowed: (r) => r.stackOverflow === true,
    worker: linting ? undefined : () => callInWorker<InstantiateResult>(url, "instantiateDrvs", [{ ...options, cwd: process.cwd() }], { stackMb: STACK_MB }),
    workerStackMb: STACK_MB,
  });
}

/** Instantiates the derivations the options select; the result is printed by the caller. */
export async function instantiateDerivations(options: InstantiateOptions): Promise<InstantiateResult> {
  if (options.readOnly) return computeOnly(options);
  const [{ builderConfigFromEnv, LocalStore }, { instantiateIntoStore }] = await Promise.all([
    import("../../builder/index.js"),
    import("./instantiate-drv-store.js"),
  ]);
  const config = builderConfigFromEnv();
  const store = await LocalStore.open({
    root: config.storeRoot,
    // Like nix-instantiate beside another Nix process: wait rather than fail.
    waitForLock: (owner) => process.stderr.write(`waiting for the store at '${config.storeRoot}', in use by process ${owner}...\n`),
  });
  try {
    return (await instantiateIntoStore(store, config.dataDir, options)).result;
  } finally {
    await store.close();
  }
}
