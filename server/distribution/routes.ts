import { pipeline } from "node:stream/promises";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidDigestError, parseDigest, type BlobStore, type ByteRange, type Digest } from "../../storage/index.js";
import { RegistryError } from "./errors.js";
import { parseRange } from "./range.js";
import { parseRegistryPath, validateName } from "./route.js";
import { hasLocalFiles, sendFileRange, type LocalFileBlobs } from "./send-file.js";

/** A manifest ready to send: its exact bytes, media type and digest. */
export interface ManifestResponse {
  body: Buffer;
  mediaType: string;
  digest: string;
}

/** Resolves `<name>:<tag>` (building the image if needed) or `<name>@<digest>`. */
export interface ManifestSource {
  resolve(name: string, reference: string, accept: readonly string[], method: "GET" | "HEAD"): Promise<ManifestResponse>;
  tags(name: string): Promise<string[]>;
}

export interface DistributionOptions {
  blobs: BlobStore;
  manifests: ManifestSource;
  /** A URL the client may fetch a blob from instead (S3 redirect mode); undefined streams it. */
  blobUrl?: (digest: Digest) => Promise<string | undefined>;
}

function sendError(reply: FastifyReply, err: RegistryError): FastifyReply {
  if (err.retryAfterSeconds !== undefined) reply.header("Retry-After", String(err.retryAfterSeconds));
  return reply.code(err.status).type("application/json").send(err.toBody());
}

function acceptList(request: FastifyRequest): string[] {
  const header = request.headers.accept;
  const raw = Array.isArray(header) ? header.join(",") : (header ?? "");
  return raw
    .split(",")
    .map((part) => part.split(";")[0]!.trim())
    .filter((t) => t.length > 0);
}

function parseBlobDigest(text: string): Digest {
  try {
    return parseDigest(text);
  } catch (err) {
    if (err instanceof InvalidDigestError) throw new RegistryError("DIGEST_INVALID", "provided digest did not match uploaded content", { digest: text });
    throw err;
  }
}

async function serveBlob(options: DistributionOptions, request: FastifyRequest, reply: FastifyReply, digestText: string) {
  const digest = parseBlobDigest(digestText);
  const info = await options.blobs.stat(digest);
  if (!info) throw new RegistryError("BLOB_UNKNOWN", "blob unknown to registry", { digest: digestText });
  reply.header("Docker-Content-Digest", digestText).header("ETag", `"${digestText}"`).header("Accept-Ranges", "bytes");
  reply.header("Cache-Control", "public, max-age=31536000, immutable");
  reply.type("application/octet-stream");
  const rangeHeader = request.headers.range;
  const range = parseRange(typeof rangeHeader === "string" ? rangeHeader : undefined, info.size);
  if (range === "unsatisfiable") {
    reply.header("Content-Range", `bytes */${info.size}`);
    throw new RegistryError("RANGE_INVALID", "requested range not satisfiable", { size: info.size });
  }
  const length = range ? range.end - range.start + 1 : info.size;
  reply.header("Content-Length", length);
  if (range) reply.code(206).header("Content-Range", `bytes ${range.start}-${range.end}/${info.size}`);
  if (request.method === "HEAD") return reply.send();
  const url = !range && options.blobUrl ? await options.blobUrl(digest) : undefined;
  if (url) return reply.removeHeader("Content-Length").redirect(url, 307);
  if (hasLocalFiles(options.blobs)) return sendLocalBlob(options.blobs, reply, digest, digestText, range ?? { start: 0, end: info.size - 1 });
  const stream = await options.blobs.read(digest, range);
  if (!stream) throw new RegistryError("BLOB_UNKNOWN", "blob unknown to registry", { digest: digestText });
  // Layers are large: write straight to the socket (fastify's send path costs ~30% throughput).
  reply.hijack();
  reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string | number | string[]>);
  try {
    await pipeline(stream, reply.raw);
  } catch {
    // The client went away mid-blob; nothing to answer.
    reply.raw.destroy();
  }
  return reply;
}

async function sendLocalBlob(blobs: LocalFileBlobs, reply: FastifyReply, digest: Digest, digestText: string, range: ByteRange) {
  const file = await blobs.openFile(digest);
  if (!file) throw new RegistryError("BLOB_UNKNOWN", "blob unknown to registry", { digest: digestText });
  reply.hijack();
  reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string | number | string[]>);
  try {
    if (range.end >= range.start) await sendFileRange(file, range.start, range.end, reply.raw);
    else reply.raw.end(); // an empty blob
  } catch {
    // The client went away mid-blob (or the disk failed after the headers went out): drop the connection.
    reply.raw.destroy();
  } finally {
    await file.close();
  }
  return reply;
}

async function serveManifest(options: DistributionOptions, request: FastifyRequest, reply: FastifyReply, name: string, reference: string) {
  const method = request.method === "HEAD" ? "HEAD" : "GET";
  const manifest = await options.manifests.resolve(name, reference, acceptList(request), method);
  reply
    .type(manifest.mediaType)
    .header("Docker-Content-Digest", manifest.digest)
    .header("ETag", `"${manifest.digest}"`)
    .header("Content-Length", manifest.body.length);
  return method === "HEAD" ? reply.send() : reply.send(manifest.body);
}

/** Registers the read side of the OCI Distribution API (pull); pushes are refused. */
export function registerDistributionRoutes(app: FastifyInstance, options: DistributionOptions): void {
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof RegistryError) return sendError(reply, err);
    const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retry === "number") {
      // StorageUnavailableError, BuildWaitTimeoutError: temporary, the client may retry.
      return sendError(reply, new RegistryError("UNAVAILABLE", (err as Error).message, undefined, 503, retry));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return sendError(reply, new RegistryError("UNSUPPORTED", (err as Error).message, undefined, status));
    }
    reply.log.error(err);
    return sendError(reply, new RegistryError("INTERNAL", "internal server error"));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new RegistryError("UNSUPPORTED", `no such endpoint: ${request.method} ${request.url.split("?")[0]}`, undefined, 404)),
  );

  const versionCheck = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header("Docker-Distribution-API-Version", "registry/2.0").type("application/json");
    return reply.send({});
  };
  app.get("/v2/", { exposeHeadRoute: true }, versionCheck);
  app.get("/v2", { exposeHeadRoute: true }, versionCheck);

  app.route({
    method: ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"],
    url: "/v2/*",
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      reply.header("Docker-Distribution-API-Version", "registry/2.0");
      const path = request.url.split("?")[0]!;
      const route = parseRegistryPath(path);
      if (!route) throw new RegistryError("UNSUPPORTED", `no such endpoint: ${request.method} ${path}`, undefined, 404);
      validateName(route.name);
      const readOnly = request.method === "GET" || request.method === "HEAD";
      if (route.kind === "upload" || !readOnly) {
        throw new RegistryError("UNSUPPORTED", "this registry builds images on demand and does not accept pushes");
      }
      switch (route.kind) {
        case "blob":
          return serveBlob(options, request, reply, route.digest);
        case "manifest":
          return serveManifest(options, request, reply, route.name, route.reference);
        case "tags": {
          const tags = await options.manifests.tags(route.name);
          return reply.type("application/json").send({ name: route.name, tags });
        }
      }
    },
  });
}
