import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { FsBlobStore, openStorage, storageConfigFromEnv, type BlobStore, type Digest } from "../storage/index.js";
import type { ServerConfig } from "./config.js";
import { registerDistributionRoutes, type ManifestSource } from "./distribution/index.js";
import { openImageService, type ImageService } from "./image-service/index.js";
import { registerOperations } from "./operations/index.js";
import { StoredManifests } from "./stored-manifests.js";
import { registerWebPage } from "./web-page.js";

/** What the app serves from; without it, stored blobs and manifests by digest only. */
export interface AppParts {
  blobs: BlobStore;
  blobUrl?: (digest: Digest) => Promise<string | undefined>;
  manifests: ManifestSource;
  service?: ImageService;
}

export function createApp(config: { dataDir: string } & Partial<ServerConfig>, parts?: AppParts): FastifyInstance {
  const app = Fastify({ logger: false });
  const blobs = parts?.blobs ?? new FsBlobStore(join(config.dataDir, "storage"));
  registerDistributionRoutes(app, {
    blobs,
    manifests: parts?.manifests ?? new StoredManifests(blobs),
    ...(parts?.blobUrl ? { blobUrl: parts.blobUrl } : {}),
  });
  if (parts?.service) registerWebPage(app, parts.service);
  return app;
}

/** Opens storage, the local store and the image service, and listens. */
export async function startServer(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  const storage = await openStorage(storageConfigFromEnv({ ...env, LADING_DATA_DIR: config.dataDir }));
  const opened = await openImageService(config, storage, env);
  const app = createApp(config, {
    blobs: storage.blobs,
    manifests: opened.service,
    service: opened.service,
    ...(storage.blobUrl ? { blobUrl: storage.blobUrl } : {}),
  });
  registerOperations(app, { storage, shutdown: {} });
  app.addHook("onClose", async () => {
    await opened.close();
    await storage.close();
  });
  await app.listen({ port: config.port, host: config.host });
  process.stderr.write(`lading: listening on ${config.host}:${config.port} (${opened.service.packageSetDescription}, storage ${storage.description})\n`);
  return app;
}
