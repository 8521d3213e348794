# Builds the stdenv itself: the setup script with busybox's store path written in.
bb=$busybox/bin
$bb/mkdir -p "$out"
$bb/sed -e "s|@busybox@|$busybox|g" "$setup" > "$out/setup"
