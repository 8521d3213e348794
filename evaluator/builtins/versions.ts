/** Version builtins over the algorithms in support/versions.ts. */
import { NixAttrs, definePrimOp, forceStringNoCtx } from "../eval/index.js";
import { compareVersions, parseDrvName, splitVersion } from "./support/index.js";

// One names array for every result: `(parseDrvName x).version` sites then hit their lookup cache.
const DRV_NAME_NAMES: readonly string[] = ["name", "version"];

definePrimOp("__parseDrvName", 1, ([s]) => {
  const { name, version } = parseDrvName(forceStringNoCtx(s!, 0, "while evaluating the first argument passed to builtins.parseDrvName"));
  return NixAttrs.fromSorted(DRV_NAME_NAMES, [name, version]);
});

definePrimOp("__compareVersions", 2, ([a, b]) => {
  const v1 = forceStringNoCtx(a!, 0, "while evaluating the first argument passed to builtins.compareVersions");
  const v2 = forceStringNoCtx(b!, 0, "while evaluating the second argument passed to builtins.compareVersions");
  return compareVersions(v1, v2);
});

definePrimOp("__splitVersion", 1, ([s]) => splitVersion(forceStringNoCtx(s!, 0, "while evaluating the first argument passed to builtins.splitVersion")));
