/* tests/bench/ref_cjson.c: the JSON reference, cJSON (Debian libcjson-dev).
 * Usage: ref_cjson parse|print FILE [RUNS]
 *   parse: cJSON_ParseWithLength into cJSON's tree (numbers as doubles;
 *          freeing the tree is not timed).
 *   print: cJSON_PrintUnformatted of that tree (parsed first, not timed).
 * Prints the best time in seconds. */
#include "bench.h"

#include <cJSON.h>
#include <string.h>

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
