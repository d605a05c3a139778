/* engine/sim/sim_patch.c: the entry points of the sim's patch logic
 * (content types, decoding, dispatch, request checks), Status errors as
 * kube-apiserver words them, value helpers, and JSON merge patch
 * (RFC 7386, as evanphx/json-patch v4 implements it for the apiserver). */
#include "sim_patch_int.h"

#include "json.h"
#include "yaml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- content types -------------------------------------------------- */
sim_patch_type sim_patch_type_of(const char *content_type)
{
  static const struct { const char *name; sim_patch_type t; } types[] = {
    {"application/json-patch+json", SIM_PATCH_JSON},
    {"application/merge-patch+json", SIM_PATCH_MERGE},
    {"application/strategic-merge-patch+json", SIM_PATCH_STRATEGIC},
    {"application/apply-patch+yaml", SIM_PATCH_APPLY}};
  const char *p = content_type, *end;
  size_t n, i;
  if (!p) return SIM_PATCH_UNSUPPORTED;
  while (*p == ' ' || *p == '\t') p++;
  end = p;
  while (*end && *end != ';' && *end != ' ' && *end != '\t') end++;
  n = (size_t)(end - p);
  for (i = 0; i < sizeof types / sizeof *types; i++)
    if (strlen(types[i].name) == n && strncasecmp(types[i].name, p, n) == 0)
      return types[i].t;
  return SIM_PATCH_UNSUPPORTED;
}

const char *sim_patch_unsupported_message(int custom)
{
  return custom
    ? "the body of the request was in an unknown format - accepted media "
      "types include: application/json-patch+json, "
      "application/merge-patch+json, application/apply-patch+yaml"
    : "the body of the request was in an unknown format - accepted media "
      "types include: application/json-patch+json, "
      "application/merge-patch+json, application/strategic-merge-patch+json, "
      "application/apply-patch+yaml";
}

const char *sim_patch_default_manager(const char *user_agent, kd_buf *out)
{
  const unsigned char *p = (const unsigned char *)user_agent;
  out->len = 0;
  if (kd_buf_reserve(out, 1)) return NULL;
  out->data[0] = '\0';
  for (; p && *p && *p != '/' && out->len < 128; p++)
    if (*p >= 0x20 && *p != 0x7f && kd_buf_addc(out, (char)*p)) return NULL;
  return out->data;
}

/* ---- Status errors -------------------------------------------------- */
static int put_str(kd_value *o, const char *key, const char *s)
{
  kd_value *slot = kd_obj_add(o, key, strlen(key));
  return slot ? kd_value_str(slot, s, strlen(s)) : KD_ENOMEM;
}

static int build_status(kd_value *st, int http, const char *reason,
                        const char *message, kd_value *details)
{
  kd_value *slot;
  kd_value_obj(st);
  if (put_str(st, "kind", "Status") || put_str(st, "apiVersion", "v1") ||
      !(slot = kd_obj_add(st, "metadata", 8)))
    return KD_ENOMEM;
  kd_value_obj(slot);
  if (put_str(st, "status", "Failure") || put_str(st, "message", message))
    return KD_ENOMEM;
  if (reason && *reason && put_str(st, "reason", reason)) return KD_ENOMEM;
  if (details) {
    if (!(slot = kd_obj_add(st, "details", 7))) return KD_ENOMEM;
    *slot = *details;
    kd_value_null(details);
  }
  if (!(slot = kd_obj_add(st, "code", 4))) return KD_ENOMEM;
  kd_value_int(slot, http);
  return KD_OK;
}

int sim_patch_fail(kd_value *status, kd_error *err, int code, int http,
                   const char *reason, const char *message,
                   kd_value *details)
{
  kd_error_set(err, code, "%s", message);
  if (err) err->http_status = http;
  if (status && build_status(status, http, reason, message, details)) {
    kd_value_clear(status);
    kd_value_null(status);
  }
  kd_value_clear(details);
  return code;
}

int sim_patch_failf(kd_value *status, kd_error *err, int code, int http,
                    const char *reason, const char *fmt, ...)
{
  kd_buf b = {0};
  va_list ap;
  int rc, n;
  char small[1];
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0 || kd_buf_reserve(&b, (size_t)n + 1)) {
    kd_buf_free(&b);
    return sim_patch_oom(status, err);
  }
  va_start(ap, fmt);
  vsnprintf(b.data, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b.len = (size_t)n;
  rc = sim_patch_fail(status, err, code, http, reason, b.data, NULL);
  kd_buf_free(&b);
  return rc;
}

int sim_patch_oom(kd_value *status, kd_error *err)
{
  return sim_patch_fail(status, err, KD_ENOMEM, 500, "InternalError",
                        "Internal error occurred: out of memory", NULL);
}

/* A 422 for PatchOptions (force, fieldManager), as ValidatePatchOptions. */
static int options_invalid(kd_value *status, kd_error *err, const char *field,
                           const char *cause_reason, const char *detail)
{
  kd_value details, *causes, *c;
  kd_buf msg = {0};
  kd_value_obj(&details);
  if (put_str(&details, "group", "meta.k8s.io") ||
      put_str(&details, "kind", "PatchOptions") ||
      !(causes = kd_obj_add(&details, "causes", 6)))
    goto oom;
  kd_value_arr(causes);
  if (!(c = kd_arr_push(causes))) goto oom;
  kd_value_obj(c);
  if (put_str(c, "reason", cause_reason) || put_str(c, "message", detail) ||
      put_str(c, "field", field) ||
      kd_buf_printf(&msg, "PatchOptions.meta.k8s.io \"\" is invalid: %s: %s",
                    field, detail))
    goto oom;
  sim_patch_fail(status, err, KD_EINVAL, 422, "Invalid", msg.data, &details);
  kd_buf_free(&msg);
  return KD_EINVAL;
oom:
  kd_value_clear(&details);
  kd_buf_free(&msg);
  return sim_patch_oom(status, err);
}

/* ---- decoding ------------------------------------------------------- */
const char *sim_patch_go_type(const kd_value *v)
{
  switch (v->type) {
  case KD_ARR: return "array";
  case KD_OBJ: return "object";
  case KD_STR: return "string";
  case KD_BOOL: return "bool";
  case KD_NULL: return "null";
  default: return "number";
  }
}

int sim_patch_decode(sim_patch_type type, const char *body, size_t len,
                     kd_value *patch, kd_value *status, kd_error *err)
{
  kd_error derr = {0};
  int rc;
  kd_value_null(patch);
  if (type == SIM_PATCH_APPLY) {
    if ((rc = yaml_decode(body, len, "body", patch, &derr)) != KD_OK) {
      if (rc == KD_ENOMEM) return sim_patch_oom(status, err);
      return sim_patch_failf(status, err, KD_EPARSE, 400, "BadRequest",
                             "error decoding YAML: error converting YAML to "
                             "JSON: yaml: %s", derr.msg);
    }
    if (patch->type == KD_NULL) kd_value_obj(patch);
    if (patch->type != KD_OBJ) {
      const char *t = sim_patch_go_type(patch);
      kd_value_clear(patch);
      return sim_patch_failf(status, err, KD_EPARSE, 400, "BadRequest",
                             "error decoding YAML: error unmarshaling JSON: "
                             "while decoding JSON: json: cannot unmarshal %s "
                             "into Go value of type map[string]interface {}",
                             t);
    }
    return KD_OK;
  }
  if (type == SIM_PATCH_UNSUPPORTED)
    return sim_patch_fail(status, err, KD_EINVAL, 415, "UnsupportedMediaType",
                          sim_patch_unsupported_message(0), NULL);
  if ((rc = json_decode(body, len, "body", patch, &derr)) != KD_OK) {
    if (rc == KD_ENOMEM) return sim_patch_oom(status, err);
    if (type == SIM_PATCH_MERGE)
      return sim_patch_fail(status, err, KD_EPARSE, 400, "BadRequest",
                            "Invalid JSON Patch", NULL);
    return sim_patch_failf(status, err, KD_EPARSE, 400, "BadRequest", "%s",
                           derr.msg);
  }
  if (type == SIM_PATCH_JSON && patch->type != KD_ARR) {
    const char *t = sim_patch_go_type(patch);
    kd_value_clear(patch);
    return sim_patch_failf(status, err, KD_EPARSE, 400, "BadRequest",
                           "json: cannot unmarshal %s into Go value of type "
                           "jsonpatch.Patch", t);
  }
  if (type == SIM_PATCH_STRATEGIC && patch->type != KD_OBJ) {
    const char *t = sim_patch_go_type(patch);
    kd_value_clear(patch);
    if (strcmp(t, "null") == 0) {   /* Go leaves the map empty */
      kd_value_obj(patch);
      return KD_OK;
    }
    return sim_patch_failf(status, err, KD_EPARSE, 400, "BadRequest",
                           "json: cannot unmarshal %s into Go value of type "
                           "map[string]interface {}", t);
  }
  return KD_OK;
}

/* ---- dispatch ------------------------------------------------------- */
int sim_patch_apply(const sim_patch_ctx *ctx, sim_patch_type type,
                    const kd_value *live, const kd_value *patch,
                    kd_value *out, kd_value *status, kd_error *err)
{
  size_t mlen = ctx && ctx->manager ? strlen(ctx->manager) : 0;
  kd_value_null(out);
  if (status) kd_value_null(status);
  if (!ctx || !patch)
    return sim_patch_fail(status, err, KD_EINVAL, 500, "InternalError",
                          "sim_patch_apply: no context or patch", NULL);
  if (ctx->force && type != SIM_PATCH_APPLY)
    return options_invalid(status, err, "force", "FieldValueForbidden",
                           "Forbidden: may not be specified for non-apply "
                           "patch");
  if (type == SIM_PATCH_APPLY && mlen == 0)
    return options_invalid(status, err, "fieldManager", "FieldValueRequired",
                           "Required value: is required for apply patch");
  if (mlen > 128)
    return options_invalid(status, err, "fieldManager", "FieldValueTooLong",
                           "Too long: may not be more than 128 bytes");
  if (!live && type != SIM_PATCH_APPLY)
    return sim_patch_fail(status, err, KD_ENOTFOUND, 404, "NotFound",
                          "the object to patch does not exist", NULL);
  switch (type) {
  case SIM_PATCH_MERGE: return sim_patch_merge(live, patch, out, status, err);
  case SIM_PATCH_JSON: return sim_patch_json(live, patch, out, status, err);
  case SIM_PATCH_STRATEGIC:
    if (ctx->custom)
      return sim_patch_fail(status, err, KD_EINVAL, 415,
                            "UnsupportedMediaType",
                            sim_patch_unsupported_message(1), NULL);
    return sim_patch_smp(sim_schema_root(ctx->api_version, ctx->kind, 0),
                         live, patch, out, status, err);
  case SIM_PATCH_APPLY: return sim_patch_ssa(ctx, live, patch, out, status,
                                             err);
  default:
    return sim_patch_fail(status, err, KD_EINVAL, 415, "UnsupportedMediaType",
                          sim_patch_unsupported_message(ctx->custom), NULL);
  }
}

/* ---- value helpers -------------------------------------------------- */
static int go_float(double f, kd_buf *out)
{
  char buf[40], *e;
  int p, exp10;
  for (p = 1; p <= 17; p++) {   /* shortest digits that round-trip */
    snprintf(buf, sizeof buf, "%.*e", p - 1, f);
    if (strtod(buf, NULL) == f) break;
  }
  e = strchr(buf, 'e');
  exp10 = e ? atoi(e + 1) : 0;
  if (exp10 < -4 || exp10 >= 6) {  /* shortest %g: e-form from 1e+06 */
    /* d.ddde+XX with at least two exponent digits */
    char mant[32];
    size_t n = e ? (size_t)(e - buf) : strlen(buf);
    if (n >= sizeof mant) n = sizeof mant - 1;
    memcpy(mant, buf, n);
    mant[n] = '\0';
    return kd_buf_printf(out, "%se%c%02d", mant, exp10 < 0 ? '-' : '+',
                         exp10 < 0 ? -exp10 : exp10);
  }
  snprintf(buf, sizeof buf, "%.*f", p - 1 - exp10 > 0 ? p - 1 - exp10 : 0, f);
  return kd_buf_adds(out, buf);
}

static int cmp_keys(const void *a, const void *b)
{
  const kd_member *x = *(kd_member *const *)a, *y = *(kd_member *const *)b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

int sim_patch_gofmt(const kd_value *v, kd_buf *out)
{
  size_t i;
  int rc = KD_OK;
  switch (v->type) {
  case KD_NULL: return kd_buf_adds(out, "<nil>");
  case KD_BOOL: return kd_buf_adds(out, v->u.b ? "true" : "false");
  case KD_INT: return kd_buf_printf(out, "%lld", (long long)v->u.i);
  case KD_FLOAT: return go_float(v->u.f, out);
  case KD_STR: return kd_buf_add(out, v->u.str.s, v->u.str.len);
  case KD_ARR:
    rc = kd_buf_addc(out, '[');
    for (i = 0; !rc && i < v->u.arr.len; i++)
      rc = (i ? kd_buf_addc(out, ' ') : 0) ||
           sim_patch_gofmt(&v->u.arr.items[i], out);
    return rc ? KD_ENOMEM : kd_buf_addc(out, ']');
  case KD_OBJ: {
    kd_member **ms = malloc((v->u.obj.len + 1) * sizeof *ms);
    if (!ms) return KD_ENOMEM;
    for (i = 0; i < v->u.obj.len; i++) ms[i] = &v->u.obj.m[i];
    qsort(ms, v->u.obj.len, sizeof *ms, cmp_keys);   /* Go sorts map keys */
    rc = kd_buf_adds(out, "map[");
    for (i = 0; !rc && i < v->u.obj.len; i++)
      rc = (i ? kd_buf_addc(out, ' ') : 0) ||
           kd_buf_add(out, ms[i]->key, ms[i]->klen) ||
           kd_buf_addc(out, ':') || sim_patch_gofmt(&ms[i]->val, out);
    free(ms);
    return rc ? KD_ENOMEM : kd_buf_addc(out, ']');
  }
  }
  return KD_OK;
}

static int type_rank(const kd_value *v)
{
  switch (v->type) {
  case KD_INT: case KD_FLOAT: return 0;
  case KD_STR: return 1;
  case KD_BOOL: return 2;
  case KD_ARR: return 3;
  case KD_OBJ: return 4;
  default: return 5;
  }
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
  int c = memcmp(a, b, al < bl ? al : bl);
  if (c) return c < 0 ? -1 : 1;
  return (al > bl) - (al < bl);
}

int sim_patch_value_cmp(const kd_value *a, const kd_value *b)
{
  int ra = type_rank(a), rb = type_rank(b);
  size_t i;
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (a->type) {
  case KD_INT: case KD_FLOAT:
    if (a->type == KD_INT && b->type == KD_INT)
      return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    else {
      double x = a->type == KD_INT ? (double)a->u.i : a->u.f;
      double y = b->type == KD_INT ? (double)b->u.i : b->u.f;
      return (x > y) - (x < y);
    }
  case KD_STR:
    return bytes_cmp(a->u.str.s, a->u.str.len, b->u.str.s, b->u.str.len);
  case KD_BOOL: return (a->u.b > b->u.b) - (a->u.b < b->u.b);
  case KD_ARR:
    for (i = 0; i < a->u.arr.len && i < b->u.arr.len; i++) {
      int c = sim_patch_value_cmp(&a->u.arr.items[i], &b->u.arr.items[i]);
      if (c) return c;
    }
    return (a->u.arr.len > b->u.arr.len) - (a->u.arr.len < b->u.arr.len);
  case KD_OBJ: {
    /* maps compare by their sorted keys, then values */
    for (i = 0; i < a->u.obj.len && i < b->u.obj.len; i++) {
      const kd_member *x = &a->u.obj.m[i], *y = &b->u.obj.m[i];
      int c = bytes_cmp(x->key, x->klen, y->key, y->klen);
      if (c) return c;
      if ((c = sim_patch_value_cmp(&x->val, &y->val))) return c;
    }
    return (a->u.obj.len > b->u.obj.len) - (a->u.obj.len < b->u.obj.len);
  }
  default: return 0;
  }
}

int sim_patch_value_same(const kd_value *a, const kd_value *b)
{
  size_t i;
  if (a->type != b->type) return 0;
  switch (a->type) {
  case KD_NULL: return 1;
  case KD_BOOL: return a->u.b == b->u.b;
  case KD_INT: return a->u.i == b->u.i;
  case KD_FLOAT: return a->u.f == b->u.f;
  case KD_STR:
    return a->u.str.len == b->u.str.len &&
           memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
  case KD_ARR:
    if (a->u.arr.len != b->u.arr.len) return 0;
    for (i = 0; i < a->u.arr.len; i++)
      if (!sim_patch_value_same(&a->u.arr.items[i], &b->u.arr.items[i]))
        return 0;
    return 1;
  case KD_OBJ:
    if (a->u.obj.len != b->u.obj.len) return 0;
    for (i = 0; i < a->u.obj.len; i++) {
      const kd_member *m = &a->u.obj.m[i];
      const kd_value *o = kd_obj_get(b, m->key, m->klen);
      if (!o || !sim_patch_value_same(&m->val, o)) return 0;
    }
    return 1;
  }
  return 0;
}

long sim_patch_obj_find(const kd_value *o, const char *key, size_t klen)
{
  size_t i;
  if (!o || o->type != KD_OBJ) return -1;
  for (i = 0; i < o->u.obj.len; i++)
    if (o->u.obj.m[i].klen == klen &&
        memcmp(o->u.obj.m[i].key, key, klen) == 0)
      return (long)i;
  return -1;
}

void sim_patch_obj_del(kd_value *o, size_t i)
{
  kd_member *m = &o->u.obj.m[i];
  free(m->key);
  kd_value_clear(&m->val);
  memmove(m, m + 1, (o->u.obj.len - i - 1) * sizeof *m);
  o->u.obj.len--;
}

kd_value *sim_patch_obj_set(kd_value *o, const char *key, size_t klen,
                            kd_value *v)
{
  long i = sim_patch_obj_find(o, key, klen);
  kd_value *slot;
  if (i >= 0) {
    slot = &o->u.obj.m[i].val;
    kd_value_clear(slot);
  } else if (!(slot = kd_obj_add(o, key, klen))) {
    kd_value_clear(v);
    kd_value_null(v);
    return NULL;
  }
  *slot = *v;
  kd_value_null(v);
  return slot;
}

/* ---- JSON merge patch ----------------------------------------------- */
void sim_patch_prune_nulls(kd_value *v)
{
  size_t i;
  if (v->type == KD_OBJ) {
    for (i = 0; i < v->u.obj.len;) {
      if (v->u.obj.m[i].val.type == KD_NULL) {
        sim_patch_obj_del(v, i);
        continue;
      }
      sim_patch_prune_nulls(&v->u.obj.m[i].val);
      i++;
    }
  } else if (v->type == KD_ARR) {
    for (i = 0; i < v->u.arr.len; i++)
      sim_patch_prune_nulls(&v->u.arr.items[i]);
  }
}

static int merge_docs(kd_value *doc, const kd_value *patch, int depth)
{
  size_t i;
  if (depth > JSON_MAX_DEPTH) return KD_ERANGE;
  for (i = 0; i < patch->u.obj.len; i++) {
    const kd_member *m = &patch->u.obj.m[i];
    long at = sim_patch_obj_find(doc, m->key, m->klen);
    kd_value *cur = at >= 0 ? &doc->u.obj.m[at].val : NULL;
    kd_value nv;
    int rc;
    if (m->val.type == KD_NULL) {
      if (at >= 0) sim_patch_obj_del(doc, (size_t)at);
      continue;
    }
    if (cur && cur->type == KD_OBJ && m->val.type == KD_OBJ) {
      if ((rc = merge_docs(cur, &m->val, depth + 1))) return rc;
      continue;
    }
    if ((rc = kd_value_copy(&nv, &m->val))) return rc;
    /* a patch value replacing an object is taken as is; one landing on
     * nothing or a non-object loses its nulls */
    if (!cur || cur->type != KD_OBJ) sim_patch_prune_nulls(&nv);
    if (!sim_patch_obj_set(doc, m->key, m->klen, &nv)) return KD_ENOMEM;
  }
  return KD_OK;
}

int sim_patch_merge(const kd_value *live, const kd_value *patch,
                    kd_value *out, kd_value *status, kd_error *err)
{
  int rc;
  if (patch->type == KD_ARR) {
    /* not an object: the patch becomes the document, which is then no
     * object, as the real server finds when decoding it */
    return sim_patch_fail(status, err, KD_EINVAL, 400, "BadRequest",
                          "json: cannot unmarshal array into Go value of "
                          "type map[string]interface {}", NULL);
  }
  if (patch->type != KD_OBJ)
    return sim_patch_fail(status, err, KD_EINVAL, 400, "BadRequest",
                          "Invalid JSON Patch", NULL);
  if ((rc = kd_value_copy(out, live))) return sim_patch_oom(status, err);
  if (out->type != KD_OBJ) {
    kd_value_clear(out);
    kd_value_obj(out);
  }
  rc = merge_docs(out, patch, 0);
  if (rc) {
    kd_value_clear(out);
    kd_value_null(out);
    if (rc == KD_ERANGE)
      return sim_patch_fail(status, err, KD_EINVAL, 400, "BadRequest",
                            "Invalid JSON Patch", NULL);
    return sim_patch_oom(status, err);
  }
  return KD_OK;
}
