/* tests/bench/sim_patch_bench.c: cost of the sim's patch logic on a real
 * Deployment (the podinfo chart's, as the sim stores it), printed as a
 * ratio to decoding plus encoding the same object as JSON, measured in the
 * same run. Usage: sim_patch_bench LIVE.json CONFIG.yaml [SECONDS] */
#include "json.h"
#include "sim/sim_patch.h"
#include "yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
  const char *name;
  sim_patch_type type;
  kd_value patch;
} bench_case;

int main(int argc, char **argv)
{
  size_t llen, clen, i;
  kd_error err = {0};
  char *ltext, *ctext;
  kd_value live, cfg, smp, mp;
  double secs = argc > 3 ? atof(argv[3]) : 1.0, t0, ref;
  long n;
  sim_patch_ctx ctx;
  bench_case cases[4];
  if (argc < 3) {
    fprintf(stderr, "usage: %s LIVE.json CONFIG.yaml [SECONDS]\n", argv[0]);
    return 2;
  }
  if (!(ltext = kd_read_file(argv[1], &llen, &err)) ||
      !(ctext = kd_read_file(argv[2], &clen, &err)) ||
      json_decode(ltext, llen, argv[1], &live, &err) ||
      yaml_decode(ctext, clen, argv[2], &cfg, &err)) {
    fprintf(stderr, "sim_patch_bench: %s\n", err.msg);
    return 1;
  }
  {
    const char *s = "{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                    "[{\"name\":\"podinfo\",\"image\":\"x:2\"}]}}}}";
    const char *m = "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}";
    json_decode(s, strlen(s), "smp", &smp, &err);
    json_decode(m, strlen(m), "mp", &mp, &err);
  }
  memset(&ctx, 0, sizeof ctx);
  ctx.api_version = "apps/v1";
  ctx.kind = "Deployment";
  ctx.manager = "bench";
  ctx.now = "2025-01-01T00:00:00Z";
  /* reference: JSON decode + encode of the live object */
  for (n = 0, t0 = now_s(); now_s() - t0 < secs; n++) {
    kd_buf b = {0};
    kd_value v;
    json_decode(ltext, llen, "l", &v, &err);
    json_encode(&v, 0, &b, &err);
    kd_value_clear(&v);
    kd_buf_free(&b);
  }
  ref = (now_s() - t0) / (double)n;
  printf("reference: JSON decode+encode of the Deployment: %.1f us\n",
         ref * 1e6);
  cases[0] = (bench_case){"server-side apply (re-apply, no change)",
                          SIM_PATCH_APPLY, cfg};
  cases[1] = (bench_case){"strategic merge patch (image)",
                          SIM_PATCH_STRATEGIC, smp};
  cases[2] = (bench_case){"JSON merge patch (label)", SIM_PATCH_MERGE, mp};
  for (i = 0; i < 3; i++) {
    double per;
    for (n = 0, t0 = now_s(); now_s() - t0 < secs; n++) {
      kd_value out, st;
      if (sim_patch_apply(&ctx, cases[i].type, &live, &cases[i].patch, &out,
                          &st, &err)) {
        fprintf(stderr, "sim_patch_bench: %s: %s\n", cases[i].name, err.msg);
        return 1;
      }
      if (cases[i].type != SIM_PATCH_APPLY)
        sim_patch_track_update(&ctx, &live, &out, &err);
      kd_value_clear(&out);
    }
    per = (now_s() - t0) / (double)n;
    printf("%-42s %8.1f us  ratio to reference %.1f\n", cases[i].name,
           per * 1e6, per / ref);
  }
  kd_value_clear(&live);
  kd_value_clear(&cfg);
  kd_value_clear(&smp);
  kd_value_clear(&mp);
  free(ltext);
  free(ctext);
  return 0;
}
