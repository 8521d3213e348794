import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { xzSync } from "node-liblzma";
import { join, resolve } from "node:path";
import {
  decompress,
  decompressZstdPureJs,
  LocalStore,
  Substituter,
  SubstitutionError,
  type SubstitutionEvent,
} from "../../builder/index.js";
import { narHashAndSize, SecretKey, StorePath, type PublicKey } from "../../store/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { buildNixClosure, CacheServer, makeNixCache, nixQuery, tempDir, type NixCache, type NixClosure } from "./fixture.js";

const skip = nixSkipReason();
const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

async function openStore(): Promise<LocalStore> {
  return LocalStore.open({ root: join(tempDir("store"), "root") });
}

function substituter(store: LocalStore, urls: string[], keys: (PublicKey | string)[], extra = {}): Substituter {
  return new Substituter(store, { urls, trustedKeys: keys, retry: FAST_RETRY, ...extra });
}

/** Every path arrived intact: the same NAR hash as CppNix's store, the same references. */
function assertSameAsNix(store: LocalStore, paths: StorePath[]): void {
  for (const path of paths) {
    const info = store.queryPathInfo(path);
    assert.ok(info, `${path.baseName} is valid`);
    const { hash, size } = narHashAndSize(store.realPath(path));
    const nixHash = nixQuery("--hash", path)[0];
    assert.equal(hash.format("base32"), nixHash, `NAR hash of the restored ${path.baseName}`);
    assert.equal(info.narHash.format("base32"), nixHash);
    assert.equal(size, Number(nixQuery("--size", path)[0]));
    assert.deepEqual(
      info.references.map((r) => r.render()),
      nixQuery("--references", path).sort((a, b) => (a.slice(11) < b.slice(11) ? -1 : 1)),
      `references of ${path.baseName}`,
    );
  }
}

describe("substitution from binary caches CppNix wrote", { skip }, () => {
  let closure: NixClosure;
  before(() => {
    closure = buildNixClosure(`s${Date.now().toString(36)}`);
  });

  for (const compression of ["xz", "zstd", "bzip2", "none", "br", "gzip"]) {
    test(`file:// cache, ${compression}: the closure arrives intact and verified`, async () => {
      const cache = makeNixCache([closure.top], compression);
      const store = await openStore();
      try {
        const events: SubstitutionEvent[] = [];
        const sub = substituter(store, [cache.url], [cache.key.publicKey]);
        sub.on("event", (e) => events.push(e));
        const result = await sub.substitute([closure.top]);
        assert.equal(result.substituted.length, closure.all.length);
        assertSameAsNix(store, closure.all);
        // References are registered before their referrers.
        const done = events.filter((e) => e.type === "path-done").map((e) => (e as { path: StorePath }).path.baseName);
        assert.ok(done.indexOf(closure.tree.baseName) < done.indexOf(closure.leaf.baseName));
        assert.ok(done.indexOf(closure.leaf.baseName) < done.indexOf(closure.mid.baseName));
        assert.ok(done.indexOf(closure.mid.baseName) < done.indexOf(closure.top.baseName));
        assert.equal(sub.stats.pathsDone, closure.all.length);
        assert.ok(sub.stats.bytesDownloaded > 0);
        if (compression !== "none") assert.equal(sub.stats.bytesDownloaded, sub.stats.bytesExpected);
        // A second run finds everything present and downloads nothing.
        const again = await substituter(store, [cache.url], [cache.key.publicKey]).substitute([closure.top]);
        assert.equal(again.substituted.length, 0);
        assert.deepEqual(again.present, [closure.top]);
      } finally {
        await store.close();
      }
    });
  }

  test("zstd and xz NARs decode to CppNix's archive, also with the pure-JS zstd fallback", async () => {
    const plain = makeNixCache([closure.leaf], "none");
    const narOf = (dir: string): Buffer =>
      readFileSync(join(dir, /^URL: (.*)$/m.exec(readFileSync(join(dir, `${closure.leaf.hashPart}.narinfo`), "utf8"))![1]!));
    const expected = narOf(plain.dir);
    const collect = async (chunks: AsyncIterable<Uint8Array>): Promise<Buffer> => {
      const parts: Uint8Array[] = [];
      for await (const c of chunks) parts.push(c);
      return Buffer.concat(parts);
    };
    const zstdNar = narOf(makeNixCache([closure.leaf], "zstd").dir);
    // Fed in small pieces, so frames and blocks straddle chunk boundaries.
    const pieces = (data: Buffer) => (async function* () {
      for (let i = 0; i < data.length; i += 1000) yield data.subarray(i, i + 1000);
    })();
    assert.ok((await collect(decompressZstdPureJs(pieces(zstdNar)))).equals(expected));
    assert.ok((await collect(decompress("zstd", pieces(zstdNar)))).equals(expected));
    const xzNar = narOf(makeNixCache([closure.leaf], "xz").dir);
    assert.ok((await collect(decompress("xz", pieces(xzNar)))).equals(expected));
  });

  describe("over HTTP on loopback", () => {
    let cache: NixCache;
    let server: CacheServer;
    before(async () => {
      cache = makeNixCache([closure.top], "xz");
      server = await CacheServer.start(cache.dir);
    });
    after(() => server.close());

    test("substitutes the closure, progress events count bytes and paths", async () => {
      server.requests.length = 0;
      server.fault = undefined;
      const store = await openStore();
      try {
        const sub = substituter(store, [server.url], [cache.key.publicKey]);
        let lastProgress = 0;
        sub.on("event", (e) => {
          if (e.type === "path-progress") lastProgress = Math.max(lastProgress, e.narBytes);
        });
        await sub.substitute([closure.top]);
        assertSameAsNix(store, closure.all);
        assert.equal(server.count((r) => r.endsWith(".narinfo")), closure.all.length);
        assert.equal(server.count((r) => r.startsWith("/nar/")), closure.all.length);
        assert.ok(lastProgress > 0);
        assert.equal(sub.stats.pathsTotal, closure.all.length);
      } finally {
        await store.close();
      }
    });

    test("concurrent substitutions of overlapping closures fetch each path once", async () => {
      server.requests.length = 0;
      server.fault = undefined;
      const store = await openStore();
      try {
        const sub = substituter(store, [server.url], [cache.key.publicKey]);
        await Promise.all([sub.substitute([closure.top]), sub.substitute([closure.mid]), sub.substitute([closure.leaf, closure.note])]);
        assertSameAsNix(store, closure.all);
        for (const path of closure.all) {
          assert.equal(server.count((r) => r === `/${path.hashPart}.narinfo`), 1, `one narinfo request for ${path.name}`);
        }
        assert.equal(server.count((r) => r.startsWith("/nar/")), closure.all.length, "one download per path");
      } finally {
        await store.close();
      }
    });

    test("a cache that is down when first asked is tried again later", async () => {
      server.requests.length = 0;
      server.fault = (req, res) => {
        if (req.url !== "/nix-cache-info") return false;
        res.writeHead(503).end();
        return true;
      };
      const store = await openStore();
      try {
        const sub = substituter(store, [server.url], [cache.key.publicKey], { reopenAfterMs: 0 });
        const errors: SubstitutionEvent[] = [];
        sub.on("event", (e) => e.type === "cache-error" && errors.push(e));
        await assert.rejects(sub.substitute([closure.top]), /cannot substitute/);
        assert.equal(errors.length, 1);
        assert.equal(server.count((r) => r === "/nix-cache-info"), FAST_RETRY.attempts, "retried with backoff");
        server.fault = undefined;
        await sub.substitute([closure.top]);
        assertSameAsNix(store, closure.all);
      } finally {
        server.fault = undefined;
        await store.close();
      }
    });

    test("retries 500s and a download that breaks off", async () => {
      server.requests.length = 0;
      let failures = 0;
      server.fault = (req, res, file) => {
        if (req.url?.endsWith(".narinfo") && failures < 2) {
          failures++;
          res.writeHead(500).end("try again");
          return true;
        }
        if (req.url?.startsWith("/nar/") && failures < 4) {
          failures++;
          const data = readFileSync(file);
          res.writeHead(200, { "content-length": data.length });
          res.write(data.subarray(0, data.length >> 1));
          setTimeout(() => res.destroy(), 10);
          return true;
        }
        return false;
      };
      const store = await openStore();
      try {
        const sub = substituter(store, [server.url], [cache.key.publicKey]);
        const retries: SubstitutionEvent[] = [];
        sub.on("event", (e) => e.type === "retry" && retries.push(e));
        await sub.substitute([closure.top]);
        assertSameAsNix(store, closure.all);
        assert.equal(failures, 4);
        assert.ok(retries.length >= 4, `saw ${retries.length} retries`);
      } finally {
        await store.close();
      }
    });

    test("a tampered NAR is refused and nothing of the closure is registered", async () => {
      server.requests.length = 0;
      const treeInfo = readFileSync(join(cache.dir, `${closure.tree.hashPart}.narinfo`), "utf8");
      const narUrl = /^URL: (.*)$/m.exec(treeInfo)![1]!;
      const uncompressedCache = makeNixCache([closure.tree], "none");
      const nar = Buffer.from(readFileSync(join(uncompressedCache.dir, /^URL: (.*)$/m.exec(readFileSync(join(uncompressedCache.dir, `${closure.tree.hashPart}.narinfo`), "utf8"))![1]!)));
      const at = nar.indexOf("tool ");
      nar[at + 1] = nar[at + 1]! ^ 0x20; // one flipped bit inside a file
      server.fault = (req, res) => {
        if (req.url === `/${narUrl}`) {
          // Serve the tampered archive, xz-compressed as the narinfo says.
          const xz = xzSync(nar);
          res.writeHead(200, { "content-length": xz.length }).end(xz);
          return true;
        }
        return false;
      };
      const store = await openStore();
      try {
        const sub = substituter(store, [server.url], [cache.key.publicKey]);
        await assert.rejects(sub.substitute([closure.top]), (err: unknown) => {
          assert.ok(err instanceof SubstitutionError);
          assert.match(err.message, /does not match its narinfo/);
          return true;
        });
        assert.deepEqual(store.allValidPaths(), []);
        assert.deepEqual(readdirSync(store.realStoreDir), []);
      } finally {
        server.fault = undefined;
        await store.close();
      }
    });

    test("corrupt compressed data is refused; another cache with the path is used instead", async () => {
      server.requests.length = 0;
      server.fault = (req, res) => {
        if (req.url?.startsWith("/nar/")) {
          res.writeHead(200, { "content-length": 4096 }).end(Buffer.alloc(4096, 0x5a));
          return true;
        }
        return false;
      };
      const store = await openStore();
      try {
        const only = substituter(store, [server.url], [cache.key.publicKey]);
        await assert.rejects(only.substitute([closure.top]), /xz decompression failed/);
        assert.deepEqual(store.allValidPaths(), []);
        // The broken cache is preferred, the good one is the fallback.
        writeFileSync(join(cache.dir, "nix-cache-info"), "StoreDir: /nix/store\nPriority: 10\n");
        const backup = makeNixCache([closure.top], "zstd");
        try {
          const both = substituter(store, [backup.url, server.url], [cache.key.publicKey, backup.key.publicKey]);
          const starts: string[] = [];
          both.on("event", (e) => e.type === "path-start" && starts.push(e.url));
          await both.substitute([closure.top]);
          assertSameAsNix(store, closure.all);
          assert.ok(starts.includes(server.url) && starts.includes(backup.url));
        } finally {
          writeFileSync(join(cache.dir, "nix-cache-info"), "StoreDir: /nix/store\n");
        }
      } finally {
        server.fault = undefined;
        await store.close();
      }
    });

    test("a bad signature or an untrusted key is refused before any NAR is fetched", async () => {
      server.requests.length = 0;
      const store = await openStore();
      try {
        const stranger = SecretKey.generate("stranger-1");
        const untrusted = substituter(store, [server.url], [stranger.publicKey]);
        await assert.rejects(untrusted.substitute([closure.top]), /no valid signature by a trusted key/);
        // A signature by the right key name over other data.
        const file = join(cache.dir, `${closure.leaf.hashPart}.narinfo`);
        const original = readFileSync(file, "utf8");
        const forged = cache.key.sign("1;/nix/store/something-else;sha256:0;1;");
        writeFileSync(file, original.replace(/^Sig: .*$/m, `Sig: ${forged}`));
        try {
          const trusting = substituter(store, [server.url], [cache.key.publicKey]);
          await assert.rejects(trusting.substitute([closure.top]), (err: unknown) => {
            assert.ok(err instanceof SubstitutionError);
            assert.match(err.message, new RegExp(closure.leaf.baseName));
            return true;
          });
        } finally {
          writeFileSync(file, original);
        }
        assert.equal(server.count((r) => r.startsWith("/nar/")), 0);
        assert.deepEqual(store.allValidPaths(), []);
      } finally {
        await store.close();
      }
    });

    test("a missing narinfo fails the closure; absence is cached", async () => {
      server.requests.length = 0;
      const missing = `/${closure.mid.hashPart}.narinfo`;
      server.fault = (req, res) => {
        if (req.url === missing) {
          res.writeHead(404).end();
          return true;
        }
        return false;
      };
      const store = await openStore();
      try {
        const sub = substituter(store, [server.url], [cache.key.publicKey]);
        await assert.rejects(sub.substitute([closure.top]), /cannot substitute 1 path/);
        await assert.rejects(sub.substitute([closure.top]), /cannot substitute 1 path/);
        assert.equal(server.count((r) => r === missing), 1, "the negative answer was remembered");
        assert.equal(await sub.querySubstitutable(closure.mid), undefined);
        assert.equal(server.count((r) => r === missing), 1);
        assert.equal(server.count((r) => r.startsWith("/nar/")), 0);
      } finally {
        server.fault = undefined;
        await store.close();
      }
    });
  });

  test("killed mid-substitution and started again, the store stays consistent and completes", async () => {
    const cache = makeNixCache([closure.top], "xz");
    const root = join(tempDir("store"), "root");
    const script = join(tempDir("kill"), "kill.mjs");
    writeFileSync(
      script,
      `import { LocalStore, Substituter } from ${JSON.stringify(resolve("dist/builder/index.js"))};
import { parseStorePath } from ${JSON.stringify(resolve("dist/store/index.js"))};
const store = await LocalStore.open({ root: ${JSON.stringify(root)} });
const sub = new Substituter(store, { urls: [${JSON.stringify(cache.url)}], trustedKeys: [${JSON.stringify(cache.key.publicKey.toString())}], maxDownloads: 1 });
let done = 0;
sub.on("event", (e) => {
  if (e.type === "path-done" && ++done === 2) process.kill(process.pid, "SIGKILL");
});
await sub.substitute([parseStorePath(${JSON.stringify(closure.top.render())})]);
`,
    );
    const child = spawnSync(process.execPath, [script], { encoding: "utf8" });
    assert.equal(child.signal, "SIGKILL", child.stderr);
    const store = await LocalStore.open({ root });
    try {
      const valid = store.allValidPaths();
      assert.ok(valid.length >= 2 && valid.length < closure.all.length, `${valid.length} paths survived`);
      for (const path of valid) {
        for (const ref of store.queryReferences(path)) assert.ok(store.isValid(ref), `${path.baseName} -> ${ref.baseName}`);
      }
      assert.deepEqual(readdirSync(store.realStoreDir).sort(), valid.map((p) => p.baseName).sort(), "no unregistered objects");
      const result = await substituter(store, [cache.url], [cache.key.publicKey]).substitute([closure.top]);
      assert.equal(result.substituted.length, closure.all.length - valid.length);
      assertSameAsNix(store, closure.all);
    } finally {
      await store.close();
    }
  });

  test("content-addressed paths need no signature; others do", async () => {
    const cache = makeNixCache([closure.top], "xz", undefined, false);
    const store = await openStore();
    try {
      const sub = substituter(store, [cache.url], []);
      // tree (source) and note (text) are content-addressed: their CA field proves them.
      const result = await sub.substitute([closure.note]);
      assert.deepEqual(result.substituted.map((p) => p.baseName).sort(), [closure.note.baseName, closure.tree.baseName].sort());
      assertSameAsNix(store, [closure.note, closure.tree]);
      await assert.rejects(sub.substitute([closure.leaf]), /no valid signature/);
      assert.ok(!store.isValid(closure.leaf));
    } finally {
      await store.close();
    }
  });

  test("caches are used by priority; a broken cache is skipped", async () => {
    const low = makeNixCache([closure.top], "zstd");
    const high = makeNixCache([closure.top], "xz");
    writeFileSync(join(low.dir, "nix-cache-info"), "StoreDir: /nix/store\nPriority: 60\n");
    writeFileSync(join(high.dir, "nix-cache-info"), "StoreDir: /nix/store\nPriority: 10\n");
    const other = makeNixCache([closure.tree], "none");
    writeFileSync(join(other.dir, "nix-cache-info"), "StoreDir: /other/store\n");
    const store = await openStore();
    try {
      const sub = substituter(store, [other.url, low.url, high.url], [low.key.publicKey, high.key.publicKey]);
      const errors: SubstitutionEvent[] = [];
      const starts: string[] = [];
      sub.on("event", (e) => {
        if (e.type === "cache-error") errors.push(e);
        if (e.type === "path-start") starts.push(e.url);
      });
      await sub.substitute([closure.top]);
      assertSameAsNix(store, closure.all);
      assert.equal(errors.length, 1);
      assert.deepEqual(new Set(starts), new Set([high.url]));
    } finally {
      await store.close();
    }
  });
});
