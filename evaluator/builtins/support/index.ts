export {
  CompiledRegex,
  RegexError,
  bytesToUtf8,
  compileRegex,
  regexMatch,
  regexSplit,
  utf8ToBytes,
  type Captures,
  type SplitPart,
} from "./regex.js";
export { compareVersions, parseDrvName, splitVersion } from "./versions.js";
export { FloatLiteralError, floatToString, formatFixed, formatGeneral, parseFloatLiteral, showFloat } from "./float-format.js";
export { JsonParseError, JsonValueError, jsonQuote, nulStringError, parseJson, renderJson, type JsonMode, type JsonObject, type JsonValue } from "./json.js";
export { compareAttrNames, printAttrName, printString, quoteName } from "./string-escape.js";
export { renderXml, type RenderXmlOptions, type XmlAttr, type XmlPos, type XmlThunk, type XmlValue } from "./xml.js";
export { TomlArray, TomlDateTime, TomlError, TomlTable, parseToml, type TomlMode, type TomlValue } from "./toml.js";
