import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { LocalStore } from "../../builder/index.js";
import { commitStaged } from "../../evaluator/index.js";
import { parsePopularity, popularityFromBuildClosures, popularityJson, type Popularity } from "../../layering/index.js";
import { POPULARITY, type MetadataCache } from "../../storage/index.js";
import { parseDerivation, parseStorePath } from "../../store/index.js";
import type { Architecture } from "../image-name.js";
import { evaluatePackages } from "./evaluate.js";
import type { EvaluationWorker } from "./eval-worker.js";
import type { PackageSetRevision } from "./package-set.js";
import { KeyedFlight } from "./single-flight.js";

/**
 * Package sets with more top-level attributes than this are not counted whole on the
 * first request (nixpkgs has tens of thousands): their images use in-closure
 * popularity, or `LADING_POPULARITY_URL`. A count of attributes, not a time limit,
 * so every machine makes the same choice for the same revision.
 */
export const DEFAULT_SET_POPULARITY_LIMIT = 2000;

const TOO_LARGE = "too-large";

/**
 * Package-set popularity (see popularityFromBuildClosures), computed once per
 * (revision, architecture) on the first cold image that needs it and cached in the
 * metadata cache, so later images, restarts and other replicas reuse it.
 */
export class SetPopularity {
  private readonly flight = new KeyedFlight<Popularity | undefined>();
  private readonly memo = new Map<string, Popularity | undefined>();

  constructor(
    private readonly options: {
      store: LocalStore;
      cache: MetadataCache;
      stagingRoot: string;
      limit: number;
      evaluator?: EvaluationWorker;
    },
  ) {}

  /**
   * The set's popularity, or undefined when the set is over the limit. `setAttributes`,
   * when the caller's own evaluation counted them, saves evaluating a set (nixpkgs)
   * again only to find it is too large.
   */
  async get(pkgs: PackageSetRevision, architecture: Architecture, setAttributes?: number): Promise<Popularity | undefined> {
    if (setAttributes !== undefined && setAttributes > this.options.limit) return undefined;
    const key = createHash("sha256").update(`lading-set-popularity-v1\n${pkgs.revision}\n${architecture}\n${this.options.limit}`).digest("hex");
    if (this.memo.has(key)) return this.memo.get(key);
    return this.flight.run(key, async () => {
      const cached = await this.options.cache.get(POPULARITY, key);
      const popularity = cached !== undefined ? (cached === TOO_LARGE ? undefined : parsePopularity(cached)) : await this.compute(pkgs, architecture, key);
      this.memo.set(key, popularity);
      return popularity;
    });
  }

  private async compute(pkgs: PackageSetRevision, architecture: Architecture, key: string): Promise<Popularity | undefined> {
    const { store, evaluator, stagingRoot, limit } = this.options;
    await mkdir(stagingRoot, { recursive: true });
    const stagingDir = await mkdtemp(join(stagingRoot, "popularity-"));
    try {
      const input = {
        dir: pkgs.dir,
        architecture,
        packages: [],
        shell: false,
        nixpkgs: pkgs.nixpkgs,
        stagingDir,
        realStoreDir: store.realStoreDir,
        allPackages: { limit },
      };
      const evaluation = evaluator
        ? await evaluator.evaluate(input)
        : evaluatePackages({ ...input, isValidInStore: (p) => store.isValid(parseStorePath(p, store.storeDir)) });
      if ((evaluation.setAttributes ?? 0) > limit) {
        await this.options.cache.set(POPULARITY, key, TOO_LARGE);
        return undefined;
      }
      await commitStaged(store, evaluation.staged);
      const popularity = popularityFromBuildClosures(
        evaluation.packages.map((p) => p.drvPath),
        (drvPath) => {
          const drv = parseDerivation(readFileSync(store.realPath(parseStorePath(drvPath, store.storeDir)), "latin1"));
          return { outputs: [...drv.outputs.values()].map((o) => o.path), inputDrvs: [...drv.inputDrvs.keys()] };
        },
      );
      await this.options.cache.set(POPULARITY, key, popularityJson(popularity));
      return popularity;
    } finally {
      await rm(stagingDir, { recursive: true, force: true });
    }
  }
}
