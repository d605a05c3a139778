/* tests/fuzz/chart_render_fuzz.c: libFuzzer target for a whole render: the
 * input, cut at the first two NUL bytes, is values.yaml, a template and a
 * helpers file of a chart with one subchart; it is loaded, rendered
 * (values, dependencies, templates, Helm's error wording, splitting and
 * sorting), printed, checked, and the error text formatters run. */
#include "chart/chart_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int add(chart_file *f, size_t *n, const char *name, const char *d,
               size_t len)
{
  f[*n].name = kd_strndup(name, strlen(name));
  f[*n].data = kd_strndup(d, len);
  f[*n].len = len;
  (*n)++;
  return f[*n - 1].name && f[*n - 1].data ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  const char *p = (const char *)data, *end = p + size, *part[3];
  size_t len[3];
  for (int i = 0; i < 3; i++) {
    const char *z = i < 2 ? memchr(p, 0, (size_t)(end - p)) : NULL;
    part[i] = p;
    len[i] = (size_t)((z ? z : end) - p);
    p = z ? z + 1 : end;
  }
  static const char chart_yaml[] =
    "apiVersion: v2\nname: f\nversion: 0.1.0\ndependencies:\n"
    "- {name: sub, version: 0.1.0, condition: sub.on, import-values: [e]}\n";
  static const char sub_yaml[] = "apiVersion: v2\nname: sub\nversion: 0.1.0\n";
  static const char sub_values[] = "on: true\nexports: {e: {x: 1}}\n";
  static const char sub_tpl[] = "s: {{ .Values.on }} {{ include \"h\" . }}\n";
  chart_file *f = calloc(7, sizeof *f);
  size_t n = 0;
  if (!f) return 0;
  int bad = add(f, &n, "Chart.yaml", chart_yaml, sizeof chart_yaml - 1) ||
            add(f, &n, "values.yaml", part[0], len[0]) ||
            add(f, &n, "templates/t.yaml", part[1], len[1]) ||
            add(f, &n, "templates/_h.tpl", part[2], len[2]) ||
            add(f, &n, "charts/sub/Chart.yaml", sub_yaml, sizeof sub_yaml - 1) ||
            add(f, &n, "charts/sub/values.yaml", sub_values, sizeof sub_values - 1) ||
            add(f, &n, "charts/sub/templates/s.yaml", sub_tpl, sizeof sub_tpl - 1);
  if (bad) { chart_files_free(f, n); return 0; }
  kd_error err = {0};
  chart *c = chart_load_files(f, n, "fuzz", &err);
  if (!c) return 0;
  tpl_options topt;
  memset(&topt, 0, sizeof topt);
  topt.max_steps = 200000;   /* templates can loop; bound the run */
  topt.funcs = tpl_fn_library;
  chart_render_opts o = {0};
  kd_buf etext = {0}, out = {0};
  o.tpl = &topt;
  o.error_text = &etext;
  tpl_val user;
  tpl_map_new(&user);
  chart_result *r = NULL;
  if (chart_render(c, user, &o, &r, &err) == KD_OK) {
    chart_print_opts po = {1, 0, 0, NULL, 0};
    chart_result_print(r, &po, &out, &err);
    chart_result_check(r, "default", &err);
  }
  /* the formatters on arbitrary text too */
  kd_buf t = {0};
  char *s = kd_strndup(part[1], len[1]);
  if (s) {
    chart_helm_exec_error(s, &t);
    chart_helm_parse_error(s, &t);
    free(s);
  }
  kd_buf_free(&t);
  kd_buf_free(&out);
  kd_buf_free(&etext);
  chart_result_free(r);
  tpl_unref(user);
  chart_free(c);
  return 0;
}
