/**
 * Hand-written regression cases for differences the fuzzer (fuzz-eval.test.ts)
 * found in nix-instantiate's output modes, each compared with CppNix 2.8 in a
 * directory with a source file (XML output names files and positions).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { differential } from "./eval-harness.js";

let dir = "";
function fixture(): string {
  if (dir !== "") return dir;
  dir = mkdtempSync(join(tmpdir(), "lading-fuzz-reg-"));
  // --xml prints each attribute's position: plain, nested, dynamic, `a.b` paths, rec.
  writeFileSync(join(dir, "attrs.nix"), 'rec { a = 1; b.c = [ { d = 2; } ]; ${"dyn"} = 3; e = a; "q r" = null; }\n');
  // Without --strict, values not computed yet print as <unevaluated />.
  writeFileSync(join(dir, "lazy.nix"), 'rec { a = 1; b.c = [ { d = 2; } ]; e = a; f = "s"; g = [ 1 ]; h = 1 + 1; }\n');
  writeFileSync(join(dir, "fn.nix"), "{ f = { a, b ? 1, ... }@args: a; g = x: x; }\n");
  return dir;
}

differential(
  "--xml and --json output match CppNix (fuzzer regressions)",
  [
    // --xml carries attribute locations unless --no-location.
    ["--eval", "--strict", "--xml", "attrs.nix"],
    ["--eval", "--strict", "--xml", "--no-location", "attrs.nix"],
    ["--eval", "--strict", "--xml", "fn.nix"],
    ["--eval", "--xml", "lazy.nix"],
    // --json/--xml force while printing: the path's copy fails before the throw is reached.
    ["--eval", "--strict", "--json", "-E", '[ ./does-not-exist (throw "later") ]'],
    ["--eval", "--strict", "--json", "-E", '{ a = ./does-not-exist; b = throw "later"; }'],
    ["--eval", "--strict", "--xml", "-E", '[ 1 (throw "first") (throw "second") ]'],
    // genList forces its function first in current CppNix (2.8 failed calling it): the reworded message.
    ["--eval", "--strict", "-E", "builtins.genList 1.5 2"],
    ["--eval", "--strict", "-E", "builtins.genList { } 2"],
    // Copying a path through a regular file (found by the paths fuzzer, --json): "does not exist", not a raw ENOTDIR.
    ["--eval", "--strict", "--json", "-E", "./fn.nix + ./x"],
    ["--eval", "--strict", "-E", '"${./fn.nix + "/x"}"'],
    ["--eval", "--strict", "-E", 'builtins.path { path = ./fn.nix + "/x"; }'],
    ["--eval", "--strict", "-E", 'builtins.filterSource (p: t: true) (./fn.nix + "/x")'],
  ],
  fixture,
);

// An invalid non-ASCII store path name is reported with the hash of its bytes (the
// derivation fuzzer found ours hashed them UTF-8 encoded a second time).
differential(
  "invalid non-ASCII store path names are reported with CppNix's hashes (derivation fuzzer regressions)",
  [
    '(derivation { system = "x86_64-linux"; builder = "/bin/sh"; name = "ü"; }).drvPath',
    '(derivation { system = "x"; builder = "/bin/sh"; name = "ok"; outputs = [ "ü" ]; }).drvPath',
    '(derivation { system = "x"; builder = "/bin/sh"; name = "a😀"; outputHash = "sha256-47DEQpj8HBSa+/TjIW5pzYg8OzZ0s9hGmIMQWZJrPmk="; }).outPath',
    'builtins.toFile "日本" "x"',
    'builtins.path { path = ./fn.nix; name = "é"; }',
  ].map((e) => ["--readonly-mode", "--eval", "--strict", "-E", e]),
  fixture,
);
