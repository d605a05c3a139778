/* tests/fuzz/json_fuzz.c: libFuzzer target for the JSON decoder; anything
 * json_decode accepts must encode and decode back to an equal value, the
 * event decoder (json_parse, which json_decode drives with its tree sink)
 * must accept exactly the same inputs with balanced begin/end events when
 * driven by another sink, and the tape decoder (json_tape_parse, behind
 * kdeploy.json.decode) too, with the same error message, its tape
 * replaying to the same value. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

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

/* Rebuilds the value at T as json_decode would have; returns the token
 * after it. A repeated key replaces, as in json_decode. */
static const json_token *replay(const json_tape *tape, const json_token *t,
                                kd_value *out)
{
  size_t i, n = t->n;
  switch (t->type) {
  case JSON_T_NULL: kd_value_null(out); return t + 1;
  case JSON_T_FALSE: kd_value_bool(out, 0); return t + 1;
  case JSON_T_TRUE: kd_value_bool(out, 1); return t + 1;
  case JSON_T_INT: kd_value_int(out, t->u.i); return t + 1;
  case JSON_T_FLOAT: kd_value_float(out, t->u.f); return t + 1;
  case JSON_T_STR:
    if (kd_value_str(out, json_token_str(tape, t), t->n)) abort();
    return t + 1;
  case JSON_T_ARR:
    kd_value_arr(out);
    for (t++, i = 0; i < n; i++) {
      kd_value *slot = kd_arr_push(out);
      if (!slot) abort();
      t = replay(tape, t, slot);
    }
    return t;
  case JSON_T_OBJ:
    kd_value_obj(out);
    for (t++, i = 0; i < n; i++) {
      const char *k = json_token_str(tape, t);
      kd_value *slot;
      if (t->type != JSON_T_STR) abort();
      if ((slot = kd_obj_get(out, k, t->n))) kd_value_clear(slot);
      else if (!(slot = kd_obj_add(out, k, t->n))) abort();
      t = replay(tape, t + 1, slot);
    }
    return t;
  }
  abort();
}

static void check_tape(const unsigned char *data, size_t size, int drc,
                       const kd_value *v, const kd_error *derr)
{
  json_tape tape = {{0}, {0}, 0};
  kd_error err = {0};
  int rc = json_tape_parse((const char *)data, size, "fuzz", &tape, &err);
  if ((rc == KD_OK) != (drc == KD_OK)) abort();
  if (rc != KD_OK && strcmp(err.msg, derr->msg) != 0) abort();
  if (rc == KD_OK) {
    kd_value w;
    const json_token *end = replay(&tape, json_tape_tokens(&tape), &w);
    if ((const char *)end != tape.tokens.data + tape.tokens.len) abort();
    if (!kd_value_equal(v, &w)) abort();
    kd_value_clear(&w);
  }
  json_tape_free(&tape);
}

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
  check_tape(data, size, drc, &v, &err);
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
