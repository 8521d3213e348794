/**
 * The builder with a castore two replicas share (here a directory; the e2e test uses
 * S3 + Redis): replica A substitutes and ingests in one pass, replica B takes the
 * closure from the castore without one request to the binary cache, builds record
 * their outputs, and the tee feeding both consumers keeps every byte.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CastorePaths,
  fanOut,
  LocalStore,
  StoreRealiser,
  Substituter,
  type BuildRequest,
  type SubstitutionEvent,
} from "../../builder/index.js";
import { Castore, FsCastoreBackend, HashSink, dumpNar, parseHash, parseStorePath, type CastoreBackend, type StorePath } from "../../store/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { buildNixClosure, CacheServer, makeNixCache, nixQuery, tempDir, type NixCache, type NixClosure } from "./fixture.js";

const skip = nixSkipReason();

function drvOf(path: StorePath): StorePath {
  return parseStorePath(nixQuery("--deriver", path)[0]!);
}

async function sha256Of(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const sink = new HashSink("sha256");
  for await (const chunk of chunks) sink.update(chunk);
  return sink.finish().format("base32");
}

test("fanOut: both consumers see every chunk once, in order, however they pace themselves", async () => {
  const pieces = Array.from({ length: 100 }, (_, i) => Buffer.alloc((i * 37) % 500, i));
  async function* source() {
    for (const p of pieces) yield p;
  }
  const collect = (delayEvery: number) => async (branch: AsyncIterable<Uint8Array>) => {
    const got: Buffer[] = [];
    let n = 0;
    for await (const chunk of branch) {
      got.push(Buffer.from(chunk));
      if (++n % delayEvery === 0) await new Promise((r) => setTimeout(r, 1));
    }
    return Buffer.concat(got);
  };
  const [a, b] = await fanOut(source(), collect(3), collect(17));
  assert.deepEqual(a, Buffer.concat(pieces));
  assert.deepEqual(b, Buffer.concat(pieces));
});

test("fanOut: one consumer failing stops the other, and the first error is the one reported", async () => {
  let pulled = 0;
  async function* endless() {
    for (;;) {
      pulled++;
      yield Buffer.alloc(10);
    }
  }
  const drain = async (branch: AsyncIterable<Uint8Array>) => {
    for await (const chunk of branch) void chunk;
  };
  const failAfter = async (branch: AsyncIterable<Uint8Array>) => {
    let n = 0;
    for await (const chunk of branch) if (++n === 5) throw new Error(`broken after ${chunk.length * n} bytes`);
  };
  await assert.rejects(fanOut(endless(), drain, failAfter), /broken after 50 bytes/);
  assert.ok(pulled < 20, `the source stopped being read (${pulled} chunks)`);
  // A source error reaches both consumers as itself.
  async function* broken() {
    yield Buffer.alloc(1);
    throw new Error("connection reset");
  }
  await assert.rejects(fanOut(broken(), drain, drain), /connection reset/);
});

describe("substitution with a shared castore", { skip }, () => {
  let closure: NixClosure;
  let cache: NixCache;
  let server: CacheServer;
  let castoreDir: string;
  before(async () => {
    closure = buildNixClosure(`c${Date.now().toString(36)}`);
    cache = makeNixCache([closure.top], "xz", undefined, true, [drvOf(closure.top)]);
    server = await CacheServer.start(cache.dir);
    castoreDir = tempDir("castore");
  });
  after(async () => {
    await server?.close();
  });

  const replica = async () => {
    const store = await LocalStore.open({ root: join(tempDir("store"), "root") });
    const castore = new CastorePaths(new Castore(new FsCastoreBackend(castoreDir)));
    const substituter = new Substituter(store, { urls: [server.url], trustedKeys: [cache.key.publicKey], castore });
    return { store, castore, substituter };
  };

  test("replica A ingests while substituting; replica B gets the closure from the castore alone", async () => {
    const a = await replica();
    try {
      await a.substituter.substitute([closure.top]);
      assert.ok(server.count((p) => p.startsWith("/nar/")) >= closure.all.length, "A downloaded the NARs");
      for (const path of closure.all) {
        const record = await a.castore.lookup(path);
        assert.ok(record, `${path.baseName} is recorded`);
        const nixHash = nixQuery("--hash", path)[0];
        assert.equal(record.narHash.format("base32"), nixHash);
        assert.equal(await sha256Of(a.castore.nar(path)), nixHash, `castore NAR of ${path.baseName} is CppNix's`);
        assert.deepEqual(
          record.references.map((r) => r.render()).sort(),
          nixQuery("--references", path).sort(),
        );
      }
    } finally {
      await a.store.close();
    }

    const before = server.requests.length;
    const b = await replica();
    try {
      const events: SubstitutionEvent[] = [];
      b.substituter.on("event", (e) => events.push(e));
      const plan = await b.substituter.plan([closure.top]);
      assert.equal(plan.paths.length, closure.all.length);
      assert.ok(plan.paths.every((p) => p.cache === undefined), "every path planned from the castore");
      await b.substituter.substitute([closure.top]);
      assert.equal(server.requests.length, before, `no request to the cache: ${server.requests.slice(before).join(" ")}`);
      for (const path of closure.all) {
        assert.ok(b.store.isValid(path));
        assert.equal(b.store.queryPathInfo(path)!.narHash.format("base32"), nixQuery("--hash", path)[0]);
        // Registered as the replica that substituted it did: deriver and signatures kept.
        const deriver = nixQuery("--deriver", path)[0];
        assert.equal(b.store.queryPathInfo(path)!.deriver?.render(), deriver === "unknown-deriver" ? undefined : deriver);
        assert.ok(b.store.queryPathInfo(path)!.sigs.length > 0, "signatures carried over");
      }
      assert.ok(events.some((e) => e.type === "path-start" && e.url === "castore:"));
    } finally {
      await b.store.close();
    }

    // The registry's realiser uses the outputs in place: nothing on C's disk, no request.
    const c = await replica();
    try {
      // The .drv files come from the cache (evaluation would have written them); then the count starts.
      await c.substituter.substitute([drvOf(closure.top)]);
      const realiser = new StoreRealiser(c.store, c.substituter, undefined, { castore: c.castore, useInPlace: true });
      const start = server.requests.length;
      const outputs = await realiser.realise(drvOf(closure.top));
      assert.deepEqual([...outputs], [["out", closure.top]]);
      assert.equal(c.store.isValid(closure.top), false, "the output stays in the castore");
      assert.deepEqual(server.requests.slice(start), [], "no request to the cache");
      assert.ok(c.castore.queryPathInfo(closure.leaf), "the closure's records are known for the closure graph");
    } finally {
      await c.store.close();
    }
  });

  test("substituteIntoCastore: the closure goes into the castore only, nothing is unpacked locally", async () => {
    const store = await LocalStore.open({ root: join(tempDir("store"), "root") });
    const castore = new CastorePaths(new Castore(new FsCastoreBackend(tempDir("castore-only"))));
    try {
      const sub = new Substituter(store, { urls: [server.url], trustedKeys: [cache.key.publicKey], castore });
      const plan = await sub.planIntoCastore([closure.top]);
      assert.equal(plan.paths.length, closure.all.length);
      const result = await sub.substituteIntoCastore([closure.top]);
      assert.equal(result.substituted.length, closure.all.length);
      assert.deepEqual(store.allValidPaths(), [], "nothing registered locally");
      const fresh = new CastorePaths(new Castore(castore.castore.backend));
      const records = await fresh.closure([closure.top]);
      assert.ok(records, "the whole closure is recorded");
      for (const info of records) {
        const nixHash = nixQuery("--hash", info.path)[0];
        assert.equal(info.narHash.format("base32"), nixHash);
        assert.equal(await sha256Of(fresh.nar(info.path)), nixHash, `castore NAR of ${info.path.baseName}`);
      }
      const before = server.requests.length;
      await sub.substituteIntoCastore([closure.top]);
      assert.equal(server.requests.length, before, "a second call asks the cache nothing");
      // A path valid locally is published from disk rather than downloaded.
      const other = new CastorePaths(new Castore(new FsCastoreBackend(tempDir("castore-publish"))));
      await sub.substitute([closure.leaf]);
      const withLocal = new Substituter(store, { urls: [server.url], trustedKeys: [cache.key.publicKey], castore: other });
      const narsBefore = server.count((p) => p.startsWith("/nar/"));
      await withLocal.substituteIntoCastore([closure.leaf]);
      assert.equal(server.count((p) => p.startsWith("/nar/")), narsBefore, "leaf's closure came from the local store");
      assert.ok(await other.closure([closure.leaf]));
    } finally {
      await store.close();
    }
  });

  test("a castore that fails does not fail substitution: the path is unpacked and the failure reported", async () => {
    const store = await LocalStore.open({ root: join(tempDir("store"), "root") });
    const inner = new FsCastoreBackend(tempDir("castore-broken"));
    const broken: CastoreBackend = {
      has: (k, key) => inner.has(k, key),
      get: (k, key) => inner.get(k, key),
      put: () => Promise.reject(new Error("bucket unreachable")),
      delete: (k, key, since) => inner.delete(k, key, since),
      list: (k) => inner.list(k),
    };
    try {
      const castore = new CastorePaths(new Castore(broken));
      const sub = new Substituter(store, { urls: [server.url], trustedKeys: [cache.key.publicKey], castore });
      const events: SubstitutionEvent[] = [];
      sub.on("event", (e) => events.push(e));
      await sub.substitute([closure.leaf]);
      assert.ok(store.isValid(closure.leaf) && store.isValid(closure.tree));
      assert.equal(store.queryPathInfo(closure.leaf)!.narHash.format("base32"), nixQuery("--hash", closure.leaf)[0]);
      const errors = events.filter((e) => e.type === "castore-error");
      assert.equal(errors.length, 2, "each path's castore failure reported");
      assert.equal(await castore.lookup(closure.leaf), undefined, "nothing recorded");
    } finally {
      await store.close();
    }
  });

  test("a built output is recorded in the castore after the build, and its inputs are materialised for it", async () => {
    const store = await LocalStore.open({ root: join(tempDir("store"), "root") });
    const castore = new CastorePaths(new Castore(new FsCastoreBackend(tempDir("castore-build"))));
    try {
      // The inputs come from the castore (as another replica would have left them), the top is built.
      const seed = await LocalStore.open({ root: join(tempDir("store"), "root") });
      const seedSub = new Substituter(seed, { urls: [cache.url], trustedKeys: [cache.key.publicKey], castore });
      await seedSub.substitute([closure.mid, drvOf(closure.top)]);
      await seed.close();

      const built: string[] = [];
      const builder = {
        async build(request: BuildRequest): Promise<void> {
          built.push(request.drvPath.baseName);
          assert.ok(store.isValid(closure.mid), "the input was materialised before the build");
          for (const path of request.outputs.values()) {
            await store.addNar(
              {
                path,
                narHash: parseHash(nixQuery("--hash", path)[0]!),
                narSize: Number(nixQuery("--size", path)[0]),
                references: nixQuery("--references", path).map((r) => parseStorePath(r)),
              },
              dumpNar(path.render()),
            );
          }
        },
      };
      const sub = new Substituter(store, { urls: [], trustedKeys: [], castore });
      const realiser = new StoreRealiser(store, sub, builder, { castore, useInPlace: true });
      await realiser.realise(drvOf(closure.top));
      assert.deepEqual(built, [drvOf(closure.top).baseName]);
      const fresh = new CastorePaths(new Castore(castore.castore.backend));
      const record = await fresh.lookup(closure.top);
      assert.ok(record, "the built output is recorded");
      assert.equal(await sha256Of(fresh.nar(closure.top)), nixQuery("--hash", closure.top)[0]);
    } finally {
      await store.close();
    }
  });
});
