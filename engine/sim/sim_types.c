/* engine/sim/sim_types.c: values of the built-in kinds that their Go
 * fields cannot hold, found with the field tables of sim_strict.c the way
 * kube-apiserver finds them when it turns a request into the Go struct:
 *
 * - create, update, merge and JSON patches go through the JSON decoder
 *   (sigs.k8s.io/json, encoding/json's rules): it keeps the first error in
 *   document order, "json: cannot unmarshal string into Go struct field
 *   DeploymentSpec.spec.replicas of type int32" (the innermost struct,
 *   the path of field names without list indices or map keys); an
 *   integer field takes only an integer literal in range ("number 3.0"
 *   and "number 3000000000" for an int32 are errors, with the literal);
 * - strategic merge patches go through the unstructured converter
 *   (runtime.DefaultUnstructuredConverter), which walks the struct fields
 *   in their Go order and words its errors without paths: "unrecognized
 *   type: int32", "cannot convert float64 to int32", "cannot restore
 *   struct from: string"; it takes an integral float for an integer (and
 *   the stored value is that integer).
 *
 * Fields typed 'u' (int-or-string, times) and quantities are not checked. */
#include "sim_strict_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* what a field holds */
typedef enum {
  D_STR, D_I32, D_I64, D_BOOL, D_MAP, D_BYTES_MAP, D_LIST, D_STRUCT,
  D_STRUCT_LIST, D_BYTES
} dest;

typedef struct {
  int conv;    /* 1: the unstructured converter, 0: the JSON decoder */
  kd_buf path; /* the decoder's field path: names joined by dots */
  kd_buf *msg;
  int found;
} tcheck;

static int go_type(dest d, const char *sname, kd_buf *b)
{
  static const char *const names[] = {
    "string", "int32", "int64", "bool", "map[string]string",
    "map[string][]uint8", "[]string", NULL, NULL, "[]uint8"};
  if (d == D_STRUCT) return kd_buf_printf(b, "v1.%s", sname);
  if (d == D_STRUCT_LIST) return kd_buf_printf(b, "[]v1.%s", sname);
  return kd_buf_adds(b, names[d]);
}

/* a number as written: integers exactly; floats in the fewest digits that
 * read back the same, integral ones with ".0" (the decoded body keeps no
 * source text: "3.00" or "3e0" are shown as "3.0") */
static int number_text(const kd_value *v, kd_buf *b)
{
  char tmp[40];
  int prec;
  if (v->type == KD_INT) return kd_buf_printf(b, "%lld", (long long)v->u.i);
  if (v->u.f == floor(v->u.f) && fabs(v->u.f) < 1e21)
    return kd_buf_printf(b, "%.1f", v->u.f);
  for (prec = 1; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v->u.f);
    if (strtod(tmp, NULL) == v->u.f) break;
  }
  snprintf(tmp, sizeof tmp, "%.*g", prec, v->u.f);
  return kd_buf_adds(b, tmp);
}

/* encoding/json's UnmarshalTypeError.Value of V for a field holding D */
static int decoder_what(const kd_value *v, dest d, kd_buf *b)
{
  switch (v->type) {
  case KD_STR: return kd_buf_adds(b, "string");
  case KD_BOOL: return kd_buf_adds(b, "bool");
  case KD_OBJ: return kd_buf_adds(b, "object");
  case KD_ARR: return kd_buf_adds(b, "array");
  default:
    if (d != D_I32 && d != D_I64) return kd_buf_adds(b, "number");
    return kd_buf_adds(b, "number ") || number_text(v, b);
  }
}

/* reflect's Kind of the converter's source value */
static const char *src_kind(const kd_value *v)
{
  switch (v->type) {
  case KD_STR: return "string";
  case KD_BOOL: return "bool";
  case KD_INT: return "int64";
  case KD_FLOAT: return "float64";
  case KD_OBJ: return "map";
  default: return "slice";
  }
}

static int fits(tcheck *c, dest d, kd_value *v)
{
  switch (d) {
  case D_STR: return v->type == KD_STR;
  case D_BOOL: return v->type == KD_BOOL;
  case D_I32:
  case D_I64:
    if (v->type == KD_INT)
      return c->conv || d == D_I64 ||
             (v->u.i >= -2147483648LL && v->u.i <= 2147483647LL);
    if (c->conv && v->type == KD_FLOAT && v->u.f == floor(v->u.f) &&
        fabs(v->u.f) < 9.2e18) {
      kd_value_int(v, (int64_t)v->u.f); /* what the converter stores */
      return 1;
    }
    return 0;
  case D_MAP:
  case D_BYTES_MAP:
  case D_STRUCT: return v->type == KD_OBJ;
  case D_LIST:
  case D_STRUCT_LIST: return v->type == KD_ARR;
  default: return v->type == KD_STR || v->type == KD_ARR; /* D_BYTES */
  }
}

static int converter_error(const kd_value *v, dest d, kd_buf *m)
{
  static const char *const kinds[] = {"string", "int32", "int64", "bool"};
  switch (d) {
  case D_STR: case D_I32: case D_I64: case D_BOOL:
    /* ConvertibleTo without a JSON-compatible conversion */
    if ((d == D_STR && v->type == KD_INT) ||
        (d != D_STR && d != D_BOOL && v->type == KD_FLOAT))
      return kd_buf_printf(m, "cannot convert %s to %s", src_kind(v),
                           kinds[d]);
    return kd_buf_printf(m, "unrecognized type: %s", kinds[d]);
  case D_STRUCT:
    return kd_buf_printf(m, "cannot restore struct from: %s", src_kind(v));
  case D_MAP: case D_BYTES_MAP:
    return kd_buf_printf(m, "cannot restore map from %s", src_kind(v));
  default:
    return kd_buf_printf(m, "cannot restore slice from %s", src_kind(v));
  }
}

/* V (not null) in a field of struct STRCT holding D (of struct SNAME):
 * KD_OK whether it fits or not (c->found tells), or KD_ENOMEM. */
static int check(tcheck *c, const char *strct, dest d, const char *sname,
                 kd_value *v)
{
  kd_buf what = {0}, type = {0};
  int rc;
  if (fits(c, d, v)) return KD_OK;
  c->found = 1;
  if (c->conv) return converter_error(v, d, c->msg);
  rc = decoder_what(v, d, &what) || go_type(d, sname, &type);
  if (!rc)
    rc = kd_buf_printf(c->msg, "json: cannot unmarshal %s into Go struct "
                       "field %s.%s of type %s", what.data, strct,
                       c->path.data ? c->path.data : "", type.data);
  kd_buf_free(&what);
  kd_buf_free(&type);
  return rc ? KD_ENOMEM : KD_OK;
}

static int check_struct(tcheck *c, const sk_field *t, const char *strct,
                        kd_value *obj, int top);

/* the elements of a map or list V whose elements hold D */
static int check_elems(tcheck *c, const char *strct, dest d,
                       const sk_field *sub, kd_value *v)
{
  size_t i, n = v->type == KD_OBJ ? v->u.obj.len : v->u.arr.len;
  const char *sname = sub ? sim_strict_struct(sub) : NULL;
  int rc = KD_OK;
  if (sub && !sname) sname = "?";
  for (i = 0; i < n && !rc && !c->found; i++) {
    kd_value *e = v->type == KD_OBJ ? &v->u.obj.m[i].val : &v->u.arr.items[i];
    if (e->type == KD_NULL) continue;
    rc = check(c, strct, d, sname, e);
    if (!rc && !c->found && sub) rc = check_struct(c, sub, sname, e, 0);
  }
  return rc;
}

static dest scalar_dest(char type)
{
  switch (type) {
  case 'n': return D_I32;
  case 'N': return D_I64;
  case 'b': return D_BOOL;
  case 'm': return D_MAP;
  case 'y': return D_BYTES_MAP;
  case 'l': return D_LIST;
  default: return D_STR;
  }
}

static int check_field(tcheck *c, const sk_field *f, const char *strct,
                       kd_value *v)
{
  const char *sname = f->sub ? sim_strict_struct(f->sub) : NULL;
  dest d;
  int rc;
  if (v->type == KD_NULL) return KD_OK;
  if (f->sub) {
    if (!sname) sname = "?"; /* a table missing from struct_names */
    d = f->type == 'L' ? D_STRUCT_LIST : D_STRUCT;
    rc = check(c, strct, d, sname, v);
    if (rc || c->found) return rc;
    return d == D_STRUCT ? check_struct(c, f->sub, sname, v, 0)
                         : check_elems(c, strct, D_STRUCT, f->sub, v);
  }
  if (!strchr("snNbmyl", f->type) || !f->type) return KD_OK;
  d = scalar_dest(f->type);
  rc = check(c, strct, d, NULL, v);
  if (rc || c->found) return rc;
  if (d == D_MAP || d == D_LIST) return check_elems(c, strct, D_STR, NULL, v);
  if (d == D_BYTES_MAP) return check_elems(c, strct, D_BYTES, NULL, v);
  return KD_OK;
}

/* one field F of OBJ's member M, its name on the decoder's path */
static int check_member(tcheck *c, const sk_field *f, const char *strct,
                        kd_value *v)
{
  size_t len = c->path.len;
  int rc;
  if ((len && kd_buf_addc(&c->path, '.')) || kd_buf_adds(&c->path, f->name))
    return KD_ENOMEM;
  rc = check_field(c, f, strct, v);
  c->path.len = len;
  c->path.data[len] = '\0';
  return rc;
}

/* The struct OBJ (an object) described by T, named STRCT. The TypeMeta
 * of the top level is left alone: the kind was found before decoding. */
static int check_struct(tcheck *c, const sk_field *t, const char *strct,
                        kd_value *obj, int top)
{
  const sk_field *f;
  size_t i;
  int rc = KD_OK;
  if (c->conv) { /* the Go struct's order */
    for (f = t; f->name && !rc && !c->found; f++) {
      kd_value *v = kd_obj_gets(obj, f->name);
      if (v && !(top && f->sub == NULL && f->type == 's' &&
                 (!strcmp(f->name, "apiVersion") || !strcmp(f->name, "kind"))))
        rc = check_member(c, f, strct, v);
    }
    return rc;
  }
  for (i = 0; i < obj->u.obj.len && !rc && !c->found; i++) { /* the body's */
    const kd_member *m = &obj->u.obj.m[i];
    for (f = t; f->name; f++)
      if (strlen(f->name) == m->klen && !memcmp(f->name, m->key, m->klen))
        break;
    if (!f->name || (top && (!strcmp(f->name, "apiVersion") ||
                             !strcmp(f->name, "kind"))))
      continue;
    rc = check_member(c, f, strct, &obj->u.obj.m[i].val);
  }
  return rc;
}

int sim_type_error(const sim_resource *r, kd_value *obj, int conv,
                   kd_buf *msg)
{
  const sk_field *t = sim_strict_fields(r);
  tcheck c = {conv, {0}, msg, 0};
  int rc;
  if (!t || obj->type != KD_OBJ) return 0;
  rc = check_struct(&c, t, r->kind, obj, 1);
  kd_buf_free(&c.path);
  return rc ? KD_ENOMEM : c.found;
}

void sim_types_yaml_numbers(kd_value *v)
{
  size_t i;
  if (v->type == KD_FLOAT && v->u.f == floor(v->u.f) &&
      fabs(v->u.f) < 9.2e18)
    kd_value_int(v, (int64_t)v->u.f);
  else if (v->type == KD_OBJ)
    for (i = 0; i < v->u.obj.len; i++)
      sim_types_yaml_numbers(&v->u.obj.m[i].val);
  else if (v->type == KD_ARR)
    for (i = 0; i < v->u.arr.len; i++)
      sim_types_yaml_numbers(&v->u.arr.items[i]);
}
