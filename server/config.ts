/** Registry configuration, read from the environment (Nixery's names accepted as aliases). */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
}

function pick(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const portText = pick(env, "PORT") ?? "8080";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got '${portText}'`);
  }
  return {
    port,
    host: pick(env, "LADING_HOST") ?? "0.0.0.0",
    dataDir: pick(env, "LADING_DATA_DIR", "STORAGE_PATH") ?? "./.lading",
  };
}
