/* engine/tpl/tpl_helm.c: Helm's functions that need the executor: include
 * (with Helm's recursion limit), tpl (parsed in an overlay of the running
 * set, as Helm clones its template), required, fail and lookup; and the
 * tpl_call_tpl / tpl_call_include entry points for library functions. */
#include "tpl_ast.h"

#include <string.h>

#define RECURSION_MAX 1000   /* Helm's recursionMaxNums */

static frame *running(tpl_call *c) { return c->exec; }

/* Moves the running execution's error text into the call's message. */
static int take_error(tpl_call *c, exec_state *x, const char *prefix,
                      const char *quoted, size_t qlen)
{
  kd_buf *e = exec_errbuf_of(x);
  c->msg.len = 0;
  c->aborted = 0;
  if (prefix) {
    kd_buf_adds(&c->msg, prefix);
    go_quote(&c->msg, quoted, qlen);
    kd_buf_adds(&c->msg, ": ");
  }
  if (e->data) kd_buf_add(&c->msg, e->data, e->len);
  e->len = 0;
  return KD_EEXEC;
}

int tpl_call_include(tpl_call *c, const char *name, tpl_val data, kd_buf *out)
{
  frame *f = running(c);
  exec_state *x;
  size_t nlen = strlen(name);
  const tmpl *t;
  int before, rc;
  if (!f) return tpl_call_fail(c, "include: no template is running");
  x = exec_of(f);
  before = exec_include_count(x, name, nlen, 0);
  if (before < 0) return KD_ENOMEM;
  if (before > RECURSION_MAX)
    return tpl_call_fail(c, "rendering template has a nested reference name: "
                         "%s: unable to execute template", name);
  if (exec_include_count(x, name, nlen, 1) < 0) return KD_ENOMEM;
  t = set_lookup(f->set, name, nlen);
  if (!t) {
    const char *root = tpl_set_root_name(f->set);
    exec_include_count(x, name, nlen, -1);
    c->msg.len = 0;
    kd_buf_adds(&c->msg, "template: no template ");
    go_quote(&c->msg, name, nlen);
    kd_buf_adds(&c->msg, " associated with template ");
    go_quote(&c->msg, root, strlen(root));
    return KD_EEXEC;
  }
  rc = exec_template(x, f->set, t, data, out, 0);
  exec_include_count(x, name, nlen, -1);
  if (rc == KD_EEXEC) return take_error(c, x, NULL, NULL, 0);
  return rc;
}

int tpl_call_tpl(tpl_call *c, const char *text, size_t len, tpl_val data,
                 kd_buf *out)
{
  frame *f = running(c);
  exec_state *x;
  tpl_set *ov;
  tmpl *main = NULL;
  kd_buf perr = {0};
  const char *root;
  int rc;
  if (!f) return tpl_call_fail(c, "tpl: no template is running");
  x = exec_of(f);
  ov = set_overlay_new(f->set);
  if (!ov) return KD_ENOMEM;
  root = tpl_set_root_name(f->set);
  rc = set_parse(ov, root, strlen(root), text, len, &main, &perr);
  if (rc != KD_OK) {
    c->msg.len = 0;
    c->aborted = 0;
    kd_buf_adds(&c->msg, "cannot parse template ");
    go_quote(&c->msg, text, len);
    kd_buf_adds(&c->msg, ": ");
    if (perr.data) kd_buf_add(&c->msg, perr.data, perr.len);
    kd_buf_free(&perr);
    set_overlay_free(ov);
    return rc == KD_EPARSE ? KD_EEXEC : rc;
  }
  kd_buf_free(&perr);
  rc = exec_template(x, ov, main, data, out, 0);
  if (rc == KD_EEXEC)
    rc = take_error(c, x, "error during tpl function execution for ", text, len);
  tmpl_release(main);
  set_overlay_free(ov);
  return rc;
}

int tpl_helm_include(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out)
{
  kd_buf b = {0};
  int rc;
  (void)nargs;
  rc = tpl_call_include(c, tpl_sdata(args[0]), args[1], &b);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

/* strings.ReplaceAll(s, "<no value>", "") */
static int strip_no_value(kd_buf *b)
{
  static const char nv[] = "<no value>";
  size_t i, o = 0;
  if (!b->data) return KD_OK;
  for (i = 0; i < b->len;) {
    if (b->data[i] == '<' && b->len - i >= 10 && memcmp(b->data + i, nv, 10) == 0) {
      i += 10;
      continue;
    }
    b->data[o++] = b->data[i++];
  }
  b->len = o;
  b->data[o] = 0;
  return KD_OK;
}

int tpl_helm_tpl(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out)
{
  kd_buf b = {0};
  int rc;
  (void)nargs;
  rc = tpl_call_tpl(c, tpl_sdata(args[0]), tpl_slen(args[0]), args[1], &b);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  strip_no_value(&b);
  return tpl_str_take(out, &b);
}

int tpl_helm_required(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out)
{
  (void)nargs;
  if (args[1].kind == TPL_NIL || (args[1].kind == TPL_STR && tpl_slen(args[1]) == 0))
    return tpl_call_abort(c, tpl_sdata(args[0]), tpl_slen(args[0]));
  *out = tpl_ref(args[1]);
  return KD_OK;
}

int tpl_helm_fail(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out)
{
  (void)nargs;
  (void)out;
  return tpl_call_abort(c, tpl_sdata(args[0]), tpl_slen(args[0]));
}

int tpl_helm_lookup(tpl_call *c, const tpl_val *args, int nargs, tpl_val *out)
{
  const tpl_options *o = tpl_call_options(c);
  kd_error err = {0};
  int rc;
  (void)nargs;
  if (!o->lookup) return tpl_map_new(out);
  rc = o->lookup(o->lookup_ctx, tpl_sdata(args[0]), tpl_sdata(args[1]),
                 tpl_sdata(args[2]), tpl_sdata(args[3]), out, &err);
  if (rc != KD_OK) return tpl_call_fail(c, "%s", err.msg[0] ? err.msg : kd_strerror(rc));
  return KD_OK;
}
