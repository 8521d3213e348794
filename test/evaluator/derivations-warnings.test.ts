/**
 * Current CppNix's derivation warnings (CppNix 2.8 has none): attributes that
 * `__structuredAttrs` makes ineffective, and `__json` set by hand (upstream
 * eval-okay-derivation-legacy, whose stderr this reproduces). The .drv itself is
 * unchanged by them: checked against CppNix 2.8's output path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { instantiate, setTraceSink } from "../../evaluator/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { nixSkipReason, runNixAsync } from "../helpers/nix.js";

function withWarnings(expr: string): { stdout: string; warnings: string[] } {
  const warnings: string[] = [];
  const prev = setTraceSink((line) => warnings.push(line));
  try {
    const r = instantiate({ ...parseInstantiateArgs(["--readonly-mode", "--eval", "--strict", "-E", expr]), cwd: "/", nixPath: "" });
    assert.equal(r.exitCode, 0, r.stderr);
    return { stdout: r.stdout, warnings };
  } finally {
    setTraceSink(prev);
  }
}

const BASE = 'name = "legacy"; system = "x86_64-linux"; builder = "/bin/sh";';

test("structured attributes warn once per output-check attribute, in name order, at the attribute", { skip: nixSkipReason() }, async () => {
  const expr = `(derivationStrict {
  ${BASE}
  __structuredAttrs = true;
  maxSize = 1;
  allowedReferences = [ ];
  other = 2;
  disallowedRequisites = null;
}).out`;
  const { stdout, warnings } = withWarnings(expr);
  const theirs = await runNixAsync("nix-instantiate", ["--readonly-mode", "--eval", "--strict", "-E", expr]);
  assert.equal(stdout, theirs.stdout, "same output path as CppNix");
  assert.deepEqual(
    warnings.map((w) => w.split("\n").filter((l) => l.trim().startsWith("warning: ") || l.includes("while evaluating derivation") || l.includes(" at "))),
    ["allowedReferences", "disallowedRequisites", "maxSize"].map((key) => [
      "         \u00e2\u0080\u00a6 while evaluating derivation 'legacy'",
      `         warning: 'structuredAttrs' disables the effect of the derivation attribute '${key}'; use 'outputChecks.<output>.${key}' instead`,
      `         at \u00c2\u00abstring\u00c2\u00bb:${{ allowedReferences: 5, disallowedRequisites: 7, maxSize: 4 }[key]}:3:`,
    ]),
  );
  assert.ok(warnings.every((w) => w.startsWith("warning:\n")));
});

test("without structured attributes the same attributes do not warn; a hand-set __json does", () => {
  assert.deepEqual(withWarnings(`(derivationStrict { ${BASE} maxSize = 1; allowedReferences = [ ]; }).out`).warnings, []);
  const { warnings } = withWarnings(`(derivationStrict { ${BASE} __json = "{}"; }).out`);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /warning: setting structured attributes via '__json' is deprecated, and may be disallowed in future versions of Nix\. Set '__structuredAttrs = true' instead\./);
});
