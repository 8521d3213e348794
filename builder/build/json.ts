/**
 * JSON as CppNix's JSON library reads and writes it for structured attributes: a
 * number written with a fraction or exponent stays a float (2.0 is written `2.0`,
 * 1e16 `1e+16`), object keys come out in byte order, the output is compact.
 */

/** A JSON number that was written as a float. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

export type Json = null | boolean | number | JsonFloat | string | Json[] | { [key: string]: Json };

export function parseJson(text: string): Json {
  let at = 0;
  const fail = (): never => {
    throw new SyntaxError(`bad JSON at offset ${at}`);
  };
  const ws = (): void => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const value = (): Json => {
    ws();
    const c = text[at];
    if (c === "{") {
      at++;
      const obj: { [key: string]: Json } = {};
      ws();
      if (text[at] === "}") return at++, obj;
      for (;;) {
        ws();
        const key = value();
        if (typeof key !== "string") fail();
        ws();
        if (text[at++] !== ":") fail();
        obj[key as string] = value();
        ws();
        const sep = text[at++];
        if (sep === "}") return obj;
        if (sep !== ",") fail();
      }
    }
    if (c === "[") {
      at++;
      const list: Json[] = [];
      ws();
      if (text[at] === "]") return at++, list;
      for (;;) {
        list.push(value());
        ws();
        const sep = text[at++];
        if (sep === "]") return list;
        if (sep !== ",") fail();
      }
    }
    if (c === '"') {
      let end = at + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const s = JSON.parse(text.slice(at, end + 1)) as string;
      at = end + 1;
      return s;
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, at)) return (at += word.length), v;
    }
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(text);
    if (!m) return fail();
    at += m[0].length;
    return m[2] !== undefined || m[3] !== undefined ? new JsonFloat(Number(m[0])) : Number(m[0]);
  };
  const result = value();
  ws();
  if (at !== text.length) fail();
  return result;
}

/** A float as the library prints it: shortest round-trip digits, `.0` on integers, exponents outside 1e-5..1e15. */
export function formatJsonFloat(x: number): string {
  if (!Number.isFinite(x)) return "null";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exp] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const k = digits.length;
  const n = Number(exp) + 1;
  if (k <= n && n <= 15) return `${sign}${digits}${"0".repeat(n - k)}.0`;
  if (0 < n && n <= 15) return `${sign}${digits.slice(0, n)}.${digits.slice(n)}`;
  if (-4 < n && n <= 0) return `${sign}0.${"0".repeat(-n)}${digits}`;
  const e = n - 1;
  const abs = Math.abs(e);
  return `${sign}${digits[0]}${k > 1 ? `.${digits.slice(1)}` : ""}e${e < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
}
