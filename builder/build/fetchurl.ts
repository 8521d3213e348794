import { createReadStream } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { restoreNar } from "../../store/index.js";
import { decompress } from "../substituter/index.js";
import { BuildError } from "./errors.js";

/**
 * `builtin:fetchurl`, run in this process: downloads `url` (or the first of `urls`
 * that works) to `target`; `unpack = "1"` means the file is a NAR (xz-compressed when
 * the URL ends in `.xz`) to restore instead; `executable = "1"` makes the file
 * executable. TLS is not verified by CppNix either: the output hash is checked after.
 */
export async function builtinFetchurl(env: ReadonlyMap<string, string>, target: string, log: (line: string) => void): Promise<void> {
  const urls: string[] = [];
  const url = env.get("url");
  if (url !== undefined) urls.push(url);
  for (const u of (env.get("urls") ?? "").split(/\s+/)) if (u !== "" && !urls.includes(u)) urls.push(u);
  if (urls.length === 0) throw new BuildError("attribute 'url' missing");
  const unpack = env.get("unpack") === "1";
  const errors: string[] = [];
  for (const u of urls) {
    try {
      log(`downloading '${u}'...`);
      const body = await open(u);
      if (unpack) {
        const source = u.endsWith(".xz") ? decompress("xz", body) : body;
        await restoreNar(source, target);
      } else {
        await writeFile(target, Readable.from(body));
      }
      if (env.get("executable") === "1") await chmod(target, 0o755);
      return;
    } catch (err) {
      errors.push(`${u}: ${(err as Error).message}`);
      log(`error: ${(err as Error).message}`);
    }
  }
  throw new BuildError(`builtin:fetchurl could not download ${errors.join("; ")}`);
}

async function open(url: string): Promise<AsyncIterable<Uint8Array>> {
  if (url.startsWith("file://")) return createReadStream(fileURLToPath(url));
  if (!/^https?:\/\//.test(url)) throw new Error(`unsupported URL scheme in '${url}'`);
  const response = await fetch(url, { redirect: "follow" });
  if (!response.ok || !response.body) throw new Error(`HTTP error ${response.status} downloading '${url}'`);
  return response.body as unknown as AsyncIterable<Uint8Array>;
}
