/** A binary cache's `nix-cache-info`; absent fields are left undefined for the caller's defaults. */
export interface CacheInfo {
  storeDir?: string;
  wantMassQuery?: boolean;
  priority?: number;
}

/**
 * Parses `nix-cache-info` as CppNix does: `Name: value` lines, values trimmed, lines
 * without a colon and unknown names ignored. WantMassQuery is true only for `1`.
 */
export function parseCacheInfo(text: string): CacheInfo {
  const info: CacheInfo = {};
  for (const [index, line] of text.split("\n").entries()) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (name === "StoreDir") info.storeDir = value;
    else if (name === "WantMassQuery") info.wantMassQuery = value === "1";
    else if (name === "Priority") {
      // CppNix uses stoi: a leading integer, anything after it ignored.
      const match = /^[+-]?[0-9]+/.exec(value);
      if (!match) throw new Error(`nix-cache-info line ${index + 1}: Priority '${value}' is not an integer`);
      info.priority = Number.parseInt(match[0], 10);
    }
  }
  return info;
}

export function renderCacheInfo(info: CacheInfo): string {
  let out = "";
  if (info.storeDir !== undefined) out += `StoreDir: ${info.storeDir}\n`;
  if (info.wantMassQuery !== undefined) out += `WantMassQuery: ${info.wantMassQuery ? 1 : 0}\n`;
  if (info.priority !== undefined) out += `Priority: ${info.priority}\n`;
  return out;
}
