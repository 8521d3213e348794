import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  MEDIA_TYPES,
  buildCustomisation,
  buildImage,
  buildIndex,
  canonicalJson,
  groupLayers,
  layerKey,
  writeEntriesLayer,
  writeLayerFile,
  writeOciLayout,
  writeStorePathsLayer,
  type ImageLayer,
  type LayoutBlob,
  type TarEntry,
} from "../../layering/index.js";
import { closureOf, fakeStorePath, writeFakePath } from "./fake-store.js";

/** umoci and skopeo are the real clients; CI must have them (scripts/install-deps.sh). */
function toolSkipReason(): string | false {
  const missing = ["umoci", "skopeo"].filter((tool) => spawnSync(tool, ["--version"], { stdio: "ignore" }).status !== 0);
  if (missing.length === 0) return false;
  if (process.env.CI) throw new Error(`${missing.join(", ")} required in CI`);
  return `${missing.join(", ")} not installed; run scripts/install-deps.sh`;
}

/** Past ustar's 100-byte name field and not ASCII: only PAX can carry it. */
const LONG_UNICODE = "grüße-日本語-".repeat(6);

const P = {
  glibc: fakeStorePath("glibc-2.39"),
  bash: fakeStorePath("bash-5.2"),
  coreutils: fakeStorePath("coreutils-9.5"),
  hello: fakeStorePath("hello-2.12"),
  cacert: fakeStorePath("nss-cacert-3.101"),
  iana: fakeStorePath("iana-etc-20240318"),
};

function writeStore(root: string): void {
  writeFakePath(root, P.glibc, { lib: { "libc.so.6": { exec: "libc" } } });
  writeFakePath(root, P.bash, { bin: { bash: { exec: "#!bash\n" }, sh: { link: "bash" } }, share: { man: { man1: { "bash.1": "bash man\n" } } } });
  writeFakePath(root, P.coreutils, {
    bin: { env: { exec: "env\n" }, ls: { exec: "ls\n" }, hello: { exec: "not the real hello\n" } },
    share: { man: { man1: { "ls.1": "ls man\n" } }, "coreutils-only": { x: "1" } },
  });
  writeFakePath(root, P.hello, {
    bin: { hello: { exec: "#!/bin/sh\necho 'Hello, world!'\n" } },
    share: { man: { man1: { "hello.1": "hello man\n" } }, locale: { [LONG_UNICODE]: { [LONG_UNICODE]: "grüße\n" } } },
  });
  writeFakePath(root, P.cacert, { etc: { ssl: { certs: { "ca-bundle.crt": "-----BEGIN CERTIFICATE-----\n" } } } });
  writeFakePath(root, P.iana, { etc: { protocols: "ip 0 IP\n", services: "ssh 22/tcp\n" } });
}

const closure = closureOf({
  "glibc-2.39": { size: 30 << 20 },
  "bash-5.2": { size: 2 << 20, refs: ["glibc-2.39"] },
  "coreutils-9.5": { size: 3 << 20, refs: ["glibc-2.39"] },
  "hello-2.12": { size: 1 << 20, refs: ["glibc-2.39", "hello-2.12"] },
  "nss-cacert-3.101": { size: 1 << 18 },
  "iana-etc-20240318": { size: 1 << 17 },
});
const requested = [P.hello, P.bash, P.coreutils, P.cacert, P.iana];

function byPath(entries: TarEntry[]): Map<string, TarEntry> {
  return new Map(entries.map((entry) => [entry.path.toString(), entry]));
}

describe("customisation layer", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "lading-custom-"));
    writeStore(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("merges bin/share like buildEnv: first package wins, single providers are one symlink", async () => {
    const custom = await buildCustomisation({ storeRoot: root, packages: requested, closure: closure.map((n) => n.path) });
    const entries = byPath(custom.entries);
    const linkOf = (path: string) => {
      const entry = entries.get(path);
      assert.ok(entry?.type === "symlink", `${path} is a symlink`);
      return entry.target.toString();
    };
    assert.equal(linkOf("bin/hello"), `${P.hello}/bin/hello`, "hello is requested before coreutils");
    assert.equal(linkOf("bin/ls"), `${P.coreutils}/bin/ls`);
    assert.equal(linkOf("bin/sh"), `${P.bash}/bin/sh`);
    assert.equal(entries.get("share/man/man1")?.type, "directory", "three packages provide share/man/man1");
    assert.equal(linkOf("share/man/man1/hello.1"), `${P.hello}/share/man/man1/hello.1`);
    assert.equal(linkOf("share/coreutils-only"), `${P.coreutils}/share/coreutils-only`, "a directory one package has is one link");
    assert.equal(linkOf("usr/bin/env"), `${P.coreutils}/bin/env`);
    assert.equal(linkOf("etc/ssl/certs/ca-bundle.crt"), `${P.cacert}/etc/ssl/certs/ca-bundle.crt`);
    assert.equal(linkOf("etc/ssl/certs/ca-certificates.crt"), `${P.cacert}/etc/ssl/certs/ca-bundle.crt`);
    assert.equal(linkOf("etc/protocols"), `${P.iana}/etc/protocols`);
    assert.equal(linkOf("etc/services"), `${P.iana}/etc/services`);
    const tmp = entries.get("tmp");
    assert.ok(tmp?.type === "directory" && tmp.mode === 0o1777);
    const passwd = entries.get("etc/passwd");
    assert.ok(passwd?.type === "file" && "data" in passwd);
    assert.match(passwd.data.toString(), /^root:x:0:0:/m);
    assert.match(passwd.data.toString(), /^nobody:x:65534:65534:/m);
    assert.equal(custom.shell, "/bin/bash");
    assert.equal(custom.sslCertFile, "/etc/ssl/certs/ca-bundle.crt");
    // Parents come before children and siblings are in byte order.
    const paths = custom.entries.map((entry) => entry.path.toString());
    assert.ok(paths.indexOf("etc") < paths.indexOf("etc/passwd"));
    const again = await buildCustomisation({ storeRoot: root, packages: requested, closure: [...closure.map((n) => n.path)].reverse() });
    assert.deepEqual(again.entries, custom.entries);
  });

  it("without cacert, iana-etc, shell or coreutils leaves them out", async () => {
    const custom = await buildCustomisation({ storeRoot: root, packages: [P.hello] });
    const entries = byPath(custom.entries);
    assert.equal(custom.shell, undefined);
    assert.equal(custom.sslCertFile, undefined);
    assert.equal(entries.has("usr/bin/env"), false);
    assert.equal(entries.has("etc/protocols"), false);
    assert.ok(entries.has("etc/nsswitch.conf"));
    // A single package's bin is still a real directory (so later layers can add files).
    assert.equal(entries.get("bin")?.type, "directory");
  });
});

describe("image assembly", () => {
  const layer = (n: number, paths: string[]): ImageLayer => ({
    digest: `sha256:${String(n).repeat(64)}`,
    size: 100 + n,
    diffId: `sha256:${String(n + 1).repeat(64)}`,
    compression: "gzip",
    storePaths: paths,
  });
  const spec = {
    architecture: "amd64" as const,
    layers: [layer(1, [P.glibc]), layer(2, [P.hello]), layer(3, [])],
    shell: "/bin/bash",
    sslCertFile: "/etc/ssl/certs/ca-bundle.crt",
    revision: "abc123",
    packages: ["hello"],
  };

  it("writes the config and both manifests over the same blobs as canonical JSON", () => {
    const image = buildImage(spec);
    assert.equal(image.config.bytes.toString(), canonicalJson(JSON.parse(image.config.bytes.toString())));
    const config = JSON.parse(image.config.bytes.toString());
    assert.equal(config.created, "1970-01-01T00:00:01Z");
    assert.equal(config.architecture, "amd64");
    assert.equal(config.os, "linux");
    assert.deepEqual(config.config.Cmd, ["/bin/bash"]);
    assert.ok(config.config.Env.includes("SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt"));
    assert.ok(config.config.Env.some((e: string) => e.startsWith("PATH=/bin:/usr/bin:/sbin")));
    assert.deepEqual(config.rootfs.diff_ids, spec.layers.map((l) => l.diffId));
    assert.equal(config.history.length, 3);
    assert.match(config.history[1].created_by, new RegExp(P.hello));

    const oci = JSON.parse(image.oci.bytes.toString());
    const docker = JSON.parse(image.docker!.bytes.toString());
    assert.equal(oci.mediaType, MEDIA_TYPES.ociManifest);
    assert.equal(oci.config.mediaType, MEDIA_TYPES.ociConfig);
    assert.equal(docker.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(docker.config.mediaType, MEDIA_TYPES.dockerConfig);
    assert.equal(oci.config.digest, image.config.digest);
    assert.equal(docker.config.digest, image.config.digest);
    assert.deepEqual(oci.layers.map((l: { digest: string }) => l.digest), docker.layers.map((l: { digest: string }) => l.digest));
    assert.equal(oci.layers[0].mediaType, MEDIA_TYPES.ociLayerGzip);
    assert.equal(docker.layers[0].mediaType, MEDIA_TYPES.dockerLayerGzip);
    assert.equal(oci.layers[1].annotations["dev.lading.store-paths"], P.hello);
    assert.equal(oci.annotations["org.opencontainers.image.revision"], "abc123");
    assert.deepEqual(buildImage(structuredClone(spec)), image, "same input, same bytes");
  });

  it("builds an index and a manifest list over two architectures", () => {
    const amd = buildImage(spec);
    const arm = buildImage({ ...spec, architecture: "arm64" });
    assert.notEqual(arm.config.digest, amd.config.digest);
    const index = JSON.parse(buildIndex([{ architecture: "arm64", manifest: arm.oci }, { architecture: "amd64", manifest: amd.oci }], "oci").bytes.toString());
    assert.equal(index.mediaType, MEDIA_TYPES.ociIndex);
    assert.deepEqual(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ["amd64", "arm64"]);
    assert.equal(index.manifests[1].digest, arm.oci.digest);
    const list = JSON.parse(buildIndex([{ architecture: "amd64", manifest: amd.docker! }], "docker").bytes.toString());
    assert.equal(list.mediaType, MEDIA_TYPES.dockerManifestList);
    assert.equal(list.manifests[0].mediaType, MEDIA_TYPES.dockerManifest);
  });
});

describe("an image unpacked by umoci and inspected by skopeo", { skip: toolSkipReason() }, () => {
  let work: string;
  let root: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "lading-image-"));
    root = join(work, "store");
    writeStore(root);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  async function buildLayout(layoutDir: string) {
    const groups = groupLayers(closure, requested, { budget: 3, popularity: new Map([["glibc", 100], ["bash", 1]]) });
    const blobs: LayoutBlob[] = [];
    const layers: ImageLayer[] = [];
    for (const group of groups) {
      const file = join(work, `${layerKey(group.paths, { algorithm: "gzip", level: 6 })}.tar.gz`);
      const digests = await writeLayerFile(file, (out) => writeStorePathsLayer(root, group.paths, out));
      blobs.push({ digest: digests.digest, file });
      layers.push({ ...digests, compression: "gzip", storePaths: group.paths });
    }
    const custom = await buildCustomisation({ storeRoot: root, packages: requested, closure: closure.map((n) => n.path) });
    const customFile = join(work, "custom.tar.gz");
    const customDigests = await writeLayerFile(customFile, (out) => writeEntriesLayer(custom.entries, out));
    blobs.push({ digest: customDigests.digest, file: customFile });
    layers.push({ ...customDigests, compression: "gzip", storePaths: [] });
    const image = buildImage({ architecture: "amd64", layers, shell: custom.shell, sslCertFile: custom.sslCertFile, revision: "test" });
    blobs.push({ digest: image.config.digest, bytes: image.config.bytes }, { digest: image.oci.digest, bytes: image.oci.bytes });
    await writeOciLayout(layoutDir, blobs, image.oci, "latest");
    return { image, groups };
  }

  it("unpacks to a rootfs with the store, symlinks into it, /tmp 1777 and /etc/passwd", async () => {
    const layout = join(work, "layout");
    const { image, groups } = await buildLayout(layout);
    assert.ok(groups.length <= 3);
    const bundle = join(work, "bundle");
    execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:latest`, bundle], { stdio: "pipe" });
    const rootfs = join(bundle, "rootfs");
    assert.equal(readFileSync(join(rootfs, P.hello, "bin/hello"), "utf8"), "#!/bin/sh\necho 'Hello, world!'\n");
    assert.equal(lstatSync(join(rootfs, P.hello, "bin/hello")).mode & 0o777, 0o555);
    assert.equal(readFileSync(join(rootfs, P.hello, "share/locale", LONG_UNICODE, LONG_UNICODE), "utf8"), "grüße\n");
    assert.equal(readlinkSync(join(rootfs, "share/locale")), `${P.hello}/share/locale`);
    assert.equal(readlinkSync(join(rootfs, "bin/hello")), `${P.hello}/bin/hello`);
    assert.equal(readlinkSync(join(rootfs, "usr/bin/env")), `${P.coreutils}/bin/env`);
    // The link resolves inside the rootfs.
    assert.equal(readFileSync(join(rootfs, readlinkSync(join(rootfs, "bin/ls"))), "utf8"), "ls\n");
    assert.equal(lstatSync(join(rootfs, "tmp")).mode & 0o7777, 0o1777);
    assert.match(readFileSync(join(rootfs, "etc/passwd"), "utf8"), /^root:x:0:0:/);
    assert.match(readFileSync(join(rootfs, "etc/group"), "utf8"), /^nobody:x:65534:/m);
    assert.match(readFileSync(join(rootfs, "etc/nsswitch.conf"), "utf8"), /^hosts: +files dns$/m);
    assert.equal(readFileSync(join(rootfs, readlinkSync(join(rootfs, "etc/ssl/certs/ca-certificates.crt"))), "utf8"), "-----BEGIN CERTIFICATE-----\n");
    const runtimeConfig = JSON.parse(await readFile(join(bundle, "config.json"), "utf8"));
    assert.deepEqual(runtimeConfig.process.args, ["/bin/bash"]);

    const inspect = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${layout}:latest`]).toString());
    assert.equal(inspect.Digest, image.oci.digest);
    assert.equal(inspect.Architecture, "amd64");
    assert.equal(inspect.Layers.length, groups.length + 1);
  });

  it("serves the right manifest per architecture from an image index", async () => {
    const layout = join(work, "multi");
    const { image } = await buildLayout(layout);
    const arm = buildImage({ architecture: "arm64", layers: [] });
    const index = buildIndex([{ architecture: "amd64", manifest: image.oci }, { architecture: "arm64", manifest: arm.oci }], "oci");
    await writeOciLayout(
      layout,
      [arm.config, arm.oci, index].map((blob) => ({ digest: blob.digest, bytes: blob.bytes })),
      { ...index, mediaType: MEDIA_TYPES.ociIndex },
      "latest",
    );
    const inspect = (arch: string) =>
      JSON.parse(execFileSync("skopeo", ["--override-arch", arch, "inspect", `oci:${layout}:latest`]).toString());
    const amd64 = inspect("amd64");
    const arm64 = inspect("arm64");
    // skopeo reports the digest of what the tag names: the index.
    assert.equal(amd64.Digest, index.digest);
    assert.equal(amd64.Architecture, "amd64");
    assert.deepEqual(amd64.Layers, JSON.parse(image.oci.bytes.toString()).layers.map((l: { digest: string }) => l.digest));
    assert.equal(arm64.Architecture, "arm64");
    assert.deepEqual(arm64.Layers, []);
  });

  it("rebuilding gives the same manifest digest", async () => {
    const first = await buildLayout(join(work, "again1"));
    const second = await buildLayout(join(work, "again2"));
    assert.equal(second.image.oci.digest, first.image.oci.digest);
    assert.equal(second.image.docker!.digest, first.image.docker!.digest);
  });
});
