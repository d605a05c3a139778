/* tests/bench/ref_cjson.c: the JSON reference, cJSON (Debian libcjson-dev).
 * Usage: ref_cjson parse|print FILE [RUNS]
 *   parse: cJSON_ParseWithLength into cJSON's tree (numbers as doubles;
 *          freeing the tree is not timed).
 *   print: cJSON_PrintUnformatted of that tree (parsed first, not timed).
 *   parse-lines: each line of FILE (one JSON text a line) parsed and freed,
 *          ROUNDS times over (ref_cjson parse-lines FILE ROUNDS [RUNS]).
 * Prints the best time in seconds. */
#include "bench.h"

#include <cJSON.h>
#include <string.h>

/* Parses and frees each line of DATA; returns 0 when one fails. */
static int parse_lines(char *data, size_t len)
{
  char *p = data, *end = data + len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)((nl ? nl : end) - p);
    if (n > 0) {
      cJSON *tree = cJSON_ParseWithLength(p, n);
      if (!tree) return 0;
      cJSON_Delete(tree);
    }
    p += n + 1;
  }
  return 1;
}

int main(int argc, char **argv)
{
  size_t len;
  char *data;
  int runs = argc > 3 ? atoi(argv[3]) : 3;
  double best = 0;
  cJSON *tree;
  if (argc < 3) {
    fprintf(stderr, "usage: ref_cjson parse|print FILE [RUNS]\n");
    return 2;
  }
  data = bench_read(argv[2], &len);
  if (strcmp(argv[1], "parse") == 0) {
    BENCH_BEST_THEN(runs, best, {
      if (!(tree = cJSON_ParseWithLength(data, len))) {
        fprintf(stderr, "ref_cjson: parse failed\n");
        return 1;
      }
    }, cJSON_Delete(tree));
  } else if (strcmp(argv[1], "parse-lines") == 0) {
    int rounds = argc > 3 ? atoi(argv[3]) : 1, i;
    runs = argc > 4 ? atoi(argv[4]) : 3;
    BENCH_BEST(runs, best, {
      for (i = 0; i < rounds; i++)
        if (!parse_lines(data, len)) {
          fprintf(stderr, "ref_cjson: parse failed\n");
          return 1;
        }
    });
  } else if (strcmp(argv[1], "print") == 0) {
    if (!(tree = cJSON_ParseWithLength(data, len))) return 1;
    BENCH_BEST(runs, best, {
      char *s = cJSON_PrintUnformatted(tree);
      if (!s) return 1;
      free(s);
    });
    cJSON_Delete(tree);
  } else {
    fprintf(stderr, "ref_cjson: unknown mode %s\n", argv[1]);
    return 2;
  }
  printf("%.4f\n", best);
  free(data);
  return 0;
}
