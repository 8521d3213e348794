/* libgreet: greetings in several languages, looked up at run time in the data
 * file of libgreet's `out` output, whose store path is written in below; a
 * program using this header therefore refers to libgreet at run time. */
#ifndef GREET_H
#define GREET_H

#include <stdio.h>
#include <string.h>

#define GREET_DATA "@out@/share/libgreet/greetings.txt"

/* Copies the greeting for `lang` (e.g. "en") into `word`; returns 0, or -1
 * when the language or the data file is missing. */
static inline int greet_lookup(const char *lang, char *word, size_t size) {
  FILE *data = fopen(GREET_DATA, "r");
  char code[16], found[64];
  int result = -1;
  if (data == NULL) return -1;
  while (fscanf(data, "%15s %63s", code, found) == 2) {
    if (strcmp(code, lang) == 0 && strlen(found) < size) {
      strcpy(word, found);
      result = 0;
      break;
    }
  }
  fclose(data);
  return result;
}

#endif
