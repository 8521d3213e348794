# The builder of every mkDerivation package: load the stdenv, run the phases.
. "$stdenv/setup"
genericBuild
