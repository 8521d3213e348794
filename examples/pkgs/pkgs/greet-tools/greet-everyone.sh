#!@shell@
# Greets every name given, or every line of standard input.
if [ $# -gt 0 ]; then
  exec @greet@/bin/greet "$@"
fi
while IFS= read -r name; do
  @greet@/bin/greet "$name"
done
