# Installs the bootstrap busybox with a symlink per applet: bin/sh, bin/ls, ...
bb=$bootstrap/busybox
$bb mkdir -p "$out/bin"
$bb cp "$bb" "$out/bin/busybox"
cd "$out/bin"
for applet in $($bb --list); do
  if [ "$applet" != busybox ]; then $bb ln -s busybox "$applet"; fi
done
