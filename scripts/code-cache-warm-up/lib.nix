# A small library in the style of nixpkgs lib: the code paths a typical evaluation
# runs (imports through the parse cache, fixpoints, attribute set and list helpers,
# string helpers, versions, a tiny module system).
let
  builtins' = builtins;
  inherit (builtins') attrNames attrValues concatLists concatStringsSep elem filter foldl' genList hasAttr head
    isAttrs isFunction isList isString length listToAttrs mapAttrs removeAttrs sort tail toString typeOf;
in rec {
  id = x: x;
  const = x: _: x;
  flip = f: a: b: f b a;
  pipe = foldl' (x: f: f x);
  fix = f: let x = f x; in x;
  extends = overlay: f: self: let super = f self; in super // overlay self super;
  composeManyExtensions = foldl' (acc: o: final: prev: let a = acc final prev; in a // o final (prev // a)) (final: prev: { });

  foldr = op: nul: list: let len = length list; go = n: if n == len then nul else op (builtins.elemAt list n) (go (n + 1)); in go 0;
  concatMap = f: list: concatLists (map f list);
  flatten = x: if isList x then concatMap flatten x else [ x ];
  optional = cond: elem: if cond then [ elem ] else [ ];
  optionals = cond: elems: if cond then elems else [ ];
  optionalString = cond: s: if cond then s else "";
  range = first: last: if first > last then [ ] else genList (n: first + n) (last - first + 1);
  unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];
  count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;
  last = list: builtins.elemAt list (length list - 1);
  take = n: list: genList (i: builtins.elemAt list i) (if n < length list then n else length list);
  zipLists = a: b: genList (i: { fst = builtins.elemAt a i; snd = builtins.elemAt b i; }) (if length a < length b then length a else length b);
  sortOn = f: sort (a: b: f a < f b);

  nameValuePair = name: value: { inherit name value; };
  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
  mapAttrs' = f: set: listToAttrs (map (attr: f attr set.${attr}) (attrNames set));
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (attrNames attrs);
  filterAttrs = pred: set: removeAttrs set (filter (name: !pred name set.${name}) (attrNames set));
  attrByPath = path: default: set:
    if path == [ ] then set else if isAttrs set && hasAttr (head path) set then attrByPath (tail path) default set.${head path} else default;
  setAttrByPath = path: value: if path == [ ] then value else { ${head path} = setAttrByPath (tail path) value; };
  recursiveUpdate = lhs: rhs:
    builtins.zipAttrsWith (n: values: if length values == 1 || !(isAttrs (head values) && isAttrs (last values)) then last values else recursiveUpdate (head values) (last values)) [ lhs rhs ];
  collect = pred: v: if pred v then [ v ] else if isAttrs v then concatMap (collect pred) (attrValues v) else [ ];

  hasPrefix = pref: str: builtins.substring 0 (builtins.stringLength pref) str == pref;
  hasSuffix = suffix: s: let ls = builtins.stringLength s; lf = builtins.stringLength suffix; in lf <= ls && builtins.substring (ls - lf) lf s == suffix;
  splitString = sep: s: filter isString (builtins.split (builtins.replaceStrings [ "." ] [ "\\." ] sep) s);
  toUpper = builtins.replaceStrings [ "a" "b" "c" "d" "e" "x" ] [ "A" "B" "C" "D" "E" "X" ];
  escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
  versionAtLeast = v1: v2: builtins.compareVersions v1 v2 >= 0;
  getVersion = drv: (builtins.parseDrvName (drv.name or drv)).version;
  isType = type: x: isAttrs x && x ? _type && x._type == type;

  # A tiny module system: options with types and defaults, definitions with priorities.
  mkOption = { type ? types.any, default ? null, description ? "" }@attrs: attrs // { _type = "option"; inherit type; };
  mkForce = content: { _type = "override"; priority = 50; inherit content; };
  mkDefault = content: { _type = "override"; priority = 1000; inherit content; };
  types = {
    any = { name = "any"; check = const true; };
    int = { name = "int"; check = builtins.isInt; };
    str = { name = "str"; check = isString; };
    listOf = t: { name = "listOf ${t.name}"; check = x: isList x && builtins.all t.check x; };
    attrsOf = t: { name = "attrsOf ${t.name}"; check = x: isAttrs x && builtins.all t.check (attrValues x); };
  };
  mergeDefinitions = opt: defs:
    let
      withPrio = map (d: if isType "override" d then d else { priority = 100; content = d; }) defs;
      best = foldl' (p: d: if d.priority < p then d.priority else p) 9999 withPrio;
      chosen = map (d: d.content) (filter (d: d.priority == best) withPrio);
      value = if chosen == [ ] then opt.default else last chosen;
    in assert opt.type.check value; value;
  evalModules = { modules }:
    let
      resolved = map (m: if isFunction m then m { inherit config; lib = self; } else m) modules;
      options = foldl' (acc: m: acc // (m.options or { })) { } resolved;
      defsOf = name: concatMap (m: optional (m ? config && hasAttr name m.config) m.config.${name}) resolved;
      config = mapAttrs (name: opt: mergeDefinitions opt (defsOf name)) options;
      self = { inherit mkForce mkDefault mkOption types; };
    in { inherit options config; };
}
