import { lstat, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import {
  HashSink,
  StorePath,
  dumpNar,
  makeFixedOutputPath,
  parseHashDigest,
  parseOutputHashAlgo,
  type ContentAddress,
  type Derivation,
  type Hash,
} from "../../store/index.js";
import { type LocalStore, type PathInfo } from "../local-store/index.js";
import { canonicaliseTree } from "../local-store/fs-util.js";
import { BuildError } from "./errors.js";
import { checkOutputs } from "./output-checks.js";
import { ReferenceScanner } from "./refscan.js";

export { BuildError };

/** An output the builder produced, hashed and scanned, ready to register. */
interface ScannedOutput {
  name: string;
  path: StorePath;
  /** Its own staging directory (the store removes it after the commit). */
  dir: string;
  contentPath: string;
  narHash: Hash;
  narSize: number;
  references: StorePath[];
  ca?: ContentAddress;
}

export interface OutputCheck {
  store: LocalStore;
  drvPath: StorePath;
  drv: Derivation;
  /** Output name → path, as the derivation declares them. */
  outputs: ReadonlyMap<string, StorePath>;
  /** Output name → `{hashAlgo, hash}` from the derivation, for fixed outputs. */
  fixed: ReadonlyMap<string, { hashAlgo: string; hash: string }>;
  /** Where the builder left each output, by base name. */
  builtDir: string;
  /** The paths the outputs may refer to besides themselves: the input closure. */
  inputClosure: readonly StorePath[];
  /** Scratch directory for staging. */
  scratch: string;
}

/**
 * Turns what the builder left into valid store paths: checks each output exists,
 * canonicalises it, hashes its NAR while scanning it for the hash parts of the
 * input closure and of the outputs, checks fixed-output hashes, and registers the
 * outputs together in one batch (LocalStore.commitMany), so validity stays closed
 * under references even when outputs refer to each other.
 */
export async function registerOutputs(check: OutputCheck): Promise<Map<string, PathInfo>> {
  const { store, drvPath } = check;
  const storeDir = store.storeDir;
  const drvName = drvPath.render(storeDir);
  const candidates = new Map<string, StorePath>();
  for (const p of check.inputClosure) candidates.set(p.hashPart, p);
  for (const p of check.outputs.values()) candidates.set(p.hashPart, p);

  const scanned = new Map<string, ScannedOutput>();
  for (const [name, path] of check.outputs) {
    const actual = join(check.builtDir, path.baseName);
    const st = await lstat(actual).catch(() => undefined);
    if (!st) {
      throw new BuildError(`builder for '${drvName}' failed to produce output path for output '${name}' at '${path.render(storeDir)}'`);
    }
    const dir = join(check.scratch, `output-${name}`);
    await mkdir(dir);
    const contentPath = join(dir, "object");
    await rename(actual, contentPath);
    // Read-only, mtime 1, no setuid/setgid bits, before anything reads it.
    await canonicaliseTree(contentPath);

    const fixed = check.fixed.get(name);
    const method = fixed ? parseOutputHashAlgo(fixed.hashAlgo) : undefined;
    if (method?.method === "flat" && (!st.isFile() || (st.mode & 0o100) !== 0)) {
      throw new BuildError(
        `output path '${path.render(storeDir)}' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)`,
      );
    }
    const narSink = new HashSink("sha256");
    const caSink = method?.method === "recursive" && method.algo !== "sha256" ? new HashSink(method.algo) : undefined;
    const scanner = new ReferenceScanner(candidates.keys());
    for await (const chunk of dumpNar(contentPath)) {
      narSink.update(chunk);
      caSink?.update(chunk);
      scanner.update(chunk);
    }
    const narHash = narSink.finish();
    const references = [...scanner.matches].map((h) => candidates.get(h)!);
    const out: ScannedOutput = { name, path, dir, contentPath, narHash, narSize: narSink.size, references };

    if (fixed && method) {
      let got: Hash;
      if (method.method === "recursive") got = caSink ? caSink.finish() : narHash;
      else got = await hashFile(contentPath, method.algo);
      const wanted = parseHashDigest(method.algo, fixed.hash);
      if (!got.equals(wanted)) {
        throw new BuildError(`hash mismatch in fixed-output derivation '${drvName}':\n  specified: ${wanted.toSri()}\n     got:    ${got.toSri()}`);
      }
      const others = references.filter((r) => !r.equals(path));
      const expected = makeFixedOutputPath(path.name, method.method, got, { references: others, selfReference: others.length !== references.length }, storeDir);
      if (!expected.equals(path)) {
        throw new BuildError(
          `fixed-output derivation '${drvName}' produced '${expected.render(storeDir)}' instead of '${path.render(storeDir)}' (it refers to other store paths)`,
        );
      }
      out.ca = { type: "fixed", method: method.method, hash: got };
    }
    scanned.set(path.baseName, out);
  }

  // Detect cycles before anything commits, so a cyclic build registers nothing; then
  // all outputs register as one batch (references between them allowed).
  checkAcyclic([...scanned.values()], scanned, drvName);
  checkOutputs(check.drv, drvName, [...scanned.values()], store);
  const outputsInOrder = [...scanned.values()];
  const infos = await store.commitMany(
    outputsInOrder.map((o) => ({
      staged: { dir: o.dir, contentPath: o.contentPath, narHash: o.narHash, narSize: o.narSize },
      info: { path: o.path, narHash: o.narHash, narSize: o.narSize, references: o.references, deriver: drvPath, ca: o.ca, ultimate: true },
    })),
  );
  return new Map(outputsInOrder.map((o, i) => [o.name, infos[i]!]));
}

function checkAcyclic(outputs: ScannedOutput[], byBase: Map<string, ScannedOutput>, drvName: string): void {
  const state = new Map<string, "visiting" | "done">();
  const visit = (o: ScannedOutput, from: string): void => {
    if (state.get(o.name) === "done") return;
    if (state.get(o.name) === "visiting") {
      throw new BuildError(`cycle detected in build of '${drvName}' in the references of output '${o.name}' from output '${from}'`);
    }
    state.set(o.name, "visiting");
    for (const ref of o.references) {
      const sibling = byBase.get(ref.baseName);
      if (sibling && sibling !== o) visit(sibling, o.name);
    }
    state.set(o.name, "done");
  };
  for (const o of outputs) visit(o, o.name);
}

async function hashFile(path: string, algo: Hash["algo"]): Promise<Hash> {
  const { createReadStream } = await import("node:fs");
  const sink = new HashSink(algo);
  for await (const chunk of createReadStream(path)) sink.update(chunk as Buffer);
  return sink.finish();
}
