/**
 * The registry end to end with real clients: `lading serve` on a loopback port over
 * the e2e package set (built by CppNix, substituted from a signed file:// cache),
 * pulled with skopeo, unpacked with umoci, run with chroot.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nixSkipReason } from "../helpers/nix.js";
import { prepareDevPackageSet, type DevPackageSet } from "./dev-pkgs.js";
import { LADING, startRegistry, toolsSkipReason, type RunningRegistry } from "./registry-process.js";

const skip = nixSkipReason() || toolsSkipReason(["skopeo", "umoci", "chroot", "gcc"]);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const ALL_TYPES = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");

let pkgs: DevPackageSet;
let registry: RunningRegistry;
let env: Record<string, string>;

before(async () => {
  if (skip) return;
  pkgs = prepareDevPackageSet();
  env = { LADING_PKGS_PATH: pkgs.dir, LADING_SUBSTITUTERS: pkgs.substituters, LADING_TRUSTED_KEYS: pkgs.trustedKeys };
  registry = await startRegistry(env);
});

after(async () => {
  await registry?.stop();
});

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function manifest(name: string, reference: string, accept: string, method = "GET") {
  const res = await fetch(`${registry.url}/v2/${name}/manifests/${reference}`, { method, headers: { accept } });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, json: method === "GET" && res.ok ? (JSON.parse(body.toString()) as Record<string, unknown>) : undefined };
}

async function amd64Manifest(name: string): Promise<{ layers: { digest: string }[]; digest: string }> {
  const index = await manifest(name, "latest", ALL_TYPES);
  const entry = (index.json!.manifests as { digest: string; platform: { architecture: string } }[]).find((m) => m.platform.architecture === "amd64")!;
  const m = await manifest(name, entry.digest, OCI_MANIFEST);
  return { ...(m.json as { layers: { digest: string }[] }), digest: entry.digest };
}

async function builds(): Promise<number> {
  const res = await fetch(`${registry.url}/_lading/builds`);
  return ((await res.json()) as { started: number }).started;
}

function pullAndUnpack(image: string, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-e2e-pull-"));
  execFileSync("skopeo", ["copy", ...extra, "--src-tls-verify=false", `docker://${registry.host}/${image}`, `oci:${dir}/layout:latest`], { stdio: "pipe" });
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${dir}/layout:latest`, `${dir}/bundle`], { stdio: "pipe" });
  return join(dir, "bundle", "rootfs");
}

test("skopeo pulls hello, umoci unpacks it and /bin/hello prints Hello, world!", { skip }, () => {
  const rootfs = pullAndUnpack("hello");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/hello"]).toString(), "Hello, world!\n");
  assert.match(readFileSync(join(rootfs, "etc/passwd"), "utf8"), /^root:x:0:0:/);
});

test("shell/hello starts a shell", { skip }, () => {
  const rootfs = pullAndUnpack("shell/hello");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/sh", "-c", "echo ok"]).toString(), "ok\n");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/sh", "-c", "PATH=/bin hello"]).toString(), "Hello, world!\n");
});

test("manifests by tag and by digest in both media types carry the right headers", { skip }, async () => {
  for (const accept of [OCI_MANIFEST, DOCKER_MANIFEST, `${OCI_INDEX}, ${OCI_MANIFEST}`, `${DOCKER_LIST}, ${DOCKER_MANIFEST}`]) {
    const { res, body, json } = await manifest("hello", "latest", accept);
    assert.equal(res.status, 200, accept);
    const type = res.headers.get("content-type")!;
    assert.ok(accept.split(", ").includes(type), `${type} for ${accept}`);
    assert.equal(json!.mediaType, type);
    const digest = sha256(body);
    assert.equal(res.headers.get("docker-content-digest"), digest);
    assert.equal(res.headers.get("etag"), `"${digest}"`);
    assert.equal(res.headers.get("content-length"), String(body.length));
    const head = await manifest("hello", "latest", accept, "HEAD");
    assert.equal(head.res.headers.get("docker-content-digest"), digest);
    assert.equal(head.res.headers.get("content-length"), String(body.length));
    const byDigest = await manifest("hello", digest, accept);
    assert.equal(byDigest.res.status, 200);
    assert.ok(byDigest.body.equals(body));
    assert.equal(byDigest.res.headers.get("content-type"), type);
  }
  const rawByTag = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/hello:latest`]);
  const digest = sha256(rawByTag);
  const byDigest = JSON.parse(
    execFileSync("skopeo", ["inspect", "--tls-verify=false", `docker://${registry.host}/hello@${digest}`]).toString(),
  ) as { Architecture: string; Env: string[]; Labels: Record<string, string> };
  assert.equal(byDigest.Architecture, "amd64");
  assert.ok(byDigest.Env.includes("PATH=/bin:/usr/bin:/sbin:/usr/sbin"));
  assert.match(byDigest.Labels["org.opencontainers.image.revision"]!, /^path-/);
});

test("the index has amd64 and arm64 and --override-arch arm64 selects arm64", { skip }, async () => {
  const { json } = await manifest("hello", "latest", OCI_INDEX);
  const platforms = (json!.manifests as { platform: { architecture: string } }[]).map((m) => m.platform.architecture);
  assert.deepEqual(platforms, ["amd64", "arm64"]);
  const inspected = JSON.parse(
    execFileSync("skopeo", ["--override-arch", "arm64", "inspect", "--tls-verify=false", `docker://${registry.host}/hello`]).toString(),
  ) as { Architecture: string };
  assert.equal(inspected.Architecture, "arm64");
  const forced = await manifest("arm64/hello", "latest", `${OCI_INDEX}, ${OCI_MANIFEST}`);
  assert.equal(forced.res.headers.get("content-type"), OCI_MANIFEST);
});

test("images that share packages share layer digests; layers name their store paths and derivations", { skip }, async () => {
  const hello = await amd64Manifest("hello");
  const shellHello = await amd64Manifest("shell/hello");
  const shared = hello.layers.filter((l) => shellHello.layers.some((m) => m.digest === l.digest));
  assert.ok(shared.length >= 1, "hello's store-path layer is reused");
  const annotated = (hello.layers as { annotations?: Record<string, string> }[])[0]!.annotations!;
  assert.match(annotated["dev.lading.store-paths"]!, /-hello-2\.12/);
  assert.match(annotated["dev.lading.derivations"]!, /-hello-2\.12\.drv/);
});

test("fifty concurrent cold pulls of one image cause one build", { skip }, async () => {
  const before = await builds();
  const answers = await Promise.all(Array.from({ length: 50 }, () => manifest("greet/libgreet", "latest", OCI_INDEX)));
  const digests = new Set(answers.map((a) => a.res.headers.get("docker-content-digest")));
  assert.ok(answers.every((a) => a.res.status === 200));
  assert.equal(digests.size, 1);
  assert.equal((await builds()) - before, 1);
  await manifest("libgreet/greet", "latest", OCI_INDEX);
  assert.equal((await builds()) - before, 1, "package order does not matter");
});

test("lading image --oci gives the server's manifest digest", { skip }, async () => {
  const served = await manifest("welcome", "latest", `${OCI_INDEX}, ${OCI_MANIFEST}`);
  const out = mkdtempSync(join(tmpdir(), "lading-e2e-image-"));
  const result = spawnSync(process.execPath, [LADING, "image", "welcome:latest", "--oci", join(out, "layout")], {
    env: { ...process.env, ...env, LADING_DATA_DIR: join(out, "data") },
  });
  assert.equal(result.status, 0, result.stderr.toString());
  assert.equal(result.stdout.toString().trim(), served.res.headers.get("docker-content-digest"));
  const index = JSON.parse(readFileSync(join(out, "layout", "index.json"), "utf8")) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0]!.digest, served.res.headers.get("docker-content-digest"));
  // The layout's tag names the image index; skopeo picks this machine's platform from it.
  execFileSync("skopeo", ["copy", `oci:${out}/layout:latest`, `oci:${out}/amd64:latest`], { stdio: "pipe" });
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${out}/amd64:latest`, `${out}/bundle`], { stdio: "pipe" });
  assert.equal(execFileSync("chroot", [`${out}/bundle/rootfs`, "/bin/welcome"]).toString(), "greetings\nHello, world!\n");
});

test("package names: case-insensitive, dotted paths, missing ones named", { skip }, async () => {
  const dotted = await manifest("pythonpackages.numpy", "latest", OCI_INDEX);
  assert.equal(dotted.res.status, 200);
  const missing = await manifest("hello/nosuch/alsomissing", "latest", OCI_INDEX);
  assert.equal(missing.res.status, 404);
  const error = JSON.parse(missing.body.toString()) as { errors: { code: string; message: string; detail: { missing: string[] } }[] };
  assert.equal(error.errors[0]!.code, "MANIFEST_UNKNOWN");
  assert.deepEqual(error.errors[0]!.detail.missing, ["alsomissing", "nosuch"]);
  assert.match(error.errors[0]!.message, /'alsomissing', 'nosuch'/);
});

test("malformed requests get spec errors and the server keeps serving", { skip }, async () => {
  const cases: [string, string, number, string][] = [
    ["GET", "/v2/Hello/manifests/latest", 400, "NAME_INVALID"],
    ["GET", "/v2/hello..x/manifests/latest", 400, "NAME_INVALID"],
    ["GET", "/v2/hello/manifests/bad!tag", 400, "MANIFEST_INVALID"],
    ["GET", "/v2/hello/manifests/sha256:1234", 400, "DIGEST_INVALID"],
    ["GET", "/v2/hello/manifests/sha256:" + "0".repeat(64), 404, "MANIFEST_UNKNOWN"],
    ["GET", "/v2/hello/blobs/sha256:xyz", 400, "DIGEST_INVALID"],
    ["GET", "/v2/hello/blobs/sha256:" + "0".repeat(64), 404, "BLOB_UNKNOWN"],
    ["GET", "/v2/hello/nonsense", 404, "UNSUPPORTED"],
    ["PUT", "/v2/hello/manifests/latest", 405, "UNSUPPORTED"],
    ["POST", "/v2/hello/blobs/uploads/", 405, "UNSUPPORTED"],
    ["DELETE", "/v2/hello/manifests/latest", 405, "UNSUPPORTED"],
    ["GET", "/v2/hello/manifests/v2", 404, "MANIFEST_UNKNOWN"],
  ];
  for (const [method, path, status, code] of cases) {
    const res = await fetch(`${registry.url}${path}`, { method });
    assert.equal(res.status, status, `${method} ${path}`);
    const body = (await res.json()) as { errors: { code: string }[] };
    assert.equal(body.errors[0]!.code, code, `${method} ${path}`);
  }
  const query = await fetch(`${registry.url}/v2/hello/manifests/latest?n=1&x=%00`, { headers: { accept: OCI_INDEX } });
  assert.equal(query.status, 200);
  const page = await fetch(`${registry.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /shell\/hello/);
  assert.equal(registry.child.exitCode, null);
});
