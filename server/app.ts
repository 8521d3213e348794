import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { FsBlobStore } from "../storage/index.js";
import type { ServerConfig } from "./config.js";
import { registerDistributionRoutes } from "./distribution/index.js";
import { StoredManifests } from "./stored-manifests.js";

export function createApp(config: ServerConfig): FastifyInstance {
  const app = Fastify({ logger: false });
  const blobs = new FsBlobStore(join(config.dataDir, "storage"));
  registerDistributionRoutes(app, { blobs, manifests: new StoredManifests(blobs) });
  return app;
}

export async function startServer(config: ServerConfig): Promise<FastifyInstance> {
  const app = createApp(config);
  await app.listen({ port: config.port, host: config.host });
  process.stderr.write(`lading: listening on ${config.host}:${config.port}\n`);
  return app;
}
