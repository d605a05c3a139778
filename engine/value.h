/* engine/value.h: kd_value, the document tree shared by the codecs (YAML,
 * JSON), the Lua bindings and the engine modules that handle Kubernetes
 * objects. Plain data: a value owns its children; no sharing, no cycles.
 * Objects keep insertion order (encoders decide whether to sort keys). */
#ifndef KD_VALUE_H
#define KD_VALUE_H

#include "kd.h"

typedef enum {
  KD_NULL, KD_BOOL, KD_INT, KD_FLOAT, KD_STR, KD_ARR, KD_OBJ
} kd_type;

typedef struct kd_value kd_value;
typedef struct kd_member kd_member;

struct kd_value {
  kd_type type;
  unsigned char is_uint;   /* KD_INT only: u.i holds the bits of a uint64
                              (Go's uint64 from the template engine) */
  union {
    int b;
    int64_t i;
    double f;
    struct { char *s; size_t len; } str;          /* NUL-terminated too */
    struct { kd_value *items; size_t len, cap; } arr;
    struct { kd_member *m; size_t len, cap; } obj;
  } u;
};

struct kd_member {
  char *key;        /* NUL-terminated; may hold NULs (klen counts them) */
  size_t klen;
  kd_value val;
};

/* Constructors fill *V in place (V borrowed, contents owned by V). The
 * string ones copy S; they return KD_OK or KD_ENOMEM. */
void kd_value_null(kd_value *v);
void kd_value_bool(kd_value *v, int b);
void kd_value_int(kd_value *v, int64_t i);
void kd_value_uint(kd_value *v, uint64_t u);   /* KD_INT with is_uint */
void kd_value_float(kd_value *v, double f);
int kd_value_str(kd_value *v, const char *s, size_t len);
void kd_value_arr(kd_value *v);
void kd_value_obj(kd_value *v);

/* Appends a null slot to array A; returns a pointer to it (valid until the
 * next push) or NULL when out of memory. */
kd_value *kd_arr_push(kd_value *a);
/* Appends member KEY to object O (no duplicate check); returns its value
 * slot (valid until the next add) or NULL when out of memory. */
kd_value *kd_obj_add(kd_value *o, const char *key, size_t klen);
/* The value of KEY in O, or NULL. Borrowed. */
kd_value *kd_obj_get(const kd_value *o, const char *key, size_t klen);
/* Shorthand: kd_obj_get with a NUL-terminated key. */
kd_value *kd_obj_gets(const kd_value *o, const char *key);
/* Follows a dotted path of object keys ("metadata.name"). Borrowed/NULL. */
kd_value *kd_value_path(const kd_value *v, const char *path);

/* Frees what V owns and makes it null. NULL is fine. */
void kd_value_clear(kd_value *v);
/* Deep copy of SRC into DST (DST is overwritten, not freed). */
int kd_value_copy(kd_value *dst, const kd_value *src);
/* Deep equality; ints and floats compare by numeric value. */
int kd_value_equal(const kd_value *a, const kd_value *b);
/* Name of a type: "null", "boolean", "integer", ... */
const char *kd_type_name(kd_type t);

#endif
