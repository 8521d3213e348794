/**
 * `lading instantiate` writes stderr as CppNix's logger does when it is not a
 * terminal: escape sequences stripped, tabs expanded (nixpkgs' module errors
 * carry ANSI colours; lib/tests/modules.sh matches the plain text).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { filterAnsiEscapes } from "../../cli/commands/instantiate.js";
import { nixSkipReason, runNixAsync } from "../helpers/nix.js";
import { finalMessage } from "./errors-current.js";

const cliMain = fileURLToPath(new URL("../../cli/main.js", import.meta.url));

async function lading(args: string[]): Promise<{ stderr: string; exitCode: number }> {
  const script = `import(${JSON.stringify(cliMain)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
  return runNixAsync(process.execPath, ["--input-type=module", "-e", script, ...args]);
}

test("filterAnsiEscapes strips CSI/OSC sequences, CR and BEL and expands tabs from the text's start", () => {
  assert.equal(filterAnsiEscapes("a\x1b[1;35mb\x1b[0m\tc"), "ab      c");
  assert.equal(filterAnsiEscapes("\x1b]8;;http://x\x1b\\link\x1b]8;;\x07\r!"), "link!");
  assert.equal(filterAnsiEscapes("\u00c3\u00a9\tx"), "\u00c3\u00a9       x");
});

test("error messages with escapes and tabs read as CppNix prints them", { skip: nixSkipReason() }, async () => {
  const exprs = [
    'throw (builtins.fromJSON "\\"\\\\u001b[1;35mred\\\\u001b[0m and\\\\ttab\\"")',
    'throw (builtins.fromJSON "\\"\\\\u00e9\\\\t\\\\r\\\\u0007x\\"")',
  ];
  for (const expr of exprs) {
    const theirs = await runNixAsync("nix-instantiate", ["--eval", "-E", expr]);
    const ours = await lading(["instantiate", "--eval", "-E", expr]);
    assert.equal(ours.exitCode, 1);
    // Our report is current CppNix's (frames, then the message indented), 2.8's the message
    // alone, so a tab lands on another column: compare with spaces collapsed, and check
    // that no escape sequence, CR, BEL or tab is left in ours.
    const collapse = (s: string) => s.replace(/ +/g, " ");
    assert.equal(collapse(finalMessage(ours.stderr)), collapse(finalMessage(theirs.stderr)), expr);
    for (const c of ["\x1b", "\r", "\x07", "\t"]) assert.ok(!ours.stderr.includes(c), `${JSON.stringify(c)} left in: ${expr}`);
  }
});
