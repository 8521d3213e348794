import type { FastifyInstance } from "fastify";
import type { BuildEntry, ImageService } from "./image-service/index.js";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function buildRow(entry: BuildEntry): string {
  const timings = entry.timings
    ? `evaluate ${entry.timings.evaluate} ms, realise ${entry.timings.realise} ms, layer ${entry.timings.layer} ms, store ${entry.timings.store} ms`
    : "";
  const outcome =
    entry.status === "failed"
      ? `<span class="err">${escapeHtml(entry.error ?? "failed")}</span>`
      : entry.status === "building"
        ? "building…"
        : `<code>${escapeHtml(entry.digest ?? "")}</code><br><small>${escapeHtml(timings)}; layers written ${entry.layersWritten ?? 0}, reused ${entry.layersReused ?? 0}</small>`;
  return `<tr><td>${escapeHtml(entry.startedAt)}</td><td><code>${escapeHtml(entry.image)}:${escapeHtml(entry.tag)}</code></td><td>${escapeHtml(entry.status)}${
    entry.durationMs !== undefined ? ` (${entry.durationMs} ms)` : ""
  }</td><td>${outcome}</td></tr>`;
}

/** The page at `/`: what Lading is, how to pull, the meta-packages, the recent builds and their errors. */
export function renderWebPage(service: ImageService, host: string): string {
  const rows = service.recent.list().map(buildRow).join("\n");
  const registry = escapeHtml(host || "localhost:8080");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lading</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f4f4f4;padding:0 .2em}pre{padding:.6em}td{vertical-align:top;padding:.2em .6em;border-bottom:1px solid #ddd}.err{color:#b00}</style>
</head><body>
<h1>Lading</h1>
<p>A container registry that builds images on demand from the Nix packages named in the image path.
Each path component is a package (an attribute path of the package set, matched case-insensitively);
their order does not matter. Images are layered so that images sharing packages share layers.</p>
<p>Package set: ${escapeHtml(service.packageSetDescription)}.</p>
<h2>Pulling</h2>
<pre>docker pull ${registry}/shell/hello
skopeo copy --src-tls-verify=false docker://${registry}/hello oci:hello
podman run --tls-verify=false -it ${registry}/shell/curl</pre>
<p>The tag selects the package-set revision: <code>latest</code>, a channel name, or a git ref or commit of the package-set repository.</p>
<h2>Meta-packages</h2>
<ul>
<li><code>shell</code>: an interactive shell and the usual utilities (the package set's <code>metaPackages.shell</code>; for nixpkgs bash, coreutils, moreutils and nano). Images with a shell start it by default.</li>
<li><code>arm64</code>: build for 64-bit ARM instead of the multi-architecture index.</li>
</ul>
<h2>Recent builds</h2>
<p>${service.recent.started} builds since start, ${service.recent.failed} failed.</p>
<table><thead><tr><th>started</th><th>image</th><th>status</th><th>result</th></tr></thead><tbody>
${rows || '<tr><td colspan="4">none yet</td></tr>'}
</tbody></table>
</body></html>
`;
}

export function registerWebPage(app: FastifyInstance, service: ImageService): void {
  app.get("/", async (request, reply) => reply.type("text/html; charset=utf-8").send(renderWebPage(service, request.headers.host ?? "")));
  app.get("/_lading/builds", async (_request, reply) =>
    reply.type("application/json").send({ started: service.recent.started, failed: service.recent.failed, builds: service.recent.list() }),
  );
}
