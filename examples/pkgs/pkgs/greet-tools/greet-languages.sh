#!@shell@
# Lists the languages greet knows, then greets in each of them.
while read -r code word; do
  printf '%s: ' "$code"
  @greet@/bin/greet -l "$code" "${1:-world}"
done < @libgreet@/share/libgreet/greetings.txt
