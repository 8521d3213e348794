/**
 * Generated programs: a seeded generator builds well-scoped random expressions
 * (arithmetic, comparisons, strings, lists, sets, let/rec/with, lambdas with
 * formals, select/or/?, if/assert, //, ++, laziness through unused throws) and
 * each is evaluated by us and by CppNix; stdout or the whole error report must
 * match. Integers stay small so that CppNix 2.8's silent wrap-around never occurs.
 */
import { SeededRandom } from "../helpers/random.js";
import { differential, strictExprs } from "./eval-harness.js";

class Gen {
  constructor(private readonly r: SeededRandom) {}

  private names = ["a", "b", "c", "x", "y"];

  /** An expression of roughly `depth` levels using only names in `scope`. */
  expr(depth: number, scope: string[]): string {
    const r = this.r;
    if (depth <= 0) return this.leaf(scope);
    switch (r.int(0, 17)) {
      case 0:
        return `(${this.num(depth - 1, scope)} ${r.pick(["+", "-", "*"])} ${this.num(depth - 1, scope)})`;
      case 1:
        return `(${this.expr(depth - 1, scope)} ${r.pick(["==", "!="])} ${this.expr(depth - 1, scope)})`;
      case 2:
        return `(${this.num(depth - 1, scope)} ${r.pick(["<", "<=", ">", ">="])} ${this.num(depth - 1, scope)})`;
      case 3: {
        const n = r.pick(this.names);
        return `(let ${n} = ${this.expr(depth - 1, scope)}; in ${this.expr(depth - 1, [...scope, n])})`;
      }
      case 4: {
        const n = r.pick(this.names);
        return `(${n}: ${this.expr(depth - 1, [...scope, n])}) ${this.expr(depth - 1, scope)}`;
      }
      case 5:
        return `[ ${Array.from({ length: r.int(0, 3) }, () => `(${this.expr(depth - 1, scope)})`).join(" ")} ]`;
      case 6:
        return this.attrs(depth, scope);
      case 7:
        return `(${this.attrs(depth - 1, scope)}).${r.pick(this.names)} or ${this.expr(depth - 1, scope)}`;
      case 8:
        return `(${this.attrs(depth - 1, scope)} ? ${r.pick(this.names)})`;
      case 9:
        return `(if ${this.bool(depth - 1, scope)} then ${this.expr(depth - 1, scope)} else ${this.expr(depth - 1, scope)})`;
      case 10:
        return `(with ${this.attrs(depth - 1, scope)}; ${this.expr(depth - 1, [...scope, ...this.names])})`;
      case 11:
        return `(${this.attrs(depth - 1, scope)} // ${this.attrs(depth - 1, scope)})`;
      case 12:
        return `([ ${this.expr(depth - 1, scope)} ] ++ [ ${this.expr(depth - 1, scope)} ])`;
      case 13:
        return `"s${r.int(0, 9)}\${toString (${this.num(depth - 1, scope)})}"`;
      case 14: {
        const f = r.pick(this.names);
        const g = f === "a" ? "b" : "a";
        return `(({ ${f}, ${g} ? ${this.expr(depth - 1, scope)}, ... }: ${this.expr(depth - 1, [...scope, f, g])}) { ${f} = ${this.expr(depth - 1, scope)}; z = throw "unused"; })`;
      }
      case 15:
        return `(let unused = throw "lazy"; in ${this.expr(depth - 1, scope)})`;
      case 16:
        return `(builtins.tryEval (${r.next() < 0.5 ? 'throw "t"' : this.expr(depth - 1, scope)})).success`;
      default:
        return `(rec { a = ${this.num(depth - 1, scope)}; b = a; ${r.pick(["c", "x"])} = [ a b ]; }).${r.pick(["a", "b", "c", "x"])} or null`;
    }
  }

  private num(depth: number, scope: string[]): string {
    if (depth <= 0 || this.r.next() < 0.4) return String(this.r.int(-5, 9));
    const x = this.expr(depth, scope);
    // Mostly numbers; sometimes anything (type errors must match too).
    return this.r.next() < 0.85 ? `(if builtins.isInt (${x}) then ${x} else ${this.r.int(0, 3)})` : x;
  }

  private bool(depth: number, scope: string[]): string {
    return `(${this.num(depth, scope)} < ${this.num(depth, scope)})`;
  }

  private attrs(depth: number, scope: string[]): string {
    const r = this.r;
    const rec = r.next() < 0.3;
    const names = [...new Set(Array.from({ length: r.int(0, 3) }, () => r.pick(this.names)))];
    const inner = rec ? [...scope, ...names] : scope;
    const binds = names.map((n) => `${n} = ${this.expr(depth - 1, inner)};`).join(" ");
    return `${rec ? "rec " : ""}{ ${binds} }`;
  }

  private leaf(scope: string[]): string {
    const r = this.r;
    if (scope.length > 0 && r.next() < 0.4) return r.pick(scope);
    return r.pick([String(r.int(-3, 9)), `${r.int(0, 9)}.5`, '"str"', "true", "false", "null", "[ ]", "{ }", "(x: x)"]);
  }
}

const gen = new Gen(new SeededRandom(20261121));
const exprs = Array.from({ length: 150 }, (_, i) => gen.expr(2 + (i % 4), []));

differential("generated programs match CppNix", strictExprs(exprs));
