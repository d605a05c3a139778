/* engine/tpl/tpl_int.h: internals shared by the template engine's files
 * (executor, function families, their unit tests). Not a public API. */
#ifndef KD_TPL_INT_H
#define KD_TPL_INT_H

#include "tpl.h"

/* The state of one function call, made by the executor for each call.
 * Unit tests of function families may build one on the stack with
 * tpl_call_init and read the message after a failure. */
struct tpl_call {
  const char *fname;          /* the function being called */
  const tpl_options *opt;     /* borrowed */
  int aborted;                /* set by tpl_call_abort: msg is the whole error */
  kd_buf msg;                 /* the error message after a failure */
  void *exec;                 /* the executor's state (NULL in unit tests) */
};

/* Prepares C for a call of FNAME with OPT (may be NULL). */
void tpl_call_init(tpl_call *c, const char *fname, const tpl_options *opt);
/* Frees what C holds (the message). */
void tpl_call_done(tpl_call *c);

/* How a template's own {{ X }} prints native object V (Go's
 * printableValue): the String member when its class has one (Go's
 * Stringer, also through a pointer; not asked of "map" classes, whose
 * members are key lookups), else fmt's %v of the pointed-to value (a
 * "ptr" class prints without the leading "&"). Appends to OUT. */
int tpl_obj_print_direct(tpl_val v, kd_buf *out);

/* ---- SHA-1, SHA-256, SHA-512 (tpl_sha.c) --------------------------------- */

void tpl_sha1(const void *data, size_t len, unsigned char out[20]);
void tpl_sha256(const void *data, size_t len, unsigned char out[32]);
void tpl_sha512(const void *data, size_t len, unsigned char out[64]);

/* ---- UTF-8 and Unicode as Go sees them (tpl_unicode.c) ------------------ */

#define TPL_RUNE_ERROR 0xFFFD
#define TPL_MAX_RUNE 0x10FFFF
/* Decodes the rune at S (LEN > 0) into *R; returns its width in bytes.
 * Invalid or truncated bytes give U+FFFD and width 1, as Go's
 * utf8.DecodeRuneInString. */
int tpl_utf8_decode(const char *s, size_t len, int32_t *r);
/* Encodes R into OUT (invalid runes and surrogates as U+FFFD); returns
 * the width (1..4). */
int tpl_utf8_encode(char out[4], int32_t r);
/* Number of runes in S (each invalid byte counts as one), as
 * utf8.RuneCountInString. */
size_t tpl_utf8_count(const char *s, size_t len);
/* True when S is valid UTF-8 (utf8.ValidString). */
int tpl_utf8_valid(const char *s, size_t len);

/* Unicode classes of Go's unicode package. */
enum {
  TPL_UC_LETTER,   /* IsLetter: L */
  TPL_UC_DIGIT,    /* IsDigit: Nd */
  TPL_UC_NUMBER,   /* IsNumber: N */
  TPL_UC_SPACE,    /* IsSpace: White_Space */
  TPL_UC_UPPER,    /* IsUpper: Lu */
  TPL_UC_LOWER,    /* IsLower: Ll */
  TPL_UC_TITLE,    /* IsTitle: Lt */
  TPL_UC_PUNCT,    /* IsPunct: P */
  TPL_UC_SYMBOL,   /* IsSymbol: S */
  TPL_UC_MARK,     /* IsMark: M */
  TPL_UC_CONTROL,  /* IsControl: Cc */
  TPL_UC_PRINT,    /* IsPrint: L M N P S and U+0020 */
  TPL_UC_GRAPHIC   /* IsGraphic: L M N P S Zs */
};
int tpl_uc_is(int cls, int32_t r);
/* Simple case mappings, as unicode.ToUpper/ToLower/ToTitle. */
int32_t tpl_uc_upper(int32_t r);
int32_t tpl_uc_lower(int32_t r);
int32_t tpl_uc_title(int32_t r);

/* ---- helpers shared by the function families (tpl_fn_util.c) ----------- */

/* Sprig's empty(): nil, false, 0, "", empty list/map; objects never. */
int tpl_empty(tpl_val v);
/* Appends Sprig's strval(V): strings as they are, objects through their
 * class print, everything else as %v. */
int tpl_strval(tpl_val v, kd_buf *b);
/* OUT = strval(V) as a new string. */
int tpl_strval_new(tpl_val v, tpl_val *out);
/* strconv.ParseInt(S, BASE, 64) (BASE 0: Go's prefixes and underscores)
 * and strconv.ParseFloat(S, 64). KD_OK, KD_EPARSE (syntax) or KD_ERANGE
 * (out of range: *OUT holds the clamped value as Go returns it). */
int tpl_parse_int(const char *s, size_t n, int base, int64_t *out);
int tpl_parse_float(const char *s, size_t n, double *out);
/* spf13/cast's ToInt64E / ToFloat64E as Sprig uses them (int, int64,
 * float64, bool, nil, numeric strings). KD_ETYPE when V does not cast;
 * *OUT is 0 then, as cast returns. */
int tpl_cast_int64(tpl_val v, int64_t *out);
int tpl_cast_float64(tpl_val v, double *out);
/* Go's int64(F) on amd64: truncation, 0x8000000000000000 when F is NaN
 * or out of range. */
int64_t tpl_f2i(double f);
/* reflect.DeepEqual: same Go types and equal contents. */
int tpl_deep_equal(tpl_val a, tpl_val b);
/* A new []interface{} holding the items of list L (references). */
int tpl_list_copy(tpl_val l, size_t from, size_t to, tpl_val *out);
/* Fails C with Go's nil-pointer panic text (reflect on a nil value). */
int tpl_nil_deref(tpl_call *c);
/* A new RSA key of BITS bits (>= 1024), e = 65537, made as Go's crypto/rsa
 * makes Helm's (tpl_rsa.c). Returns an owned EVP_PKEY, or NULL. */
struct evp_pkey_st *tpl_rsa_keygen(int bits);
/* Go's strconv.Quote of S (%q of a string) and QuoteRune (%q of a rune),
 * appended to O (tpl_fmt.c). */
void tpl_go_quote(kd_buf *o, const char *s, size_t n);
void tpl_go_quote_rune(kd_buf *o, int32_t r);
/* ---- Go's regexp on PCRE2 (tpl_regex.c) -------------------------------- */

typedef struct tpl_regex tpl_regex;
/* Compiles PAT in Go's RE2 syntax. Returns owned, or NULL: MSG then holds
 * Go's error ("error parsing regexp: missing closing ): `(`"), or is
 * empty when out of memory. */
tpl_regex *tpl_regex_new(const char *pat, size_t len, kd_buf *msg);
void tpl_regex_free(tpl_regex *re);   /* NULL is fine */
/* Number of capture groups; the name of group I (1..ncap, "" unnamed). */
int tpl_regex_ncap(const tpl_regex *re);
const char *tpl_regex_name(const tpl_regex *re, int i);
/* The leftmost-first match in S at or after START (earlier bytes are
 * context for ^ and \b): M gets 2*(ncap+1) offsets (-1: group unset).
 * Returns 1, 0 (no match), KD_ERANGE (match limit), KD_ENOMEM. */
int tpl_regex_exec(tpl_regex *re, const char *s, size_t len, size_t start,
                   long *m);
/* The translation alone (for tests and the fuzzer): OUT gets the PCRE2
 * pattern, *NCAP and NAMES (NUL-separated, may be NULL) the groups.
 * KD_EPARSE with Go's text in MSG, KD_ENOMEM. */
int tpl_regex_translate(const char *pat, size_t len, kd_buf *out,
                        kd_buf *msg, int *ncap, kd_buf *names);

/* Go's base64.StdEncoding.DecodeString into B; *ERR_AT: the offset Go
 * reports ("illegal base64 data at input byte N"), or -1. KD_ENOMEM. */
int tpl_b64_decode(const char *s, size_t len, kd_buf *b, long *err_at);

/* Helm's fromToml reader (tpl_toml_parse.c): OUT a map, or KD_EPARSE
 * with BurntSushi/toml's error text in MSG. */
int tpl_toml_parse(const char *s, size_t n, tpl_val *out, kd_buf *msg);

/* Random bytes through the options' random hook (the OS when NULL);
 * a uniform number in [0, BOUND). KD_EEXEC (call failed) when the source
 * fails. */
int tpl_random_bytes(tpl_call *c, unsigned char *buf, size_t len);
int tpl_random_below(tpl_call *c, uint64_t bound, uint64_t *out);

/* The function tables of the families, gathered by tpl_fn_all.c. */
extern const tpl_func_def tpl_fn_core[], tpl_fn_strings[], tpl_fn_lists[],
    tpl_fn_dicts[], tpl_fn_math[], tpl_fn_encoding[], tpl_fn_crypto[],
    tpl_fn_random[], tpl_fn_regex[], tpl_fn_semver[], tpl_fn_dates[],
    tpl_fn_paths[], tpl_fn_yaml[], tpl_fn_certs[], tpl_fn_toml[];
/* Go's type of V for Sprig's messages ("string", "map[string]interface {}"). */
#define tpl_tname tpl_type_name

#endif
