/**
 * The value model of the evaluator.
 *
 * Representation (chosen so that the hot paths dispatch on `typeof` first):
 *   int        → `number` while it is a safe integer (|n| ≤ 2^53−1), `bigint`
 *                only beyond that (exact 64-bit; arithmetic checks overflow).
 *                Small ints are then V8 Smis: no allocation, no GC work (with
 *                bigints every int was a heap object and GC took over half of
 *                the time on list workloads). Build ints with `mkInt`, so an
 *                int has exactly one representation and `===` compares them.
 *   float      → `NixFloat` (rare in Nix code; keeps 1 and 1.0 distinct)
 *   bool       → `boolean`
 *   null       → `null`
 *   string     → `string` when the context is empty, else a `NixString`
 *   path       → `NixPath`
 *   set        → `NixAttrs`
 *   list       → a plain JS array of `Lazy` elements (never mutated once built)
 *   lambda     → `NixLambda` (closure: AST + environment)
 *   primop     → `PrimOp`, partially applied → `PrimOpApp`
 *   not yet evaluated → `Thunk`
 *
 * Strings are BYTE strings: a JS "binary string" in which every char code is one
 * byte 0..255 (latin1). Source files are read with `readFileSync(p, "latin1")`, so
 * literals and columns count bytes as in CppNix; output is written with
 * `Buffer.from(s, "latin1")`, and file-system paths convert the same way
 * (`toFsPath`/`fromFsPath`). String comparison with `<` and the default
 * `Array.prototype.sort` therefore give CppNix's byte order.
 */
import type { Expr, LambdaExpr } from "../syntax/ast.js";

/** A string that carries a non-empty context (store paths it refers to). */
export class NixString {
  constructor(
    readonly s: string,
    /**
     * Sorted, duplicate-free context elements encoded as CppNix does:
     * `/nix/store/…` (plain path), `!out!/nix/store/x.drv` (an output of a
     * derivation), `=/nix/store/x.drv` (a derivation and all its outputs).
     */
    readonly context: readonly string[],
  ) {}
}

/** A path value: always absolute and canonical. */
export class NixPath {
  constructor(readonly path: string) {}
}

/**
 * Positions of `n` attributes that have none (sets made by builtins): one shared
 * array per length, so such sets allocate nothing for their positions.
 */
export function zeroPositions(n: number): readonly number[] {
  if (n >= ZERO_POSITIONS.length) return new Array<number>(n).fill(0);
  let z = ZERO_POSITIONS[n];
  if (z === undefined) z = ZERO_POSITIONS[n] = Object.freeze(new Array<number>(n).fill(0));
  return z;
}

const ZERO_POSITIONS: (readonly number[] | undefined)[] = new Array(256);

function isZeroPositions(p: readonly number[]): boolean {
  return p.length < ZERO_POSITIONS.length && ZERO_POSITIONS[p.length] === p;
}

/**
 * An attribute set: names sorted in byte order with their values and positions in
 * parallel arrays (as CppNix's Bindings, without one object per attribute: that
 * object was most of a set's memory and of the GC's copying), so `//` is a linear
 * merge and iteration order is always the byte order of names. Lookup is a
 * binary search. A set expression shares its `names` and `positions` arrays
 * among all the sets it makes (both are static). Treat instances as immutable
 * once visible to Nix code.
 */
export class NixAttrs {
  /** Sorted names; null while the set is layered (see `Layers`). */
  private flatNames: readonly string[] | null;
  private flatValues: readonly Lazy[];
  private flatPositions: readonly number[];
  /** Position of the set expression (for `determinePos`), 0 if none. */
  readonly pos: number;
  /**
   * Binary searches done so far, then (a large set searched often) a name → index
   * Map; for a layered set, its layers. One field for all: every field is 8 bytes
   * in every set.
   */
  private index: Map<string, number> | number | Layers;

  /** From names already sorted in byte order, without duplicates, and their values and positions. */
  constructor(names: readonly string[], values: readonly Lazy[], positions: readonly number[], pos = 0) {
    this.flatNames = names;
    this.flatValues = values;
    this.flatPositions = positions;
    this.pos = pos;
    this.index = 0;
  }

  /** Sorted names (a layered set is flattened first). */
  get names(): readonly string[] {
    return this.flatNames ?? this.flatten();
  }

  /** `values[i]` belongs to `names[i]`. */
  get values(): readonly Lazy[] {
    if (this.flatNames === null) this.flatten();
    return this.flatValues;
  }

  /** `positions[i]`: where `names[i]` was defined, 0 if nowhere. */
  get positions(): readonly number[] {
    if (this.flatNames === null) this.flatten();
    return this.flatPositions;
  }

  /** True while the set is `lower // top` not yet merged into arrays of its own. */
  isLayered(): boolean {
    return this.flatNames === null;
  }

  /**
   * The flat set whose arrays hold `name` for this set: `this` when flat, else the
   * topmost layer that has it, or the flat set at the bottom (which may lack it).
   * Lookups through it do not flatten the layers.
   */
  holderOf(name: string): NixAttrs {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: NixAttrs = this;
    while (s.flatNames === null) {
      const layers = s.index as Layers;
      if (layers.top.indexOf(name) >= 0) return layers.top;
      s = layers.lower;
    }
    return s;
  }

  /** From names already sorted in byte order and without duplicates; `positions` null: none. */
  static fromSorted(names: readonly string[], values: readonly Lazy[], positions: readonly number[] | null = null, pos = 0): NixAttrs {
    return new NixAttrs(names, values, positions ?? zeroPositions(names.length), pos);
  }

  /** From a Map in any order (sorted here), attributes without positions. */
  static fromMap(map: ReadonlyMap<string, Lazy>, pos = 0): NixAttrs {
    const names = [...map.keys()].sort();
    const values = new Array<Lazy>(names.length);
    for (let i = 0; i < names.length; i++) values[i] = map.get(names[i]!)!;
    return new NixAttrs(names, values, zeroPositions(names.length), pos);
  }

  /** From distinct names in any order with their values and positions (sorted here). */
  static fromUnsorted(names: readonly string[], values: readonly Lazy[], positions: readonly number[], pos = 0): NixAttrs {
    const order = names.map((_, i) => i).sort((x, y) => (names[x]! < names[y]! ? -1 : names[x]! > names[y]! ? 1 : 0));
    return new NixAttrs(
      order.map((i) => names[i]!),
      order.map((i) => values[i]!),
      order.map((i) => positions[i]!),
      pos,
    );
  }

  get size(): number {
    const names = this.flatNames;
    return names !== null ? names.length : (this.index as Layers).size;
  }

  /** Index of `name` in `names`, or -1 (a search; see `find`). */
  indexOf(name: string): number {
    const names = this.names;
    let hi = names.length - 1;
    if (hi < 8) {
      for (let i = 0; i <= hi; i++) if (names[i] === name) return i;
      return -1;
    }
    let lo = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const n = names[mid]!;
      if (n === name) return mid;
      if (n < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index of `name`, or -1; large sets searched often (e.g. `with lib;` scopes) get a hash index. */
  find(name: string): number {
    const index = this.index;
    if (typeof index !== "number") {
      if (index instanceof Map) return index.get(name) ?? -1;
      this.flatten();
      return this.find(name);
    }
    if (this.names.length > 32 && (this.index = index + 1) > 64) return this.indexed().get(name) ?? -1;
    return this.indexOf(name);
  }

  private indexed(): Map<string, number> {
    const m = new Map<string, number>();
    for (let i = 0; i < this.names.length; i++) m.set(this.names[i]!, i);
    this.index = m;
    return m;
  }

  /** True once the set has a hash index (large and searched often): a binary search would be slower. */
  mapIndexed(): boolean {
    return this.index instanceof Map;
  }

  /** The value of a name. */
  get(name: string): Lazy | undefined {
    const s = this.flatNames === null ? this.holderOf(name) : this;
    const i = s.find(name);
    return i < 0 ? undefined : s.flatValues[i];
  }

  /** Where a name was defined: 0 if nowhere or absent. */
  posOf(name: string): number {
    const s = this.flatNames === null ? this.holderOf(name) : this;
    const i = s.find(name);
    return i < 0 ? 0 : s.flatPositions[i]!;
  }

  has(name: string): boolean {
    const s = this.flatNames === null ? this.holderOf(name) : this;
    return s.find(name) >= 0;
  }

  /** Attribute names in byte order. */
  keys(): readonly string[] {
    return this.names;
  }

  /**
   * `this // other`: the right side wins. A few names over a large set make a
   * layered set (no copy of the large side's arrays: a chain of overlays over a
   * package set copied them at every level, and all levels stay live).
   */
  update(other: NixAttrs): NixAttrs {
    const rightSize = other.size;
    if (rightSize <= LAYER_MAX_TOP && rightSize > 0 && this.size >= LAYER_MIN_LOWER) return this.layer(other);
    return this.merge(other);
  }

  private layer(top: NixAttrs): NixAttrs {
    const tn = top.names;
    let added = 0;
    for (let j = 0; j < tn.length; j++) if (!this.has(tn[j]!)) added++;
    const depth = this.flatNames === null ? (this.index as Layers).depth + 1 : 1;
    const result = new NixAttrs(EMPTY_NAMES, EMPTY_VALUES, EMPTY_POSITIONS, top.pos);
    result.flatNames = null;
    result.index = { top, lower: this, size: this.size + added, depth };
    // A deep chain makes lookups of the bottom's names slow: merge it now, once
    // per LAYER_MAX_DEPTH overlays instead of a copy at each.
    if (depth >= LAYER_MAX_DEPTH) result.flatten();
    return result;
  }

  /**
   * Merges the layers into arrays of this set's own (once): the names each layer
   * sets (the topmost wins), sorted, merged with the flat set at the bottom.
   * The layers are dropped, so they can be collected.
   */
  private flatten(): readonly string[] {
    const names: string[] = [];
    const values: Lazy[] = [];
    const positions: number[] = [];
    const seen = new Set<string>();
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: NixAttrs = this;
    while (s.flatNames === null) {
      const { top, lower } = s.index as Layers;
      const tn = top.flatNames!;
      for (let j = 0; j < tn.length; j++) {
        const n = tn[j]!;
        if (seen.has(n)) continue;
        seen.add(n);
        names.push(n);
        values.push(top.flatValues[j]!);
        positions.push(top.flatPositions[j]!);
      }
      s = lower;
    }
    const overrides = NixAttrs.fromUnsorted(names, values, positions);
    const flat = s.merge(overrides);
    this.flatNames = flat.flatNames!;
    this.flatValues = flat.flatValues;
    this.flatPositions = flat.flatPositions;
    this.index = 0;
    return this.flatNames;
  }

  /** `this // other` into arrays of its own. */
  private merge(other: NixAttrs): NixAttrs {
    const bn = other.names;
    if (bn.length === 0) return this;
    const an = this.names;
    if (an.length === 0) return other;
    const av = this.values;
    const bv = other.values;
    const ap = this.positions;
    const bp = other.positions;
    // A few names on the right: place each by binary search and copy the runs of
    // the left in between; when all of them exist on the left (overrides), the
    // names array is shared (and the positions too when they do not change).
    if (bn.length * 16 <= an.length) {
      const at = new Int32Array(bn.length);
      let added = 0;
      let samePos = true;
      for (let j = 0; j < bn.length; j++) {
        const i = lowerBound(an, bn[j]!);
        at[j] = i;
        if (an[i] !== bn[j]) added++;
        else if (ap[i] !== bp[j]) samePos = false;
      }
      if (added === 0) {
        const values = av.slice();
        for (let j = 0; j < bn.length; j++) values[at[j]!] = bv[j]!;
        let positions = ap;
        if (!samePos) {
          const p = ap.slice();
          for (let j = 0; j < bn.length; j++) p[at[j]!] = bp[j]!;
          positions = p;
        }
        return new NixAttrs(an, values, positions, other.pos);
      }
      const n = an.length + added;
      const names = new Array<string>(n);
      const values = new Array<Lazy>(n);
      const positions = new Array<number>(n);
      let w = 0;
      let i = 0;
      for (let j = 0; j < bn.length; j++) {
        const stop = at[j]!;
        for (; i < stop; i++, w++) {
          names[w] = an[i]!;
          values[w] = av[i]!;
          positions[w] = ap[i]!;
        }
        names[w] = bn[j]!;
        positions[w] = bp[j]!;
        values[w++] = bv[j]!;
        if (an[i] === bn[j]) i++;
      }
      for (; i < an.length; i++, w++) {
        names[w] = an[i]!;
        values[w] = av[i]!;
        positions[w] = ap[i]!;
      }
      return new NixAttrs(names, values, positions, other.pos);
    }
    // A linear merge of the two sorted arrays, into arrays of the largest possible
    // size cut to the merged size at the end (growing them by push allocated
    // backing stores of 17+ slots for the typical few attributes, and results
    // mostly survive: the GC copied those slack slots).
    const cap = an.length + bn.length;
    const names = new Array<string>(cap);
    const values = new Array<Lazy>(cap);
    const zeros = isZeroPositions(ap) && isZeroPositions(bp);
    const positions = zeros ? null : new Array<number>(cap);
    let i = 0;
    let j = 0;
    let w = 0;
    while (i < an.length && j < bn.length) {
      const x = an[i]!;
      const y = bn[j]!;
      if (x === y) {
        names[w] = y;
        if (positions !== null) positions[w] = bp[j]!;
        values[w++] = bv[j++]!;
        i++;
      } else if (x < y) {
        names[w] = x;
        if (positions !== null) positions[w] = ap[i]!;
        values[w++] = av[i++]!;
      } else {
        names[w] = y;
        if (positions !== null) positions[w] = bp[j]!;
        values[w++] = bv[j++]!;
      }
    }
    for (; i < an.length; i++, w++) {
      names[w] = an[i]!;
      if (positions !== null) positions[w] = ap[i]!;
      values[w] = av[i]!;
    }
    for (; j < bn.length; j++, w++) {
      names[w] = bn[j]!;
      if (positions !== null) positions[w] = bp[j]!;
      values[w] = bv[j]!;
    }
    if (w !== cap) {
      names.length = w;
      values.length = w;
      if (positions !== null) positions.length = w;
    }
    return new NixAttrs(names, values, positions ?? zeroPositions(w), other.pos);
  }

  static readonly EMPTY = NixAttrs.fromSorted([], []);

  /** Builds a set from name/value pairs (no positions). */
  static fromEntries(entries: Iterable<readonly [string, Lazy]>, pos = 0): NixAttrs {
    return NixAttrs.fromMap(new Map(entries), pos);
  }

  /** Builds a set from a plain object (for tests and small builtin results). */
  static of(obj: Record<string, Lazy>): NixAttrs {
    return NixAttrs.fromEntries(Object.entries(obj));
  }
}

/**
 * A per-site attribute lookup cache (for `x.a`, `x ? a`): sets made by one
 * expression share their `names` array, so a site that keeps meeting such sets
 * (a `lib.foo` selection, a field of records built by one function) finds the
 * slot with one pointer comparison instead of a search.
 */
export class AttrSiteCache {
  names: readonly string[] | null = null;
  index = 0;

  /** The index of `name` in `v`, -1 if absent. */
  find(v: NixAttrs, name: string): number {
    const names = v.names;
    if (names === this.names) return this.index;
    if (names.length > 32 && v.mapIndexed()) return v.find(name);
    const i = v.indexOf(name);
    this.names = names;
    this.index = i;
    return i;
  }
}

/**
 * `left // right` at one site (a `//` expression, the derivation wrapper): the
 * sets met there usually have the same names each time (a package's attributes),
 * so the site keeps the last result's names and positions arrays and, per result
 * attribute, which side it comes from. When the next operands have equal names
 * the result shares those arrays and is made without comparing a name: only a
 * values array is new, and later merges of that result find identical arrays.
 */
export class UpdateSite {
  private leftNames: readonly string[] = EMPTY_NAMES;
  private rightNames: readonly string[] = EMPTY_NAMES;
  private resultNames: readonly string[] = EMPTY_NAMES;
  /** Per result attribute: its index on the left, or -(index + 1) on the right; null until the names are met again. */
  private from: Int32Array | null = null;
  private leftPositions: readonly number[] = EMPTY_POSITIONS;
  private rightPositions: readonly number[] = EMPTY_POSITIONS;
  private resultPositions: readonly number[] = EMPTY_POSITIONS;

  update(left: NixAttrs, right: NixAttrs): NixAttrs {
    // A few names over a large set: layered, without touching the left's arrays.
    if (right.size <= LAYER_MAX_TOP && left.size >= LAYER_MIN_LOWER) return left.update(right);
    const ln = left.names;
    const rn = right.names;
    if (ln.length === 0 || rn.length === 0 || !sameArray(ln, this.leftNames) || !sameArray(rn, this.rightNames)) {
      const result = left.update(right);
      this.leftNames = ln;
      this.rightNames = rn;
      this.resultNames = result.names;
      this.from = null;
      this.leftPositions = left.positions;
      this.rightPositions = right.positions;
      this.resultPositions = result.positions;
      return result;
    }
    const from = (this.from ??= this.sources(left, right));
    const lv = left.values;
    const rv = right.values;
    const values = new Array<Lazy>(from.length);
    for (let i = 0; i < from.length; i++) {
      const f = from[i]!;
      values[i] = f >= 0 ? lv[f]! : rv[-f - 1]!;
    }
    return new NixAttrs(this.resultNames, values, this.positionsOf(left.positions, right.positions), right.pos);
  }

  private sources(left: NixAttrs, right: NixAttrs): Int32Array {
    const names = this.resultNames;
    const from = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const r = right.indexOf(names[i]!);
      from[i] = r >= 0 ? -(r + 1) : left.indexOf(names[i]!);
    }
    return from;
  }

  private positionsOf(lp: readonly number[], rp: readonly number[]): readonly number[] {
    if (sameArray(lp, this.leftPositions) && sameArray(rp, this.rightPositions)) return this.resultPositions;
    const from = this.from!;
    const positions = new Array<number>(from.length);
    for (let i = 0; i < from.length; i++) {
      const f = from[i]!;
      positions[i] = f >= 0 ? lp[f]! : rp[-f - 1]!;
    }
    this.leftPositions = lp;
    this.rightPositions = rp;
    this.resultPositions = positions;
    return positions;
  }
}

const EMPTY_NAMES: readonly string[] = [];
const EMPTY_VALUES: readonly Lazy[] = [];
const EMPTY_POSITIONS: readonly number[] = [];

/** `lower // top` not yet merged (see `NixAttrs.update`). */
interface Layers {
  readonly top: NixAttrs;
  readonly lower: NixAttrs;
  /** Names in `lower // top`. */
  readonly size: number;
  /** Layers above the flat set at the bottom. */
  readonly depth: number;
}

/** `//` layers a right side of at most this many names… */
const LAYER_MAX_TOP = 8;
/** …over a left side of at least this many… */
const LAYER_MIN_LOWER = 64;
/** …and merges the layers once this many are stacked. */
const LAYER_MAX_DEPTH = 32;

/** Equal arrays of strings or numbers (identical ones at once). */
export function sameArray<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first index in sorted `names` whose name is not less than `name`. */
function lowerBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (names[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An environment: a frame of variable slots plus the enclosing frame. Slot 0 is
 * also kept inline in `v0` and compiled code reads it from there: most frames
 * (a `x: …` lambda's, a `with`'s) have one slot, and then need no array at all
 * (one object per call instead of three; GC is most of the time on list workloads).
 * Frames with more slots hold all of them in `vars` (slot 0 in both places).
 */
export class Env {
  /** Slot 0. */
  v0: Lazy | undefined;
  constructor(
    readonly up: Env | null,
    /**
     * All slots (empty for a one-slot frame made by `Env.one`). A `with` frame
     * (its attrs value in slot 0) has a shared one-element array here instead:
     * see `withLevels`.
     */
    readonly vars: Lazy[],
    v0: Lazy | undefined = vars[0],
  ) {
    this.v0 = v0;
  }

  /** A frame with the single slot `v`. */
  static one(up: Env | null, v: Lazy): Env {
    return new Env(up, NO_SLOTS, v);
  }

  /**
   * A `with` frame; `prevWith`: levels up to the next enclosing `with` frame, 0 if
   * none. It is kept in `vars` (a shared array per level count), so that frames
   * need no field for it (one field less in every call's frame).
   */
  static with(up: Env, attrs: Lazy, prevWith: number): Env {
    let marker = WITH_MARKERS[prevWith];
    if (marker === undefined) marker = WITH_MARKERS[prevWith] = [prevWith];
    return new Env(up, marker, attrs);
  }

  /** For a `with` frame: levels up to the next enclosing `with` frame, 0 if none. */
  get prevWith(): number {
    return this.vars[0] as number;
  }

  /** Slot `d` (slow path for code that does not know `d` statically). */
  slot(d: number): Lazy | undefined {
    return d === 0 ? this.v0 : this.vars[d];
  }
}

const NO_SLOTS: Lazy[] = [];
const WITH_MARKERS: Lazy[][] = [];

/** The compiled form of a lambda (filled by the compiler on the first call). */
export interface CompiledLambda {
  body: ((env: Env) => Value) | null;
  /** True once `body` is compiled, for a lambda without formals (`x: …`): callers may bind and enter it inline. */
  plain: boolean;
}

/** A closure. */
export class NixLambda {
  constructor(
    readonly expr: LambdaExpr,
    readonly env: Env,
    /** Shared by all closures of one lambda expression; null: looked up on the first call. */
    public compiled: CompiledLambda | null = null,
  ) {}
}

/**
 * A built-in function implementation. It receives exactly `arity` arguments,
 * unevaluated (force what you need), and the position of the call.
 */
export type PrimOpImpl = (args: Lazy[], pos: number) => Value;

export class PrimOp {
  /**
   * For builtins that build a list (map, genList): the same as `impl`, but it may
   * return a LazyList whose elements are made on demand (see forceListLazily).
   */
  lazyImpl: ((args: Lazy[], pos: number) => Value | LazyList) | null = null;

  constructor(
    /** Name as CppNix shows it (`map`, `add`, `__sub` is shown as `__sub`). */
    readonly name: string,
    readonly arity: number,
    readonly impl: PrimOpImpl,
  ) {}
}

/** A primop applied to fewer arguments than its arity. */
export class PrimOpApp {
  constructor(
    readonly primop: PrimOp,
    readonly args: Lazy[],
  ) {}
}

/**
 * How a pending thunk computes its value: called as `code(env, thunk)`. Compiled
 * expressions ignore the second argument; lazy applications read `arg`/`pos`.
 */
export type ThunkCode = (env: never, thunk: Thunk) => Value;

/** Compiles an AST node into thunk code (set by the compiler; avoids an import cycle). */
let exprToCode: ((e: Expr) => ThunkCode) | null = null;

export function setThunkCompiler(fn: (e: Expr) => ThunkCode): void {
  exprToCode = fn;
}

/** `Thunk.code` of a forced thunk (never called): its value is then in `env`. */
export const THUNK_DONE: ThunkCode = () => {
  throw new Error("a forced thunk's code was called");
};

/**
 * A suspended computation, one small object (two fields: list builtins make one
 * per element, and each field is 8 bytes the scavenger copies twice while the
 * list lives) with no closure per thunk. States:
 *   pending:        code is the computation, env its input
 *   being forced:   code === null
 *   done:           code === THUNK_DONE, the value in `env` (the input dropped so it can be collected)
 * Forcing a thunk that is being forced raises `infinite recursion encountered`.
 */
export class Thunk {
  code: ThunkCode | null;
  env: unknown;
  /**
   * `new Thunk(expr, env)`: an AST node evaluated in `env`;
   * `new Thunk(code, env)`: compiled code; `new Thunk(null, null, fn)`: `fn()`.
   */
  constructor(expr: Expr | ThunkCode | null, env: unknown, deferred: (() => Value) | null = null) {
    this.code = expr === null ? deferred : typeof expr === "function" ? expr : exprToCode!(expr);
    this.env = env;
  }

  /** The value once forced, else undefined (pending or being forced). */
  get value(): Value | undefined {
    const code = this.code;
    if (code === THUNK_DONE) return this.env as Value;
    // A list being made on demand is forced already, as far as anyone can tell.
    if (code === LAZY_LIST_CODE) {
      const v = (this.env as LazyList).finish();
      this.env = v;
      this.code = THUNK_DONE;
      return v;
    }
    return undefined;
  }
}

/**
 * A list whose elements are made when first read, for a thunk of `map f xs` or
 * `genList f n` consumed by a builtin that walks it (foldl', length, elemAt, …):
 * then each element's lazy application is made just before it is used and, once
 * forced to an int, string or Boolean, replaced by its value, so a long list does
 * not hold one live thunk per element (copying those was most of the GC time on
 * long lists). Such a thunk is pending with `code` LAZY_LIST_CODE and the
 * LazyList in `env`: any other forcing of it makes the missing elements (exactly
 * the thunks the eager builtin would have made) and gives the array, so every
 * other list consumer still sees a plain array.
 */
export class LazyList {
  /** The list's array: a hole (undefined) where an element was not made yet. */
  readonly out: Lazy[];
  /** Element `i` (null once all are made). */
  private make: ((i: number) => Lazy) | null;
  /** The list whose elements this one's are made from (map), to settle them too. */
  private src: LazyList | null;

  constructor(n: number, make: (i: number) => Lazy, src: LazyList | null) {
    this.out = new Array<Lazy>(n);
    this.make = make;
    this.src = src;
  }

  get length(): number {
    return this.out.length;
  }

  /** Element `i` (0 ≤ i < length), made now if needed. */
  elem(i: number): Lazy {
    const x = this.out[i];
    if (x !== undefined) return x;
    return (this.out[i] = this.make!(i));
  }

  /**
   * Replaces element `i` by its value once it is a forced int, string or Boolean
   * (values without identity, so no consumer can tell), and the same in the source
   * list; the thunks are then garbage.
   */
  settle(i: number): void {
    const x = this.out[i];
    if (x instanceof Thunk && x.code === THUNK_DONE) {
      const v = x.env;
      const t = typeof v;
      if (t === "number" || t === "string" || t === "boolean") this.out[i] = v as Value;
    }
    if (this.src !== null) this.src.settle(i);
  }

  /** The whole array (the missing elements made). */
  finish(): Lazy[] {
    const make = this.make;
    if (make !== null) {
      const out = this.out;
      for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = make(i);
      this.make = null;
      this.src = null;
    }
    return this.out;
  }
}

/** `Thunk.code` of a list thunk being made on demand (`env` is its LazyList): forcing it finishes the array. */
export const LAZY_LIST_CODE: ThunkCode = ((list: LazyList) => list.finish()) as unknown as ThunkCode;

/** A Nix float (a wrapper, so that `typeof v === "number"` means an int). */
export class NixFloat {
  constructor(readonly value: number) {}
}

/** A Nix int: a safe-integer `number`, or a `bigint` outside ±(2^53−1) (never inside). */
export type NixInt = number | bigint;

/** A forced value. */
export type Value =
  | NixInt
  | NixFloat
  | boolean
  | null
  | string
  | NixString
  | NixPath
  | NixAttrs
  | Lazy[]
  | NixLambda
  | PrimOp
  | PrimOpApp;

/** A value that may still be a thunk (list elements, attribute values, env slots). */
export type Lazy = Value | Thunk;

/** A suspended JS computation (e.g. a lazy `f x` built by `map`). */
export function lazy(fn: () => Value): Thunk {
  return new Thunk(null, null, fn);
}

/** Makes the code of lazy one-argument applications of a function (the thunk's `env` is the argument). */
let applier: ((fn: Lazy) => ThunkCode) | null = null;
let applyAt: ((fn: Lazy, args: Lazy[], pos: number) => Value) | null = null;
let applyTwo: ThunkCode | null = null;

export function setApplyCode(
  one: (fn: Lazy) => ThunkCode,
  at: (fn: Lazy, args: Lazy[], pos: number) => Value,
  two: (app: LazyApp2) => Value,
): void {
  applier = one;
  applyAt = at;
  applyTwo = two as unknown as ThunkCode;
}

/**
 * The input of a lazy two-argument application `fn a b` without a position (mapAttrs'
 * and zipAttrsWith's `f name value`, one per attribute): one object, where a closure
 * would be a function, its context and an argument array (the module system keeps
 * tens of thousands of them alive).
 */
export class LazyApp2 {
  constructor(
    readonly fn: Lazy,
    readonly a: Lazy,
    readonly b: Lazy,
  ) {}
}

/**
 * The code of lazy one-argument applications of `fn` (the thunk's `env` is the
 * argument): `new Thunk(code, arg)` is `lazyApply1(fn, arg)`, for callers that
 * make many applications of one function interleaved with others.
 */
export function lazyApplyCode(fn: Lazy): ThunkCode {
  return applier!(fn);
}

/** The function of the last one-argument lazyApply and its code (map, genList: the same for every element). */
let lastFn: Lazy | undefined = undefined;
let lastCode: ThunkCode | null = null;

/** Drops the last lazy application's function (so that it does not outlive an evaluation). */
export function forgetLastApply(): void {
  lastFn = undefined;
  lastCode = null;
}

/**
 * `fn args…` applied when forced (CppNix's mkApp). With one argument and no
 * position (map, genList: one per element) the thunk is two fields, the argument
 * and a code closed over `fn`, shared by consecutive applications of one
 * function; other calls get a closure (rare).
 */
export function lazyApply(fn: Lazy, args: Lazy[], pos: number): Thunk {
  if (pos === 0) {
    if (args.length === 1) return lazyApply1(fn, args[0]!);
    if (args.length === 2) return lazyApply2(fn, args[0]!, args[1]!);
  }
  return new Thunk(null, null, () => applyAt!(fn, args, pos));
}

/** `fn a b` applied when forced, with no position (see LazyApp2). */
export function lazyApply2(fn: Lazy, a: Lazy, b: Lazy): Thunk {
  return new Thunk(applyTwo, new LazyApp2(fn, a, b));
}

/** `fn arg` applied when forced, with no position: `lazyApply(fn, [arg], 0)` without the array. */
export function lazyApply1(fn: Lazy, arg: Lazy): Thunk {
  if (fn !== lastFn || lastCode === null) {
    lastCode = applier!(fn);
    lastFn = fn;
  }
  return new Thunk(lastCode, arg);
}

// ---------------------------------------------------------------- constructors

export function mkString(s: string, context?: Iterable<string>): string | NixString {
  if (context === undefined) return s;
  const ctx = normalizeContext(context);
  return ctx.length === 0 ? s : new NixString(s, ctx);
}

export function mkPath(path: string): NixPath {
  return new NixPath(path);
}

/** An int value from an integral number or a bigint (the caller keeps it within 64 bits). */
export function mkInt(n: bigint | number): NixInt {
  if (typeof n === "number") return n === 0 ? 0 : n; // no -0
  return n >= -MAX_SAFE_BIG && n <= MAX_SAFE_BIG ? Number(n) : n;
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

export function mkFloat(x: number): NixFloat {
  return new NixFloat(x);
}

export function isInt(v: Value): v is NixInt {
  return typeof v === "number" || typeof v === "bigint";
}

export function isFloat(v: Value): v is NixFloat {
  return v instanceof NixFloat;
}

/** An int as a bigint (exact). */
export function intToBigInt(n: NixInt): bigint {
  return typeof n === "bigint" ? n : BigInt(n);
}

/** An int as a JS number (exact in the safe range; as C++'s int → double beyond). */
export function intToNumber(n: NixInt): number {
  return typeof n === "number" ? n : Number(n);
}

/** Sorted duplicate-free context (byte order, as CppNix's std::set). */
export function normalizeContext(context: Iterable<string>): string[] {
  const arr = Array.isArray(context) ? (context as string[]).slice() : [...context];
  arr.sort();
  let w = 0;
  for (let r = 0; r < arr.length; r++) if (w === 0 || arr[r] !== arr[w - 1]) arr[w++] = arr[r]!;
  arr.length = w;
  return arr;
}

/** Union of two contexts (either may be empty). */
export function mergeContext(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0 || a === b) return a;
  // Both are sorted and duplicate-free: a linear merge (strings gather context
  // one part at a time, so re-sorting each time would be quadratic).
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) {
      out.push(x);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  // Merging a subset gives back the larger side, so repeated merges share arrays.
  if (out.length === a.length) return a;
  if (out.length === b.length) return b;
  return out;
}

export const EMPTY_CONTEXT: readonly string[] = Object.freeze([]);

/** The bytes of a string value (without its context). */
export function stringBytes(v: string | NixString): string {
  return typeof v === "string" ? v : v.s;
}

/** The context of a string value (empty for plain strings). */
export function stringContext(v: string | NixString): readonly string[] {
  return typeof v === "string" ? EMPTY_CONTEXT : v.context;
}

/** True for a string value (with or without context). */
export function isString(v: Value): v is string | NixString {
  return typeof v === "string" || v instanceof NixString;
}

export function isList(v: Value): v is Lazy[] {
  return Array.isArray(v);
}

export function isFunction(v: Value): v is NixLambda | PrimOp | PrimOpApp {
  return v instanceof NixLambda || v instanceof PrimOp || v instanceof PrimOpApp;
}

// ---------------------------------------------------------------- type names

/** `builtins.typeOf` names. */
export type TypeName = "int" | "float" | "bool" | "null" | "string" | "path" | "set" | "list" | "lambda";

export function typeOf(v: Value): TypeName {
  switch (typeof v) {
    case "number":
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    case "string":
      return "string";
    case "object":
      if (v === null) return "null";
      if (Array.isArray(v)) return "list";
      if (v instanceof NixAttrs) return "set";
      if (v instanceof NixString) return "string";
      if (v instanceof NixPath) return "path";
      if (v instanceof NixFloat) return "float";
      return "lambda";
  }
  throw new Error(`unknown value ${String(v)}`);
}

/** CppNix's `showType(Value)`: "an integer", "a set", "the built-in function 'map'", … */
export function showType(v: Lazy): string {
  if (v instanceof Thunk) return "a thunk";
  if (v instanceof NixString) return "a string with context";
  // CppNix names a primop without its `__` prefix (`__add` is 'add').
  if (v instanceof PrimOp) return `the built-in function '${v.name.replace(/^__/, "")}'`;
  if (v instanceof PrimOpApp) return `the partially applied built-in function '${v.primop.name.replace(/^__/, "")}'`;
  return showTypeName(typeOf(v));
}

/** CppNix's `showType(ValueType)`. */
export function showTypeName(t: TypeName): string {
  switch (t) {
    case "int":
      return "an integer";
    case "float":
      return "a float";
    case "bool":
      return "a Boolean";
    case "null":
      return "null";
    case "string":
      return "a string";
    case "path":
      return "a path";
    case "set":
      return "a set";
    case "list":
      return "a list";
    case "lambda":
      return "a function";
  }
}

// ---------------------------------------------------------------- byte strings

/** A Nix byte string → a JS (UTF-16) file-system path / text for Node APIs. */
export function toFsPath(bytes: string): string {
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** A JS (UTF-16) path or text from Node APIs → a Nix byte string. */
export function fromFsPath(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** Raw bytes (e.g. file contents) → a Nix byte string. */
export function bytesToNix(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** A Nix byte string → raw bytes (e.g. for writing or hashing). */
export function nixToBytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}
