export { type Derivation, type DerivationOutput, fixedOutput, compareBytes } from "./derivation.js";
export { renderDerivation, parseDerivation, DerivationParseError, type RenderOptions } from "./aterm.js";
export {
  DerivationHasher,
  derivationStorePath,
  fillOutputPaths,
  parseOutputHashAlgo,
  type DerivationLoader,
} from "./hash-modulo.js";
