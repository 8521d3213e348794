# A shell and the usual utilities: Debian's static busybox with its applets as
# symlinks. Built straight from the bootstrap, since the stdenv needs it.
{ guardPlatforms, buildSystem, bootstrapBusybox }:

guardPlatforms {
  name = "busybox";
  meta = {
    description = "Shell (ash) and ~300 utilities in one static binary";
    platforms = [ buildSystem ];
    platformsReason = "it is the build machine's Debian busybox-static binary";
  };
  drv = derivation {
    name = "busybox";
    system = buildSystem;
    builder = "${bootstrapBusybox}/busybox";
    args = [ "sh" "-e" ./builder.sh ];
    bootstrap = bootstrapBusybox;
  };
}
