/**
 * Files: import (files, directories, symlinks, caching), scopedImport, search
 * paths (-I, NIX_PATH, <a/b>), FILE arguments, -A paths, --arg/--argstr — each
 * compared with nix-instantiate run on the same temporary tree.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { differential } from "./eval-harness.js";

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-eval-import-"));
  const w = (p: string, text: string): void => {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  };
  w("default.nix", "{ a = 1; b = import ./lib.nix; c = { x = [ 1 2 { y = \"z\"; } ]; }; f = { n ? 2 }: n * 10; }\n");
  w("lib.nix", "let x = 5; in { inherit x; sq = n: n * n; here = ./.; pos = __curPos; }\n");
  w("dir/default.nix", "\"from dir\"\n");
  w("fn.nix", "{ a, b ? \"dflt\", ... }@args: { inherit a b; n = builtins.length (builtins.attrNames args); }\n");
  w("strict.nix", "{ a }: a\n");
  w("scoped.nix", "[ x (y + 1) (builtins.length [ 1 ]) ]\n");
  w("scoped2.nix", "true\n");
  w("search/pkgs/default.nix", "{ name = \"pkgs\"; }\n");
  w("search/pkgs/lib/default.nix", "{ id = x: x; }\n");
  w("search/pkgs/lib/strings.nix", "\"strings\"\n");
  w("other/tool.nix", "42\n");
  w("err.nix", "let\n  f = x: x.missing;\nin\n  f { present = 1; }\n");
  w("syntax.nix", "{ a = ; }\n");
  w("undef.nix", "{ a = unknownName; }\n");
  w("selfimport.nix", "{ me = import ./selfimport.nix; v = 3; }\n");
  w("bytes.nix", "\"\u00e9\\u{00}\"\n".replace("\\u{00}", ""));
  symlinkSync("lib.nix", join(dir, "link.nix"));
  symlinkSync("dir", join(dir, "dirlink"));
  return dir;
}

const E = (expr: string): string[] => ["--eval", "--strict", "-E", expr];

differential(
  "import, scopedImport and files match CppNix",
  [
    E("import ./lib.nix"),
    E("(import ./lib.nix).sq 7"),
    E("import ./dir"),
    E("import ./dirlink"),
    E("(import ./link.nix).x"),
    E("import (./. + \"/dir\")"),
    E("import \"${toString ./.}/dir/default.nix\""),
    E("(import ./fn.nix) { a = 1; c = 3; }"),
    E("import ./fn.nix { a = 1; }"),
    E("scopedImport { x = 1; y = 2; } ./scoped.nix"),
    E("scopedImport { true = false; } ./scoped2.nix"),
    E("(import ./selfimport.nix).me.me.v"),
    E("import ./err.nix"),
    E("import ./syntax.nix"),
    E("import ./undef.nix"),
    E("import ./bytes.nix"),
    E("import ./missing.nix"),
    E("(import ./lib.nix).pos"),
    E("\"${./lib.nix}\""),
    E("\"${./dir}\""),
    E("builtins.getContext \"${./lib.nix}\""),
    E("./lib.nix + \"\""),
    E("\"\" + ./lib.nix"),
    E("\"${./.}/x\""),
    ["--eval", "--strict", "--json", "-E", "{ a = [ 1 2.5 \"x\" null true ]; b = { c = ./lib.nix; }; }"],
    ["--eval", "--strict", "--xml", "--no-location", "-E", "{ a = [ 1 \"s\" ]; f = x: x; g = { a, b ? 1, ... }@s: a; }"],
    ["--eval", "--strict"],
    ["--eval", "--strict", "default.nix"],
    ["--eval", "--strict", "."],
    ["--eval", "--strict", "./lib.nix", "-A", "x"],
    ["--eval", "--strict", "-A", "c.x.2.y"],
    ["--eval", "--strict", "-A", "c.x.5"],
    ["--eval", "--strict", "-A", "c.y"],
    ["--eval", "--strict", "-A", "a.b"],
    ["--eval", "--strict", "-A", "f"],
    ["--eval", "--strict", "-A", "f", "--arg", "n", "3"],
    ["--eval", "--strict", "-A", "f", "--argstr", "n", "3"],
    ["--eval", "--strict", "fn.nix", "--arg", "a", "1", "--argstr", "c", "see"],
    ["--eval", "--strict", "strict.nix"],
    ["--eval", "--strict", "strict.nix", "--arg", "a", "{ x = 1; }"],
    ["--eval", "--strict", "-E", "{ a, b ? 2 }: a + b", "--arg", "a", "1"],
    ["--eval", "--strict", "-E", "{ x = { a }: a; }", "-A", "x", "--arg", "a", "9"],
    ["--eval", "--strict", "-E", "1", "-E", "2"],
    ["--eval", "--strict", "-E", "[ 1 2 ]", "-A", "0", "-A", "1"],
    ["--eval", "--strict", "-I", "search", "-E", "import <pkgs>"],
    ["--eval", "--strict", "-I", "search", "-E", "(import <pkgs/lib>).id 3"],
    ["--eval", "--strict", "-I", "p=search/pkgs", "-E", "import <p/lib/strings.nix>"],
    ["--eval", "--strict", "-I", "p=search/pkgs", "-E", "<p>"],
    ["--eval", "--strict", "-I", "p=search/pkgs", "-E", "<pp>"],
    ["--eval", "--strict", "-I", "tools=other", "-I", "search", "-E", "[ (import <tools/tool.nix>) <pkgs> ]"],
    ["--eval", "--strict", "-I", "search", "-E", "builtins.length __nixPath"],
    ["--eval", "--strict", "-I", "search", "-I", "a=b", "-E", "__nixPath"],
    ["--eval", "--strict", "-I", "search", "-E", "builtins.findFile [ { prefix = \"\"; path = ./search; } ] \"pkgs/lib\""],
    ["--eval", "--strict", "-E", "<nix/fetchurl.nix>"],
    ["--eval", "--strict", "-I", "search", "<pkgs>"],
    ["--eval", "--strict", "-I", "search", "<pkgs/lib/strings.nix>"],
  ],
  tree,
);

differential(
  "NIX_PATH entries are searched after -I",
  [
    ["--eval", "--strict", "-E", "import <pkgs/lib/strings.nix>"],
    ["--eval", "--strict", "-E", "import <tools/tool.nix>"],
    ["--eval", "--strict", "-E", "map (e: e.prefix) __nixPath"],
  ],
  () => {
    const dir = tree();
    process.env.LADING_TEST_NIX_PATH_DIR = dir;
    return dir;
  },
  { NIX_PATH: "tools=other:search" },
);
