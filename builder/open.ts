import { builderConfigFromEnv, type BuilderConfig } from "./config.js";
import { LocalStore } from "./local-store/index.js";
import { Substituter, type SubstituterOptions } from "./substituter/index.js";

/** The local store and a substituter over the configured caches, as the CLI and server use them. */
export async function openBuilderStore(
  config: BuilderConfig = builderConfigFromEnv(),
  options: Partial<SubstituterOptions> = {},
): Promise<{ store: LocalStore; substituter: Substituter }> {
  const store = await LocalStore.open({ root: config.storeRoot });
  const substituter = new Substituter(store, { urls: config.substituters, trustedKeys: config.trustedKeys, ...options });
  return { store, substituter };
}
