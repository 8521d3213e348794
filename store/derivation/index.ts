export { type Derivation, type DerivationOutput, fixedOutput, compareBytes, sortStrings } from "./derivation.js";
export { renderDerivation, parseDerivation, DerivationParseError, type RenderOptions } from "./aterm.js";
export { DerivationRender, renderInputDrvs, type TextOptions } from "./render.js";
export {
  DerivationHasher,
  derivationStorePath,
  derivationStorePathFromText,
  derivationPathFromText,
  fillOutputPaths,
  parseOutputHashAlgo,
  type DerivationLoader,
} from "./hash-modulo.js";
export { sha256Hex, storePathFromHex } from "./fast-hash.js";
