#!@shell@
# A login banner made of the other example packages.
@hello@/bin/hello
@greetTools@/bin/greet-everyone "${USER:-stranger}"
echo "This machine knows $(grep -c '^[a-z]' @ianaEtc@/etc/services) network services."
