/* engine/tpl/tpl_fn_yaml.c: Helm's YAML functions: toYaml and mustToYaml
 * (sigs.k8s.io/yaml, go-yaml v2 over JSON), toYamlPretty (go-yaml v3
 * with 2-space indent), fromYaml and fromYamlArray (the first document,
 * numbers as float64, errors in Helm's "Error" entry with Go's text). */
#include "tpl_int.h"
#include "yaml.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

/* Trims the one final newline Helm's toYaml cuts off. */
static int take_trimmed(kd_buf *b, tpl_val *out)
{
  if (!b->data) return tpl_str_cstr(out, "");
  if (b->len && b->data[b->len - 1] == '\n') b->data[--b->len] = 0;
  return tpl_str_take(out, b);
}

/* The first NaN/Inf of V in JSON's key order, for json.Marshal's error. */
static const char *bad_float(const kd_value *v, int depth)
{
  size_t i;
  const char *r = NULL;
  if (depth > 10000) return NULL;
  if (v->type == KD_FLOAT && (isnan(v->u.f) || isinf(v->u.f)))
    return isnan(v->u.f) ? "NaN" : v->u.f > 0 ? "+Inf" : "-Inf";
  for (i = 0; !r && v->type == KD_ARR && i < v->u.arr.len; i++)
    r = bad_float(&v->u.arr.items[i], depth + 1);
  for (i = 0; !r && v->type == KD_OBJ && i < v->u.obj.len; i++)
    r = bad_float(&v->u.obj.m[i].val, depth + 1);
  return r;
}

/* yaml.Marshal as sigs.k8s.io/yaml does it; MUST: fail with its error,
 * else return "" as toYaml swallows errors. */
static int to_yaml(tpl_call *c, tpl_val v, int must, int pretty,
                   tpl_val *out)
{
  kd_value kv;
  kd_buf b = {0};
  kd_error err = {0};
  int rc = tpl_to_kd(v, &kv);
  if (rc == KD_OK)
    rc = pretty ? yaml_encode_pretty(&kv, &b, &err)
                : yaml_encode(&kv, &b, &err);
  if (rc == KD_ERANGE && !pretty && bad_float(&kv, 0))
    snprintf(err.msg, sizeof err.msg,
             "error marshaling into JSON: json: unsupported value: %s",
             bad_float(&kv, 0));
  kd_value_clear(&kv);
  if (rc == KD_OK) return take_trimmed(&b, out);
  kd_buf_free(&b);
  if (rc == KD_ENOMEM) return rc;
  if (must) return tpl_call_fail(c, "%s", err.msg);
  return tpl_str_cstr(out, "");
}

FN(fn_to_yaml) { return to_yaml(c, a[0], 0, 0, out); }
FN(fn_must_to_yaml) { return to_yaml(c, a[0], 1, 0, out); }
FN(fn_to_yaml_pretty) { return to_yaml(c, a[0], 0, 1, out); }

/* The JSON type name of V for json.Unmarshal's "cannot unmarshal X" */
static const char *json_kind(const kd_value *v)
{
  switch (v->type) {
  case KD_ARR: return "array";
  case KD_OBJ: return "object";
  case KD_STR: return "string";
  case KD_BOOL: return "bool";
  default: return "number";
  }
}

/* sigs.k8s.io/yaml.Unmarshal of S into a Go value of type WANT (KD_OBJ
 * or KD_ARR): *OUT the value (null for an empty document), or *MSG the
 * error text. */
static int from_yaml(tpl_val s, kd_type want, tpl_val *out, kd_buf *msg)
{
  kd_value kv;
  kd_error err = {0};
  const char *bad;
  int rc = yaml_decode_go(tpl_sdata(s), tpl_slen(s), &kv, &err);
  *out = tpl_nil();
  if (rc == KD_ENOMEM) return rc;
  if (rc != KD_OK)
    return kd_buf_printf(msg, "error converting YAML to JSON: %s", err.msg);
  if ((bad = bad_float(&kv, 0)))
    rc = kd_buf_printf(msg, "error converting YAML to JSON: json: "
                       "unsupported value: %s", bad);
  else if (kv.type != KD_NULL && kv.type != want)
    rc = kd_buf_printf(msg, "error unmarshaling JSON: while decoding JSON: "
                       "json: cannot unmarshal %s into Go value of type %s",
                       json_kind(&kv), want == KD_OBJ
                       ? "map[string]interface {}" : "[]interface {}");
  else if (kv.type != KD_NULL)
    rc = tpl_from_kd(&kv, TPL_FROM_KD_FLOATS, out);
  kd_value_clear(&kv);
  return rc;
}

/* Helm's fromYaml: a map; an error goes into its "Error" key */
FN(fn_from_yaml)
{
  kd_buf msg = {0};
  tpl_val v, m;
  int rc = from_yaml(a[0], KD_OBJ, &v, &msg);
  if (rc != KD_OK) {
    kd_buf_free(&msg);
    return rc;
  }
  if (v.kind == TPL_MAP) {
    *out = v;
    return KD_OK;
  }
  if ((rc = tpl_map_new(out)) != KD_OK || !msg.data) {
    kd_buf_free(&msg);
    return rc;
  }
  if ((rc = tpl_str_take(&m, &msg)) != KD_OK) return rc;
  return tpl_map_sets(*out, "Error", m);
}

/* Helm's fromYamlArray: a list; an error becomes its only item */
FN(fn_from_yaml_array)
{
  kd_buf msg = {0};
  tpl_val v, m;
  int rc = from_yaml(a[0], KD_ARR, &v, &msg);
  if (rc != KD_OK) {
    kd_buf_free(&msg);
    return rc;
  }
  if (v.kind == TPL_LIST) {
    *out = v;
    return KD_OK;
  }
  if ((rc = tpl_list_new(out, 1)) != KD_OK || !msg.data) {
    kd_buf_free(&msg);
    return rc;
  }
  if ((rc = tpl_str_take(&m, &msg)) != KD_OK) return rc;
  return tpl_list_push(*out, m);
}

const tpl_func_def tpl_fn_yaml[] = {
  {"toYaml", fn_to_yaml, "a"},
  {"mustToYaml", fn_must_to_yaml, "a"},
  {"toYamlPretty", fn_to_yaml_pretty, "a"},
  {"fromYaml", fn_from_yaml, "s"},
  {"fromYamlArray", fn_from_yaml_array, "s"},
  {NULL, NULL, NULL}};
