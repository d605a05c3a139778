/* engine/sim/sim_patch_json.c: JSON patch (RFC 6902) as kube-apiserver
 * applies it through evanphx/json-patch v4: its quirks (negative array
 * indexes, replace of a missing object key adds it, a test of a missing
 * path against null passes, the first path segment is not checked) and
 * its error texts. A failing operation is a 422 whose Status says only
 * "the server rejected our request due to an error in our request", as
 * the real server's does; the operation's own error goes to err->msg. */
#include "sim_patch_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 10000
/* Copies may not grow the document past this many values in total
 * (the real server relies on its request size limit; repeated copies of
 * the document into itself would otherwise grow it exponentially). */
#define MAX_COPIED 1000000

typedef struct {
  kd_buf msg;   /* the operation's error, as json-patch words it */
} jp_state;

static int fail(jp_state *st, const char *fmt, const char *a, const char *b)
{
  st->msg.len = 0;
  if (kd_buf_printf(&st->msg, fmt, a, b ? b : "")) return KD_ENOMEM;
  return KD_EINVAL;
}

/* RFC 6901 unescaping in one left-to-right pass: ~1 is '/', ~0 is '~'. */
static char *decode_key(const char *s, size_t n, size_t *outlen)
{
  char *out = malloc(n + 1);
  size_t i, j = 0;
  if (!out) return NULL;
  for (i = 0; i < n; i++) {
    if (s[i] == '~' && i + 1 < n && (s[i + 1] == '1' || s[i + 1] == '0')) {
      out[j++] = s[i + 1] == '1' ? '/' : '~';
      i++;
    } else {
      out[j++] = s[i];
    }
  }
  out[j] = '\0';
  *outlen = j;
  return out;
}

/* strconv.Atoi: optional sign, decimal digits; 0 on success. */
static int atoi_go(const char *s, long long *out)
{
  const char *p = s;
  char *end;
  if (*p == '+' || *p == '-') p++;
  if (!*p) return -1;
  for (; *p; p++)
    if (*p < '0' || *p > '9') return -1;
  errno = 0;
  *out = strtoll(s, &end, 10);
  return errno ? -1 : 0;
}

/* The member or item KEY of container C, or NULL. For arrays *BAD is set
 * when KEY is no valid index. */
static kd_value *con_get(kd_value *c, const char *key, size_t klen,
                         long long *idx_out, int *bad)
{
  long long idx;
  *bad = 0;
  if (c->type == KD_OBJ) return kd_obj_get(c, key, klen);
  if (atoi_go(key, &idx)) {
    *bad = 1;
    return NULL;
  }
  if (idx < 0) {
    if (idx < -(long long)c->u.arr.len) {
      *bad = 2;
      return NULL;
    }
    idx += (long long)c->u.arr.len;
  }
  if (idx >= (long long)c->u.arr.len) {
    *bad = 2;
    return NULL;
  }
  *idx_out = idx;
  return &c->u.arr.items[idx];
}

/* findObject: the container holding the last segment of PATH and that
 * segment (owned, decoded), or NULL. */
static kd_value *find_object(kd_value *doc, const char *path, char **key,
                             size_t *klen)
{
  const char *seg, *slash = strchr(path, '/');
  kd_value *cur = doc;
  *key = NULL;
  if (!slash) return NULL;          /* fewer than two segments */
  seg = slash + 1;                  /* the first segment is ignored */
  for (;;) {
    const char *next = strchr(seg, '/');
    size_t n;
    char *k;
    kd_value *child;
    long long idx;
    int bad;
    if (!next) break;
    if (!(k = decode_key(seg, (size_t)(next - seg), &n))) return NULL;
    child = con_get(cur, k, n, &idx, &bad);
    free(k);
    if (!child || (child->type != KD_OBJ && child->type != KD_ARR))
      return NULL;
    cur = child;
    seg = next + 1;
  }
  *key = decode_key(seg, strlen(seg), klen);
  return *key ? cur : NULL;
}

static int index_error(jp_state *st, const char *key, int bad)
{
  if (bad == 1)
    return fail(st, "strconv.Atoi: parsing \"%s\": invalid syntax", key,
                NULL);
  return fail(st, "Unable to access invalid index: %s: invalid index", key,
              NULL);
}

/* partialDoc/partialArray add: V is moved in. */
static int con_add(jp_state *st, kd_value *c, const char *key, size_t klen,
                   kd_value *v)
{
  long long idx, len;
  kd_value *slot;
  if (c->type == KD_OBJ)
    return sim_patch_obj_set(c, key, klen, v) ? KD_OK : KD_ENOMEM;
  len = (long long)c->u.arr.len;
  if (strcmp(key, "-") == 0) {
    idx = len;
  } else {
    if (atoi_go(key, &idx)) {
      kd_value_clear(v);
      st->msg.len = 0;
      return kd_buf_printf(&st->msg, "value was not a proper array index: "
                           "'%s': strconv.Atoi: parsing \"%s\": invalid "
                           "syntax", key, key) ? KD_ENOMEM : KD_EINVAL;
    }
    if (idx > len || idx < -(len + 1)) {
      kd_value_clear(v);
      return fail(st, "Unable to access invalid index: %s: invalid index",
                  key, NULL);
    }
    if (idx < 0) idx += len + 1;
  }
  if (!(slot = kd_arr_push(c))) {
    kd_value_clear(v);
    return KD_ENOMEM;
  }
  memmove(&c->u.arr.items[idx + 1], &c->u.arr.items[idx],
          (size_t)(len - idx) * sizeof *slot);
  c->u.arr.items[idx] = *v;
  kd_value_null(v);
  return KD_OK;
}

/* Removes KEY from C, moving the value to *OUT when OUT is not NULL. */
static int con_remove(jp_state *st, kd_value *c, const char *key,
                      size_t klen, kd_value *out)
{
  long long idx;
  if (c->type == KD_OBJ) {
    long i = sim_patch_obj_find(c, key, klen);
    if (i < 0)
      return fail(st, "Unable to remove nonexistent key: %s: missing value",
                  key, NULL);
    if (out) {
      *out = c->u.obj.m[i].val;
      kd_value_null(&c->u.obj.m[i].val);
    }
    sim_patch_obj_del(c, (size_t)i);
    return KD_OK;
  }
  if (atoi_go(key, &idx))
    return fail(st, "strconv.Atoi: parsing \"%s\": invalid syntax", key, NULL);
  if (idx >= (long long)c->u.arr.len || idx < -(long long)c->u.arr.len)
    return fail(st, "Unable to access invalid index: %s: invalid index", key,
                NULL);
  if (idx < 0) idx += (long long)c->u.arr.len;
  if (out) *out = c->u.arr.items[idx];
  else kd_value_clear(&c->u.arr.items[idx]);
  memmove(&c->u.arr.items[idx], &c->u.arr.items[idx + 1],
          (c->u.arr.len - (size_t)idx - 1) * sizeof *c->u.arr.items);
  c->u.arr.len--;
  return KD_OK;
}

static const char *op_str(const kd_value *op, const char *name, int *bad)
{
  const kd_value *v = kd_obj_gets(op, name);
  *bad = 0;
  if (!v || v->type == KD_NULL) return NULL;
  if (v->type != KD_STR || strlen(v->u.str.s) != v->u.str.len) {
    *bad = 1;
    return NULL;
  }
  return v->u.str.s;
}

/* Prefixes the state's message with "WHAT for path: 'P': ". */
static int wrap(jp_state *st, int rc, const char *what, const char *p)
{
  kd_buf b = {0};
  if (rc != KD_EINVAL) return rc;
  if (kd_buf_printf(&b, "%s '%s': %s", what, p,
                    st->msg.data ? st->msg.data : "")) {
    kd_buf_free(&b);
    return KD_ENOMEM;
  }
  kd_buf_free(&st->msg);
  st->msg = b;
  return KD_EINVAL;
}

static size_t count_values(const kd_value *v)
{
  size_t n = 1, i;
  if (v->type == KD_ARR)
    for (i = 0; i < v->u.arr.len; i++) n += count_values(&v->u.arr.items[i]);
  else if (v->type == KD_OBJ)
    for (i = 0; i < v->u.obj.len; i++) n += count_values(&v->u.obj.m[i].val);
  return n;
}

static int apply_op(jp_state *st, kd_value *doc, const kd_value *op,
                    size_t *copied)
{
  int bad, rc = KD_OK;
  const char *kind = op_str(op, "op", &bad);
  const char *path, *from = NULL;
  const kd_value *value = kd_obj_gets(op, "value");
  char *key = NULL, *fkey = NULL;
  size_t klen, fklen;
  kd_value *con, *cur, v;
  long long idx;
  kd_value_null(&v);
  if (!kind) kind = "unknown";
  if (strcmp(kind, "add") && strcmp(kind, "remove") &&
      strcmp(kind, "replace") && strcmp(kind, "move") &&
      strcmp(kind, "copy") && strcmp(kind, "test"))
    return fail(st, "Unexpected kind: %s", kind, NULL);
  path = op_str(op, "path", &bad);
  if (!path)
    return fail(st, "%s operation failed to decode path: missing value",
                kind, NULL);
  if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
    if (!(from = op_str(op, "from", &bad)))
      return fail(st, "%s operation failed to decode from: missing value",
                  kind, NULL);
    if (!(con = find_object(doc, from, &fkey, &fklen))) {
      free(fkey);
      return fail(st, "%s operation does not apply: doc is missing from "
                  "path: %s", kind, from);
    }
    cur = con_get(con, fkey, fklen, &idx, &bad);
    if (!strcmp(kind, "move")) {
      if (bad) rc = index_error(st, fkey, bad);
      else rc = con_remove(st, con, fkey, fklen, &v);
      if (rc) rc = wrap(st, rc, "error in move for path:", fkey);
    } else if (bad) {
      rc = wrap(st, index_error(st, fkey, bad), "error in copy for from:",
                from);
    } else if (cur) {
      *copied += count_values(cur);
      if (*copied > MAX_COPIED) {
        st->msg.len = 0;
        rc = kd_buf_printf(&st->msg, "Unable to complete the copy, the "
                           "accumulated size increase of copy is %zu, "
                           "exceeding the limit %d", *copied, MAX_COPIED)
               ? KD_ENOMEM : KD_EINVAL;
      } else {
        rc = kd_value_copy(&v, cur);
      }
    }
    free(fkey);
    if (rc) {
      kd_value_clear(&v);
      return rc;
    }
  } else if (value && (rc = kd_value_copy(&v, value))) {
    return rc;
  }
  con = find_object(doc, path, &key, &klen);
  if (!con) {
    free(key);
    kd_value_clear(&v);
    if (!strcmp(kind, "add"))
      return fail(st, "add operation does not apply: doc is missing path: "
                  "\"%s\"", path, NULL);
    if (!strcmp(kind, "remove"))
      return fail(st, "remove operation does not apply: doc is missing path: "
                  "\"%s\"", path, NULL);
    if (!strcmp(kind, "test"))
      return fail(st, "test operation does not apply: is missing path: %s: "
                  "missing value", path, NULL);
    if (!strcmp(kind, "replace"))
      return fail(st, "replace operation does not apply: doc is missing path: "
                  "%s: missing value", path, NULL);
    return fail(st, "%s operation does not apply: doc is missing destination "
                "path: %s: missing value", kind, path);
  }
  if (!strcmp(kind, "add")) {
    rc = wrap(st, con_add(st, con, key, klen, &v), "error in add for path:",
              path);
  } else if (!strcmp(kind, "remove")) {
    rc = wrap(st, con_remove(st, con, key, klen, NULL),
              "error in remove for path:", path);
  } else if (!strcmp(kind, "replace")) {
    cur = con_get(con, key, klen, &idx, &bad);
    if (bad) {
      rc = fail(st, "replace operation does not apply: doc is missing key: "
                "%s: missing value", path, NULL);
    } else if (cur) {
      kd_value_clear(cur);
      *cur = v;
      kd_value_null(&v);
    } else {   /* v4 get: a missing object key is nil without error */
      rc = con_add(st, con, key, klen, &v);
    }
  } else if (!strcmp(kind, "test")) {
    cur = con_get(con, key, klen, &idx, &bad);
    if (bad == 1)
      rc = wrap(st, index_error(st, key, bad), "error in test for path:",
                path);
    else if (!cur || cur->type == KD_NULL)
      rc = !value || value->type == KD_NULL ? KD_OK
           : fail(st, "testing value %s failed: test failed", path, NULL);
    else if (!value || !sim_patch_value_same(cur, value))
      rc = fail(st, "testing value %s failed: test failed", path, NULL);
  } else if (!strcmp(kind, "move")) {
    rc = wrap(st, con_add(st, con, key, klen, &v), "error in move for path:",
              path);
  } else {
    rc = con_add(st, con, key, klen, &v);
    if (rc == KD_EINVAL) {
      kd_buf b = {0};
      rc = kd_buf_printf(&b, "error while adding value during copy: %s",
                         st->msg.data) ? KD_ENOMEM : KD_EINVAL;
      kd_buf_free(&st->msg);
      st->msg = b;
    }
  }
  kd_value_clear(&v);
  free(key);
  return rc;
}

int sim_patch_json(const kd_value *live, const kd_value *patch,
                   kd_value *out, kd_value *status, kd_error *err)
{
  jp_state st = {{0}};
  size_t i, copied = 0;
  int rc = KD_OK;
  if (patch->type != KD_ARR)
    return sim_patch_fail(status, err, KD_EPARSE, 400, "BadRequest",
                          "json: cannot unmarshal object into Go value of "
                          "type jsonpatch.Patch", NULL);
  if (patch->u.arr.len > MAX_OPS)
    return sim_patch_failf(status, err, KD_EINVAL, 413,
                           "RequestEntityTooLarge",
                           "The allowed maximum operations in a JSON patch "
                           "is %d, got %zu", MAX_OPS, patch->u.arr.len);
  for (i = 0; i < patch->u.arr.len; i++)
    if (patch->u.arr.items[i].type != KD_OBJ)
      return sim_patch_fail(status, err, KD_EPARSE, 400, "BadRequest",
                            "json: cannot unmarshal array into Go value of "
                            "type jsonpatch.Operation", NULL);
  if (kd_value_copy(out, live)) return sim_patch_oom(status, err);
  for (i = 0; i < patch->u.arr.len && rc == KD_OK; i++)
    rc = apply_op(&st, out, &patch->u.arr.items[i], &copied);
  if (rc != KD_OK) {
    kd_value_clear(out);
    kd_value_null(out);
    if (rc == KD_ENOMEM) {
      kd_buf_free(&st.msg);
      return sim_patch_oom(status, err);
    }
    {
      kd_value details;
      kd_value_obj(&details);
      sim_patch_fail(status, err, KD_EINVAL, 422, "Invalid",
                     "the server rejected our request due to an error in "
                     "our request", &details);
      kd_error_set(err, KD_EINVAL, "%s", st.msg.data ? st.msg.data : "");
      if (err) err->http_status = 422;
    }
  }
  kd_buf_free(&st.msg);
  return rc;
}
