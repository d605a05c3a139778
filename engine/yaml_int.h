/* engine/yaml_int.h: what yaml.c shares with the fast-path parser in
 * yaml_fast.c. Internal to engine/yaml*, not a public API. */
#ifndef KD_YAML_INT_H
#define KD_YAML_INT_H

#include "value.h"

/* Resolves plain scalar S[0..LEN) (need not be NUL-terminated) as go-yaml
 * v2 does: null, bool, int, float, else string. KD_OK or KD_ENOMEM. */
int yaml_resolve_plain(const char *s, size_t len, kd_value *out);

/* Appends the string form of mapping key K (Helm's JSON conversion turns
 * keys like 1 or true into "1" and "true"). KD_OK or KD_ENOMEM. */
int yaml_key_string(const kd_value *k, kd_buf *out);

/* The fast path: decodes the common block-style subset that Kubernetes
 * manifests and values files use, into OUT (an array of documents).
 * Returns KD_OK, KD_ENOMEM, or YAML_FAST_UNSUPPORTED when the input
 * leaves the subset or is malformed: the caller then decodes it with
 * libyaml, which also words every error. */
#define YAML_FAST_UNSUPPORTED 1
int yaml_fast_decode_stream(const char *data, size_t len, kd_value *out);

/* The general path: libyaml's event parser (every YAML feature, and the
 * error messages). yaml_decode_stream tries the fast path first. */
int yaml_libyaml_decode_stream(const char *data, size_t len,
                               const char *source, kd_value *out,
                               kd_error *err);

/* ---- the emitter's scalar decisions (yaml_scalar.c) ---- */

/* 1 when go-yaml v2 would read S unquoted back as a string (not a bool,
 * null, number or timestamp, and not a base-60 float): the condition for
 * emitting it plain. */
int yaml_plain_is_str(const char *s, size_t len);

/* strconv.ParseFloat succeeds on S, which starts with '.' (Go's literal
 * syntax: '_' between digits), without overflowing. */
int yaml_go_dot_float(const char *s, size_t len);

/* go-yaml's map key order (keyList.Less) for two string keys; V3: the
 * rule of go-yaml v3 (a letter after a digit run sorts first). */
int yaml_key_less(const char *a, size_t alen, const char *b, size_t blen,
                  int v3);
/* True when S is valid UTF-8 as Go's utf8.ValidString sees it. */
int yaml_utf8_valid(const char *s, size_t len);

/* What json.Marshal and then go-yaml v2's parser do to string S before
 * Helm's toYaml emits it: invalid UTF-8 becomes U+FFFD, a raw NEL folds
 * with its spaces. Sets *CHANGED and fills OUT (reset first) when the
 * string differs; else leaves OUT alone. KD_EINVAL when go-yaml would
 * refuse the text (DEL, C1 controls, U+FFFE/U+FFFF: "control characters
 * are not allowed"), KD_ENOMEM. */
int yaml_json_string(const char *s, size_t len, kd_buf *out, int *changed);

#endif
