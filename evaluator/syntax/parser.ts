/**
 * The Nix parser: recursive descent with precedence climbing for operators,
 * reproducing CppNix 2.8's bison grammar (parser.y): the same desugaring, the same
 * precedence and associativity, the same attribute-path merging and the same
 * errors and positions (see ast.ts for the node shapes).
 */
import type {
  AttrName,
  AttrsExpr,
  CallExpr,
  ConcatStringsExpr,
  Expr,
  Formal,
  LambdaExpr,
  StringExpr,
  VarExpr,
} from "./ast.js";
import { NixSyntaxError } from "./errors.js";
import { Lexer, T, ch, tokenName, type Token } from "./lexer.js";
import { lintWarn, pathLiteralLint, urlLiteralLint } from "./lints.js";
import { syntaxWarning } from "./warnings.js";
import { absPath, homeDir } from "./paths.js";
import { showAttrPath } from "./show.js";
import { NO_POS, showPos, sourceOf, type Source } from "./source.js";

const C_COLON = ch(":");
const C_AT = ch("@");
const C_SEMI = ch(";");
const C_LBRACE = ch("{");
const C_RBRACE = ch("}");
const C_LPAREN = ch("(");
const C_RPAREN = ch(")");
const C_LBRACK = ch("[");
const C_RBRACK = ch("]");
const C_DOT = ch(".");
const C_QUESTION = ch("?");
const C_BANG = ch("!");
const C_MINUS = ch("-");
const C_PLUS = ch("+");
const C_STAR = ch("*");
const C_SLASH = ch("/");
const C_LT = ch("<");
const C_GT = ch(">");
const C_EQUALS = ch("=");
const C_COMMA = ch(",");
const C_QUOTE = ch('"');

const ATTR_EXPECTING = `identifier or 'or' or '\${' or '"'`;

// Binary operator precedence (higher binds tighter) as in parser.y; NOT is 7 and
// unary minus (NEGATE) 12, both prefix.
const PREC_NOT = 7;
const PREC_NEGATE = 12;
const PREC = new Int8Array(256);
const RIGHT = new Uint8Array(256);
const NONASSOC = new Uint8Array(256);
function op(type: number, prec: number, assoc: "left" | "right" | "none"): void {
  PREC[type] = prec;
  if (assoc === "right") RIGHT[type] = 1;
  if (assoc === "none") NONASSOC[type] = 1;
}
op(T.IMPL, 1, "right");
op(T.OR, 2, "left");
op(T.AND, 3, "left");
op(T.EQ, 4, "none");
op(T.NEQ, 4, "none");
op(C_LT, 5, "none");
op(C_GT, 5, "none");
op(T.LEQ, 5, "none");
op(T.GEQ, 5, "none");
op(T.UPDATE, 6, "right");
op(C_PLUS, 8, "left");
op(C_MINUS, 8, "left");
op(C_STAR, 9, "left");
op(C_SLASH, 9, "left");
op(T.CONCAT, 10, "right");
// `%nonassoc '?'` never fires: its right side is an attrpath, so `a ? b ? c` chains.
op(C_QUESTION, 11, "left");

/** Tokens that can start an `expr_select` (an application argument). */
const STARTS_SELECT = new Uint8Array(256);
for (const t of [T.ID, T.INT, T.FLOAT, C_QUOTE, T.IND_STRING_OPEN, T.PATH, T.HPATH, T.SPATH, T.URI, C_LPAREN, T.LET, T.REC, C_LBRACE, C_LBRACK]) {
  STARTS_SELECT[t] = 1;
}

const MAX_INT = (1n << 63n) - 1n;
const DBL_MIN = 2.2250738585072014e-308;

export interface ParseOptions {
  /** Directory that relative paths (`./x`) are resolved against. */
  readonly basePath: string;
  /** Home directory for `~/x` paths (default: $HOME). */
  readonly home?: string;
}

type IndPart = { str: string; indent: boolean; pos: number } | { expr: Expr; pos: number };

/** Parses a whole source into an expression; throws NixSyntaxError. */
export function parseSource(source: Source, options: ParseOptions): Expr {
  return new Parser(source, options).parseAll();
}

class Parser {
  private readonly lexer: Lexer;
  private readonly base: number;
  /** The current lookahead token and any further ones already lexed. */
  private tok: Token;
  /** Tokens after `tok` already lexed (at most two: formals need `{ x ,`), null when not. */
  private ahead1: Token | null = null;
  private ahead2: Token | null = null;
  /** End offset of the last consumed token. */
  private prevEnd = 0;
  private readonly basePath: string;
  private home: string | undefined;
  private readonly text: string;
  /** The last `f or` call made by the legacy rule, until a use warns about it. */
  private cursedOr: { call: CallExpr; start: number; end: number } | null = null;

  constructor(
    source: Source,
    options: ParseOptions,
  ) {
    this.base = source.base;
    this.text = source.text;
    this.lexer = new Lexer(source.text, source.base);
    this.basePath = options.basePath;
    this.home = options.home;
    this.tok = this.lexer.next();
  }

  parseAll(): Expr {
    try {
      const e = this.parseExpr();
      if (this.tok.type !== T.EOF) this.unexpected(this.tok, "end of file");
      return e;
    } catch (err) {
      // Nesting deeper than the JS stack allows (thousands of levels; CppNix's
      // bison stack stops at 10000): report it as CppNix reports its limit.
      if (err instanceof RangeError) throw new NixSyntaxError("memory exhausted", this.base + this.tok.start);
      throw err;
    }
  }

  // ---- tokens -------------------------------------------------------------

  private advance(): Token {
    const t = this.tok;
    this.prevEnd = t.end;
    const a = this.ahead1;
    if (a === null) this.tok = this.lexer.next();
    else {
      this.tok = a;
      this.ahead1 = this.ahead2;
      this.ahead2 = null;
    }
    return t;
  }

  /** The current token (a call, so TypeScript does not narrow it across advance()). */
  private current(): Token {
    return this.tok;
  }

  /** The token k places after the current one (k >= 1). */
  private peek(k: 1 | 2): Token {
    const a = (this.ahead1 ??= this.lexer.next());
    if (k === 1) return a;
    return (this.ahead2 ??= this.lexer.next());
  }

  private expect(type: number, expecting?: string): Token {
    if (this.tok.type !== type) this.unexpected(this.tok, expecting ?? tokenName(type));
    return this.advance();
  }

  private unexpected(t: Token, expecting?: string): never {
    const msg = `syntax error, unexpected ${tokenName(t.type)}` + (expecting ? `, expecting ${expecting}` : "");
    // Current CppNix puts an unexpected end of file after the last lexeme read (trailing
    // whitespace and comments included; 2.8: at that lexeme's start).
    throw new NixSyntaxError(msg, this.base + (t.type === T.EOF ? t.end : t.start));
  }

  /** Current CppNix refuses NUL bytes in string literals (its strings are C strings). */
  private rejectNul(text: string, start: number): void {
    if (!text.includes("\0")) return;
    this.error(`input string '${text.replaceAll("\0", "\u00e2\u0090\u0080")}' cannot be represented as Nix string because it contains null bytes`, this.at(start));
  }

  private lint(finding: { level: string; message: string }, pos: number): void {
    if (finding.level === "fatal") this.error(finding.message, pos);
    lintWarn(finding.message, pos);
  }

  private error(message: string, pos: number): never {
    throw new NixSyntaxError(message, pos);
  }

  private at(offset: number): number {
    return this.base + offset;
  }

  // ---- node constructors ----------------------------------------------------

  private var(pos: number, name: string): VarExpr {
    return { kind: "var", pos, name, level: -1, displ: -1, fromWith: false };
  }

  private str(value: string): StringExpr {
    return { kind: "string", value, cache: undefined };
  }

  private call(pos: number, fn: Expr, args: Expr[]): CallExpr {
    return { kind: "call", pos, fn, args };
  }

  private newAttrs(pos: number): AttrsExpr {
    return { kind: "attrs", pos, rec: false, defs: new Map(), dynamic: [], inheritFrom: [], code: null };
  }

  // ---- expressions --------------------------------------------------------

  /** expr / expr_function */
  private parseExpr(): Expr {
    const t = this.tok;
    switch (t.type) {
      case T.ID: {
        const next = this.peek(1).type;
        if (next === C_COLON) {
          this.advance();
          this.advance();
          return this.lambda(this.at(t.start), t.text, null, this.parseExpr());
        }
        if (next === C_AT) {
          this.advance();
          this.advance();
          if (this.tok.type !== C_LBRACE) this.unexpected(this.tok, "'{'");
          return this.parseFormalsLambda(t.start, t.text);
        }
        break;
      }
      case C_LBRACE:
        if (this.looksLikeFormals()) return this.parseFormalsLambda(t.start, "");
        break;
      case T.ASSERT: {
        this.advance();
        const cond = this.parseExpr();
        this.expect(C_SEMI);
        return { kind: "assert", pos: this.at(t.start), cond, body: this.parseExpr() };
      }
      case T.WITH: {
        this.advance();
        const attrs = this.parseExpr();
        this.expect(C_SEMI);
        return { kind: "with", pos: this.at(t.start), attrs, body: this.parseExpr(), prevWith: -1 };
      }
      case T.LET: {
        if (this.peek(1).type === C_LBRACE) break; // legacy `let { … }`
        this.advance();
        const attrs = this.parseBinds(this.at(t.start), T.IN);
        this.expect(T.IN);
        const body = this.parseExpr();
        if (attrs.dynamic.length > 0) this.error("dynamic attributes not allowed in let", this.at(t.start));
        attrs.rec = true;
        return { kind: "let", pos: this.at(t.start), attrs, body };
      }
      case T.IF: {
        this.advance();
        const cond = this.parseExpr();
        this.expect(T.THEN);
        const then = this.parseExpr();
        this.expect(T.ELSE);
        return { kind: "if", pos: this.at(t.start), cond, then, else: this.parseExpr() };
      }
    }
    return this.parsePipes();
  }

  /**
   * expr_pipe_into / expr_pipe_from of current CppNix (the lexer refuses the tokens
   * unless `pipe-operators` is on): `x |> f |> g` is `g (f x)`, `f <| g <| x` is
   * `f (g x)`; the two do not mix. Each is a call at the operator.
   */
  private parsePipes(): Expr {
    let left = this.parseOp(1);
    if (this.tok.type === T.PIPE_INTO) {
      while (this.tok.type === T.PIPE_INTO) {
        const pos = this.at(this.advance().start);
        left = this.makeCall(pos, this.parseOp(1), left);
      }
      return left;
    }
    if (this.tok.type !== T.PIPE_FROM) return left;
    // Right-associative: collect the chain, then apply from the right.
    const fns: { fn: Expr; pos: number }[] = [];
    while (this.tok.type === T.PIPE_FROM) {
      fns.push({ fn: left, pos: this.at(this.advance().start) });
      left = this.parseOp(1);
    }
    for (let k = fns.length - 1; k >= 0; k--) left = this.makeCall(fns[k]!.pos, fns[k]!.fn, left);
    return left;
  }

  /** CppNix's makeCall: an argument is appended to a call on the left (`x |> f a` is `f a x`). */
  private makeCall(pos: number, fn: Expr, arg: Expr): Expr {
    if (fn.kind === "call") {
      fn.args.push(arg);
      return fn;
    }
    return this.call(pos, fn, [arg]);
  }

  private lambda(pos: number, arg: string, formals: LambdaExpr["formals"], body: Expr): LambdaExpr {
    return { kind: "lambda", pos, arg, formals, body, name: "", code: null };
  }

  /** At `{`: do formals follow (rather than bindings)? */
  private looksLikeFormals(): boolean {
    const t1 = this.peek(1).type;
    if (t1 === T.ELLIPSIS) return true;
    if (t1 === C_RBRACE) {
      const t2 = this.peek(2).type;
      // `=` cannot follow an expression, so CppNix's error comes from the formals reading.
      return t2 === C_COLON || t2 === C_AT || t2 === C_EQUALS;
    }
    if (t1 === T.ID) {
      const t2 = this.peek(2).type;
      return t2 === C_COMMA || t2 === C_QUESTION || t2 === C_RBRACE;
    }
    return false;
  }

  /** `{ formals } : body`, `{ formals } @ x : body`, or (arg given) `x @ { formals } : body`. */
  private parseFormalsLambda(start: number, argBefore: string): Expr {
    this.expect(C_LBRACE);
    const entries: Formal[] = [];
    let ellipsis = false;
    for (;;) {
      const t = this.tok;
      if (t.type === C_RBRACE) break;
      if (t.type === T.ELLIPSIS) {
        this.advance();
        ellipsis = true;
        if (this.tok.type !== C_RBRACE) this.unexpected(this.tok, "'}'");
        break;
      }
      if (t.type !== T.ID) this.unexpected(t);
      this.advance();
      let def: Expr | null = null;
      if (this.tok.type === C_QUESTION) {
        this.advance();
        def = this.parseExpr();
      }
      entries.push({ pos: this.at(t.start), name: t.text, default: def });
      if (this.tok.type === C_COMMA) {
        this.advance();
        continue;
      }
      // Current CppNix's grammar has reduced the formal into `formals` here, where
      // `}` and `,` may follow (2.8 said "expecting '}'"; upstream parse-fail-undef-var-2).
      if (this.tok.type !== C_RBRACE) this.unexpected(this.tok, "'}' or ','");
      break;
    }
    this.advance();
    let arg = argBefore;
    if (argBefore === "" && this.tok.type === C_AT) {
      this.advance();
      arg = this.expect(T.ID).text;
    }
    if (this.tok.type !== C_COLON) this.unexpected(this.tok, arg === "" ? "':' or '@'" : "':'");
    this.advance();
    this.checkFormals(entries, arg, this.at(start));
    return this.lambda(this.at(start), arg, { entries, ellipsis }, this.parseExpr());
  }

  /** CppNix's duplicate checks in `toFormals`. */
  private checkFormals(entries: Formal[], arg: string, lambdaPos: number): void {
    if (entries.length > 1) {
      const firstIndex = new Map<string, number>();
      let dupRank = Infinity;
      let dup: Formal | undefined;
      entries.forEach((f, i) => {
        const first = firstIndex.get(f.name);
        if (first === undefined) {
          firstIndex.set(f.name, i);
          return;
        }
        // CppNix reports the smallest (symbol, position) pair; symbols rank by
        // creation, i.e. by first occurrence here. The first repeat is the smallest
        // position for its name.
        if (first < dupRank) {
          dupRank = first;
          dup = f;
        }
      });
      if (dup) this.error(`duplicate formal function argument '${dup.name}'`, dup.pos);
    }
    if (arg !== "" && entries.some((f) => f.name === arg)) {
      this.error(`duplicate formal function argument '${arg}'`, lambdaPos);
    }
  }

  /** expr_op: binary and prefix operators by precedence climbing. */
  private parseOp(minPrec: number): Expr {
    const start = this.tok.start;
    let left = this.parseUnary();
    let lastNonassoc = -1;
    for (;;) {
      const type = this.tok.type;
      const prec = type < 256 ? PREC[type]! : 0;
      if (prec === 0 || prec < minPrec) return left;
      if (prec === lastNonassoc) this.unexpected(this.tok);
      // Current CppNix places binary operators at the operator token (2.8: at the left operand).
      const opPos = this.at(this.tok.start);
      this.advance();
      const pos = this.at(start);
      if (type === C_QUESTION) {
        left = { kind: "hasAttr", pos, expr: left, path: this.parseAttrPath() };
      } else {
        const rightStart = this.tok.start;
        const right = this.parseOp(RIGHT[type] ? prec : prec + 1);
        left = this.binary(type, opPos, pos, left, right, rightStart);
      }
      lastNonassoc = NONASSOC[type] ? prec : -1;
    }
  }

  private binary(type: number, pos: number, leftPos: number, left: Expr, right: Expr, rightStart: number): Expr {
    switch (type) {
      case T.EQ:
        return { kind: "binary", op: "==", pos, left, right };
      case T.NEQ:
        return { kind: "binary", op: "!=", pos, left, right };
      case T.AND:
        return { kind: "binary", op: "&&", pos, left, right };
      case T.OR:
        return { kind: "binary", op: "||", pos, left, right };
      case T.IMPL:
        return { kind: "binary", op: "->", pos, left, right };
      case T.UPDATE:
        return { kind: "binary", op: "//", pos, left, right };
      case T.CONCAT:
        return { kind: "binary", op: "++", pos, left, right };
      case C_PLUS: {
        const e: ConcatStringsExpr = {
          kind: "concatStrings",
          pos,
          forceString: false,
          parts: [left, right],
          partPos: [leftPos, this.at(rightStart)],
        };
        return e;
      }
      case C_MINUS:
        return this.call(pos, this.var(NO_POS, "__sub"), [left, right]);
      case C_STAR:
        return this.call(pos, this.var(NO_POS, "__mul"), [left, right]);
      case C_SLASH:
        return this.call(pos, this.var(NO_POS, "__div"), [left, right]);
      case C_LT:
        return this.call(pos, this.var(NO_POS, "__lessThan"), [left, right]);
      case C_GT:
        return this.call(pos, this.var(NO_POS, "__lessThan"), [right, left]);
      case T.LEQ:
        return { kind: "not", expr: this.call(pos, this.var(NO_POS, "__lessThan"), [right, left]) };
      default: // GEQ
        return { kind: "not", expr: this.call(pos, this.var(NO_POS, "__lessThan"), [left, right]) };
    }
  }

  private parseUnary(): Expr {
    const t = this.tok;
    if (t.type === C_BANG) {
      this.advance();
      return { kind: "not", expr: this.parseOp(PREC_NOT + 1) };
    }
    if (t.type === C_MINUS) {
      this.advance();
      const operand = this.parseOp(PREC_NEGATE + 1);
      const zero: Expr = { kind: "int", value: 0n, cache: undefined };
      return this.call(this.at(t.start), this.var(NO_POS, "__sub"), [zero, operand]);
    }
    return this.parseApp();
  }

  /** expr_app: n-ary application; arguments are appended to any Call on the left. */
  private parseApp(): Expr {
    const start = this.tok.start;
    let fn = this.parseSelect();
    this.cursedOr = null; // in function position its meaning stays (CppNix's resetCursedOr)
    while (STARTS_SELECT[this.tok.type]) {
      const arg = this.parseSelect();
      this.warnIfCursedOr(arg);
      if (fn.kind === "call") fn.args.push(arg);
      else fn = this.call(this.at(start), fn, [arg]);
    }
    return fn;
  }

  /** expr_select: `e.a.b`, `e.a.b or d`, and the legacy `f or`. */
  private parseSelect(): Expr {
    const start = this.tok.start;
    const e = this.parseSimple();
    if (this.tok.type === C_DOT) {
      this.advance();
      const path = this.parseAttrPath();
      let def: Expr | null = null;
      if (this.tok.type === T.OR_KW) {
        this.advance();
        def = this.parseSelect();
        this.warnIfCursedOr(def);
      }
      return { kind: "select", pos: this.at(start), expr: e, path, default: def };
    }
    if (this.tok.type === T.OR_KW) {
      this.advance();
      const pos = this.at(start);
      const call = this.call(pos, e, [this.var(pos, "or")]);
      this.cursedOr = { call, start, end: this.prevEnd };
      return call;
    }
    return e;
  }

  /**
   * Current CppNix warns when a `f or` call from the rule above is an argument, a
   * list element or an `or` default: there its meaning will change once `or` becomes
   * an ordinary identifier (as the function of an application it will not).
   */
  private warnIfCursedOr(e: Expr): void {
    const cursed = this.cursedOr;
    if (cursed === null || cursed.call !== e) return;
    this.cursedOr = null;
    syntaxWarning(
      this.at(cursed.start),
      "This expression uses `or` as an identifier in a way that will change in a future Nix release.\n" +
        "Wrap this entire expression in parentheses to preserve its current meaning:\n" +
        `    (${this.text.slice(cursed.start, cursed.end)})\n` +
        "Give feedback at https://github.com/NixOS/nix/pull/11121",
    );
  }

  private parseSimple(): Expr {
    const t = this.tok;
    switch (t.type) {
      case T.ID:
        this.advance();
        if (t.text === "__curPos") return { kind: "curPos", pos: this.at(t.start) };
        return this.var(this.at(t.start), t.text);
      case T.INT: {
        this.advance();
        const value = BigInt(t.text);
        if (value > MAX_INT) this.error(`invalid integer '${t.text}'`, this.at(t.start));
        return { kind: "int", value, cache: undefined };
      }
      case T.FLOAT: {
        this.advance();
        const value = Number(t.text);
        // strtod's ERANGE: overflow, and underflow to zero or to a subnormal.
        const abs = Math.abs(value);
        if (abs === Infinity || (abs < DBL_MIN && (abs !== 0 || /[1-9]/.test(t.text.replace(/[eE].*/, ""))))) {
          this.error(`invalid float '${t.text}'`, this.at(t.start));
        }
        return { kind: "float", value, cache: undefined };
      }
      case C_QUOTE:
        return this.parseString();
      case T.IND_STRING_OPEN:
        return this.parseIndString();
      case T.PATH:
      case T.HPATH:
        return this.parsePath();
      case T.SPATH: {
        this.advance();
        const name = t.text.slice(1, -1);
        return this.call(this.at(t.start), this.var(NO_POS, "__findFile"), [this.var(NO_POS, "__nixPath"), this.str(name)]);
      }
      case T.URI: {
        this.advance();
        const lint = urlLiteralLint(t.text);
        if (lint) this.lint(lint, this.at(t.start));
        return this.str(t.text);
      }
      case C_LPAREN: {
        this.advance();
        const e = this.parseExpr();
        this.expect(C_RPAREN);
        return e;
      }
      case T.LET: {
        // `let { … }` is `(rec { … }).body`, both at the `let` token (current CppNix; 2.8 had no position).
        const letPos = this.at(t.start);
        this.advance();
        this.expect(C_LBRACE);
        const attrs = this.parseBinds(letPos, C_RBRACE);
        this.expect(C_RBRACE);
        attrs.rec = true;
        return { kind: "select", pos: letPos, expr: attrs, path: ["body"], default: null };
      }
      case T.REC: {
        this.advance();
        const open = this.expect(C_LBRACE);
        const attrs = this.parseBinds(this.at(open.start), C_RBRACE);
        this.expect(C_RBRACE);
        attrs.rec = true;
        return attrs;
      }
      case C_LBRACE: {
        this.advance();
        const attrs = this.parseBinds(this.at(t.start), C_RBRACE, "'inherit'");
        this.expect(C_RBRACE);
        return attrs;
      }
      case C_LBRACK: {
        this.advance();
        const elems: Expr[] = [];
        while (this.tok.type !== C_RBRACK) {
          if (!STARTS_SELECT[this.tok.type]) this.unexpected(this.tok);
          const elem = this.parseSelect();
          this.warnIfCursedOr(elem);
          elems.push(elem);
        }
        this.advance();
        return { kind: "list", elems };
      }
    }
    return this.unexpected(t);
  }

  // ---- strings and paths ----------------------------------------------------

  /** `"…"`: one literal, or a forced-string concatenation of its parts. */
  private parseString(): Expr {
    this.advance();
    // The common cases without allocating part lists: "" and "text".
    const first = this.tok;
    if (first.type === C_QUOTE) {
      this.advance();
      return this.str("");
    }
    if (first.type === T.STR && this.peek(1).type === C_QUOTE) {
      this.rejectNul(first.text, first.start);
      this.advance();
      this.advance();
      return this.str(first.text);
    }
    const parts: Expr[] = [];
    const partPos: number[] = [];
    let single: string | undefined;
    for (;;) {
      const t = this.tok;
      if (t.type === T.STR) {
        this.rejectNul(t.text, t.start);
        this.advance();
        if (parts.length === 0) single = t.text;
        parts.push(this.str(t.text));
        partPos.push(this.at(t.start));
      } else if (t.type === T.DOLLAR_CURLY) {
        this.advance();
        parts.push(this.parseExpr());
        partPos.push(this.at(t.start));
        this.expect(C_RBRACE);
      } else if (t.type === C_QUOTE) {
        this.advance();
        break;
      } else {
        this.unexpected(t, parts.length === 0 ? undefined : "'\"'");
      }
    }
    if (parts.length === 0) return this.str("");
    if (parts.length === 1 && single !== undefined) return parts[0]!;
    return { kind: "concatStrings", pos: partPos[0]!, forceString: true, parts, partPos };
  }

  /** `''…''` with CppNix's indentation stripping. */
  private parseIndString(): Expr {
    const open = this.advance();
    const parts: IndPart[] = [];
    for (;;) {
      const t = this.tok;
      if (t.type === T.IND_STR) {
        this.advance();
        this.rejectNul(t.text, t.start);
        parts.push({ str: t.text, indent: t.indent, pos: this.at(t.start) });
      } else if (t.type === T.DOLLAR_CURLY) {
        this.advance();
        parts.push({ expr: this.parseExpr(), pos: this.at(t.start) });
        this.expect(C_RBRACE);
      } else if (t.type === T.IND_STRING_CLOSE) {
        this.advance();
        break;
      } else {
        this.unexpected(t, "indented string or '${' or end of an indented string");
      }
    }
    return this.stripIndentation(this.at(open.start), parts);
  }

  private stripIndentation(pos: number, parts: IndPart[]): Expr {
    if (parts.length === 0) return this.str("");
    // Minimum indentation; whitespace-only lines (and a whitespace-only final
    // line) do not count, and interpolations / escapes end the leading whitespace.
    // Line by line: spaces are counted only at line starts, the rest of a line is
    // skipped with indexOf.
    let atStartOfLine = true;
    let minIndent = 1000000;
    let curIndent = 0;
    for (const p of parts) {
      if (!("str" in p) || !p.indent) {
        if (atStartOfLine) {
          atStartOfLine = false;
          if (curIndent < minIndent) minIndent = curIndent;
        }
        continue;
      }
      const s = p.str;
      const n = s.length;
      let j = 0;
      while (j < n) {
        if (atStartOfLine) {
          const c = s.charCodeAt(j);
          if (c === 32) curIndent++;
          else if (c === 10) curIndent = 0;
          else {
            atStartOfLine = false;
            if (curIndent < minIndent) minIndent = curIndent;
            continue;
          }
          j++;
        } else {
          const nl = s.indexOf("\n", j);
          if (nl < 0) break;
          atStartOfLine = true;
          curIndent = 0;
          j = nl + 1;
        }
      }
    }

    const out: Expr[] = [];
    const outPos: number[] = [];
    atStartOfLine = true;
    let curDropped = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (!("str" in p)) {
        atStartOfLine = false;
        curDropped = 0;
        out.push(p.expr);
        outPos.push(p.pos);
        continue;
      }
      const s = p.str;
      const n = s.length;
      let s2 = "";
      let j = 0;
      while (j < n) {
        if (atStartOfLine) {
          // A run of spaces: the first (minIndent - already dropped) of them go.
          let k = j;
          while (k < n && s.charCodeAt(k) === 32) k++;
          const drop = Math.min(k - j, Math.max(0, minIndent - curDropped));
          curDropped += k - j;
          if (k > j + drop) s2 += s.slice(j + drop, k);
          j = k;
          if (j >= n) break;
          if (s.charCodeAt(j) === 10) {
            curDropped = 0;
            s2 += "\n";
            j++;
          } else {
            atStartOfLine = false;
            curDropped = 0;
          }
        } else {
          const nl = s.indexOf("\n", j);
          if (nl < 0) {
            s2 += j === 0 ? s : s.slice(j);
            break;
          }
          s2 += s.slice(j, nl + 1);
          atStartOfLine = true;
          j = nl + 1;
        }
      }
      if (i === parts.length - 1) {
        // Drop a final line that is empty or only spaces.
        const nl = s2.lastIndexOf("\n");
        if (nl >= 0 && /^ *$/.test(s2.slice(nl + 1))) s2 = s2.slice(0, nl + 1);
      }
      out.push(this.str(s2));
      outPos.push(p.pos);
    }
    if (out.length === 1 && out[0]!.kind === "string") return out[0]!;
    return { kind: "concatStrings", pos, forceString: true, parts: out, partPos: outPos };
  }

  /** A path literal, possibly with interpolations (`./a/${b}.nix`). */
  private parsePath(): Expr {
    const t = this.advance();
    const pos = this.at(t.start);
    const lint = pathLiteralLint(t.text);
    if (lint) this.lint(lint, pos);
    let value: string;
    if (t.type === T.PATH) {
      value = absPath(t.text, this.basePath);
      if (t.text.length > 1 && t.text.charCodeAt(t.text.length - 1) === 47) value += "/";
    } else {
      value = (this.home ??= homeDir()) + t.text.slice(1);
    }
    const path: Expr = { kind: "path", value, cache: undefined };
    if (this.tok.type === T.PATH_END) {
      this.advance();
      return path;
    }
    const parts: Expr[] = [path];
    const partPos: number[] = [pos];
    if (this.tok.type === T.STR) {
      const s = this.advance();
      parts.push(this.str(s.text));
      partPos.push(this.at(s.start));
      if (this.current().type !== T.DOLLAR_CURLY) this.unexpected(this.tok, "'${'");
    } else if (this.tok.type !== T.DOLLAR_CURLY) {
      this.unexpected(this.tok, "string or '${' or end of path");
    }
    for (;;) {
      const u = this.tok;
      if (u.type === T.STR) {
        this.advance();
        parts.push(this.str(u.text));
        partPos.push(this.at(u.start));
      } else if (u.type === T.DOLLAR_CURLY) {
        this.advance();
        parts.push(this.parseExpr());
        partPos.push(this.at(u.start));
        this.expect(C_RBRACE);
      } else if (u.type === T.PATH_END) {
        this.advance();
        break;
      } else {
        this.unexpected(u);
      }
    }
    return { kind: "concatStrings", pos, forceString: false, parts, partPos };
  }

  // ---- attribute paths and bindings ---------------------------------------

  /** attrpath: attr ('.' attr)*, string attrs that are literals become static names. */
  private parseAttrPath(): AttrName[] {
    const path: AttrName[] = [this.parseAttr()];
    while (this.tok.type === C_DOT) {
      this.advance();
      path.push(this.parseAttr());
    }
    return path;
  }

  private parseAttr(): AttrName {
    const t = this.tok;
    switch (t.type) {
      case T.ID:
        this.advance();
        return t.text;
      case T.OR_KW:
        this.advance();
        return "or";
      case C_QUOTE: {
        const e = this.parseString();
        return e.kind === "string" ? e.value : e;
      }
      case T.DOLLAR_CURLY: {
        this.advance();
        const e = this.parseExpr();
        this.expect(C_RBRACE);
        return e.kind === "string" ? e.value : e;
      }
    }
    return this.unexpected(t, ATTR_EXPECTING);
  }

  /**
   * binds, up to (not including) `end`. `attrsPos` is the position CppNix gives the
   * set (the token before the bindings). `expectingInstead`:
   * what current CppNix expects when a binding cannot start (in `{ … }` its grammar
   * has reduced the bindings so far into `binds`, which only `inherit` may follow:
   * upstream parse-fail-unexpected-int/-float; 2.8 named nothing).
   */
  private parseBinds(attrsPos: number, end: number, expectingInstead?: string): AttrsExpr {
    const attrs = this.newAttrs(attrsPos);
    for (;;) {
      const t = this.tok;
      if (t.type === end) return attrs;
      if (t.type === T.INHERIT) {
        this.advance();
        let from: Expr | null = null;
        let fromIndex = -1;
        if (this.tok.type === C_LPAREN) {
          this.advance();
          from = this.parseExpr();
          this.expect(C_RPAREN);
          fromIndex = attrs.inheritFrom.push(from) - 1;
        }
        // CppNix's position for the (left-recursive, initially empty) name list:
        // the end of the token before it.
        // Current CppNix gives each inherited name its own position (2.8 used the
        // end of the token before the list; upstream eval-okay-inherit-attr-pos).
        const names: string[] = [];
        const namePos: number[] = [];
        while (this.tok.type !== C_SEMI) {
          const u = this.tok;
          namePos.push(this.at(u.start));
          if (u.type === T.ID || u.type === T.OR_KW) {
            this.advance();
            names.push(u.type === T.ID ? u.text : "or");
          } else if (u.type === C_QUOTE || u.type === T.DOLLAR_CURLY) {
            const a = this.parseAttr();
            if (typeof a !== "string") this.error("dynamic attributes not allowed in inherit", this.at(u.start));
            names.push(a);
          } else {
            this.unexpected(u);
          }
        }
        this.advance();
        for (const [k, name] of names.entries()) {
          const namesPos = namePos[k]!;
          const prev = attrs.defs.get(name);
          if (prev) this.dupAttr(`attribute '${showAttrPath([name])}'`, namesPos, prev.pos);
          // Current CppNix places the inherited variable (or selection) at its name
          // (2.8: at the end of the token before the bindings; upstream
          // parse-fail-regression-20060610).
          const value: Expr = from
            ? { kind: "select", pos: namesPos, expr: from, path: [name], default: null }
            : this.var(namesPos, name);
          attrs.defs.set(name, { kind: from ? "inheritFrom" : "inherit", value, pos: namesPos, fromIndex });
        }
        continue;
      }
      if (t.type !== T.ID && t.type !== T.OR_KW && t.type !== C_QUOTE && t.type !== T.DOLLAR_CURLY) {
        this.unexpected(t, expectingInstead);
      }
      const pathPos = this.at(t.start);
      const path = this.parseAttrPath();
      this.expect(C_EQUALS, "'.' or '='");
      const value = this.parseExpr();
      this.expect(C_SEMI);
      this.addAttr(attrs, path, value, pathPos);
    }
  }

  /**
   * Current CppNix's merge of `a = { … }; a = { … };`: the new set's attributes go
   * into the existing one, recursively for sets on both sides, and its dynamic
   * attributes are appended (2.8 dropped them; upstream eval-okay-merge-dynamic-attrs).
   * The new set's `rec` is ignored, as in CppNix.
   */
  private mergeAttrs(target: AttrsExpr, e: AttrsExpr, path: AttrName[]): void {
    const fromMap = new Map<number, number>();
    for (const [n, def] of e.defs) {
      const j2 = target.defs.get(n);
      if (j2) {
        if (j2.value.kind === "attrs" && def.value.kind === "attrs" && j2.kind === "plain" && def.kind === "plain") {
          this.mergeAttrs(j2.value, def.value, [...path, n]);
          continue;
        }
        this.dupAttr(`attribute '${showAttrPath([...path, n])}'`, def.pos, j2.pos);
      }
      if (def.kind === "inheritFrom") {
        let idx = fromMap.get(def.fromIndex);
        if (idx === undefined) {
          idx = target.inheritFrom.push(e.inheritFrom[def.fromIndex]!) - 1;
          fromMap.set(def.fromIndex, idx);
        }
        target.defs.set(n, { kind: def.kind, value: def.value, pos: def.pos, fromIndex: idx });
      } else {
        target.defs.set(n, def);
      }
    }
    target.dynamic.push(...e.dynamic);
  }

  private dupAttr(what: string, pos: number, prevPos: number): never {
    // Current CppNix names a string/stdin source «string»/«stdin» (UTF-8 bytes here); 2.8 said (string).
    const origin = sourceOf(prevPos)?.origin;
    const where = origin === "stdin" || origin === "string" ? showPos(prevPos).replace(/^\(string\)/, origin === "stdin" ? "\u00c2\u00abstdin\u00c2\u00bb" : "\u00c2\u00abstring\u00c2\u00bb") : showPos(prevPos);
    this.error(`${what} already defined at ${where}`, pos);
  }

  /** CppNix's `addAttr`: nested paths create (or extend) nested sets. */
  private addAttr(top: AttrsExpr, path: AttrName[], e: Expr, pos: number): void {
    let attrs = top;
    const last = path.length - 1;
    for (let i = 0; i < last; i++) {
      const name = path[i]!;
      if (typeof name === "string") {
        const j = attrs.defs.get(name);
        if (j) {
          if (j.kind === "inherit" || j.value.kind !== "attrs") {
            // Current CppNix names the path up to the clashing attribute.
            this.dupAttr(`attribute '${showAttrPath(path.slice(0, i + 1))}'`, pos, j.pos);
          }
          attrs = j.value;
        } else {
          const nested = this.newAttrs(NO_POS);
          attrs.defs.set(name, { kind: "plain", value: nested, pos, fromIndex: -1 });
          attrs = nested;
        }
      } else {
        const nested = this.newAttrs(NO_POS);
        attrs.dynamic.push({ name, value: nested, pos });
        attrs = nested;
      }
    }
    const name = path[last]!;
    if (typeof name !== "string") {
      attrs.dynamic.push({ name, value: e, pos });
      return;
    }
    const j = attrs.defs.get(name);
    if (!j) {
      attrs.defs.set(name, { kind: "plain", value: e, pos, fromIndex: -1 });
      // Current CppNix names the lambdas of a curried definition too (`f = a: b: …`: both are 'f').
      for (let l: Expr = e; l.kind === "lambda"; l = l.body) l.name = name;
      return;
    }
    if (j.value.kind === "attrs" && e.kind === "attrs") {
      this.mergeAttrs(j.value, e, path);
      return;
    }
    this.dupAttr(`attribute '${showAttrPath(path)}'`, pos, j.pos);
  }
}
