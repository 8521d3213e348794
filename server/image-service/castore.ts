import { overlayPathInfo, type CastorePaths, type LocalStore } from "../../builder/index.js";
import { castoreTreeSource, type StoreTreeInspector, type StoreTreeSource } from "../../layering/index.js";
import { castoreConfigFromEnv, openCastoreBackend, type OpenedCastore } from "../../storage/index.js";
import { parseStorePath, type StorePath } from "../../store/index.js";

/**
 * The castore the image service realises into and reads layers from (issue 8):
 * `LADING_CASTORE=off` disables it; otherwise it is on, shared by replicas (S3 for
 * objects, Redis for path records) when `LADING_S3_BUCKET` is set, else in
 * `<LADING_DATA_DIR>/castore` (see castoreConfigFromEnv).
 */
export async function openImageCastore(dataDir: string, env: NodeJS.ProcessEnv): Promise<OpenedCastore | undefined> {
  if ((env.LADING_CASTORE ?? "").toLowerCase() === "off") return undefined;
  return openCastoreBackend(castoreConfigFromEnv({ ...env, LADING_DATA_DIR: dataDir }));
}

/** How the pipeline reads store paths with a castore: this disk first, then the castore. */
export interface CastoreReading {
  /** Layer entries and customisation lookups. */
  tree: StoreTreeSource & StoreTreeInspector;
  /** The closure graph's and derivers' source: local registrations, then castore records. */
  paths: {
    queryPathInfo(path: StorePath): { narSize: number; references: readonly StorePath[]; deriver?: StorePath } | undefined;
  };
}

export function castoreReading(store: LocalStore, castore: CastorePaths): CastoreReading {
  const isLocal = (storePath: string) => store.isValid(parseStorePath(storePath, store.storeDir));
  return {
    tree: castoreTreeSource(castore.castore, { local: { storeRoot: store.root, has: isLocal } }),
    paths: overlayPathInfo(store, castore),
  };
}
