// Nix's base-32: its own alphabet (no e, o, u, t), and the string is written from the
// most significant 5-bit group of the little-endian bit string to the least.
const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;

/** Length of the nixbase32 form of `byteLength` bytes. */
export function base32Length(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

export function encodeBase32(bytes: Uint8Array): string {
  const len = base32Length(bytes.length);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    const lo = bytes[i]! >> j;
    const hi = i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0;
    out += ALPHABET[(lo | hi) & 0x1f];
  }
  return out;
}

/** Decodes a nixbase32 string of a hash of `byteLength` bytes; throws on bad input. */
export function decodeBase32(s: string, byteLength = Math.floor((s.length * 5) / 8)): Uint8Array {
  if (s.length !== base32Length(byteLength)) {
    throw new Error(`invalid nixbase32 length ${s.length} for ${byteLength} bytes`);
  }
  const out = new Uint8Array(byteLength);
  for (let n = 0; n < s.length; n++) {
    const code = s.charCodeAt(s.length - n - 1);
    const digit = code < 128 ? VALUE_OF[code]! : -1;
    if (digit < 0) throw new Error(`invalid character '${s[s.length - n - 1]}' in nixbase32 string`);
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    out[i] = out[i]! | ((digit << j) & 0xff);
    const carry = digit >> (8 - j);
    if (i + 1 < byteLength) {
      out[i + 1] = out[i + 1]! | carry;
    } else if (carry !== 0) {
      throw new Error(`invalid nixbase32 string '${s}': bits past the end`);
    }
  }
  return out;
}

export function isBase32(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || VALUE_OF[c]! < 0) return false;
  }
  return true;
}
