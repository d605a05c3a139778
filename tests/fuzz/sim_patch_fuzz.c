/* tests/fuzz/sim_patch_fuzz.c: libFuzzer target for engine/sim/sim_patch.
 * Input: one mode byte (patch type and kind), the live object as JSON, a
 * NUL byte, the patch body. Every patch type runs, then the managedFields
 * bookkeeping of an update; nothing may crash or leak, and a successful
 * patch must give an object. */
#include "json.h"
#include "sim/sim_patch.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const struct { const char *av, *kind; int custom; } kinds[] = {
  {"apps/v1", "Deployment", 0}, {"v1", "ConfigMap", 0}, {"v1", "Service", 0},
  {"v1", "Pod", 0}, {"batch/v1", "Job", 0}, {"ex.com/v1", "Widget", 1},
  {"policy/v1", "PodDisruptionBudget", 0}, {"v1", "Namespace", 0}};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const unsigned char *sep;
  sim_patch_ctx ctx;
  sim_patch_type type;
  kd_value live, patch, out, status, again, st2;
  kd_error err = {0};
  size_t k;
  if (size < 2) return 0;
  sep = memchr(data + 1, 0, size - 1);
  if (!sep) return 0;
  k = (data[0] >> 2) % (sizeof kinds / sizeof *kinds);
  type = (sim_patch_type)(1 + (data[0] & 3));
  memset(&ctx, 0, sizeof ctx);
  ctx.api_version = kinds[k].av;
  ctx.kind = kinds[k].kind;
  ctx.custom = kinds[k].custom;
  ctx.manager = (data[0] & 0x40) ? "kubectl" : "fuzz";
  ctx.force = type == SIM_PATCH_APPLY && (data[0] & 0x80);
  ctx.now = "2025-01-01T00:00:00Z";
  if (json_decode((const char *)data + 1, (size_t)(sep - data - 1), "live",
                  &live, &err) != KD_OK)
    return 0;
  if (live.type != KD_OBJ) {
    kd_value_clear(&live);
    return 0;
  }
  if (sim_patch_decode(type, (const char *)sep + 1,
                       size - (size_t)(sep - data) - 1, &patch, &status,
                       &err) != KD_OK) {
    kd_value_clear(&status);
    kd_value_clear(&live);
    return 0;
  }
  if (sim_patch_apply(&ctx, type, &live, &patch, &out, &status, &err) ==
      KD_OK) {
    if (out.type != KD_OBJ) abort();
    if (type != SIM_PATCH_APPLY)
      sim_patch_track_update(&ctx, &live, &out, &err);
    /* and the result as the live object of another apply */
    if (type == SIM_PATCH_APPLY &&
        sim_patch_apply(&ctx, type, &out, &patch, &again, &st2, &err) ==
          KD_OK && again.type != KD_OBJ)
      abort();
    if (type == SIM_PATCH_APPLY) {
      kd_value_clear(&again);
      kd_value_clear(&st2);
    }
  } else if (status.type != KD_OBJ && err.code != KD_ENOMEM) {
    abort();   /* every failure comes with a Status */
  }
  kd_value_clear(&out);
  kd_value_clear(&status);
  kd_value_clear(&patch);
  kd_value_clear(&live);
  return 0;
}
