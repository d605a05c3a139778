/* engine/tpl/tpl.h: a Go text/template engine with Helm's function library.
 * No Lua. Three parts share this header:
 *   - values (tpl_value.c): Go's dynamic values as Helm's templates see them;
 *   - functions (tpl_fn_*.c): the Sprig/Helm library, registered by table;
 *   - templates (lexer, parser, executor): parse a set of named templates and
 *     execute one of them against a data value.
 * The chart engine (engine/chart) builds the data (.Values, .Release, .Files,
 * .Capabilities ...) with the value API and renders through the set API. */
#ifndef KD_TPL_H
#define KD_TPL_H

#include "kd.h"
#include "value.h"

/* ---- values ------------------------------------------------------------- */

/* Go's dynamic kinds. Numbers from YAML/JSON values are float64 (Helm reads
 * values through JSON), numbers made by functions (len, int, add, atoi) and
 * by --set are ints. Maps are map[string]interface{} (string keys only). */
typedef enum {
  TPL_NIL,    /* Go nil: missing map keys, `nil`, empty interface */
  TPL_BOOL,
  TPL_INT,    /* sub: TPL_GO_INT (Go int) or TPL_GO_INT64 */
  TPL_FLOAT,  /* float64 */
  TPL_STR,
  TPL_LIST,   /* sub: TPL_ELEM_ANY ([]interface {}) or TPL_ELEM_STR ([]string) */
  TPL_MAP,    /* map[string]interface {} */
  TPL_OBJ     /* a native object: struct or named type with fields/methods */
} tpl_kind;

enum { TPL_GO_INT = 0, TPL_GO_INT64 = 1,      /* sub of TPL_INT */
       TPL_GO_UINT64 = 2,     /* semver's Major/Minor/Patch (held < 2^63) */
       TPL_GO_UINT8 = 3 };    /* a byte: index of a string */
enum { TPL_STR_PLAIN = 0,   /* sub of TPL_STR: string */
       TPL_STR_BYTES = 1 }; /* []uint8 (.Files.GetBytes): prints as [104 105]
                               under %v and %d, is not a string parameter,
                               marshals as base64; else acts as its text */
enum { TPL_ELEM_ANY = 0, TPL_ELEM_STR = 1,     /* sub of TPL_LIST */
       TPL_ELEM_INT = 2,   /* []int (until, untilStep) */
       TPL_ELEM_LIST = 3   /* [][]interface {} (chunk) */ };
enum { TPL_MAPV_ANY = 0,    /* sub of TPL_MAP: map[string]interface {} */
       TPL_MAPV_STR = 1,    /* map[string]string (split, splitn) */
       TPL_MAPV_VALUES = 2  /* Helm's common.Values (named map type of
                               .Values, ., .Template); a map parameter
                               receives it as map[string]interface {} */ };

typedef struct tpl_str tpl_str;
typedef struct tpl_list tpl_list;
typedef struct tpl_map tpl_map;
typedef struct tpl_obj tpl_obj;

/* A value is small and passed by value. Strings, lists, maps and objects
 * are reference-counted: tpl_ref/tpl_unref. Strings are immutable. Lists
 * are immutable once shared (a builder may push while it holds the only
 * reference). Maps are mutable and shared, like Go maps: `set` on a map is
 * seen by every holder. A value "owned" by someone holds one reference. */
typedef struct tpl_val {
  unsigned char kind;   /* tpl_kind */
  unsigned char sub;
  union {
    int b;
    int64_t i;
    double f;
    tpl_str *s;
    tpl_list *l;
    tpl_map *m;
    tpl_obj *o;
  } u;
} tpl_val;

/* Scalars: no allocation, nothing to release. */
tpl_val tpl_nil(void);
tpl_val tpl_bool(int b);
tpl_val tpl_int(int64_t i);     /* Go int */
tpl_val tpl_int64(int64_t i);   /* Go int64 */
tpl_val tpl_uint64(uint64_t u); /* Go uint64 (stored in u.i) */
tpl_val tpl_float(double f);

/* Adds a reference; returns V. */
tpl_val tpl_ref(tpl_val v);
/* Drops a reference (frees at zero). Scalars and NULL-free values are fine. */
void tpl_unref(tpl_val v);

/* Strings: OUT gets a new string (owned) copying S[0..LEN). KD_ENOMEM. */
int tpl_str_new(tpl_val *out, const char *s, size_t len);
int tpl_str_cstr(tpl_val *out, const char *s);
/* Takes the bytes of B (B is reset) as a new string. */
int tpl_str_take(tpl_val *out, kd_buf *b);
/* Bytes (NUL-terminated) and length of a TPL_STR. Borrowed. */
const char *tpl_sdata(tpl_val v);
size_t tpl_slen(tpl_val v);

/* Lists. */
int tpl_list_new(tpl_val *out, size_t cap_hint);   /* []interface {} */
/* Appends ITEM (takes ownership, also on failure). KD_ENOMEM. */
int tpl_list_push(tpl_val list, tpl_val item);
size_t tpl_list_len(tpl_val list);
/* Item I (< len), borrowed. */
tpl_val tpl_list_at(tpl_val list, size_t i);

/* Maps: keys kept sorted (Go prints and ranges maps in key order). */
int tpl_map_new(tpl_val *out);
/* Sets KEY to V (takes ownership of V, also on failure); replaces (and
 * releases) an existing value. KD_ENOMEM. */
int tpl_map_set(tpl_val map, const char *key, size_t klen, tpl_val v);
int tpl_map_sets(tpl_val map, const char *key, tpl_val v);
/* The value of KEY, borrowed, or NULL when absent. */
const tpl_val *tpl_map_get(tpl_val map, const char *key, size_t klen);
const tpl_val *tpl_map_gets(tpl_val map, const char *key);
/* Removes KEY (no-op when absent). */
void tpl_map_del(tpl_val map, const char *key, size_t klen);
size_t tpl_map_len(tpl_val map);
/* The I-th entry in key order: key (borrowed, NUL-terminated) and value. */
const char *tpl_map_key_at(tpl_val map, size_t i, size_t *klen);
tpl_val tpl_map_val_at(tpl_val map, size_t i);

/* Native objects. A class says how the engine reaches into the object.
 * `member` serves both `.Name` (nargs 0) and method calls `.Name a b`;
 * it returns KD_OK with *OUT owned, KD_ENOTFOUND when the object has no
 * such field or method (the executor then words Go's error), or an error
 * code after tpl_call_fail. The name TPL_MEMBER_ITEMS ("", which no field
 * can have) asks for the object as a collection: the list or map that
 * range, len and index see (a Go named map or slice type), KD_ENOTFOUND
 * when it is not one. */
#define TPL_MEMBER_ITEMS ""
typedef struct tpl_call tpl_call;
typedef struct tpl_class {
  const char *type_name;   /* Go's %T / typeOf, e.g. "*semver.Version" */
  const char *kind_name;   /* reflect kind for kindOf, e.g. "ptr", "struct" */
  int (*member)(tpl_call *c, tpl_obj *o, const char *name,
                const tpl_val *args, int nargs, tpl_val *out);
  /* Appends the object as %v prints it (a Stringer's String()). */
  int (*print)(tpl_obj *o, kd_buf *b);
  /* What toJson/toYaml marshal it as (owned), or NULL: marshal as {}. */
  int (*marshal)(tpl_obj *o, tpl_val *out);
  /* Truth value for if/and/or/not/empty (NULL: always true). */
  int (*truth)(tpl_obj *o);
  void (*free)(void *data);   /* releases DATA; may be NULL */
} tpl_class;

/* A new object of class CLS (borrowed, must outlive the object) holding
 * DATA (the object takes ownership: CLS->free(DATA) at the last unref;
 * on failure DATA is freed at once). */
int tpl_obj_new(tpl_val *out, const tpl_class *cls, void *data);
const tpl_class *tpl_obj_class(tpl_val v);
void *tpl_obj_data(tpl_val v);
/* The collection view of V for range, len and index: when V is an object
 * whose class answers TPL_MEMBER_ITEMS, *OUT gets that list or map (owned)
 * and 1 is returned; otherwise 0 (*OUT untouched), or KD_ENOMEM. */
int tpl_collection(tpl_val v, tpl_val *out);

/* Conversions with the document tree used by the codecs. Map keys become
 * sorted; KD_INT becomes int64 and KD_FLOAT float64, unless
 * TPL_FROM_KD_FLOATS is given: then every number becomes float64 (values
 * files, fromYaml, fromJson: Helm goes through JSON). */
enum { TPL_FROM_KD_FLOATS = 1 };
int tpl_from_kd(const kd_value *v, int flags, tpl_val *out);
/* Native objects become their marshal value; NaN/Inf stay floats (the
 * encoder reports them). KD_ERANGE when nested too deeply (cycles). */
int tpl_to_kd(tpl_val v, kd_value *out);

/* Go's truth: false, 0, nil, "", empty list/map are false. */
int tpl_truth(tpl_val v);
/* Go's %T name: "string", "float64", "int", "int64", "bool",
 * "[]interface {}", "[]string", "map[string]interface {}", "<nil>", or the
 * class's type_name. kindOf: "string", "float64", "int", "slice", "map",
 * "bool", "invalid", or the class's kind_name. */
const char *tpl_type_name(tpl_val v);
const char *tpl_kind_name(tpl_val v);

/* ---- formatting (Go's fmt, in tpl_fmt.c) -------------------------------- */

/* Appends V as fmt's %v prints it: maps as map[k:v ...] in key order,
 * lists as [a b], nil as <nil>, floats in %g form with Go's exponent
 * rules (1e+06), objects through their class's print. */
int tpl_fmt_v(kd_buf *b, tpl_val v);
/* Go's fmt.Sprintf(FORMAT, ARGS...) with Go's verbs, flags, width,
 * precision and its error notations (%!d(string=x), %!(EXTRA ...)). */
int tpl_sprintf(kd_buf *b, const char *format, size_t flen,
                const tpl_val *args, int nargs);
/* Go's fmt.Sprint (a space between operands when neither is a string)
 * and fmt.Sprintln (spaces between all, a final newline). */
int tpl_sprint(kd_buf *b, const tpl_val *args, int nargs);
int tpl_sprintln(kd_buf *b, const tpl_val *args, int nargs);

/* ---- functions ---------------------------------------------------------- */

/* A template function. ARGS are borrowed; on success *OUT is owned by the
 * caller. Errors: return tpl_call_fail(c, ...); the executor reports them
 * as Go does ("error calling NAME: MESSAGE"). */
typedef int (*tpl_fn)(tpl_call *c, const tpl_val *args, int nargs,
                      tpl_val *out);

/* One entry of a function table. SIG is the Go signature the executor
 * checks and converts arguments against, one letter per parameter:
 *   a interface{}   s string   i int   I int64   f float64   b bool
 *   l []interface{} m map[string]interface{}
 *   u uint32 (only constants convert: no value has that type; the function
 *     gets its low 32 bits as an int64)
 * with `*` after the last letter when that parameter is variadic ("s*":
 * any number of strings; "sa*": one string, then any number of values).
 * Untyped constants convert as Go does (1 -> int or float64 as the
 * parameter wants); a value of the wrong type is Go's "wrong type for
 * value; expected string; got float64" error. */
typedef struct tpl_func_def {
  const char *name;
  tpl_fn fn;
  const char *sig;
} tpl_func_def;

/* Fails the running call with a printf message (Go's error text, without
 * the "error calling NAME:" prefix). Returns KD_EEXEC. */
int tpl_call_fail(tpl_call *c, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
  ;
/* Fails with a user message, as Helm's fail and required do: the executor
 * reports it as "error calling NAME: HELM_ERR_START<msg>HELM_ERR_END"
 * (Helm's own form), which Helm shows as "execution error at (LOCATION):
 * MSG". Returns KD_EEXEC. */
int tpl_call_abort(tpl_call *c, const char *msg, size_t len);
/* The engine options of the running template (lookup hook, random source,
 * clock): see tpl_options. Borrowed. */
const struct tpl_options *tpl_call_options(tpl_call *c);
/* Parses and executes TEXT as a template in the running set, with DATA as
 * dot (Helm's `tpl`), or executes the named template (Helm's `include`).
 * Output is appended to OUT. Recursion is bounded as in Helm. */
int tpl_call_tpl(tpl_call *c, const char *text, size_t len, tpl_val data,
                 kd_buf *out);
int tpl_call_include(tpl_call *c, const char *name, tpl_val data,
                     kd_buf *out);

/* The Sprig/Helm function library (tpl_fn_*.c, one table per family:
 * strings, lists, dicts, math, conversion, encoding, crypto, semver,
 * regex, dates ...), gathered in tpl_fn_all.c as a NULL-terminated list of
 * tables, each ending with {NULL, NULL, NULL}. The Go builtins (and, or,
 * len, index, printf ...) and the functions that need the executor
 * (include, tpl, required, fail, lookup) belong to the executor itself. */
extern const tpl_func_def *const tpl_fn_library[];

/* ---- templates ---------------------------------------------------------- */

/* Method signatures of a native class (tpl_class), so the arguments of
 * method calls convert and fail as Go's do ("expected string; found 1",
 * "wrong number of args for Get: want 1 got 2"): SIG gives the Go
 * signature of method NAME in tpl_func_def letters ("s" for Files.Get),
 * or NULL when NAME is a field. Without an entry for its class, a call's
 * arguments are passed as interface{} values. */
typedef struct tpl_methods {
  const tpl_class *cls;
  const char *(*sig)(const char *name);
} tpl_methods;

/* Host hooks and behaviour switches for one set. Everything may be 0.
 * Deeply nested templates continue on engine-made threads with big
 * stacks (the calling thread waits), so a hook or function may run on
 * another thread than tpl_set_exec's caller, never concurrently. */
typedef struct tpl_options {
  /* Function tables on top of Go's builtins, NULL-terminated (usually
   * tpl_fn_library); NULL: builtins only. Later tables win, and a table
   * replaces a builtin of the same name (as Sprig's slice replaces Go's);
   * Helm's include, tpl, required, fail and lookup always stay. */
  const tpl_func_def *const *funcs;
  /* Helm's lookup(apiVersion, kind, namespace, name): fill *OUT (owned)
   * with the object, a list {items: [...]} for an empty name, or an empty
   * map when not found. NULL hook: lookup returns an empty map (offline
   * render, as `helm template` does). */
  int (*lookup)(void *ctx, const char *api_version, const char *kind,
                const char *ns, const char *name, tpl_val *out,
                kd_error *err);
  void *lookup_ctx;
  /* Fills BUF with N random bytes; NULL: the OS random source. */
  int (*random)(void *ctx, unsigned char *buf, size_t n);
  void *random_ctx;
  /* Seconds and nanoseconds since the epoch for `now`; NULL: the clock. */
  int (*now)(void *ctx, int64_t *sec, long *nsec);
  void *now_ctx;
  int missing_key_error;   /* Go's missingkey=error (Helm --strict);
                              otherwise Helm's missingkey=zero */
  /* Go's name of the set itself, as in "no template X associated with
   * template NAME" and for the text of `tpl` (NULL: Helm's "gotpl"). */
  const char *name;
  /* Action delimiters (NULL: "{{" and "}}"). */
  const char *left_delim, *right_delim;
  /* Stop an execution after this many evaluation steps (0: no limit; a
   * guard for untrusted templates, Go has none). */
  long max_steps;
  /* Method signatures of native classes, {NULL, NULL}-terminated. */
  const tpl_methods *methods;
} tpl_options;

typedef struct tpl_set tpl_set;

/* A new empty set; OPT is copied (its ctx pointers are borrowed). */
tpl_set *tpl_set_new(const tpl_options *opt, kd_error *err);
void tpl_set_free(tpl_set *s);   /* NULL is fine */
/* Parses TEXT (copied) as template NAME into the set, adding every
 * define/block it contains. As in Go, a later definition replaces an
 * earlier one, except that an empty one (only space and comments) never
 * replaces a non-empty one; two non-empty definitions of a name in one
 * TEXT are an error. Call it per file in Helm's order (deepest paths
 * first). Errors in Go's form: "template: NAME:LINE: message"; nothing is
 * added to the set then. */
int tpl_set_parse(tpl_set *s, const char *name, const char *text,
                  size_t len, kd_error *err);
/* True when the set holds a template called NAME. */
int tpl_set_has(const tpl_set *s, const char *name);
/* Executes template NAME with DATA (borrowed) as dot, appending the
 * output to OUT. Errors in Go's form: "template: NAME:LINE:COL: executing
 * \"NAME\" at <.Values.x>: message". OUT may hold partial output then.
 * As in Go, a missing value prints "<no value>" (Helm removes it from the
 * rendered file afterwards); fail and required report their message as
 * Helm does, between HELM_ERR_START and HELM_ERR_END. */
int tpl_set_exec(tpl_set *s, const char *name, tpl_val data, kd_buf *out,
                 kd_error *err);
/* The full text of the last parse or exec error of S (kd_error.msg is
 * truncated; Helm's messages can be long). Borrowed, "" when none. */
const char *tpl_set_error(const tpl_set *s);

#endif
