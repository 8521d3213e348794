/**
 * The Nix abstract syntax tree, shaped after CppNix 2.8's `Expr` classes so that
 * evaluation (and `nix-instantiate --parse` output) matches CppNix exactly.
 *
 * Conventions:
 * - A discriminated union on `kind`. Every node of one kind is built by one
 *   constructor function in the parser with all fields present (no optional fields
 *   added later), so V8 sees one hidden class per kind.
 * - `pos` is a global position number (see source.ts; `resolvePos(pos)` gives
 *   file:line:column, `NO_POS` = 0 means none). The position is the one CppNix
 *   attaches to the same node (mostly the start of the construct).
 * - Desugaring mirrors CppNix 2.8's parser: these are NOT node kinds but calls to
 *   variables, so a user binding named e.g. `__sub` in scope changes their meaning:
 *     a - b   → Call(Var __sub, [a, b])            -a     → Call(Var __sub, [Int 0, a])
 *     a * b   → Call(Var __mul, [a, b])            a / b  → Call(Var __div, [a, b])
 *     a < b   → Call(Var __lessThan, [a, b])       a > b  → Call(Var __lessThan, [b, a])
 *     a <= b  → Not(Call(Var __lessThan, [b, a]))  a >= b → Not(Call(Var __lessThan, [a, b]))
 *     <p>     → Call(Var __findFile, [Var __nixPath, String "p"])
 *     a + b   → ConcatStrings(forceString=false, [a, b])   (ExprConcatStrings does `+`)
 *     "x${y}" → ConcatStrings(forceString=true, parts)
 *     ./a${b} → ConcatStrings(forceString=false, [Path, ...parts])
 *     let { body = e; … }  → Select(rec Attrs, ["body"])
 *     f or    → Call(f, [Var or])    (nixpkgs' old function named `or`)
 *   Application is n-ary: `f a b` is one Call with args [a, b]; like CppNix, an
 *   argument is appended to any Call on the left, even a parenthesised one or a
 *   desugared operator: `(a - b) c` is Call(Var __sub, [a, b, c]).
 * - Identifier and attribute names coming from identifiers are interned strings
 *   (one string object per distinct name in the process).
 * - URIs (`http://x`) are plain String nodes. Paths are absolute at parse time:
 *   `./a` is resolved against the directory of the file (or the base directory of
 *   an `-E` string), `~/a` against $HOME.
 *
 * Static scope resolution: Var nodes carry mutable `level`, `displ` and `fromWith`
 * fields (initialised to -1 / -1 / false by the parser) and With nodes a mutable
 * `prevWith`; the evaluator fills them in its own bindVars-like pass after parsing
 * (the evaluator owns that pass and any undefined-variable error it reports). Attrs
 * nodes may be given displacements through the order of `defs` (a Map keeps
 * insertion order). Int/Float/String/Path nodes have a mutable `cache` slot
 * (undefined from the parser) where the evaluator may keep the constant's Value;
 * Lambda and Attrs nodes a `code` slot (null) for their compiled form: a field is
 * read faster than a WeakMap and costs the garbage collector nothing extra.
 */

/** A global position number (see source.ts). */
export type Pos = number;

export type Expr =
  | IntExpr
  | FloatExpr
  | StringExpr
  | PathExpr
  | VarExpr
  | SelectExpr
  | HasAttrExpr
  | AttrsExpr
  | ListExpr
  | LambdaExpr
  | CallExpr
  | LetExpr
  | WithExpr
  | IfExpr
  | AssertExpr
  | NotExpr
  | BinaryExpr
  | ConcatStringsExpr
  | CurPosExpr;

/** 64-bit integer literal; the exact value (the parser rejects literals > 2^63-1, as CppNix). */
export interface IntExpr {
  readonly kind: "int";
  readonly value: bigint;
  cache: unknown;
}

export interface FloatExpr {
  readonly kind: "float";
  readonly value: number;
  cache: unknown;
}

/** A string without interpolation (escapes already processed), or a URI. */
export interface StringExpr {
  readonly kind: "string";
  readonly value: string;
  cache: unknown;
}

/** A path literal, already absolute and canonical as CppNix's `absPath` makes it. */
export interface PathExpr {
  readonly kind: "path";
  readonly value: string;
  cache: unknown;
}

/**
 * A variable reference. `level`, `displ`, `fromWith` belong to the evaluator's
 * scope pass: the number of scopes up, the slot in that scope, and whether the
 * name is looked up dynamically in the `with` at `level`.
 */
export interface VarExpr {
  readonly kind: "var";
  readonly pos: Pos;
  readonly name: string;
  level: number;
  displ: number;
  fromWith: boolean;
}

/** One element of an attribute path: a static name, or an expression (`${e}` or an interpolated string). */
export type AttrName = string | Expr;

/** `e.a.b` and `e.a.b or def`. */
export interface SelectExpr {
  readonly kind: "select";
  readonly pos: Pos;
  readonly expr: Expr;
  readonly path: AttrName[];
  readonly default: Expr | null;
}

/** `e ? a.b` (chains left: `e ? a ? b`). `pos` is the start of `e` (CppNix keeps none). */
export interface HasAttrExpr {
  readonly kind: "hasAttr";
  readonly pos: Pos;
  readonly expr: Expr;
  readonly path: AttrName[];
}

/**
 * How an attribute got its value:
 * - "plain": `name = value;` (value may be a nested Attrs built from `a.b.c = …`);
 * - "inherit": `inherit name;` — value is Var(name), resolved in the scope
 *   *enclosing* the set (also for `rec` sets and `let`), as in CppNix;
 * - "inheritFrom": `inherit (src) name;` — value is Select(src, [name]) where `src`
 *   is the one shared Expr object of that inherit clause, also listed in
 *   `AttrsExpr.inheritFrom[fromIndex]`, so an evaluator can evaluate it once per
 *   set instantiation (CppNix 2.8 re-evaluates it per name; both are observably the
 *   same except for work done). `src` is evaluated in the enclosing scope for
 *   non-rec sets and in the set's own scope for `rec` sets and `let`.
 */
export type AttrDefKind = "plain" | "inherit" | "inheritFrom";

export interface AttrDef {
  readonly kind: AttrDefKind;
  /** The value; for "plain" defs of merged paths, a (mutated) nested AttrsExpr. */
  value: Expr;
  /** Position of the attribute path (of the name list for inherits). */
  readonly pos: Pos;
  /** Index into the owning AttrsExpr's `inheritFrom` for "inheritFrom", else -1. */
  readonly fromIndex: number;
}

/** `"${name}" = value;` — a dynamic attribute (not allowed in `let`). */
export interface DynamicAttrDef {
  readonly name: Expr;
  readonly value: Expr;
  readonly pos: Pos;
}

/**
 * `{ … }` and `rec { … }`; also the bindings of a `let`.
 * `a.b.c = 1; a.b.d = 2;` is merged into nested non-rec AttrsExprs exactly as
 * CppNix's `addAttr` does (including merging `a = { … }; a.x = …;` into the literal
 * set, and the "attribute 'a.x' already defined at file:line:col" error).
 */
export interface AttrsExpr {
  readonly kind: "attrs";
  readonly pos: Pos;
  rec: boolean;
  /** Static attributes in order of first definition. */
  readonly defs: Map<string, AttrDef>;
  /** Dynamic attributes in source order. */
  readonly dynamic: DynamicAttrDef[];
  /** Source expressions of `inherit (src) …` clauses, in source order. */
  readonly inheritFrom: Expr[];
  /** The evaluator's compiled form of the bindings (null from the parser). */
  code: unknown;
}

export interface ListExpr {
  readonly kind: "list";
  readonly elems: Expr[];
}

export interface Formal {
  readonly pos: Pos;
  readonly name: string;
  readonly default: Expr | null;
}

/**
 * `{ a, b ? d, ... }` — entries in source order (CppNix sorts them by symbol
 * address, which only shows in `--parse` output); names are unique (checked at parse).
 */
export interface Formals {
  readonly entries: Formal[];
  readonly ellipsis: boolean;
}

/**
 * `x: body`, `{ … }: body`, `{ … } @ x: body`, `x @ { … }: body`.
 * `arg` is the bound name ("" if none, i.e. plain formals). `name` is the attribute
 * name the lambda was bound to (`f = x: …;` names it `f`), for error messages and
 * traces, as CppNix's `setName`; "" when anonymous.
 */
export interface LambdaExpr {
  readonly kind: "lambda";
  readonly pos: Pos;
  readonly arg: string;
  readonly formals: Formals | null;
  readonly body: Expr;
  name: string;
  /** The evaluator's compiled form (null from the parser). */
  code: unknown;
}

/** `fn a b c` (n-ary application, see the module comment). */
export interface CallExpr {
  readonly kind: "call";
  readonly pos: Pos;
  readonly fn: Expr;
  readonly args: Expr[];
}

/** `let … in body`; `attrs.rec` is true, `attrs.dynamic` is empty. */
export interface LetExpr {
  readonly kind: "let";
  readonly pos: Pos;
  readonly attrs: AttrsExpr;
  readonly body: Expr;
}

/** `with attrs; body`. `prevWith` is for the evaluator's scope pass (-1 from the parser). */
export interface WithExpr {
  readonly kind: "with";
  readonly pos: Pos;
  readonly attrs: Expr;
  readonly body: Expr;
  prevWith: number;
}

export interface IfExpr {
  readonly kind: "if";
  readonly pos: Pos;
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
}

export interface AssertExpr {
  readonly kind: "assert";
  readonly pos: Pos;
  readonly cond: Expr;
  readonly body: Expr;
}

/** `!e` (also the outer node of desugared `<=` and `>=`). CppNix gives it no position. */
export interface NotExpr {
  readonly kind: "not";
  readonly expr: Expr;
}

/**
 * Binary operators CppNix keeps as their own node kinds; `pos` is the operator
 * token's (current CppNix; 2.8 had none for `==`/`!=` and the left operand's start for the others).
 * Associativity as in CppNix: `->`, `//`, `++` right; `||`, `&&` left;
 * `==`, `!=` non-associative.
 */
export type BinaryOp = "==" | "!=" | "&&" | "||" | "->" | "//" | "++";

export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly pos: Pos;
  readonly left: Expr;
  readonly right: Expr;
}

/**
 * String concatenation / `+`. `forceString` is true for interpolated strings
 * ("a${b}", ''a${b}''), false for `a + b` and interpolated paths (`./a/${b}`).
 * `partPos[i]` is the position of `parts[i]`.
 */
export interface ConcatStringsExpr {
  readonly kind: "concatStrings";
  readonly pos: Pos;
  readonly forceString: boolean;
  readonly parts: Expr[];
  readonly partPos: Pos[];
}

/** `__curPos`: evaluates to `{ file, line, column }` of its own position. */
export interface CurPosExpr {
  readonly kind: "curPos";
  readonly pos: Pos;
}
