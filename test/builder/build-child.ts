/**
 * A separate process that builds one derivation, for the crash test: it prints each
 * build log line so the test knows how far the build got before killing it.
 * Usage: node build-child.js STORE_ROOT DRV_PATH LOG_DIR
 */
import { LocalStore, SandboxedBuilder, StoreRealiser } from "../../builder/index.js";
import { parseStorePath } from "../../store/index.js";

const [root, drv, logDir] = process.argv.slice(2) as [string, string, string];
const store = await LocalStore.open({ root });
const builder = new SandboxedBuilder(store, {
  logDir,
  onEvent: (e) => {
    if (e.type === "build-log-line") process.stdout.write(`${e.line}\n`);
  },
});
await new StoreRealiser(store, undefined, builder).realise(parseStorePath(drv));
process.stdout.write("done\n");
await store.close();
