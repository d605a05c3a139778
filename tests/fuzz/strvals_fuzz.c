/* tests/fuzz/strvals_fuzz.c: libFuzzer target for Helm's --set parser. The
 * first byte picks the flag kind (--set, --set-string, --set-json,
 * --set-literal); the rest is the argument. Must never crash or leak. */
#include "chart/chart.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  static const chart_vkind kinds[4] = {CHART_SET, CHART_SET_STRING,
                                       CHART_SET_JSON, CHART_SET_LITERAL};
  if (size < 1) return 0;
  tpl_val m;
  kd_error err = {0};
  if (tpl_map_new(&m) != KD_OK) return 0;
  /* twice into the same map: the second pass merges into existing keys */
  chart_strvals(m, kinds[data[0] & 3], (const char *)data + 1, size - 1, &err);
  chart_strvals(m, kinds[(data[0] >> 2) & 3], (const char *)data + 1, size - 1, &err);
  tpl_unref(m);
  return 0;
}
