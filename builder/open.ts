import { Castore, type CastoreBackend, type IngestOptions } from "../store/index.js";
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
  /** How the castore ingests (e.g. small files inline, `LADING_CASTORE_INLINE`); its readers need the same. */
  castoreIngest: IngestOptions = {},
): Promise<{ store: LocalStore; substituter: Substituter; castore: CastorePaths | undefined }> {
  const store = await LocalStore.open({ root: config.storeRoot });
  const castore = castoreBackend ? new CastorePaths(new Castore(castoreBackend, castoreIngest), store.storeDir) : undefined;
  const substituter = new Substituter(store, {
    urls: config.substituters,
    trustedKeys: config.trustedKeys,
    ...(castore ? { castore } : {}),
    ...options,
  });
  return { store, substituter, castore };
}
