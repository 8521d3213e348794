/**
 * zstd layers end to end (LADING_LAYER_COMPRESSION=zstd): skopeo pulls the OCI
 * manifest and its zstd layers, which unpack and run with chroot; a client that
 * only takes Docker schema 2 is told why it cannot have this image.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRegistry, toolsSkipReason, type RunningRegistry } from "./registry-process.js";

const skip = toolsSkipReason(["skopeo", "umoci", "chroot", "gcc", "busybox", "zstd", "tar"]);
const EXAMPLES = fileURLToPath(new URL("../../../examples/pkgs", import.meta.url));
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd";

let registry: RunningRegistry;

before(async () => {
  if (skip) return;
  registry = await startRegistry({ LADING_PKGS_PATH: EXAMPLES, LADING_SUBSTITUTERS: "", LADING_LAYER_COMPRESSION: "zstd" });
});

after(async () => {
  await registry?.stop();
});

test("skopeo copies a zstd image, umoci unpacks it and /bin/hello runs", { skip }, async () => {
  const res = await fetch(`${registry.url}/v2/hello/manifests/latest`, { headers: { accept: [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ") } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get("content-type"), OCI_MANIFEST);
  const manifest = (await res.json()) as { layers: { mediaType: string; digest: string }[] };
  assert.ok(manifest.layers.length >= 2);
  for (const layer of manifest.layers) assert.equal(layer.mediaType, ZSTD_LAYER);
  // The blob really is zstd (frame magic), served with its digest.
  const blob = await fetch(`${registry.url}/v2/hello/blobs/${manifest.layers[0]!.digest}`);
  assert.equal(blob.headers.get("docker-content-digest"), manifest.layers[0]!.digest);
  assert.deepEqual([...Buffer.from(await blob.arrayBuffer()).subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);

  const dir = mkdtempSync(join(tmpdir(), "lading-e2e-zstd-"));
  execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${registry.host}/hello`, `oci:${dir}/layout:latest`], { stdio: "pipe" });
  const index = JSON.parse(readFileSync(join(dir, "layout", "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const copied = JSON.parse(readFileSync(join(dir, "layout", "blobs", "sha256", index.manifests[0]!.digest.slice(7)), "utf8")) as { config: { digest: string }; layers: { mediaType: string; digest: string }[] };
  assert.ok(copied.layers.every((l) => l.mediaType === ZSTD_LAYER), "skopeo kept the zstd layers");
  // Debian's umoci (0.4.7) predates zstd; the layers are checked against the config's
  // diff_ids and unpacked in order with the zstd program and tar instead.
  const config = JSON.parse(readFileSync(join(dir, "layout", "blobs", "sha256", copied.config.digest.slice(7)), "utf8")) as { rootfs: { diff_ids: string[] } };
  const rootfs = join(dir, "rootfs");
  mkdirSync(rootfs);
  for (const [i, layer] of copied.layers.entries()) {
    const tar = execFileSync("zstd", ["-dc", join(dir, "layout", "blobs", "sha256", layer.digest.slice(7))], { maxBuffer: 1 << 30 });
    assert.equal(`sha256:${createHash("sha256").update(tar).digest("hex")}`, config.rootfs.diff_ids[i]);
    execFileSync("tar", ["-x", "-C", rootfs], { input: tar });
  }
  assert.equal(execFileSync("chroot", [rootfs, "/bin/hello"]).toString(), "Hello, world!\n");
  // skopeo decodes the zstd layers when it re-compresses them as gzip; umoci unpacks that copy.
  execFileSync("skopeo", ["copy", "--dest-compress-format", "gzip", "--src-tls-verify=false", `docker://${registry.host}/hello`, `oci:${dir}/gzip:latest`], { stdio: "pipe" });
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${dir}/gzip:latest`, `${dir}/bundle`], { stdio: "pipe" });
  assert.equal(execFileSync("chroot", [join(dir, "bundle", "rootfs"), "/bin/hello"]).toString(), "Hello, world!\n");
});

test("a client that only takes Docker schema 2 gets MANIFEST_UNKNOWN naming zstd; no Accept gets OCI", { skip }, async () => {
  for (const accept of [DOCKER_MANIFEST, `${DOCKER_LIST}, ${DOCKER_MANIFEST}`]) {
    const res = await fetch(`${registry.url}/v2/hello/manifests/latest`, { headers: { accept } });
    assert.equal(res.status, 404, accept);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, "MANIFEST_UNKNOWN");
    assert.match(body.errors[0]!.message, /zstd/);
  }
  const plain = await fetch(`${registry.url}/v2/hello/manifests/latest`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get("content-type"), OCI_MANIFEST);
});
