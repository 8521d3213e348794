/**
 * `std::to_string(double)` (printf `%f`), used by `toString` / string coercion.
 * (`%g` printing of values is syntax/show.ts's `formatFloat`.)
 */

export function formatFloatFixed(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (Math.abs(x) < 1e21) return x.toFixed(6);
  // toFixed switches to exponent notation past 1e21; %f prints every digit.
  const int = BigInt(Math.trunc(x)).toString();
  return `${int}.000000`;
}
