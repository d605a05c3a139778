/* tests/fuzz/helmignore_fuzz.c: libFuzzer target for .helmignore parsing
 * and matching (Go's path.Match underneath): the input is the rules file,
 * matched against a few fixed paths and against its own lines. */
#include "chart/chart.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  static const char *const paths[] = {"Chart.yaml", "templates/a.yaml",
                                      "templates/.x", "charts/sub/values.yaml",
                                      "a/b/c/d.txt", "\xc3\xa9t\xc3\xa9"};
  kd_error err = {0};
  chart_ignore *ig = chart_ignore_parse((const char *)data, size, "fuzz", &err);
  if (!ig) return 0;
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    chart_ignore_match(ig, paths[i], 0);
    chart_ignore_match(ig, paths[i], 1);
  }
  char *s = malloc(size + 1);
  if (s) {
    memcpy(s, data, size);
    s[size] = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
      chart_ignore_match(ig, line, 0);
    free(s);
  }
  chart_ignore_free(ig);
  return 0;
}
