/**
 * Version strings as CppNix reads them (`builtins.compareVersions`,
 * `builtins.splitVersion`, `builtins.parseDrvName`). Inputs are byte strings
 * (char codes 0–255, see regex.ts); ASCII-only inputs are ordinary JS strings.
 */

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isAlpha(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

/**
 * Reads the component starting at `pos` after skipping `.`/`-` separators: a run of
 * digits, or a run of characters that are neither digits nor separators. Returns
 * the component ("" at the end) and the position after it.
 */
function nextComponent(s: string, pos: number): [string, number] {
  while (pos < s.length && (s[pos] === "." || s[pos] === "-")) pos++;
  const start = pos;
  if (pos < s.length && isDigit(s[pos]!)) {
    while (pos < s.length && isDigit(s[pos]!)) pos++;
  } else {
    while (pos < s.length && !isDigit(s[pos]!) && s[pos] !== "." && s[pos] !== "-") pos++;
  }
  return [s.slice(start, pos), pos];
}

/** `builtins.splitVersion`: the components, stopping at the first empty one. */
export function splitVersion(version: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < version.length) {
    const [component, after] = nextComponent(version, pos);
    if (component === "") break;
    out.push(component);
    pos = after;
  }
  return out;
}

const INT_MAX = 2147483647;

/** The component as a C `int`, or null: CppNix compares numerically only what fits in 32 bits. */
function asInt(c: string): number | null {
  if (c === "" || !isDigit(c[0]!)) return null;
  let n = 0;
  for (const ch of c) {
    n = n * 10 + (ch.charCodeAt(0) - 48);
    if (n > INT_MAX) return null; // overflow: compared as a string instead
  }
  return n;
}

function componentLess(c1: string, c2: string): boolean {
  const n1 = asInt(c1);
  const n2 = asInt(c2);
  if (n1 !== null && n2 !== null) return n1 < n2;
  if (c1 === "" && n2 !== null) return true;
  if (c1 === "pre" && c2 !== "pre") return true;
  if (c2 === "pre") return false;
  // "2.3a" < "2.3.1": a number beats any word.
  if (n2 !== null) return true;
  if (n1 !== null) return false;
  return c1 < c2;
}

/** `builtins.compareVersions`: -1, 0 or 1. */
export function compareVersions(v1: string, v2: string): -1 | 0 | 1 {
  let p1 = 0;
  let p2 = 0;
  while (p1 < v1.length || p2 < v2.length) {
    const [c1, n1] = nextComponent(v1, p1);
    const [c2, n2] = nextComponent(v2, p2);
    p1 = n1;
    p2 = n2;
    if (componentLess(c1, c2)) return -1;
    if (componentLess(c2, c1)) return 1;
  }
  return 0;
}

/**
 * `builtins.parseDrvName`: the name runs up to the first `-` that is not followed
 * by a letter; the version is what follows that dash ("" when there is none).
 */
export function parseDrvName(s: string): { name: string; version: string } {
  for (let i = 0; i + 1 < s.length; i++) {
    if (s[i] === "-" && !isAlpha(s[i + 1]!)) return { name: s.slice(0, i), version: s.slice(i + 1) };
  }
  return { name: s, version: "" };
}
