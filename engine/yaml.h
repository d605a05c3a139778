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

/* Appends V as YAML, exactly as Helm's toYaml prints it: keys sorted,
 * 2-space indent, sequences not indented under their key, go-yaml v2's
 * quoting, `|-`/`|` block scalars for multi-line strings, a final newline.
 * Returns KD_OK, KD_ENOMEM, or KD_ERANGE when nested too deeply. */
int yaml_encode(const kd_value *v, kd_buf *out, kd_error *err);

#endif
