/**
 * The registry over a package set whose outputs come from a signed file:// binary
 * cache (built by CppNix): substitution, the two-architecture index, name lookup,
 * and `lading image` giving the server's digests in another process and data dir.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nixSkipReason } from "../helpers/nix.js";
import { prepareDevPackageSet, type DevPackageSet } from "./dev-pkgs.js";
import { LADING, startRegistry, toolsSkipReason, type RunningRegistry } from "./registry-process.js";

const skip = nixSkipReason() || toolsSkipReason(["skopeo", "umoci", "chroot", "gcc"]);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

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

async function manifest(name: string, reference: string, accept: string, method = "GET") {
  const res = await fetch(`${registry.url}/v2/${name}/manifests/${reference}`, { method, headers: { accept } });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, json: method === "GET" && res.ok ? (JSON.parse(body.toString()) as Record<string, unknown>) : undefined };
}

function pullAndUnpack(image: string, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-e2e-pull-"));
  execFileSync("skopeo", ["copy", ...extra, "--src-tls-verify=false", `docker://${registry.host}/${image}`, `oci:${dir}/layout:latest`], { stdio: "pipe" });
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${dir}/layout:latest`, `${dir}/bundle`], { stdio: "pipe" });
  return join(dir, "bundle", "rootfs");
}

test("outputs substituted from a signed cache run: shell/welcome", { skip }, () => {
  const rootfs = pullAndUnpack("shell/welcome");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/welcome"]).toString(), "greetings\nHello, world!\n");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/sh", "-c", "echo ok"]).toString(), "ok\n");
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
