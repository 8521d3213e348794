/**
 * `__structuredAttrs` support: the derivation's attributes arrive as JSON in the
 * `__json` env variable; the builder gets them as `.attrs.json` (with `outputs`
 * mapping output names to their paths) and as `.attrs.sh`, bash declarations of the
 * attributes a shell can represent.
 */

import { formatJsonFloat, JsonFloat, parseJson, type Json } from "./json.js";

export type { Json };

/** The `.attrs.json` object: the derivation's attributes plus `outputs`. */
export function structuredAttrsJson(jsonText: string, outputs: ReadonlyMap<string, string>): { [key: string]: Json } {
  const parsed = parseJson(jsonText);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed) || parsed instanceof JsonFloat) {
    throw new Error("the __json attribute of a structured-attrs derivation is not a JSON object");
  }
  const result: { [key: string]: Json } = { ...parsed, outputs: Object.fromEntries([...outputs].sort(([a], [b]) => compare(a, b))) };
  return result;
}

/** Serialises like CppNix's JSON library: compact, object keys in byte order. */
export function renderJson(value: Json): string {
  if (value instanceof JsonFloat) return formatJsonFloat(value.value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(renderJson).join(",")}]`;
  const keys = Object.keys(value).sort(compare);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${renderJson(value[k]!)}`).join(",")}}`;
}

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** A scalar as bash sees it, or undefined for what bash cannot hold (nested values, fractions). */
function shellScalar(value: Json): string | undefined {
  if (typeof value === "string") return shellQuote(value);
  // CppNix prints a number read as a single-precision float that is whole as a C int:
  // an integer wraps to 32 bits, a float out of range becomes what the CPU gives.
  if (typeof value === "number") return Number.isInteger(Math.fround(value)) ? String(value | 0) : undefined;
  if (value instanceof JsonFloat) return Number.isInteger(Math.fround(value.value)) ? String(floatToInt(value.value)) : undefined;
  if (value === null) return "''";
  if (typeof value === "boolean") return value ? "1" : "";
  return undefined;
}

/** The `.attrs.sh` text: `declare` lines for strings, numbers, Booleans, and flat lists and attribute sets. */
export function structuredAttrsShell(json: { [key: string]: Json }): string {
  let text = "";
  for (const key of Object.keys(json).sort(compare)) {
    if (!SHELL_NAME.test(key)) continue;
    const value = json[key]!;
    const scalar = shellScalar(value);
    if (scalar !== undefined) {
      text += `declare ${key}=${scalar}\n`;
    } else if (Array.isArray(value)) {
      const items = value.map(shellScalar);
      if (items.every((s) => s !== undefined)) text += `declare -a ${key}=(${items.map((s) => `${s} `).join("")})\n`;
    } else if (value !== null && typeof value === "object" && !(value instanceof JsonFloat)) {
      const keys = Object.keys(value).sort(compare);
      const items = keys.map((k) => shellScalar(value[k]!));
      if (items.every((s) => s !== undefined)) {
        text += `declare -A ${key}=(${keys.map((k, i) => `[${shellQuote(k)}]=${items[i]} `).join("")})\n`;
      }
    }
  }
  return text;
}

function floatToInt(x: number): number {
  const t = Math.trunc(x);
  if (t >= -2147483648 && t <= 2147483647) return t;
  if (process.arch === "x64" || process.arch === "ia32") return -2147483648; // cvttsd2si's "integer indefinite"
  return t < 0 ? -2147483648 : 2147483647; // ARM saturates
}

function compare(a: string, b: string): number {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return Buffer.compare(x, y);
}
