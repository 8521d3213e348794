/**
 * Floats as CppNix prints and parses them.
 *
 * - Value printing (`nix-instantiate --eval`, `--json`, `builtins.toJSON`, `--xml`,
 *   `builtins.toXML`) writes a double to a C++ ostream with default settings:
 *   printf's `%g` with 6 significant digits (`1e+20`, `0.1`, `1.23457e+08`, `inf`).
 * - `builtins.toString` (and `"${toString x}"`) uses `std::to_string`: printf's `%f`
 *   (`1.000000`, the full integer digits of 1e300).
 * - Float literals are read with `strtod` and rejected ("invalid float") when it
 *   reports ERANGE: overflow to infinity, or an inexact result below DBL_MIN.
 *
 * Rounding is done on the exact binary value, half to even, as glibc does.
 * NaN prints as `nan` or `-nan` after its sign bit (x86's `inf - inf` is `-nan`,
 * and V8 produces the same bits).
 */

interface Decomposed {
  negative: boolean;
  /** |x| = mantissa * 2^exponent exactly. */
  mantissa: bigint;
  exponent: number;
}

function decompose(x: number): Decomposed {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { negative, mantissa: fraction, exponent: -1074 };
  return { negative, mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

function signBit(x: number): boolean {
  return decompose(x).negative;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** round-half-even(mantissa * 2^exponent * 10^k) as an integer. */
function roundScaled(d: Decomposed, k: number): bigint {
  let num = d.mantissa;
  let den = 1n;
  if (d.exponent >= 0) num <<= BigInt(d.exponent);
  else den <<= BigInt(-d.exponent);
  if (k >= 0) num *= pow10(k);
  else den *= pow10(-k);
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return signBit(x) ? "-nan" : "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return null;
}

/** printf("%.{precision}f", x) as glibc prints it. */
export function formatFixed(x: number, precision = 6): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const d = decompose(x);
  const digits = roundScaled(d, precision).toString().padStart(precision + 1, "0");
  const intPart = digits.slice(0, digits.length - precision);
  const body = precision > 0 ? `${intPart}.${digits.slice(digits.length - precision)}` : intPart;
  return (d.negative ? "-" : "") + body;
}

/** floor(log10(|x|)) for a finite non-zero double, exactly. */
function decimalExponent(d: Decomposed, x: number): number {
  let e = Math.floor(Math.log10(Math.abs(x)));
  // Math.log10 may be off by one next to a power of ten; check against the exact value.
  const exact = (k: number): boolean => roundDown(d, k) >= 1n; // |x| >= 10^k
  while (!exact(e)) e--;
  while (exact(e + 1)) e++;
  return e;
}

/** floor(|x| / 10^k) */
function roundDown(d: Decomposed, k: number): bigint {
  let num = d.mantissa;
  let den = 1n;
  if (d.exponent >= 0) num <<= BigInt(d.exponent);
  else den <<= BigInt(-d.exponent);
  if (k >= 0) den *= pow10(k);
  else num *= pow10(-k);
  return num / den;
}

/** printf("%.{precision}g", x) as glibc prints it (no `#` flag: trailing zeros dropped). */
export function formatGeneral(x: number, precision = 6): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const p = precision === 0 ? 1 : precision;
  const d = decompose(x);
  const sign = d.negative ? "-" : "";
  if (x === 0) return sign + "0";
  let exp = decimalExponent(d, x);
  let n = roundScaled(d, p - 1 - exp);
  if (n >= pow10(p)) {
    exp++;
    n = roundScaled(d, p - 1 - exp);
  }
  const digits = n.toString();
  const trim = (frac: string) => frac.replace(/0+$/, "");
  if (exp < p && exp >= -4) {
    const fracLen = p - 1 - exp;
    const padded = digits.padStart(fracLen + 1, "0");
    const intPart = padded.slice(0, padded.length - fracLen);
    const frac = trim(padded.slice(padded.length - fracLen));
    return sign + intPart + (frac ? "." + frac : "");
  }
  const frac = trim(digits.slice(1));
  const expText = String(Math.abs(exp)).padStart(2, "0");
  return `${sign}${digits[0]}${frac ? "." + frac : ""}e${exp < 0 ? "-" : "+"}${expText}`;
}

/** A float as `nix-instantiate --eval`, `--json`, `--xml`, `toJSON` and `toXML` print it. */
export function showFloat(x: number): string {
  return shortestAsGeneral(x) ?? formatGeneral(x, 6);
}

/**
 * `%g` without the exact arithmetic, for the common floats (0.5, 2.25, 1e-3): when
 * JS's shortest round-trip form has at most 6 significant digits and |x| lies in
 * [1e-4, 1e6), rounding the exact value to 6 digits gives that same decimal (the
 * binary value is within half an ulp of it, far below the 6th digit), and `%g`
 * writes it in fixed notation without trailing zeros — exactly as `String` does.
 * Undefined for every other float.
 */
function shortestAsGeneral(x: number): string | undefined {
  const a = x < 0 ? -x : x;
  if (!(a >= 1e-4 && a < 1e6)) return undefined;
  const s = String(x);
  let significant = 0;
  let trailingZeros = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2d || c === 0x2e) continue; // '-' '.'
    if (c === 0x30) {
      if (significant > 0) trailingZeros++;
      continue;
    }
    significant += trailingZeros + 1;
    trailingZeros = 0;
  }
  return significant <= 6 ? s : undefined;
}

/** `builtins.toString` of a float (`std::to_string`). */
export function floatToString(x: number): string {
  return formatFixed(x, 6);
}

export class FloatLiteralError extends Error {
  constructor(readonly literal: string) {
    super(`invalid float '${literal}'`);
  }
}

const FLOAT_LITERAL = /^(?:[1-9][0-9]*\.[0-9]*|0?\.[0-9]+)(?:[Ee][+-]?[0-9]+)?$/;
const DBL_MIN = 2.2250738585072014e-308;

/**
 * Reads a Nix float literal (`1.5`, `.5`, `2.5e-3`) like the lexer's `strtod`,
 * throwing CppNix's "invalid float" error where strtod reports ERANGE.
 */
export function parseFloatLiteral(text: string): number {
  if (!FLOAT_LITERAL.test(text)) throw new FloatLiteralError(text);
  const value = Number(text); // correctly rounded, as glibc's strtod
  if (!Number.isFinite(value)) throw new FloatLiteralError(text);
  if (value < DBL_MIN && !isZeroLiteral(text)) {
    // Underflow: an exact subnormal is fine, anything rounded is ERANGE.
    if (value === 0 || !isExact(text, value)) throw new FloatLiteralError(text);
  }
  return value;
}

function isZeroLiteral(text: string): boolean {
  return !/[1-9]/.test(text.replace(/[Ee].*$/, ""));
}

/** Whether the decimal literal denotes exactly `value` (no rounding happened). */
function isExact(text: string, value: number): boolean {
  const [mant, expPart] = text.toLowerCase().split("e");
  const [intDigits, fracDigits = ""] = mant!.split(".");
  const digits = BigInt((intDigits ?? "") + fracDigits || "0");
  const exp10 = Number(expPart ?? "0") - fracDigits.length;
  // literal = digits * 10^exp10; value = mantissa * 2^exponent
  const d = decompose(value);
  let left = digits;
  let right = d.mantissa;
  if (exp10 >= 0) left *= pow10(exp10);
  else right *= pow10(-exp10);
  if (d.exponent >= 0) right <<= BigInt(d.exponent);
  else left <<= BigInt(-d.exponent);
  return left === right;
}
