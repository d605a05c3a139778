/* engine/sim/sim_proto.h: Kubernetes protobuf request bodies -> kd_value
 * (the kinds typed clients send; see sim_proto.c). No Lua. */
#ifndef KD_SIM_PROTO_H
#define KD_SIM_PROTO_H

#include "value.h"

/* Decodes DATA[0..LEN) ("k8s\0" + runtime.Unknown) into OUT, shaped as
 * the JSON encoding of the same object. KD_EPARSE: malformed (400);
 * KD_EINVAL: a kind or field we have no schema for (415). */
int sim_proto_decode(const char *data, size_t len, kd_value *out,
                     kd_error *err);

#endif
