import {
  DEFAULT_STORE_DIR,
  Hash,
  StorePath,
  parseContentAddress,
  parseHash,
  parseStorePath,
  renderContentAddress,
  sortStorePaths,
  type ContentAddress,
} from "../../store/index.js";

/** What the store knows about a valid path (CppNix's ValidPathInfo). */
export interface PathInfo {
  path: StorePath;
  /** sha256 of the path's NAR serialisation. */
  narHash: Hash;
  narSize: number;
  /** Sorted; may include the path itself. */
  references: StorePath[];
  deriver?: StorePath;
  /** `keyname:base64` signatures over the fingerprint. */
  sigs: string[];
  ca?: ContentAddress;
  /** Seconds since the epoch. */
  registrationTime: number;
  /** True when this store made the path (built or added) rather than fetching it. */
  ultimate: boolean;
}

/** The fields a caller supplies when registering; the store fills in the rest. */
export type NewPathInfo = Omit<PathInfo, "registrationTime" | "ultimate" | "sigs"> &
  Partial<Pick<PathInfo, "ultimate" | "sigs">>;

const FORMAT_VERSION = 1;

interface PathInfoJson {
  version: number;
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  deriver: string | null;
  sigs: string[];
  ca: string | null;
  registrationTime: number;
  ultimate: boolean;
}

function toJsonObject(info: PathInfo, storeDir: string): PathInfoJson {
  return {
    version: FORMAT_VERSION,
    path: info.path.render(storeDir),
    narHash: info.narHash.format("base32"),
    narSize: info.narSize,
    references: sortStorePaths(info.references).map((r) => r.render(storeDir)),
    deriver: info.deriver ? info.deriver.render(storeDir) : null,
    sigs: [...new Set(info.sigs)].sort(),
    ca: info.ca ? renderContentAddress(info.ca) : null,
    registrationTime: info.registrationTime,
    ultimate: info.ultimate,
  };
}

/** A metadata file of one path. */
export function pathInfoToJson(info: PathInfo, storeDir = DEFAULT_STORE_DIR): string {
  return JSON.stringify(toJsonObject(info, storeDir), null, 1) + "\n";
}

/** One line of a batch metadata file (pathInfoFromJson reads it back). */
export function pathInfoToLine(info: PathInfo, storeDir = DEFAULT_STORE_DIR): string {
  return JSON.stringify(toJsonObject(info, storeDir)) + "\n";
}

/** Parses a metadata file; anything malformed throws, and the caller treats the path as invalid. */
export function pathInfoFromJson(text: string, storeDir = DEFAULT_STORE_DIR): PathInfo {
  const json = JSON.parse(text) as PathInfoJson;
  if (json.version !== FORMAT_VERSION) throw new Error(`unsupported path metadata version ${json.version}`);
  if (!Number.isSafeInteger(json.narSize) || json.narSize <= 0) throw new Error(`bad narSize ${json.narSize}`);
  const info: PathInfo = {
    path: parseStorePath(json.path, storeDir),
    narHash: parseHash(json.narHash, "sha256"),
    narSize: json.narSize,
    references: sortStorePaths(json.references.map((r) => parseStorePath(r, storeDir))),
    sigs: [...json.sigs],
    registrationTime: json.registrationTime,
    ultimate: json.ultimate === true,
  };
  if (json.deriver) info.deriver = parseStorePath(json.deriver, storeDir);
  if (json.ca) info.ca = parseContentAddress(json.ca);
  return info;
}

/** References other than the path itself. */
export function referencesWithoutSelf(info: Pick<PathInfo, "path" | "references">): StorePath[] {
  return info.references.filter((r) => !r.equals(info.path));
}
