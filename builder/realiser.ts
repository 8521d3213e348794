import { readFile } from "node:fs/promises";
import { parseDerivation, parseStorePath, type Derivation, type StorePath } from "../store/index.js";
import type { CastorePaths } from "./castore/index.js";
import type { LocalStore } from "./local-store/index.js";
import type { Substituter } from "./substituter/index.js";

/** Makes a derivation's outputs valid in the local store and says where they are. */
export interface Realiser {
  realise(drvPath: StorePath, outputs?: readonly string[]): Promise<Map<string, StorePath>>;
}

/** One derivation to build; its inputs' closures are already valid. */
export interface BuildRequest {
  readonly drvPath: StorePath;
  readonly drv: Derivation;
  /** The outputs wanted, by name. */
  readonly outputs: ReadonlyMap<string, StorePath>;
}

/**
 * Runs a builder and registers its outputs (scanning references, canonicalising,
 * checking fixed-output hashes). The sandboxed implementation is the second half of
 * issue 5; this is the seam it plugs into.
 */
export interface LocalBuilder {
  build(request: BuildRequest): Promise<void>;
}

export class CannotRealiseError extends Error {
  override name = "CannotRealiseError";
}

export interface RealiserCastoreOptions {
  castore: CastorePaths;
  /**
   * true (the registry): outputs whose closure the castore has are returned as they
   * are, and substituted ones go into the castore only, not onto this disk (layers are
   * read from the castore); only a local build that needs them as inputs materialises
   * them. false (`lading build`): outputs end up valid in the local store.
   */
  useInPlace: boolean;
  /** The castore failed while publishing; realisation goes on without it. */
  onError?: (error: Error) => void;
}

/**
 * Realises derivations the way CppNix does: outputs already valid are kept, missing
 * ones are substituted when a trusted cache has their whole closure, and otherwise
 * built locally after the inputs are realised, recursively. Concurrent requests for
 * one derivation share the work.
 */
export class StoreRealiser implements Realiser {
  private readonly inFlight = new Map<string, Promise<Map<string, StorePath>>>();

  constructor(
    private readonly store: LocalStore,
    private readonly substituter?: Substituter,
    private readonly builder?: LocalBuilder,
    private readonly shared?: RealiserCastoreOptions,
  ) {}

  /** Parses a .drv from the local store, substituting it (with its closure) first if a cache has it. */
  async readDerivation(drvPath: StorePath): Promise<Derivation> {
    if (!this.store.isValid(drvPath) && this.substituter && (await this.substituter.plan([drvPath])).missing.length === 0) {
      await this.substituter.substitute([drvPath]);
    }
    if (!this.store.isValid(drvPath)) {
      throw new CannotRealiseError(`derivation '${drvPath.render(this.store.storeDir)}' is not in the store`);
    }
    return parseDerivation(await readFile(this.store.realPath(drvPath), "latin1"));
  }

  realise(drvPath: StorePath, outputs?: readonly string[]): Promise<Map<string, StorePath>> {
    const key = `${drvPath.baseName}!${outputs ? [...outputs].sort().join(",") : "*"}`;
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.realiseUncached(drvPath, outputs).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return running;
  }

  private async realiseUncached(drvPath: StorePath, wanted?: readonly string[]): Promise<Map<string, StorePath>> {
    const drv = await this.readDerivation(drvPath);
    const outputs = new Map<string, StorePath>();
    for (const name of wanted ?? [...drv.outputs.keys()]) {
      const output = drv.outputs.get(name);
      if (!output) throw new CannotRealiseError(`derivation '${drvPath.baseName}' has no output '${name}'`);
      if (output.path === "") throw new CannotRealiseError(`output '${name}' of '${drvPath.baseName}' has no path (content-addressed derivations are not supported)`);
      outputs.set(name, parseStorePath(output.path, this.store.storeDir));
    }
    const missing = [...outputs.values()].filter((p) => !this.store.isValid(p));
    if (missing.length === 0) {
      await this.publish(outputs);
      return outputs;
    }
    if (this.shared?.useInPlace) {
      // Another replica realised them: no binary cache is asked.
      if (await this.shared.castore.closure(missing)) return outputs;
      // Else into the castore only: layers are read from there, a local copy would be a second one.
      try {
        if (this.substituter && (await this.substituter.planIntoCastore(missing)).missing.length === 0) {
          await this.substituter.substituteIntoCastore(missing);
          return outputs;
        }
      } catch (error) {
        // The castore (or the download into it) failed: unpacking locally below still gives an image.
        this.shared.onError?.(error as Error);
      }
    }

    if (this.substituter) {
      // The plan takes what the castore has from it and the rest from binary caches.
      const plan = await this.substituter.plan(missing);
      if (plan.missing.length === 0) {
        await this.substituter.substitute(missing);
        await this.publish(outputs);
        return outputs;
      }
    } else if (this.shared && (await this.shared.castore.materialise(this.store, missing))) {
      return outputs;
    }
    if (!this.builder) {
      throw new CannotRealiseError(
        `cannot realise '${drvPath.render(this.store.storeDir)}': its outputs are in no trusted binary cache and local builds are not available`,
      );
    }
    const inputs = await Promise.all(
      [...drv.inputDrvs].map(([input, names]) => this.realise(parseStorePath(input, this.store.storeDir), names)),
    );
    // Inputs realised in place (castore only) must be on disk for the build.
    const needed = [...inputs.flatMap((m) => [...m.values()]), ...drv.inputSrcs.map((s) => parseStorePath(s, this.store.storeDir))];
    let absent = needed.filter((p) => !this.store.isValid(p));
    if (absent.length > 0 && this.shared && (await this.shared.castore.materialise(this.store, absent))) absent = [];
    if (absent.length > 0) {
      if (!this.substituter) throw new CannotRealiseError(`inputs of '${drvPath.baseName}' are not valid`);
      await this.substituter.substitute(absent);
    }
    await this.builder.build({ drvPath, drv, outputs });
    await this.publish(outputs);
    return outputs;
  }

  /** Puts valid outputs' closures into the castore (build outputs, paths from before it was enabled). */
  private async publish(outputs: ReadonlyMap<string, StorePath>): Promise<void> {
    if (!this.shared) return;
    await this.shared.castore.publish(this.store, outputs.values()).catch((error: Error) => this.shared?.onError?.(error));
  }
}
