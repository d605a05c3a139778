/* tests/bench/ref_libyaml.c: the YAML reference, libyaml's bare event API.
 * Usage: ref_libyaml parse|emit FILE [RUNS]
 *   parse: yaml_parser_parse over the whole stream, each event dropped at
 *          once (no tree, no scalar resolution): a floor for a decoder.
 *   emit:  the stream's events (parsed first, not timed) written back by
 *          yaml_emitter_emit into memory, block style, plain scalars where
 *          libyaml allows them.
 * Prints the best time in seconds. */
#include "bench.h"

#include <string.h>
#include <yaml.h>

typedef struct {
  char *data;
  size_t len, cap;
} sink;

static int write_sink(void *ctx, unsigned char *buf, size_t n)
{
  sink *s = ctx;
  if (s->len + n > s->cap) {
    s->cap = (s->len + n) * 2;
    if (!(s->data = realloc(s->data, s->cap))) return 0;
  }
  memcpy(s->data + s->len, buf, n);
  s->len += n;
  return 1;
}

static void fail(const char *what)
{
  fprintf(stderr, "ref_libyaml: %s failed\n", what);
  exit(1);
}

static void parse_all(const char *data, size_t len, yaml_event_t **evs, size_t *n)
{
  yaml_parser_t p;
  size_t cap = 0;
  *n = 0;
  if (!yaml_parser_initialize(&p)) fail("init");
  yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) fail("parse");
    if (evs) {
      if (*n == cap && !(*evs = realloc(*evs, (cap = cap ? cap * 2 : 1024) * sizeof ev)))
        fail("alloc");
      (*evs)[(*n)++] = ev;
    } else {
      (*n)++;
    }
    if (ev.type == YAML_STREAM_END_EVENT) {
      if (!evs) yaml_event_delete(&ev);
      break;
    }
    if (!evs) yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
}

/* A copy of EV for the emitter (which takes ownership of what it gets). */
static int copy_event(const yaml_event_t *ev, yaml_event_t *out)
{
  switch (ev->type) {
  case YAML_STREAM_START_EVENT: return yaml_stream_start_event_initialize(out, YAML_UTF8_ENCODING);
  case YAML_STREAM_END_EVENT: return yaml_stream_end_event_initialize(out);
  case YAML_DOCUMENT_START_EVENT:
    return yaml_document_start_event_initialize(out, NULL, NULL, NULL, ev->data.document_start.implicit);
  case YAML_DOCUMENT_END_EVENT: return yaml_document_end_event_initialize(out, 1);
  case YAML_MAPPING_START_EVENT:
    return yaml_mapping_start_event_initialize(out, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
  case YAML_MAPPING_END_EVENT: return yaml_mapping_end_event_initialize(out);
  case YAML_SEQUENCE_START_EVENT:
    return yaml_sequence_start_event_initialize(out, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
  case YAML_SEQUENCE_END_EVENT: return yaml_sequence_end_event_initialize(out);
  case YAML_SCALAR_EVENT:
    return yaml_scalar_event_initialize(out, NULL, NULL, ev->data.scalar.value,
                                        (int)ev->data.scalar.length, 1, 1,
                                        ev->data.scalar.style);
  default: return 0;
  }
}

int main(int argc, char **argv)
{
  size_t len, n = 0, i;
  char *data;
  int runs = argc > 3 ? atoi(argv[3]) : 3;
  double best = 0;
  if (argc < 3) {
    fprintf(stderr, "usage: ref_libyaml parse|emit FILE [RUNS]\n");
    return 2;
  }
  data = bench_read(argv[2], &len);
  if (strcmp(argv[1], "parse") == 0) {
    BENCH_BEST(runs, best, parse_all(data, len, NULL, &n));
  } else if (strcmp(argv[1], "emit") == 0) {
    yaml_event_t *evs = NULL;
    sink s = {0};
    parse_all(data, len, &evs, &n);
    BENCH_BEST(runs, best, {
      yaml_emitter_t em;
      s.len = 0;
      if (!yaml_emitter_initialize(&em)) fail("init");
      yaml_emitter_set_output(&em, write_sink, &s);
      yaml_emitter_set_unicode(&em, 1);
      for (i = 0; i < n; i++) {
        yaml_event_t ev;
        if (!copy_event(&evs[i], &ev) || !yaml_emitter_emit(&em, &ev)) fail("emit");
      }
      yaml_emitter_delete(&em);
    });
    for (i = 0; i < n; i++) yaml_event_delete(&evs[i]);
    free(evs);
    free(s.data);
  } else {
    fprintf(stderr, "ref_libyaml: unknown mode %s\n", argv[1]);
    return 2;
  }
  printf("%.4f\n", best);
  free(data);
  return 0;
}
