import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createApp, loadConfig } from "../../server/index.js";
import { registerOperations } from "../../server/operations/index.js";
import { openStorage, storageConfigFromEnv } from "../../storage/index.js";
import { REPO_ROOT } from "../storage/peers.js";

// js-yaml comes with the dev tooling (eslint's config loader); no YAML dependency of our own.
const yaml = createRequire(import.meta.url)("js-yaml") as { load(text: string): unknown; loadAll(text: string): unknown[] };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const deploy = join(REPO_ROOT, "deploy");
const read = (...parts: string[]) => readFileSync(join(REPO_ROOT, ...parts), "utf8");
const pkg = JSON.parse(read("package.json")) as { name: string; version: string };
const ourImage = `${pkg.name}:${pkg.version}`;
/** Peers the compose file runs: official images with a tag that names a real release line. */
const peerImages = new Set(["redis:7.2-alpine", "nginx:1.27-alpine", "minio/minio:latest", "minio/mc:latest"]);
/** Standard variables read by Node, the AWS SDK or Kubernetes plumbing rather than by our code. */
const standardEnv = new Set(["NODE_ENV", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "POD_NAME"]);

/** Every quoted string in our program's sources: an env name not among them is read by nobody. */
const sourceStrings = (() => {
  const strings = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) for (const m of readFileSync(path, "utf8").matchAll(/"([A-Z][A-Z0-9_]+)"/g)) strings.add(m[1]!);
    }
  };
  for (const folder of ["server", "storage", "cli", "builder", "store", "layering", "evaluator"]) walk(join(REPO_ROOT, folder));
  return strings;
})();

function assertEnvNamesExist(names: Iterable<string>, where: string) {
  for (const name of names) {
    assert.ok(standardEnv.has(name) || sourceStrings.has(name), `${where}: ${name} is not read anywhere in the program`);
  }
}

const compose = yaml.load(read("deploy", "compose.yaml")) as Obj;
const manifests = readdirSync(join(deploy, "kubernetes"))
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((f) => yaml.loadAll(read("deploy", "kubernetes", f)) as Obj[]);
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const one = (kind: string) => {
  const found = byKind(kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0]!;
};
const ladingServices = Object.entries(compose.services as Obj).filter(([, s]) => s.image === ourImage);

test("the Dockerfile is multi-stage, runs as a non-root user and copies only files that exist", () => {
  const text = read("deploy", "Dockerfile");
  const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gm)];
  assert.ok(stages.length >= 2);
  const stageNames = new Set(stages.map((s) => s[2]));
  for (const m of text.matchAll(/--from=(\S+)/g)) assert.ok(stageNames.has(m[1]), `stage ${m[1]}`);
  const user = /^USER\s+(\S+)/m.exec(text)?.[1];
  assert.ok(user && !/^(root|0)(:|$)/.test(user), "USER is not root");
  for (const m of text.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)) {
    for (const source of m[1]!.trim().split(/\s+/)) assert.ok(existsSync(join(REPO_ROOT, source)), `COPY ${source}`);
  }
  const expose = /^EXPOSE\s+(\d+)/m.exec(text)?.[1];
  assert.equal(expose, /PORT=(\d+)/.exec(text)?.[1]);
  assert.ok(existsSync(join(REPO_ROOT, "bin", "lading")));
  assert.match(text, /\/healthz/);
  assertEnvNamesExist([...text.matchAll(/^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!), "Dockerfile");
  const ignored = read("deploy", "Dockerfile.dockerignore");
  assert.match(ignored, /^node_modules$/m);
});

test("compose: two Lading replicas, Redis, MinIO and a load balancer, wired by names that exist", () => {
  const services = compose.services as Obj;
  assert.equal(ladingServices.length, 2);
  for (const name of ["redis", "minio", "lb"]) assert.ok(services[name], name);
  for (const [name, service] of Object.entries(services)) {
    const image = String(service.image);
    assert.ok(image === ourImage || peerImages.has(image), `${name}: image ${image}`);
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dep of deps) assert.ok(services[dep], `${name} depends on ${dep}`);
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(":")[0]!;
      if (source.startsWith(".")) assert.ok(existsSync(join(deploy, source)), `${name}: ${source}`);
      else assert.ok(source in (compose.volumes ?? {}), `${name}: volume ${source} declared`);
    }
  }
  for (const [name, service] of ladingServices) {
    assert.equal(service.build.dockerfile, "deploy/Dockerfile");
    assert.ok(existsSync(join(deploy, service.build.context, service.build.dockerfile)));
    const env = service.environment as Record<string, string>;
    assertEnvNamesExist(Object.keys(env), `compose ${name}`);
    // The settings are accepted by the program's own parsers.
    const storage = storageConfigFromEnv(env);
    assert.equal(storage.backend, "s3");
    assert.equal(storage.s3?.redirect, true);
    const redisHost = new URL(storage.redisUrl!).hostname;
    assert.ok(services[redisHost], `Redis host ${redisHost} is a service`);
    assert.ok(services[new URL(storage.s3!.endpoint!).hostname], "S3 endpoint is a service");
    assert.equal(storage.s3!.bucket, "lading");
    assert.match(String(services["minio-setup"].command), /mc mb --ignore-existing local\/lading/);
    assert.equal(env.AWS_ACCESS_KEY_ID, services.minio.environment.MINIO_ROOT_USER);
    assert.ok(existsSync(join(REPO_ROOT, env.LADING_PKGS_PATH!.replace("/opt/lading/", ""))), "package set copied into the image exists");
  }
  // The load balancer sends traffic to exactly the replicas, on the port they listen on.
  const nginx = read("deploy", "nginx.conf");
  const upstreams = [...nginx.matchAll(/^\s*server\s+([\w-]+):(\d+)/gm)].map((m) => [m[1], Number(m[2])]);
  const port = loadConfig(ladingServices[0]![1].environment).port;
  assert.deepEqual(
    upstreams,
    ladingServices.map(([name]) => [name, port]),
  );
  const lbPort = Number(/listen\s+(\d+)/.exec(nginx)?.[1]);
  assert.ok((services.lb.ports as string[]).some((p) => p.endsWith(`:${lbPort}`)));
});

test("Kubernetes: Deployment with probes and resources, Service, HPA, ConfigMap, Secret, PVC refer to each other", () => {
  const deployment = one("Deployment");
  const service = one("Service");
  const hpa = one("HorizontalPodAutoscaler");
  const configMap = one("ConfigMap");
  const secret = one("Secret");
  const pvc = one("PersistentVolumeClaim");
  const pod = deployment.spec.template.spec as Obj;
  const container = pod.containers[0] as Obj;
  assert.equal(container.image, ourImage);
  assert.ok(pod.securityContext.runAsNonRoot);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
  // Labels and selectors.
  for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(deployment.spec.template.metadata.labels[k], v);
  for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[k], v);
  assert.equal(hpa.spec.scaleTargetRef.kind, "Deployment");
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
  assert.ok(hpa.spec.minReplicas >= 2);
  // Env sources exist and name settings the program reads, which its parsers accept.
  const envFrom = container.envFrom as Obj[];
  assert.deepEqual(envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name).sort(), [configMap.metadata.name, secret.metadata.name].sort());
  const env: Record<string, string> = { ...configMap.data, ...secret.stringData };
  assertEnvNamesExist([...Object.keys(env), ...container.env.map((e: Obj) => e.name)], "Kubernetes");
  const storage = storageConfigFromEnv(env);
  assert.equal(storage.backend, "s3");
  assert.ok(storage.redisUrl);
  const config = loadConfig(env);
  // Ports: the container listens on PORT; probes and the Service use that port by name.
  const ports = container.ports as Obj[];
  assert.deepEqual(ports.map((p) => [p.name, p.containerPort]), [["http", config.port]]);
  assert.equal(service.spec.ports[0].targetPort, "http");
  const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe] as Obj[];
  for (const probe of probes) assert.ok(ports.some((p) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port));
  assert.equal(container.readinessProbe.httpGet.path, "/readyz");
  // The store volume is the PVC, mounted where LADING_DATA_DIR points.
  const storeVolume = (pod.volumes as Obj[]).find((v) => v.persistentVolumeClaim);
  assert.equal(storeVolume?.persistentVolumeClaim.claimName, pvc.metadata.name);
  const mount = (container.volumeMounts as Obj[]).find((m) => m.name === storeVolume!.name);
  assert.equal(mount?.mountPath, config.dataDir);
  assert.match(mount?.subPathExpr ?? "", /\$\(POD_NAME\)/);
  // The grace period covers the drain delay and the shutdown timeout.
  assert.ok(pod.terminationGracePeriodSeconds > Number(env.LADING_SHUTDOWN_DELAY) + Number(env.LADING_SHUTDOWN_TIMEOUT));
  // kustomization lists every manifest file.
  const kustomization = yaml.load(read("deploy", "kubernetes", "kustomization.yaml")) as Obj;
  const files = readdirSync(join(deploy, "kubernetes")).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
  assert.deepEqual([...kustomization.resources].sort(), files.sort());
});

test("every probe and health-check path the deployment files use is served", async () => {
  const deployment = one("Deployment");
  const container = deployment.spec.template.spec.containers[0] as Obj;
  const paths = new Set<string>([
    ...[container.startupProbe, container.livenessProbe, container.readinessProbe].map((p: Obj) => p.httpGet.path as string),
    deployment.spec.template.metadata.annotations["prometheus.io/path"],
    ...[...read("deploy", "Dockerfile").matchAll(/(\/(?:healthz|readyz|metrics))\b/g)].map((m) => m[1]!),
  ]);
  const storage = await openStorage(storageConfigFromEnv({ LADING_STORAGE: "memory" }));
  const app = createApp({ dataDir: "/nonexistent" }, { blobs: storage.blobs, manifests: { resolve: () => Promise.reject(new Error("x")), tags: async () => [] } });
  registerOperations(app, { storage, log: false });
  for (const path of paths) {
    const response = await app.inject({ url: path });
    assert.equal(response.statusCode, 200, `${path} answers 200`);
  }
  await app.close();
  await storage.close();
});
