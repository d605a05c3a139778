/* tests/bench/codec.c: times kdeploy's codecs (engine/yaml, engine/json).
 * Usage: codec yaml-decode|yaml-encode|json-decode|json-encode FILE [RUNS]
 * Prints the best time in seconds of the operation alone: reading the file,
 * freeing the decoded tree and, for the encoders, decoding the input first
 * are not timed. */
#include "bench.h"
#include "json.h"
#include "yaml.h"

#include <string.h>

static void die(const kd_error *err)
{
  fprintf(stderr, "codec: %s\n", err->msg);
  exit(1);
}

int main(int argc, char **argv)
{
  size_t len, i;
  char *data;
  int runs = argc > 3 ? atoi(argv[3]) : 3;
  double best = 0;
  kd_value v;
  kd_error err = {0};
  kd_buf out = {0};
  if (argc < 3) {
    fprintf(stderr, "usage: codec MODE FILE [RUNS]\n");
    return 2;
  }
  data = bench_read(argv[2], &len);
  if (strcmp(argv[1], "yaml-decode") == 0) {
    BENCH_BEST_THEN(runs, best, {
      if (yaml_decode_stream(data, len, argv[2], &v, &err)) die(&err);
    }, kd_value_clear(&v));
  } else if (strcmp(argv[1], "yaml-encode") == 0) {
    if (yaml_decode_stream(data, len, argv[2], &v, &err)) die(&err);
    BENCH_BEST(runs, best, {
      out.len = 0;
      for (i = 0; i < v.u.arr.len; i++) {
        if (i && kd_buf_adds(&out, "---\n")) return 1;
        if (yaml_encode(&v.u.arr.items[i], &out, &err)) die(&err);
      }
    });
    kd_value_clear(&v);
  } else if (strcmp(argv[1], "json-decode") == 0) {
    BENCH_BEST_THEN(runs, best, {
      if (json_decode(data, len, argv[2], &v, &err)) die(&err);
    }, kd_value_clear(&v));
  } else if (strcmp(argv[1], "json-encode") == 0) {
    if (json_decode(data, len, argv[2], &v, &err)) die(&err);
    BENCH_BEST(runs, best, {
      out.len = 0;
      if (json_encode(&v, 0, &out, &err)) die(&err);
    });
    kd_value_clear(&v);
  } else {
    fprintf(stderr, "codec: unknown mode %s\n", argv[1]);
    return 2;
  }
  printf("%.4f\n", best);
  kd_buf_free(&out);
  free(data);
  return 0;
}
