/* greet [-l LANG] [NAME...]: "Hello, NAME!" in the chosen language, using
 * libgreet's data at run time. Built with -DGREET_SHOUT it shouts. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <greet.h>

static void say(const char *word, const char *name) {
  char line[256];
  snprintf(line, sizeof line, "%s, %s!", word, name);
#ifdef GREET_SHOUT
  for (char *c = line; *c != '\0'; c++) *c = (char)toupper((unsigned char)*c);
#endif
  puts(line);
}

int main(int argc, char **argv) {
  const char *lang = "en";
  char word[64];
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "-l") == 0) {
    lang = argv[2];
    first = 3;
  }
  if (greet_lookup(lang, word, sizeof word) != 0) {
    fprintf(stderr, "greet: no greeting for language '%s' in %s\n", lang, GREET_DATA);
    return 1;
  }
  if (first >= argc) say(word, "world");
  for (int i = first; i < argc; i++) say(word, argv[i]);
  return 0;
}
