/**
 * The two float renderings the evaluator core needs:
 * - `formatFloatShort`: C++ `ostream << double` (printf `%g`, 6 significant
 *   digits), used when printing values and expressions;
 * - `formatFloatFixed`: `std::to_string(double)` (printf `%f`), used by
 *   `toString` / string coercion.
 */

export function formatFloatShort(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const precision = 6;
  const exp = x.toExponential(precision - 1); // d.ddddde±X, correctly rounded
  const ePos = exp.indexOf("e");
  const exponent = Number(exp.slice(ePos + 1));
  if (exponent < -4 || exponent >= precision) {
    const mantissa = stripZeros(exp.slice(0, ePos));
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return stripZeros(x.toFixed(precision - 1 - exponent));
}

function stripZeros(s: string): string {
  if (!s.includes(".")) return s;
  s = s.replace(/0+$/, "");
  return s.endsWith(".") ? s.slice(0, -1) : s;
}

export function formatFloatFixed(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (Math.abs(x) < 1e21) return x.toFixed(6);
  // toFixed switches to exponent notation past 1e21; %f prints every digit.
  const int = BigInt(Math.trunc(x)).toString();
  return `${int}.000000`;
}
