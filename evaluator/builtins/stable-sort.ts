/**
 * `std::stable_sort` exactly as libstdc++ runs it (GCC 10–13): insertion sort on
 * chunks of 7, buffered merge passes on each half, then one adaptive merge. CppNix
 * sorts with it, so following the same sequence of comparisons gives the same
 * result even for comparators that are not strict weak orderings (`a <= b`,
 * `_: _: true`) and the same first error when a comparison throws.
 */

/** `less(a, b)`: true when `a` must come before `b`. */
export type Less<T> = (a: T, b: T) => boolean;

const CHUNK = 7;

export function stableSort<T>(items: T[], less: Less<T>): T[] {
  const a = items.slice();
  const len = a.length;
  if (len < 2) return a;
  const half = Math.floor((len + 1) / 2);
  const buffer = new Array<T>(half);
  mergeSortWithBuffer(a, 0, half, buffer, less);
  mergeSortWithBuffer(a, half, len, buffer, less);
  mergeAdaptive(a, 0, half, len, buffer, less);
  return a;
}

function insertionSort<T>(a: T[], first: number, last: number, less: Less<T>): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    const val = a[i]!;
    if (less(val, a[first]!)) {
      for (let k = i; k > first; k--) a[k] = a[k - 1]!;
      a[first] = val;
    } else {
      // Unguarded linear insert: the first element is a sentinel.
      let j = i;
      while (less(val, a[j - 1]!)) {
        a[j] = a[j - 1]!;
        j--;
      }
      a[j] = val;
    }
  }
}

/** Merges src[f1,l1) and src[f2,l2) into dst from `out`; takes from the second run only when strictly less. */
function moveMerge<T>(src: T[], f1: number, l1: number, f2: number, l2: number, dst: T[], out: number, less: Less<T>): number {
  while (f1 !== l1 && f2 !== l2) {
    if (less(src[f2]!, src[f1]!)) dst[out++] = src[f2++]!;
    else dst[out++] = src[f1++]!;
  }
  while (f1 !== l1) dst[out++] = src[f1++]!;
  while (f2 !== l2) dst[out++] = src[f2++]!;
  return out;
}

function mergeSortLoop<T>(src: T[], first: number, last: number, dst: T[], out: number, step: number, less: Less<T>): void {
  const twoStep = 2 * step;
  while (last - first >= twoStep) {
    out = moveMerge(src, first, first + step, first + step, first + twoStep, dst, out, less);
    first += twoStep;
  }
  const s = Math.min(last - first, step);
  moveMerge(src, first, first + s, first + s, last, dst, out, less);
}

function mergeSortWithBuffer<T>(a: T[], first: number, last: number, buffer: T[], less: Less<T>): void {
  const len = last - first;
  for (let f = first; ; f += CHUNK) {
    if (last - f < CHUNK) {
      insertionSort(a, f, last, less);
      break;
    }
    insertionSort(a, f, f + CHUNK, less);
  }
  let step = CHUNK;
  while (step < len) {
    mergeSortLoop(a, first, last, buffer, 0, step, less);
    step *= 2;
    mergeSortLoop(buffer, 0, len, a, first, step, less);
    step *= 2;
  }
}

function mergeAdaptive<T>(a: T[], first: number, middle: number, last: number, buffer: T[], less: Less<T>): void {
  const len1 = middle - first;
  const len2 = last - middle;
  if (len1 <= len2) {
    for (let i = 0; i < len1; i++) buffer[i] = a[first + i]!;
    // Forward merge of buffer[0,len1) and a[middle,last) into a[first…).
    let b = 0;
    let m = middle;
    let out = first;
    while (b !== len1 && m !== last) {
      if (less(a[m]!, buffer[b]!)) a[out++] = a[m++]!;
      else a[out++] = buffer[b++]!;
    }
    while (b !== len1) a[out++] = buffer[b++]!;
    return;
  }
  for (let i = 0; i < len2; i++) buffer[i] = a[middle + i]!;
  // Backward merge of a[first,middle) and buffer[0,len2) into a[…last).
  let l1 = middle - 1;
  let l2 = len2 - 1;
  let out = last;
  if (len2 === 0) return;
  for (;;) {
    if (less(buffer[l2]!, a[l1]!)) {
      a[--out] = a[l1]!;
      if (l1 === first) {
        while (l2 >= 0) a[--out] = buffer[l2--]!;
        return;
      }
      l1--;
    } else {
      a[--out] = buffer[l2]!;
      if (l2 === 0) return;
      l2--;
    }
  }
}
