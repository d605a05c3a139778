/* engine/sim/sim_mpatch.h: interim patch entry point of the PATCH handler
 * (see sim_mpatch.c); replaced by engine/sim/sim_patch.h when it lands. */
#ifndef KD_SIM_MPATCH_H
#define KD_SIM_MPATCH_H

#include "value.h"

enum {
  SIM_PATCH_JSON = 1,       /* application/json-patch+json */
  SIM_PATCH_MERGE,          /* application/merge-patch+json */
  SIM_PATCH_STRATEGIC,      /* application/strategic-merge-patch+json */
  SIM_PATCH_APPLY           /* application/apply-patch+yaml */
};

/* Applies PATCH of TYPE to ORIG (NULL: empty object) into OUT (owned).
 * Errors: KD_EPARSE for a malformed patch (400), KD_EINVAL for one that
 * does not apply (422), with a message in ERR. */
int sim_mpatch_apply(int type, const kd_value *orig, const kd_value *patch,
                     kd_value *out, kd_error *err);

#endif
