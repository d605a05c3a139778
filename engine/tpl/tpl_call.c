/* engine/tpl/tpl_call.c: the per-call state that template functions use to
 * report errors and reach the engine's options. */
#include "tpl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const tpl_options no_options;

void tpl_call_init(tpl_call *c, const char *fname, const tpl_options *opt)
{
  memset(c, 0, sizeof *c);
  c->fname = fname;
  c->opt = opt ? opt : &no_options;
}

void tpl_call_done(tpl_call *c) { kd_buf_free(&c->msg); }

int tpl_call_fail(tpl_call *c, const char *fmt, ...)
{
  va_list ap;
  int n;
  c->msg.len = 0;
  c->aborted = 0;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n >= 0 && kd_buf_reserve(&c->msg, (size_t)n + 1) == KD_OK) {
    va_start(ap, fmt);
    vsnprintf(c->msg.data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->msg.len = (size_t)n;
  }
  return KD_EEXEC;
}

int tpl_call_abort(tpl_call *c, const char *msg, size_t len)
{
  c->msg.len = 0;
  kd_buf_add(&c->msg, msg, len);
  c->aborted = 1;
  return KD_EEXEC;
}

const tpl_options *tpl_call_options(tpl_call *c) { return c->opt; }

/* An object as a collection: its class's answer to TPL_MEMBER_ITEMS. */
int tpl_collection(tpl_val v, tpl_val *out)
{
  tpl_call c;
  tpl_val r = tpl_nil();
  int rc;
  const tpl_class *cls = v.kind == TPL_OBJ ? tpl_obj_class(v) : NULL;
  if (!cls || !cls->member) return 0;
  tpl_call_init(&c, TPL_MEMBER_ITEMS, NULL);
  rc = cls->member(&c, v.u.o, TPL_MEMBER_ITEMS, NULL, 0, &r);
  tpl_call_done(&c);
  if (rc == KD_ENOTFOUND) return 0;
  if (rc != KD_OK) return KD_ENOMEM;
  if (r.kind != TPL_LIST && r.kind != TPL_MAP) {
    tpl_unref(r);
    return 0;
  }
  *out = r;
  return 1;
}

int tpl_obj_print_direct(tpl_val v, kd_buf *out)
{
  const tpl_class *cls = tpl_obj_class(v);
  tpl_call c;
  tpl_val r = tpl_nil();
  int rc = KD_ENOTFOUND;
  /* a map type answers every name with a key lookup: not a Stringer */
  if (cls->member && strcmp(cls->kind_name, "map") != 0) {
    tpl_call_init(&c, "String", NULL);
    rc = cls->member(&c, v.u.o, "String", NULL, 0, &r);
    tpl_call_done(&c);
  }
  if (rc == KD_OK && r.kind == TPL_STR) {
    rc = kd_buf_add(out, tpl_sdata(r), tpl_slen(r));
    tpl_unref(r);
    return rc;
  }
  tpl_unref(r);
  size_t mark = out->len;
  rc = tpl_fmt_v(out, v);
  if (rc == KD_OK && strcmp(cls->kind_name, "ptr") == 0 &&
      out->len > mark && out->data[mark] == '&') {   /* indirect(v) */
    memmove(out->data + mark, out->data + mark + 1, out->len - mark - 1);
    out->data[--out->len] = 0;
  }
  return rc;
}
