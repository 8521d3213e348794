/** Version builtins over the algorithms in support/versions.ts. */
import { NixAttrs, definePrimOp, forceStringNoCtx } from "../eval/index.js";
import { compareVersions, parseDrvName, splitVersion } from "./support/index.js";

definePrimOp("__parseDrvName", 1, ([s], pos) => {
  const { name, version } = parseDrvName(forceStringNoCtx(s!, pos));
  return NixAttrs.of({ name, version });
});

definePrimOp("__compareVersions", 2, ([a, b], pos) => {
  const v1 = forceStringNoCtx(a!, pos);
  const v2 = forceStringNoCtx(b!, pos);
  return BigInt(compareVersions(v1, v2));
});

definePrimOp("__splitVersion", 1, ([s], pos) => splitVersion(forceStringNoCtx(s!, pos)));
