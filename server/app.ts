import Fastify, { type FastifyInstance } from "fastify";
import type { ServerConfig } from "./config.js";

/** The OCI Distribution API surface; today only the version check. */
export function createApp(_config: ServerConfig): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get("/v2/", async (_request, reply) => {
    reply.header("Docker-Distribution-API-Version", "registry/2.0");
    return {};
  });
  return app;
}

export async function startServer(config: ServerConfig): Promise<FastifyInstance> {
  const app = createApp(config);
  await app.listen({ port: config.port, host: config.host });
  process.stderr.write(`lading: listening on ${config.host}:${config.port}\n`);
  return app;
}
