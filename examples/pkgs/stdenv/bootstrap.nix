# The only binary the set starts from: the static busybox of Debian's
# busybox-static package, imported into the store as a directory holding just
# `busybox` (so a builder run as .../busybox sees the applet name it expects).
# The store path changes when Debian updates busybox, and with it everything
# built from it: outputs stay a function of their inputs.
let
  # /bin is a symlink to usr/bin on merged-/usr systems; import the real directory.
  directory = if builtins.pathExists /usr/bin/busybox then /usr/bin else /bin;
in
if !(builtins.pathExists (directory + "/busybox")) then
  throw "examples/pkgs: the bootstrap needs Debian's static busybox at /bin/busybox (apt-get install busybox-static)"
else
  builtins.path {
    name = "bootstrap-busybox";
    path = directory;
    filter = path: type: baseNameOf path == "busybox";
  }
