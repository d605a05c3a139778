/* engine/sim/sim_patch_int.h: internals shared by the sim_patch*.c and
 * sim_schema.c files: the schema table, field sets, errors. Not an API. */
#ifndef SIM_PATCH_INT_H
#define SIM_PATCH_INT_H

#include "sim_patch.h"

/* ---- schema (sim_schema.c) ------------------------------------------
 * What strategic merge patch and server-side apply need to know about a
 * kind: the patchStrategy/patchMergeKey tags (SMP) and the
 * listType/listMapKeys/mapType/structType markers (SSA) of the Go types.
 * A NULL type means the default: objects are structs of named fields with
 * default children, lists are atomic (SMP: replaced), scalars are leaves. */
typedef enum {
  SCH_STRUCT,   /* named fields; unlisted ones have the default type */
  SCH_MAP,      /* map keys (labels, data): granular, elements ELEM */
  SCH_LIST,     /* see smp/ssa */
  SCH_ATOMIC    /* SSA leaf (atomic struct or map); SMP merges as default */
} sch_kind;

enum { SMP_DEFAULT = 0, SMP_MERGE, SMP_REPLACE };
enum { SSA_ATOMIC = 0, SSA_SET, SSA_MAP };

typedef struct sim_schema sim_schema;

typedef struct sim_schema_field {
  const char *name;
  const sim_schema *type;   /* NULL: default */
  int always;               /* present (empty) in a new object: a Go
                               non-pointer struct or non-omitempty list */
} sim_schema_field;

struct sim_schema {
  sch_kind kind;
  const sim_schema_field *fields; /* SCH_STRUCT: until name == NULL */
  const sim_schema *elem;         /* SCH_MAP/SCH_LIST elements (NULL ok) */
  int smp;                        /* SCH_LIST: MERGE or default (replace);
                                     SCH_STRUCT/MAP: REPLACE or default */
  const char *merge_key;          /* SCH_LIST + SMP_MERGE: NULL for
                                     primitive lists (merged as sets) */
  int ssa;                        /* SCH_LIST: ATOMIC, SET or MAP */
  const char *keys[3];            /* SSA_MAP: the listMapKeys */
  const char *key_default[3];     /* their string defaults, or NULL */
};

/* The root type of a kind (api_version "apps/v1" or "v1", kind). Custom
 * and unknown kinds get a typed metadata and default types elsewhere
 * (maps merge, lists atomic). Never NULL. */
const sim_schema *sim_schema_root(const char *api_version, const char *kind,
                                  int custom);
/* Schemas built for one call from a CRD's openAPIV3Schema live here. */
typedef struct sim_schema_arena {
  void **blocks;
  size_t n, cap;
} sim_schema_arena;
/* The root type for CTX: sim_schema_root, or for a custom kind with
 * ctx->crd_schema one built into A (free with sim_schema_arena_free after
 * the last use). Never NULL (out of memory: the untyped custom root). */
const sim_schema *sim_schema_of(const sim_patch_ctx *ctx, sim_schema_arena *a);
void sim_schema_arena_free(sim_schema_arena *a);
/* The type of member KEY of an object typed T (NULL: default); *ALWAYS
 * (may be NULL) tells whether a new object has it. */
const sim_schema *sim_schema_child(const sim_schema *t, const char *key,
                                   size_t klen, int *always);
/* Whether KEY of T is a named struct field (SSA "named fields"). */
int sim_schema_named(const sim_schema *t, const char *key, size_t klen);
/* The element type of a list typed T (NULL: default). */
const sim_schema *sim_schema_elem(const sim_schema *t);
/* SSA relationship of a list typed T. */
int sim_schema_list_ssa(const sim_schema *t);
/* Whether a value typed T is an SSA leaf (atomic) when it holds V. */
int sim_schema_atomic(const sim_schema *t, const kd_value *v);
/* Whether the kind of CTX has a /status subresource (whose fields the
 * main resource does not track). */
int sim_schema_has_status(const sim_patch_ctx *ctx);

/* ---- errors (sim_patch.c) ------------------------------------------- */
/* Fills ERR (code CODE, http_status HTTP, msg MESSAGE) and, when STATUS is
 * not NULL, a metav1.Status with REASON (may be "") and DETAILS (taken:
 * moved into the status or freed; NULL: none). Returns CODE. */
int sim_patch_fail(kd_value *status, kd_error *err, int code, int http,
                   const char *reason, const char *message,
                   kd_value *details);
/* Same with a printf message. */
int sim_patch_failf(kd_value *status, kd_error *err, int code, int http,
                    const char *reason, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 6, 7)))
#endif
  ;
/* Out of memory: a 500 InternalError. */
int sim_patch_oom(kd_value *status, kd_error *err);

/* Appends V formatted like Go's %v of the decoded JSON value
 * (map[a:1 b:[x y]], <nil>). */
int sim_patch_gofmt(const kd_value *v, kd_buf *out);
/* Total order of values as structured-merge-diff compares them: numbers <
 * strings < booleans < lists < maps < null. */
int sim_patch_value_cmp(const kd_value *a, const kd_value *b);
/* Deep equality where 1 and 1.0 differ (as raw JSON compares). */
int sim_patch_value_same(const kd_value *a, const kd_value *b);
/* Removes the member at index I of object O (order kept). */
void sim_patch_obj_del(kd_value *o, size_t i);
/* Removes null members of objects, recursively (arrays keep their nulls
 * but objects inside them are pruned), as merge patch's pruneNulls and
 * decoding into a typed object do. */
void sim_patch_prune_nulls(kd_value *v);
/* Index of KEY in object O or -1. */
long sim_patch_obj_find(const kd_value *o, const char *key, size_t klen);
/* Sets KEY of O to V (moved in; replaced when present). Returns the slot
 * or NULL when out of memory (V is then cleared). */
kd_value *sim_patch_obj_set(kd_value *o, const char *key, size_t klen,
                            kd_value *v);

/* ---- the patch kinds ------------------------------------------------ */
int sim_patch_merge(const kd_value *live, const kd_value *patch,
                    kd_value *out, kd_value *status, kd_error *err);
int sim_patch_json(const kd_value *live, const kd_value *patch,
                   kd_value *out, kd_value *status, kd_error *err);
int sim_patch_smp(const sim_schema *root, const kd_value *live,
                  const kd_value *patch, kd_value *out, kd_value *status,
                  kd_error *err);
int sim_patch_ssa(const sim_patch_ctx *ctx, const kd_value *live,
                  const kd_value *patch, kd_value *out, kd_value *status,
                  kd_error *err);

/* ---- field sets (sim_patch_fields.c) --------------------------------
 * A set of field paths as structured-merge-diff keeps them: a tree of
 * path elements (f: field, k: associative-list key, v: set value, i:
 * index), each node possibly a member itself. */
typedef enum { PE_FIELD = 0, PE_KEY, PE_VALUE, PE_INDEX } pe_kind;

typedef struct fs_node fs_node;
struct fs_node {
  pe_kind kind;
  char *name;        /* PE_FIELD: the name (NUL-terminated, nlen bytes) */
  size_t nlen;
  kd_value val;      /* PE_KEY: object of sorted key fields; PE_VALUE */
  int64_t index;     /* PE_INDEX */
  int member;        /* this path itself is in the set */
  fs_node *kids;     /* sorted by path-element order */
  size_t n, cap;
};

/* An empty set is a zeroed fs_node (the root). */
void sim_fields_clear(fs_node *s);
int sim_fields_copy(fs_node *dst, const fs_node *src);
int sim_fields_empty(const fs_node *s);   /* no member anywhere */
/* The child of S for a path element, created when CREATE; NULL if absent
 * (or out of memory when CREATE). KEYVAL is copied. */
fs_node *sim_fields_child(fs_node *s, pe_kind kind, const char *name,
                          size_t nlen, const kd_value *keyval,
                          int64_t index, int create);
/* Set algebra into OUT (overwritten): a ∪ b, a ∖ b, a ∩ b (members). */
int sim_fields_union(fs_node *out, const fs_node *a, const fs_node *b);
int sim_fields_diff(fs_node *out, const fs_node *a, const fs_node *b);
int sim_fields_inter(fs_node *out, const fs_node *a, const fs_node *b);
/* Removes every member at or under the paths of B from A ("recursive
 * difference"). */
int sim_fields_rdiff(fs_node *a, const fs_node *b);
/* FieldsV1 JSON object <-> set. */
int sim_fields_encode(const fs_node *s, kd_value *out);
int sim_fields_decode(const kd_value *v, fs_node *out, kd_error *err);
/* Appends every member path as ".spec.containers[name=\"x\"].image",
 * one per call of EACH, in order. */
typedef int (*fs_each_fn)(const char *path, void *arg);
int sim_fields_each(const fs_node *s, fs_each_fn each, void *arg);

/* The path element of list item ITEM in a list typed T: a key for SSA
 * maps (with key defaults), the value for sets, the index otherwise.
 * Returns KD_OK or KD_EINVAL with ERR saying why (missing key). */
int sim_fields_item_pe(const sim_schema *t, const kd_value *item,
                       size_t index, pe_kind *kind, kd_value *keyval,
                       kd_error *err);
/* Appends the path element of ITEM, element INDEX of a list typed T, as
 * the typed converter's errors name it: [name="x"], [=v] or [3]. */
int sim_fields_item_path(const sim_schema *t, const kd_value *item,
                         size_t index, kd_buf *b);
/* The field set of V typed T (ToFieldSet). STRICT (an applied
 * configuration): a list item without its key or a duplicate is an error
 * ".path: what"; otherwise (live objects) such items are skipped. */
int sim_fields_of(const sim_schema *t, const kd_value *v, int strict,
                  fs_node *out, kd_error *err);
/* Compare(old, new): ADDED/MODIFIED/REMOVED (each may be NULL). */
int sim_fields_compare(const sim_schema *t, const kd_value *old,
                       const kd_value *nv, fs_node *added,
                       fs_node *modified, fs_node *removed, kd_error *err);
/* Adds the named-field ancestors of every member as members
 * (EnsureNamedFieldsAreMembers). */
int sim_fields_ensure_named(const sim_schema *t, fs_node *s);

/* ---- managedFields (sim_patch_managed.c) ---------------------------- */
typedef struct sim_mgr {
  char *manager, *operation, *api_version, *subresource; /* owned, never
                                                             NULL */
  char *time;        /* owned; NULL: none */
  fs_node set;
} sim_mgr;

typedef struct sim_mgrs {
  sim_mgr *v;
  size_t n, cap;
} sim_mgrs;

void sim_mgrs_free(sim_mgrs *m);
/* Decodes a managedFields list (NULL: none) leniently: entries that are
 * not valid are skipped, duplicates merged. */
int sim_mgrs_decode(const kd_value *list, sim_mgrs *out);
/* The entry of MANAGER with operation OP ("Apply"/"Update") for API_VERSION
 * (ignored for Apply) and SUBRESOURCE (NULL: ""); created when CREATE. */
sim_mgr *sim_mgrs_find(sim_mgrs *m, const char *manager, const char *op,
                       const char *api_version, const char *subresource,
                       int create);
void sim_mgrs_drop_empty(sim_mgrs *m);
/* Writes M (sorted as the real server sorts) into OBJ's
 * metadata.managedFields, or removes it when M is empty. */
int sim_mgrs_store(sim_mgrs *m, kd_value *obj);
/* How conflict messages name a manager: "\"x\" using apps/v1". */
int sim_mgrs_print(const sim_mgr *m, kd_buf *out);
/* Removes from S the paths never tracked (apiVersion, kind, metadata,
 * metadata.name/namespace/uid/...). */
void sim_patch_strip_meta(fs_node *s);
/* The reset fields of CTX's endpoint, not tracked: .status on a main
 * resource with a /status subresource, .spec on /status. */
int sim_patch_ignored(const sim_patch_ctx *ctx, fs_node *out);
/* Takes metadata.managedFields out of OBJ into *OUT (null if absent). */
void sim_patch_take_managed(kd_value *obj, kd_value *out);

#endif
