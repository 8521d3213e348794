/**
 * How `nix-instantiate --eval` prints strings and attribute names (CppNix 2.8's
 * Value::print and showId). Inputs and outputs are byte strings (see regex.ts).
 */

/**
 * A string value: `"` and `\` are backslash-escaped, newline/CR/tab become
 * `\n` `\r` `\t`, a `$` directly before `{` becomes `\$`; every other byte
 * (control characters and UTF-8 included) is written raw.
 */
export function printString(bytes: string, limit = bytes.length): string {
  let out = '"';
  // With a limit (error messages elide long strings), a `$` just before the cut still
  // looks at the byte after it, so the prefix reads as it does in the whole string.
  const n = Math.min(bytes.length, limit);
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === '"' || c === "\\") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "$" && bytes[i + 1] === "{") out += "\\$";
    else out += c;
  }
  return out + '"';
}

/**
 * The quoting used for attribute names and for string literals in `--parse` output:
 * like printString, but every `$` is escaped.
 */
export function quoteName(bytes: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    let esc: string | undefined;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = "\\\\";
    else if (c === 36) esc = "\\$";
    else if (c === 10) esc = "\\n";
    else if (c === 13) esc = "\\r";
    else if (c === 9) esc = "\\t";
    if (esc !== undefined) {
      out += bytes.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return out + bytes.slice(from) + '"';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/**
 * An attribute name as printed in `{ name = …; }`: bare when it is an identifier,
 * quoted otherwise. CppNix quotes the empty name and the keyword `if` but no
 * other keyword (so `then = 1;` is printed bare).
 */
export function printAttrName(bytes: string): string {
  if (bytes === "" || bytes === "if") return `"${bytes}"`;
  return IDENTIFIER.test(bytes) ? bytes : quoteName(bytes);
}

/** Byte-wise order of attribute names, the order CppNix prints attribute sets in. */
export function compareAttrNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
