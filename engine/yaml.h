/* engine/yaml.h: YAML decoding into kd_value (libyaml) and encoding from it
 * byte-identical to Helm's toYaml (sigs.k8s.io/yaml over go-yaml v2).
 * No Lua. Decoding lives in yaml.c, encoding in yaml_emit.c. */
#ifndef KD_YAML_H
#define KD_YAML_H

#include "value.h"

/* Decoding follows go-yaml v2 as Helm uses it for values and manifests:
 * YAML 1.1 plain scalars (y/yes/on/true... booleans, ~/null, 0x1F, 0o17,
 * 0777 octal, 1_000, 1e3, .inf, .nan), anchors, aliases and `<<` merge keys
 * (later keys win over merged ones). Integers that fit int64 are KD_INT;
 * quoted scalars and anything tagged !!str stay strings. Timestamps stay
 * strings. Duplicate mapping keys are an error with line and column.
 * Mapping keys that are not strings (numbers, booleans) are turned into
 * their string form, as Helm's JSON conversion does. */

/* Decodes every document of the stream into OUT, an array (overwritten).
 * Empty documents (only comments or nothing between `---`) become nulls.
 * Errors: "SOURCE:LINE:COL: what" in ERR, OUT left null. */
int yaml_decode_stream(const char *data, size_t len, const char *source,
                       kd_value *out, kd_error *err);

/* Decodes a stream that must hold at most one document (none: null). */
int yaml_decode(const char *data, size_t len, const char *source,
                kd_value *out, kd_error *err);

/* Decodes the first document of DATA as Helm's fromYaml does
 * (sigs.k8s.io/yaml.Unmarshal over go-yaml v2): later documents are not
 * read, a repeated key keeps its last value, and errors are go-yaml's own
 * text in ERR->msg ("yaml: line 1: did not find expected ',' or ']'").
 * No document: null. */
int yaml_decode_go(const char *data, size_t len, kd_value *out,
                   kd_error *err);

/* Appends V as YAML exactly as yaml.Marshal in sigs.k8s.io/yaml prints it,
 * which is Helm's toYaml plus the one final newline toYaml trims: the JSON
 * round trip (invalid UTF-8 -> U+FFFD, floats as JSON prints them), keys
 * in go-yaml v2's order, 2-space indent, sequences flush under their key,
 * go-yaml v2's quoting, `|`/`|-`/`|+` block scalars, strings folded past
 * column 80, `{}`/`[]` for empty collections.
 * Returns KD_OK; KD_ERANGE for NaN/Inf or nesting deeper than 10000;
 * KD_EINVAL for text go-yaml refuses (DEL, C1 controls, U+FFFE/U+FFFF:
 * Helm's toYaml then prints ""); KD_ENOMEM. On error OUT is as it was.
 * One known gap: go-yaml's key order is not transitive when digit runs meet
 * letters ("9" < "010" < "0x10" < "9"); Helm's own output for such key
 * sets changes from run to run, ours is one fixed order. */
int yaml_encode(const kd_value *v, kd_buf *out, kd_error *err);

/* Appends V as go-yaml v3's Encoder with SetIndent(2) prints it (Helm's
 * toYamlPretty, plus its final newline): no JSON round trip, so floats in
 * strconv 'g' form (1e+06) and .nan/.inf, sequences indented under their
 * key, no folding of long lines, v3's key order, text that is not UTF-8
 * as !!binary base64. Errors as yaml_encode (nesting, memory). */
int yaml_encode_pretty(const kd_value *v, kd_buf *out, kd_error *err);

#endif
