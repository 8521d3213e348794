/**
 * The registry end to end with real clients: `lading serve` on a loopback port over
 * examples/pkgs (built from source by the embedded sandboxed builder, offline),
 * pulled with skopeo, unpacked with umoci, run with chroot.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRegistry, toolsSkipReason, type RunningRegistry } from "./registry-process.js";

const skip = toolsSkipReason(["skopeo", "umoci", "chroot", "gcc", "busybox"]);
const EXAMPLES = fileURLToPath(new URL("../../../examples/pkgs", import.meta.url));
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const ALL_TYPES = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");

let registry: RunningRegistry;

before(async () => {
  if (skip) return;
  // No binary cache: everything is built here.
  registry = await startRegistry({ LADING_PKGS_PATH: EXAMPLES, LADING_SUBSTITUTERS: "" });
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

/** The amd64 OCI manifest of an image (examples/pkgs images are amd64 only). */
async function amd64Manifest(name: string): Promise<{ layers: { digest: string; annotations?: Record<string, string> }[] }> {
  const m = await manifest(name, "latest", ALL_TYPES);
  assert.equal(m.res.headers.get("content-type"), OCI_MANIFEST);
  return m.json as { layers: { digest: string; annotations?: Record<string, string> }[] };
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
  // Scripts start with `#!/usr/bin/env …`; busybox's env is a symlink to its multi-call binary.
  assert.equal(execFileSync("chroot", [rootfs, "/usr/bin/env", "PATH=/bin", "sh", "-c", "echo env-ok"]).toString(), "env-ok\n");
  assert.equal(statSync(join(rootfs, "tmp")).mode & 0o7777, 0o1777);
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

test("images that share packages share layer digests; layers name their store paths and derivations", { skip }, async () => {
  const hello = await amd64Manifest("hello");
  const shellHello = await amd64Manifest("shell/hello");
  const shared = hello.layers.filter((l) => shellHello.layers.some((m) => m.digest === l.digest));
  assert.ok(shared.length >= 1, "hello's store-path layer is reused");
  const annotated = hello.layers.map((l) => l.annotations ?? {});
  assert.ok(annotated.some((a) => /-hello-[^ ]*$/.test(a["dev.lading.store-paths"] ?? "") && /-hello-[^ ]*\.drv/.test(a["dev.lading.derivations"] ?? "")));
  // Popularity is counted over the whole set: libgreet (used by 5 of the set's 13 output
  // paths' packages) is under the 90th percentile, so in `greet` it shares greet's layer…
  const greet = await amd64Manifest("greet");
  const storePathsOf = (m: typeof greet) => m.layers.map((l) => (l.annotations?.["dev.lading.store-paths"] ?? "").split(" "));
  const greetLayer = storePathsOf(greet).find((paths) => paths.some((p) => /-greet-1\.0$/.test(p)))!;
  assert.ok(greetLayer.some((p) => /-libgreet-1\.0$/.test(p)), greetLayer.join(" "));
  // …while asking for it by name makes it a layer of its own, shared by every image that asks.
  const greetLib = await amd64Manifest("shell/greet/libgreet");
  const welcomeLib = await amd64Manifest("shell/welcome/libgreet");
  const libLayer = greetLib.layers.find((l) => /-libgreet-1\.0$/.test(l.annotations?.["dev.lading.store-paths"] ?? ""))!;
  assert.equal(libLayer.annotations!["dev.lading.store-paths"]!.split(" ").length, 1);
  assert.ok(welcomeLib.layers.some((m) => m.digest === libLayer.digest));
});

test("arm64 images of architecture-independent packages; others fail with the set's reason", { skip }, async () => {
  const cacert = await manifest("arm64/cacert", "latest", `${OCI_INDEX}, ${OCI_MANIFEST}`);
  assert.equal(cacert.res.status, 200);
  assert.equal(cacert.res.headers.get("content-type"), OCI_MANIFEST);
  const inspected = JSON.parse(
    execFileSync("skopeo", ["inspect", "--tls-verify=false", `docker://${registry.host}/arm64/cacert`]).toString(),
  ) as { Architecture: string; Env: string[] };
  assert.equal(inspected.Architecture, "arm64");
  assert.ok(inspected.Env.includes("SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt"));
  // Without an architecture in the name: an index of both for portable packages, amd64 only otherwise.
  const index = await manifest("cacert", "latest", `${OCI_INDEX}, ${OCI_MANIFEST}`);
  const platforms = (index.json!.manifests as { platform: { architecture: string } }[]).map((m) => m.platform.architecture);
  assert.deepEqual(platforms, ["amd64", "arm64"]);
  assert.equal((await manifest("welcome", "latest", `${OCI_INDEX}, ${OCI_MANIFEST}`)).res.headers.get("content-type"), OCI_MANIFEST);
  const hello = await manifest("arm64/hello", "latest", OCI_MANIFEST);
  assert.equal(hello.res.status, 404);
  assert.equal((JSON.parse(hello.body.toString()) as { errors: { code: string }[] }).errors[0]!.code, "MANIFEST_UNKNOWN");
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
