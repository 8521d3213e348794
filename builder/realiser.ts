import { readFile } from "node:fs/promises";
import { parseDerivation, parseStorePath, type Derivation, type StorePath } from "../store/index.js";
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
    if (missing.length === 0) return outputs;

    if (this.substituter) {
      const plan = await this.substituter.plan(missing);
      if (plan.missing.length === 0) {
        await this.substituter.substitute(missing);
        return outputs;
      }
    }
    if (!this.builder) {
      throw new CannotRealiseError(
        `cannot realise '${drvPath.render(this.store.storeDir)}': its outputs are in no trusted binary cache and local builds are not available`,
      );
    }
    await Promise.all([...drv.inputDrvs].map(([input, names]) => this.realise(parseStorePath(input, this.store.storeDir), names)));
    const sources = drv.inputSrcs.map((s) => parseStorePath(s, this.store.storeDir)).filter((p) => !this.store.isValid(p));
    if (sources.length > 0) {
      if (!this.substituter) throw new CannotRealiseError(`input sources of '${drvPath.baseName}' are not valid`);
      await this.substituter.substitute(sources);
    }
    await this.builder.build({ drvPath, drv, outputs });
    return outputs;
  }
}
