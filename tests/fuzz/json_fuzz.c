/* tests/fuzz/json_fuzz.c: libFuzzer target for the JSON decoder; anything
 * json_decode accepts must encode and decode back to an equal value, and
 * the event decoder (json_parse, which json_decode drives with its tree
 * sink) must accept exactly the same inputs with balanced begin/end events
 * when driven by another sink. */
#include "json.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct { long depth, values; } counts;

static int on_leaf(counts *c) { c->values++; return KD_OK; }
static int ev_null(void *ud) { return on_leaf(ud); }
static int ev_bool(void *ud, int b) { (void)b; return on_leaf(ud); }
static int ev_int(void *ud, int64_t i) { (void)i; return on_leaf(ud); }
static int ev_num(void *ud, double f) { (void)f; return on_leaf(ud); }
static int ev_str(void *ud, const char *s, size_t n) { (void)s; (void)n; return on_leaf(ud); }
static int ev_begin(void *ud, int a) { (void)a; ((counts *)ud)->depth++; return KD_OK; }
static int ev_item(void *ud, int a, size_t i) { (void)ud; (void)a; (void)i; return KD_OK; }
static int ev_end(void *ud, int a, size_t n)
{
  (void)a; (void)n;
  if (--((counts *)ud)->depth < 0) abort();
  return KD_OK;
}

static const json_sink sink = {ev_null, ev_bool, ev_int, ev_num, ev_str,
                               ev_begin, ev_item, ev_end};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  kd_value v, w;
  kd_error err = {0}, perr = {0};
  kd_buf out = {0};
  counts c = {0, 0};
  int prc = json_parse((const char *)data, size, "fuzz", &sink, &c, NULL, &perr);
  int drc = json_decode((const char *)data, size, "fuzz", &v, &err);
  if ((prc == KD_OK) != (drc == KD_OK)) abort();
  if (prc == KD_OK && c.depth != 0) abort();
  if (drc != KD_OK) return 0;
  if (json_encode(&v, JSON_SORT_KEYS, &out, &err) == KD_OK) {
    if (json_decode(out.data, out.len, "re", &w, &err) != KD_OK) abort();
    if (!kd_value_equal(&v, &w)) abort();
    kd_value_clear(&w);
  }
  kd_buf_free(&out);
  kd_value_clear(&v);
  return 0;
}
