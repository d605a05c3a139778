/* engine/json.h: JSON decoding into kd_value and encoding from it, as Go's
 * encoding/json does it (what Kubernetes and Helm speak). No Lua. */
#ifndef KD_JSON_H
#define KD_JSON_H

#include "value.h"

/* Maximum nesting of arrays/objects accepted by the decoder. */
#define JSON_MAX_DEPTH 10000

/* Decodes exactly one JSON text from DATA[0..LEN) into OUT (overwritten).
 * Integers that fit int64 stay KD_INT, other numbers are KD_FLOAT.
 * On error OUT is null and ERR says "SOURCE:LINE:COL: what". */
int json_decode(const char *data, size_t len, const char *source,
                kd_value *out, kd_error *err);

/* Event decoding: the same grammar and numbers as json_decode, but the
 * decoder calls SINK in document order instead of building a kd_value,
 * so a caller can build its own structures with no intermediate copy.
 * Object members arrive as string (the key), then the value, then item.
 * A callback returns KD_OK to go on, or a KD_E* code that stops decoding
 * (json_parse returns it; ERR says "too large" for KD_ERANGE). Strings are
 * borrowed for the call. SCRATCH (may be NULL) holds unescaped strings and
 * stays the caller's: one whose memory must survive a longjmp out of a
 * callback (Lua) passes its own. */
typedef struct json_sink {
  int (*null)(void *ud);
  int (*boolean)(void *ud, int b);
  int (*integer)(void *ud, int64_t i);
  int (*number)(void *ud, double f);
  int (*string)(void *ud, const char *s, size_t len);
  int (*begin)(void *ud, int array);
  int (*item)(void *ud, int array, size_t index);   /* after each member */
  int (*end)(void *ud, int array, size_t count);
} json_sink;

int json_parse(const char *data, size_t len, const char *source,
               const json_sink *sink, void *ud, kd_buf *scratch,
               kd_error *err);

/* Tape decoding: the same grammar and numbers again, recorded as one flat
 * array of tokens in document order, with no callback per value; a
 * container's token (first) carries its member count, so a builder can
 * size it before its members; an object's members are a key (a string
 * token) then the value. Strings without escapes are borrowed from DATA,
 * which must outlive the tape's use; unescaped ones are in TEXT. The
 * buffers are the caller's, reused by the next parse and freed by
 * json_tape_free. On error the tape's contents are unspecified. */
enum {
  JSON_T_NULL, JSON_T_FALSE, JSON_T_TRUE, JSON_T_INT, JSON_T_FLOAT,
  JSON_T_STR, JSON_T_ARR, JSON_T_OBJ
};

typedef struct json_token {
  size_t n;                 /* STR: the length; ARR, OBJ: the members */
  union {
    int64_t i;
    double f;
    const char *s;          /* STR in DATA */
    size_t off;             /* STR unescaped: its offset in the tape's text */
  } u;
  unsigned char type;       /* JSON_T_* */
  unsigned char escaped;    /* STR: u.off, not u.s */
} json_token;

typedef struct json_tape {
  kd_buf tokens;            /* json_token[] */
  kd_buf text;              /* unescaped strings */
  size_t max_depth;         /* the most containers open at once */
} json_tape;

int json_tape_parse(const char *data, size_t len, const char *source,
                    json_tape *tape, kd_error *err);
void json_tape_free(json_tape *tape);

static inline const json_token *json_tape_tokens(const json_tape *tape)
{
  return (const json_token *)(const void *)tape->tokens.data;
}

static inline const char *json_token_str(const json_tape *tape,
                                         const json_token *t)
{
  return t->escaped ? tape->text.data + t->u.off : t->u.s;
}

enum {
  JSON_PRETTY = 1,       /* newline + indent (2 spaces), like toPrettyJson */
  JSON_SORT_KEYS = 2,    /* object keys in byte order, like Go maps */
  JSON_ESCAPE_HTML = 4   /* <, >, & as \u003c etc., Go's default */
};

/* Appends the encoding of V to OUT. Returns KD_OK, KD_ENOMEM, or KD_ERANGE
 * for NaN/Inf (which JSON cannot represent). */
int json_encode(const kd_value *v, int flags, kd_buf *out, kd_error *err);

/* Appends S as a JSON string literal (quotes included). */
int json_encode_string(const char *s, size_t len, int flags, kd_buf *out);

/* Formats a float64 the way Go's encoding/json does (shortest round-trip
 * digits; exponent form below 1e-6 and from 1e21). Returns KD_ERANGE for
 * NaN/Inf. */
int json_format_float(double f, kd_buf *out);

/* Shortest decimal digits that read back as finite F != 0: fills DIGITS
 * (no sign, no dot, no trailing zeros; SIZE >= 20) and returns the decimal
 * exponent E such that |F| = 0.DIGITS * 10^E. */
int json_float_digits(double f, char *digits, size_t size);

#endif
