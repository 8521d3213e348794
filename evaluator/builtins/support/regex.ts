/**
 * POSIX extended regular expressions with the exact behaviour CppNix's
 * `builtins.match` / `builtins.split` have.
 *
 * CppNix compiles patterns with `std::regex(re, std::regex::extended)` from
 * libstdc++, whose matcher is a depth-first backtracker with its own rules: the
 * first path to reach the end wins the captures in `match`, a search keeps the
 * longest match found at the leftmost position, both branches of `|` are always
 * explored, a repeat stops trying "exit the loop" once "one more" found a match,
 * an empty loop body may run at most twice at one position, and captures are not
 * reset between iterations. A translation to a JS RegExp cannot reproduce those
 * rules (e.g. `(a*)*` against "b", or split longest-match), so this module builds
 * the same automaton libstdc++ builds and runs the same search over it, with an
 * explicit stack instead of recursion so long inputs cannot overflow.
 *
 * Strings are byte strings: a JS string whose char codes are the bytes (0–255) of
 * the Nix string (latin1 view), so `.` matches one byte as in CppNix. Use
 * `utf8ToBytes` / `bytesToUtf8` to convert from and to ordinary JS strings.
 */

export class RegexError extends Error {
  /** "invalid": a syntax error; "space": the automaton exceeds libstdc++'s state limit. */
  constructor(
    readonly pattern: string,
    readonly reason: "invalid" | "space",
  ) {
    super(
      reason === "space"
        ? `memory limit exceeded by regular expression '${pattern}'`
        : `invalid regular expression '${pattern}'`,
    );
  }
}

/** Converts a JS (UTF-16) string to the byte-string view this module works on. */
export function utf8ToBytes(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** Converts a byte string back to a JS string (invalid UTF-8 becomes U+FFFD). */
export function bytesToUtf8(bytes: string): string {
  return Buffer.from(bytes, "latin1").toString("utf8");
}

// ---------------------------------------------------------------------------
// Automaton

const enum Op {
  Match,
  Repeat,
  Alternative,
  SubBegin,
  SubEnd,
  LineBegin,
  LineEnd,
  Accept,
  Dummy,
}

const NONE = -1;
/** libstdc++'s _GLIBCXX_REGEX_STATE_LIMIT: more states raise error_space. */
const STATE_LIMIT = 100000;

interface State {
  op: Op;
  next: number;
  alt: number;
  /** Capture index for SubBegin/SubEnd. */
  sub: number;
  /** For Match: which of the 256 byte values the state accepts. */
  accepts: Uint8Array | null;
}

class Automaton {
  readonly states: State[] = [];
  subCount = 0;

  insert(op: Op, fields: Partial<State> = {}): number {
    this.states.push({ op, next: NONE, alt: NONE, sub: 0, accepts: null, ...fields });
    if (this.states.length > STATE_LIMIT) throw new SpaceExceeded();
    return this.states.length - 1;
  }

  /** Skips pass-through states so the matcher never visits them. */
  eliminateDummies(): void {
    for (const s of this.states) {
      while (s.next >= 0 && this.states[s.next]!.op === Op.Dummy) s.next = this.states[s.next]!.next;
      if (s.op === Op.Repeat || s.op === Op.Alternative) {
        while (s.alt >= 0 && this.states[s.alt]!.op === Op.Dummy) s.alt = this.states[s.alt]!.next;
      }
    }
  }
}

class SpaceExceeded extends Error {}
class SyntaxFailure extends Error {}

/** A fragment of the automaton from `start` to `end` (whose `next` is still open). */
class Fragment {
  constructor(
    readonly nfa: Automaton,
    public start: number,
    public end: number = start,
  ) {}

  append(idOrFragment: number | Fragment): void {
    if (typeof idOrFragment === "number") {
      this.nfa.states[this.end]!.next = idOrFragment;
      this.end = idOrFragment;
    } else {
      this.nfa.states[this.end]!.next = idOrFragment.start;
      this.end = idOrFragment.end;
    }
  }

  /** Copies the fragment's states (same traversal as libstdc++, so the same state count). */
  clone(): Fragment {
    const states = this.nfa.states;
    const map = new Map<number, number>();
    const stack = [this.start];
    while (stack.length > 0) {
      const u = stack.pop()!;
      const dup = { ...states[u]! };
      const id = this.nfa.insert(dup.op, dup);
      map.set(u, id);
      const hasAlt = dup.op === Op.Repeat || dup.op === Op.Alternative;
      if (hasAlt && dup.alt !== NONE && !map.has(dup.alt)) stack.push(dup.alt);
      if (u === this.end) continue;
      if (dup.next !== NONE && !map.has(dup.next)) stack.push(dup.next);
    }
    for (const id of map.values()) {
      const s = states[id]!;
      if (s.next !== NONE) s.next = map.get(s.next)!;
      if ((s.op === Op.Repeat || s.op === Op.Alternative) && s.alt !== NONE) s.alt = map.get(s.alt)!;
    }
    return new Fragment(this.nfa, map.get(this.start)!, map.get(this.end)!);
  }
}

// ---------------------------------------------------------------------------
// Character classes (the "C" locale, which is what CppNix's std::regex uses)

const CLASS_TESTS = new Map<string, (c: number) => boolean>(Object.entries({
  alnum: (c: number) => isAlpha(c) || isDigit(c),
  alpha: (c: number) => isAlpha(c),
  blank: (c: number) => c === 0x20 || c === 0x09,
  cntrl: (c: number) => c < 0x20 || c === 0x7f,
  digit: (c: number) => isDigit(c),
  d: (c: number) => isDigit(c),
  graph: (c: number) => c > 0x20 && c < 0x7f,
  lower: (c: number) => c >= 0x61 && c <= 0x7a,
  print: (c: number) => c >= 0x20 && c < 0x7f,
  punct: (c: number) => c > 0x20 && c < 0x7f && !isAlpha(c) && !isDigit(c),
  space: (c: number) => isSpace(c),
  s: (c: number) => isSpace(c),
  upper: (c: number) => c >= 0x41 && c <= 0x5a,
  xdigit: (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
  w: (c: number) => isAlpha(c) || isDigit(c) || c === 0x5f,
}));

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
function toLower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** POSIX collating-element names as libstdc++ knows them, indexed by character code. */
const COLLATING_NAMES = (
  "NUL SOH STX ETX EOT ENQ ACK alert backspace tab newline vertical-tab form-feed carriage-return SO SI " +
  "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC IS4 IS3 IS2 IS1 space exclamation-mark quotation-mark " +
  "number-sign dollar-sign percent-sign ampersand apostrophe left-parenthesis right-parenthesis asterisk " +
  "plus-sign comma hyphen period slash zero one two three four five six seven eight nine colon semicolon " +
  "less-than-sign equals-sign greater-than-sign question-mark commercial-at A B C D E F G H I J K L M N O P " +
  "Q R S T U V W X Y Z left-square-bracket backslash right-square-bracket circumflex underscore grave-accent " +
  "a b c d e f g h i j k l m n o p q r s t u v w x y z left-curly-bracket vertical-line right-curly-bracket tilde DEL"
).split(" ");

function collatingElement(name: string): number {
  const code = COLLATING_NAMES.indexOf(name);
  if (code < 0) throw new SyntaxFailure();
  return code;
}

/** Signed view of a byte: libstdc++ compares `char` ranges as signed values. */
function signedByte(c: number): number {
  return c >= 0x80 ? c - 0x100 : c;
}

// ---------------------------------------------------------------------------
// Parser (mirrors libstdc++'s scanner + compiler for the `extended` grammar)

/** Characters special outside brackets in ERE; a backslash may only escape these. */
const SPECIAL = ".[\\()*+?{|^$";

class Compiler {
  private pos = 0;
  private readonly stack: Fragment[] = [];
  readonly nfa = new Automaton();

  constructor(private readonly re: string) {}

  compile(): Automaton {
    const nfa = this.nfa;
    const begin = nfa.insert(Op.SubBegin, { sub: nfa.subCount++ });
    const whole = new Fragment(nfa, begin);
    this.disjunction();
    if (this.pos < this.re.length) throw new SyntaxFailure(); // an unmatched ')' or a stray quantifier
    whole.append(this.pop());
    whole.append(nfa.insert(Op.SubEnd, { sub: 0 }));
    whole.append(nfa.insert(Op.Accept));
    nfa.eliminateDummies();
    return nfa;
  }

  private pop(): Fragment {
    return this.stack.pop()!;
  }

  private peek(): string | undefined {
    return this.re[this.pos];
  }

  private disjunction(): void {
    this.alternative();
    while (this.peek() === "|") {
      this.pos++;
      const alt1 = this.pop();
      this.alternative();
      const alt2 = this.pop();
      const end = this.nfa.insert(Op.Dummy);
      alt1.append(end);
      alt2.append(end);
      // The left branch is `alt` (tried first), the right one `next`.
      const id = this.nfa.insert(Op.Alternative, { next: alt2.start, alt: alt1.start });
      this.stack.push(new Fragment(this.nfa, id, end));
    }
  }

  private alternative(): void {
    // Iterative form of libstdc++'s right-recursive concatenation (same states, same order).
    const terms: Fragment[] = [];
    while (this.term()) terms.push(this.pop());
    const tail = new Fragment(this.nfa, this.nfa.insert(Op.Dummy));
    if (terms.length === 0) {
      this.stack.push(tail);
      return;
    }
    const seq = terms[0]!;
    for (let i = 1; i < terms.length; i++) seq.append(terms[i]!);
    seq.append(tail);
    this.stack.push(seq);
  }

  private term(): boolean {
    const c = this.peek();
    if (c === "^" || c === "$") {
      this.pos++;
      this.stack.push(new Fragment(this.nfa, this.nfa.insert(c === "^" ? Op.LineBegin : Op.LineEnd)));
      return true;
    }
    if (!this.atom()) return false;
    while (this.quantifier());
    return true;
  }

  private quantifier(): boolean {
    const nfa = this.nfa;
    const c = this.peek();
    if (c === "*") {
      this.pos++;
      const body = this.pop();
      const rep = new Fragment(nfa, nfa.insert(Op.Repeat, { alt: body.start }));
      body.append(rep);
      this.stack.push(rep);
    } else if (c === "+") {
      this.pos++;
      const body = this.pop();
      body.append(nfa.insert(Op.Repeat, { alt: body.start }));
      this.stack.push(body);
    } else if (c === "?") {
      this.pos++;
      const body = this.pop();
      const end = nfa.insert(Op.Dummy);
      const rep = new Fragment(nfa, nfa.insert(Op.Repeat, { alt: body.start }));
      body.append(end);
      rep.append(end);
      this.stack.push(rep);
    } else if (c === "{") {
      this.pos++;
      this.interval();
    } else {
      return false;
    }
    return true;
  }

  private braceNumber(): number | null {
    const start = this.pos;
    while (this.pos < this.re.length && isDigit(this.re.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) return null;
    // libstdc++ accumulates in a `long` and returns an `int`.
    return Number(BigInt.asIntN(32, BigInt.asIntN(64, BigInt(this.re.slice(start, this.pos)))));
  }

  private interval(): void {
    const nfa = this.nfa;
    const min = this.braceNumber();
    if (min === null) throw new SyntaxFailure();
    let infinite = false;
    let extra = 0;
    if (this.peek() === ",") {
      this.pos++;
      const max = this.braceNumber();
      if (max === null) infinite = true;
      else extra = (max - min) | 0;
    }
    if (this.peek() !== "}") throw new SyntaxFailure();
    this.pos++;
    const atom = this.pop();
    const seq = new Fragment(nfa, nfa.insert(Op.Dummy));
    for (let i = 0; i < min; i++) seq.append(atom.clone());
    if (infinite) {
      const body = atom.clone();
      const rep = new Fragment(nfa, nfa.insert(Op.Repeat, { alt: body.start }));
      body.append(rep);
      seq.append(rep);
    } else {
      if (extra < 0) throw new SyntaxFailure();
      const end = nfa.insert(Op.Dummy);
      for (let i = 0; i < extra; i++) {
        const body = atom.clone();
        // "one more" is `alt`, "stop here" jumps to the shared end.
        const rep = nfa.insert(Op.Repeat, { alt: body.start, next: end });
        seq.append(new Fragment(nfa, rep, body.end));
      }
      seq.append(end);
    }
    this.stack.push(seq);
  }

  private atom(): boolean {
    const nfa = this.nfa;
    const c = this.peek();
    if (c === undefined) return false;
    if (c === ".") {
      this.pos++;
      const accepts = new Uint8Array(256).fill(1);
      accepts[0] = 0;
      this.stack.push(new Fragment(nfa, nfa.insert(Op.Match, { accepts })));
      return true;
    }
    if (c === "(") {
      this.pos++;
      const group = new Fragment(nfa, nfa.insert(Op.SubBegin, { sub: nfa.subCount++ }));
      const sub = group.start;
      this.disjunction();
      if (this.peek() !== ")") throw new SyntaxFailure();
      this.pos++;
      group.append(this.pop());
      group.append(nfa.insert(Op.SubEnd, { sub: nfa.states[sub]!.sub }));
      this.stack.push(group);
      return true;
    }
    if (c === "[") {
      this.pos++;
      this.stack.push(new Fragment(nfa, nfa.insert(Op.Match, { accepts: this.bracket() })));
      return true;
    }
    if (c === "\\") {
      const escaped = this.re[this.pos + 1];
      // Only special characters may be escaped (CppNix is built with __STRICT_ANSI__).
      if (escaped === undefined || !SPECIAL.includes(escaped)) throw new SyntaxFailure();
      this.pos += 2;
      this.pushChar(escaped.charCodeAt(0));
      return true;
    }
    if (c === "\0") throw new SyntaxFailure();
    if (SPECIAL.includes(c)) return false; // ) * + ? { | ^ $ end the term
    this.pos++;
    this.pushChar(c.charCodeAt(0));
    return true;
  }

  private pushChar(code: number): void {
    const accepts = new Uint8Array(256);
    accepts[code & 0xff] = 1;
    this.stack.push(new Fragment(this.nfa, this.nfa.insert(Op.Match, { accepts })));
  }

  /** Parses a bracket expression after its `[`; returns the 256-entry acceptance table. */
  private bracket(): Uint8Array {
    const re = this.re;
    const negate = this.peek() === "^";
    if (negate) this.pos++;
    const chars = new Set<number>();
    const ranges: [number, number][] = [];
    const classes: ((c: number) => boolean)[] = [];
    const equivalents = new Set<number>();

    type Token =
      | { kind: "char"; code: number }
      | { kind: "dash" }
      | { kind: "end" }
      | { kind: "class"; name: string }
      | { kind: "collate"; name: string }
      | { kind: "equiv"; name: string };
    let atStart = true;
    const next = (): Token => {
      if (this.pos >= re.length) throw new SyntaxFailure();
      const c = re[this.pos++]!;
      const first = atStart;
      atStart = false;
      if (c === "-") return { kind: "dash" };
      if (c === "]" && !first) return { kind: "end" };
      if (c === "[") {
        if (this.pos >= re.length) throw new SyntaxFailure();
        const kind = re[this.pos]!;
        if (kind === "." || kind === ":" || kind === "=") {
          this.pos++;
          // The name runs to the first `kind` character, which must be followed by `]`.
          const close = re.indexOf(kind, this.pos);
          if (close < 0 || re[close + 1] !== "]") throw new SyntaxFailure();
          const name = re.slice(this.pos, close);
          this.pos = close + 2;
          return { kind: kind === "." ? "collate" : kind === ":" ? "class" : "equiv", name };
        }
      }
      return { kind: "char", code: c.charCodeAt(0) };
    };
    let lookahead: Token | null = null;
    const take = (): Token => {
      const t = lookahead ?? next();
      lookahead = null;
      return t;
    };

    // What was seen last: a single character (may start a range), a class, or nothing.
    let last: { kind: "none" } | { kind: "char"; code: number } | { kind: "class" } = { kind: "none" };
    const pushChar = (code: number) => {
      if (last.kind === "char") chars.add(last.code);
      last = { kind: "char", code };
    };
    const pushClass = () => {
      if (last.kind === "char") chars.add(last.code);
      last = { kind: "class" };
    };
    const makeRange = (lo: number, hi: number) => {
      if (signedByte(lo) > signedByte(hi)) throw new SyntaxFailure();
      ranges.push([signedByte(lo), signedByte(hi)]);
      last = { kind: "none" };
    };

    const first = take();
    if (first.kind === "char") last = { kind: "char", code: first.code };
    else if (first.kind === "dash") last = { kind: "char", code: 0x2d };
    else lookahead = first;

    for (;;) {
      const t = take();
      if (t.kind === "end") break;
      if (t.kind === "collate") {
        pushChar(collatingElement(t.name));
      } else if (t.kind === "equiv") {
        pushClass();
        equivalents.add(toLower(collatingElement(t.name)));
      } else if (t.kind === "class") {
        pushClass();
        const test = CLASS_TESTS.get(t.name.replace(/[A-Z]/g, (u) => u.toLowerCase()));
        if (!test) throw new SyntaxFailure();
        classes.push(test);
      } else if (t.kind === "char") {
        pushChar(t.code);
      } else {
        const after = take();
        if (after.kind === "end") {
          pushChar(0x2d);
          break;
        }
        if (last.kind !== "char") throw new SyntaxFailure(); // `[[:a:]-z]`, `[a-c-e]`
        if (after.kind === "char") makeRange(last.code, after.code);
        else if (after.kind === "dash") makeRange(last.code, 0x2d);
        else throw new SyntaxFailure();
      }
    }
    if (last.kind === "char") chars.add(last.code);

    const accepts = new Uint8Array(256);
    for (let c = 0; c < 256; c++) {
      const s = signedByte(c);
      const hit =
        chars.has(c) ||
        ranges.some(([lo, hi]) => lo <= s && s <= hi) ||
        classes.some((test) => test(c)) ||
        equivalents.has(toLower(c));
      accepts[c] = hit !== negate ? 1 : 0;
    }
    return accepts;
  }
}

// ---------------------------------------------------------------------------
// Matcher (libstdc++'s DFS executor in POSIX mode, with an explicit stack)

const enum Frame {
  Visit,
  RepeatExit,
  RestoreRep,
  DecRep,
  RestoreFirst,
  RestoreSub,
  DecCur,
  AltNext,
  AltJoin,
}

/** Capture positions of one match: [start, end] per group, -1 when unmatched. Group 0 is the whole match. */
export type Captures = Int32Array;

/** The automaton as parallel arrays, which the matcher's hot loop reads faster than objects. */
class FlatAutomaton {
  readonly op: Uint8Array;
  readonly next: Int32Array;
  readonly alt: Int32Array;
  readonly sub: Int32Array;
  readonly accepts: (Uint8Array | null)[];
  readonly subCount: number;
  readonly size: number;

  constructor(nfa: Automaton) {
    const n = nfa.states.length;
    this.size = n;
    this.subCount = nfa.subCount;
    this.op = new Uint8Array(n);
    this.next = new Int32Array(n);
    this.alt = new Int32Array(n);
    this.sub = new Int32Array(n);
    this.accepts = [];
    nfa.states.forEach((s, i) => {
      this.op[i] = s.op;
      this.next[i] = s.next;
      this.alt[i] = s.alt;
      this.sub[i] = s.sub;
      this.accepts.push(s.accepts);
    });
  }
}

/**
 * One search's state. A compiled pattern keeps one executor and resets it per call
 * (a search never calls out, so it cannot be re-entered): its typed arrays and
 * stack are allocated once per pattern, not once per `match` or split step.
 */
class Executor {
  readonly first: Int32Array;
  readonly second: Int32Array;
  readonly matched: Uint8Array;
  readonly repPos: Int32Array;
  readonly repCount: Int32Array;
  private results: Captures | null = null;
  begin = 0;
  private stack = new Int32Array(256);
  input = "";
  end = 0;
  prevAvail = false;
  notNull = false;

  constructor(private readonly nfa: FlatAutomaton) {
    const n = nfa.subCount;
    this.first = new Int32Array(n);
    this.second = new Int32Array(n);
    this.matched = new Uint8Array(n);
    this.repPos = new Int32Array(nfa.size);
    this.repCount = new Int32Array(nfa.size);
  }

  /** Prepares a search of `input`; repeat counters start from zero as in a fresh executor. */
  reset(input: string, prevAvail: boolean, notNull: boolean): this {
    this.input = input;
    this.end = input.length;
    this.prevAvail = prevAvail;
    this.notNull = notNull;
    this.results = null;
    this.repPos.fill(0);
    this.repCount.fill(0);
    return this;
  }

  /** The whole input must match. */
  matchAll(start: number): Captures | null {
    this.begin = start;
    return this.run(true) ? this.results : null;
  }

  /** Leftmost match from `start` (only at `start` when `continuous`). */
  search(start: number, continuous: boolean): Captures | null {
    this.begin = start;
    if (this.run(false)) return this.results;
    if (continuous) return null;
    this.prevAvail = true;
    while (this.begin !== this.end) {
      this.begin++;
      if (this.run(false)) return this.results;
    }
    return null;
  }

  private run(exact: boolean): boolean {
    // Hot loop: everything it touches lives in locals.
    const { op, next, alt, sub, accepts } = this.nfa;
    const { input, end, begin, prevAvail, notNull, first, second, matched, repPos, repCount } = this;
    const nsub = first.length;
    let cur = begin;
    let hasSol = false;
    let solPos = -1;
    first.fill(-1);
    second.fill(-1);
    matched.fill(0);
    let S = this.stack;
    let sp = 0;
    S[sp++] = 0;
    S[sp++] = Frame.Visit;
    while (sp > 0) {
      if (sp + 8 > S.length) {
        const bigger = new Int32Array(S.length * 2);
        bigger.set(S);
        S = this.stack = bigger;
      }
      switch (S[--sp]!) {
        case Frame.Visit: {
          const id = S[--sp]!;
          switch (op[id]) {
            case Op.Match:
              if (cur !== end && accepts[id]![input.charCodeAt(cur) & 0xff] === 1) {
                cur++;
                S[sp++] = Frame.DecCur;
                S[sp++] = next[id]!;
                S[sp++] = Frame.Visit;
              }
              break;
            case Op.Repeat: {
              // Greedy: "one more" first; "exit" only if that found nothing. An
              // empty body may be entered at most twice at the same position.
              S[sp++] = id;
              S[sp++] = Frame.RepeatExit;
              const body = alt[id]!;
              if (repCount[id] === 0 || repPos[id] !== cur) {
                S[sp++] = repCount[id]!;
                S[sp++] = repPos[id]!;
                S[sp++] = id;
                S[sp++] = Frame.RestoreRep;
                S[sp++] = body;
                S[sp++] = Frame.Visit;
                repPos[id] = cur;
                repCount[id] = 1;
              } else if (repCount[id]! < 2) {
                repCount[id]!++;
                S[sp++] = id;
                S[sp++] = Frame.DecRep;
                S[sp++] = body;
                S[sp++] = Frame.Visit;
              }
              break;
            }
            case Op.Alternative:
              S[sp++] = id;
              S[sp++] = Frame.AltNext;
              S[sp++] = alt[id]!;
              S[sp++] = Frame.Visit;
              break;
            case Op.SubBegin: {
              const k = sub[id]!;
              S[sp++] = first[k]!;
              S[sp++] = k;
              S[sp++] = Frame.RestoreFirst;
              S[sp++] = next[id]!;
              S[sp++] = Frame.Visit;
              first[k] = cur;
              break;
            }
            case Op.SubEnd: {
              const k = sub[id]!;
              S[sp++] = matched[k]!;
              S[sp++] = second[k]!;
              S[sp++] = first[k]!;
              S[sp++] = k;
              S[sp++] = Frame.RestoreSub;
              S[sp++] = next[id]!;
              S[sp++] = Frame.Visit;
              second[k] = cur;
              matched[k] = 1;
              break;
            }
            case Op.LineBegin:
              if (cur === begin && !prevAvail) {
                S[sp++] = next[id]!;
                S[sp++] = Frame.Visit;
              }
              break;
            case Op.LineEnd:
              if (cur === end) {
                S[sp++] = next[id]!;
                S[sp++] = Frame.Visit;
              }
              break;
            case Op.Accept:
              hasSol = exact ? cur === end : true;
              if (cur === begin && notNull) hasSol = false;
              // POSIX: keep the first path that reaches the longest end.
              if (hasSol && (solPos === -1 || solPos < cur)) {
                solPos = cur;
                const results = new Int32Array(2 * nsub);
                for (let i = 0; i < nsub; i++) {
                  results[2 * i] = matched[i] ? first[i]! : -1;
                  results[2 * i + 1] = matched[i] ? second[i]! : -1;
                }
                this.results = results;
              }
              break;
            case Op.Dummy:
              S[sp++] = next[id]!;
              S[sp++] = Frame.Visit;
              break;
          }
          break;
        }
        case Frame.RepeatExit: {
          const id = S[--sp]!;
          if (!hasSol) {
            S[sp++] = next[id]!;
            S[sp++] = Frame.Visit;
          }
          break;
        }
        case Frame.RestoreRep: {
          const id = S[--sp]!;
          repPos[id] = S[--sp]!;
          repCount[id] = S[--sp]!;
          break;
        }
        case Frame.DecRep:
          repCount[S[--sp]!]!--;
          break;
        case Frame.RestoreFirst: {
          const k = S[--sp]!;
          first[k] = S[--sp]!;
          break;
        }
        case Frame.RestoreSub: {
          const k = S[--sp]!;
          first[k] = S[--sp]!;
          second[k] = S[--sp]!;
          matched[k] = S[--sp]!;
          break;
        }
        case Frame.DecCur:
          cur--;
          break;
        case Frame.AltNext: {
          const id = S[--sp]!;
          S[sp++] = hasSol ? 1 : 0;
          S[sp++] = Frame.AltJoin;
          S[sp++] = next[id]!;
          S[sp++] = Frame.Visit;
          hasSol = false;
          break;
        }
        case Frame.AltJoin:
          if (S[--sp]! === 1) hasSol = true;
          break;
      }
    }
    return hasSol;
  }
}

// ---------------------------------------------------------------------------
// Public surface

/** A compiled pattern. `groups` is the number of parenthesised subexpressions. */
export class CompiledRegex {
  readonly groups: number;

  /**
   * The bytes the pattern stands for when it has no operators (`-`, `\\.`, what
   * `lib.escapeRegex` makes of a separator), else null: such a pattern matches
   * exactly its own bytes, so match and split need no automaton.
   */
  readonly literal: string | null;

  constructor(
    readonly pattern: string,
    nfa: Automaton,
  ) {
    this.groups = nfa.subCount - 1;
    this.nfa = new FlatAutomaton(nfa);
    this.literal = literalOf(pattern);
  }

  private readonly nfa: FlatAutomaton;
  private executor: Executor | null = null;

  private exec(input: string, prevAvail: boolean, notNull: boolean): Executor {
    return (this.executor ??= new Executor(this.nfa)).reset(input, prevAvail, notNull);
  }

  /** Captures when the whole byte string matches, else null (`std::regex_match`). */
  matchCaptures(input: string): Captures | null {
    return this.exec(input, false, false).matchAll(0);
  }

  /** The leftmost(-longest) match starting at or after `start` (`std::regex_search`). */
  searchCaptures(input: string, start: number, flags: { prevAvail: boolean; notNull: boolean; continuous: boolean }): Captures | null {
    return this.exec(input, flags.prevAvail, flags.notNull).search(start, flags.continuous);
  }
}

/** ERE operators; a backslash before one of them makes it an ordinary byte. */
const OPERATORS = ".[]()*+?{}|^$\\";

function literalOf(pattern: string): string | null {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const d = pattern[i + 1];
      if (d === undefined || !OPERATORS.includes(d)) return null;
      out += d;
      i++;
    } else if (OPERATORS.includes(c)) {
      return null;
    } else {
      out += c;
    }
  }
  return out === "" ? null : out;
}

const cache = new Map<string, CompiledRegex>();

/** Compiles (or fetches from the cache) a POSIX extended regex given as a byte string. */
export function compileRegex(pattern: string): CompiledRegex {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let nfa: Automaton;
  try {
    nfa = new Compiler(pattern).compile();
  } catch (e) {
    if (e instanceof SpaceExceeded) throw new RegexError(pattern, "space");
    if (e instanceof SyntaxFailure) throw new RegexError(pattern, "invalid");
    throw e;
  }
  const compiled = new CompiledRegex(pattern, nfa);
  cache.set(pattern, compiled);
  return compiled;
}

function groupStrings(input: string, caps: Captures, groups: number): (string | null)[] {
  const out: (string | null)[] = [];
  for (let i = 1; i <= groups; i++) {
    const s = caps[2 * i]!;
    out.push(s < 0 ? null : input.slice(s, caps[2 * i + 1]!));
  }
  return out;
}

/** `builtins.match`: the capture groups (null when unmatched) if the whole string matches, else null. */
export function regexMatch(pattern: string, input: string): (string | null)[] | null {
  const re = compileRegex(pattern);
  if (re.literal !== null) return input === re.literal ? [] : null;
  const caps = re.matchCaptures(input);
  return caps ? groupStrings(input, caps, re.groups) : null;
}

/** One element of `builtins.split`'s result: a non-matching piece or a match's groups. */
export type SplitPart = string | (string | null)[];

/**
 * `builtins.split`: non-matching pieces interleaved with the groups of each match,
 * iterating like `std::cregex_iterator` (after an empty match it first retries a
 * non-empty match at the same place, then moves one byte on).
 */
export function regexSplit(pattern: string, input: string): SplitPart[] {
  const re = compileRegex(pattern);
  const out: SplitPart[] = [];
  const literal = re.literal;
  if (literal !== null) {
    // Non-empty and operator-free: the matches are its non-overlapping occurrences.
    let pieceStart = 0;
    for (let at = input.indexOf(literal); at >= 0; at = input.indexOf(literal, pieceStart)) {
      out.push(input.slice(pieceStart, at), []);
      pieceStart = at + literal.length;
    }
    out.push(input.slice(pieceStart));
    return out;
  }
  let prevAvail = false;
  let caps = re.searchCaptures(input, 0, { prevAvail, notNull: false, continuous: false });
  let pieceStart = 0;
  while (caps) {
    const start = caps[0]!;
    const end = caps[1]!;
    out.push(input.slice(pieceStart, start), groupStrings(input, caps, re.groups));
    pieceStart = end;
    let from = end;
    caps = null;
    if (start === end) {
      if (from === input.length) break;
      caps = re.searchCaptures(input, from, { prevAvail, notNull: true, continuous: true });
      if (caps) continue;
      from++;
    }
    prevAvail = true;
    caps = re.searchCaptures(input, from, { prevAvail, notNull: false, continuous: false });
  }
  out.push(input.slice(pieceStart));
  return out;
}
