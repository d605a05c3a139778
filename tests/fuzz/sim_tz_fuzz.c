/* tests/fuzz/sim_tz_fuzz.c: libFuzzer target for the TZif reader of
 * CronJob time zones (engine/sim/sim_tz.c): the input is a zone file,
 * header, transitions and the POSIX TZ footer; offsets are asked at
 * instants around its transitions and far out, and a schedule is run in
 * the zone. */
#include "sim/sim_ctrl.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  static const int64_t at[] = {INT32_MIN, -1, 0, 1796164210, 2366841600,
                               4102444800, (int64_t)1 << 40};
  sim_tz *z = sim_tz_parse(data, size);
  sim_cron c;
  kd_buf why = {0};
  size_t i;
  if (!z) return 0;
  for (i = 0; i < sizeof at / sizeof at[0]; i++) {
    (void)sim_tz_offset(z, at[i]);
    (void)sim_tz_local_to_utc(z, at[i]);
  }
  if (sim_cron_parse("30 2 * * *", &c, &why) == 0) {
    c.tz = z;
    (void)sim_cron_next(&c, 1796164210);
    c.tz = NULL;
  }
  sim_cron_free(&c);
  kd_buf_free(&why);
  sim_tz_free(z);
  return 0;
}
