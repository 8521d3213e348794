import { Castore, type CastoreBackend } from "../store/index.js";
import { CastorePaths } from "./castore/index.js";
import { builderConfigFromEnv, type BuilderConfig } from "./config.js";
import { LocalStore } from "./local-store/index.js";
import { Substituter, type SubstituterOptions } from "./substituter/index.js";

/**
 * The local store and a substituter over the configured caches, as the CLI and server
 * use them. With a castore backend (local or shared by replicas), substituted NARs
 * are ingested into it as they download and paths it has are taken from it first.
 */
export async function openBuilderStore(
  config: BuilderConfig = builderConfigFromEnv(),
  options: Partial<SubstituterOptions> = {},
  castoreBackend?: CastoreBackend,
): Promise<{ store: LocalStore; substituter: Substituter; castore: CastorePaths | undefined }> {
  const store = await LocalStore.open({ root: config.storeRoot });
  const castore = castoreBackend ? new CastorePaths(new Castore(castoreBackend), store.storeDir) : undefined;
  const substituter = new Substituter(store, {
    urls: config.substituters,
    trustedKeys: config.trustedKeys,
    ...(castore ? { castore } : {}),
    ...options,
  });
  return { store, substituter, castore };
}
