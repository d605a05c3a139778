/* tests/unit/chart_test.c: the chart engine: path.Match, .helmignore,
 * semver constraints, --set parsing, values coalescing and dependencies,
 * import-values, document splitting and ordering, archives, schemas,
 * --kube-version; whole renders are checked by tests/e2e and the corpus. */
#include "test.h"
#include "chart/chart_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A typed dump of a value: strings quoted, ints bare, floats with an f,
 * maps {k:v,...}, lists [a,b]. Owned by the caller. */
static void dump_to(kd_buf *b, tpl_val v)
{
  switch (v.kind) {
  case TPL_NIL: kd_buf_adds(b, "nil"); break;
  case TPL_BOOL: kd_buf_adds(b, v.u.b ? "true" : "false"); break;
  case TPL_INT: kd_buf_printf(b, "%lld", (long long)v.u.i); break;
  case TPL_FLOAT: kd_buf_printf(b, "%gf", v.u.f); break;
  case TPL_STR: kd_buf_printf(b, "\"%s\"", tpl_sdata(v)); break;
  case TPL_LIST:
    kd_buf_addc(b, '[');
    for (size_t i = 0; i < tpl_list_len(v); i++) {
      if (i) kd_buf_addc(b, ',');
      dump_to(b, tpl_list_at(v, i));
    }
    kd_buf_addc(b, ']');
    break;
  case TPL_MAP:
    kd_buf_addc(b, '{');
    for (size_t i = 0; i < tpl_map_len(v); i++) {
      if (i) kd_buf_addc(b, ',');
      kd_buf_printf(b, "%s:", tpl_map_key_at(v, i, NULL));
      dump_to(b, tpl_map_val_at(v, i));
    }
    kd_buf_addc(b, '}');
    break;
  default: kd_buf_adds(b, "obj");
  }
}

static char *dump(tpl_val v)
{
  kd_buf b = {0};
  dump_to(&b, v);
  return kd_buf_take(&b, NULL);
}

#define CHECK_DUMP(v, want) do { char *d_ = dump(v); CHECK_STR(d_, want); free(d_); } while (0)

static void test_path_match(void)
{
  CHECK(chart_path_match("*.yaml", "a.yaml") == 1);
  CHECK(chart_path_match("*.yaml", "t/a.yaml") == 0);
  CHECK(chart_path_match("templates/*", "templates/a.yaml") == 1);
  CHECK(chart_path_match("a?c", "abc") == 1);
  CHECK(chart_path_match("a?c", "a/c") == 0);
  CHECK(chart_path_match("[a-c]x", "bx") == 1);
  CHECK(chart_path_match("[^a-c]x", "bx") == 0);
  CHECK(chart_path_match("\\*", "*") == 1);
  CHECK(chart_path_match("[", "a") == KD_EPARSE);
  CHECK(chart_path_match("a*b*c", "axxbyyc") == 1);
  CHECK(chart_path_match("templates/.?*", "templates/.hidden") == 1);
  CHECK(chart_path_match("templates/.?*", "templates/.") == 0);
}

static void test_helmignore(void)
{
  const char *rules = "# comment\n\n*.bak\n/top.txt\ndocs/\nsub/*.md\n";
  kd_error err = {0};
  chart_ignore *ig = chart_ignore_parse(rules, strlen(rules), ".helmignore", &err);
  CHECK(ig != NULL);
  CHECK(chart_ignore_defaults(ig, &err) == KD_OK);
  CHECK(chart_ignore_match(ig, "x.bak", 0));
  CHECK(chart_ignore_match(ig, "deep/dir/x.bak", 0));   /* base name only */
  CHECK(chart_ignore_match(ig, "top.txt", 0));
  CHECK(!chart_ignore_match(ig, "a/top.txt", 0));
  CHECK(chart_ignore_match(ig, "docs", 1));
  CHECK(!chart_ignore_match(ig, "docs", 0));             /* not a directory */
  CHECK(chart_ignore_match(ig, "sub/a.md", 0));
  CHECK(!chart_ignore_match(ig, "sub/x/a.md", 0));
  CHECK(chart_ignore_match(ig, "templates/.swp", 0));
  CHECK(!chart_ignore_match(ig, "templates/a.yaml", 0));
  CHECK(!chart_ignore_match(ig, ".", 1));
  chart_ignore_free(ig);
  /* Helm's negation: a path NOT matching a negated rule is ignored */
  ig = chart_ignore_parse("!*.txt\n", 7, "n", &err);
  CHECK(chart_ignore_match(ig, "Chart.yaml", 0));
  CHECK(!chart_ignore_match(ig, "a.txt", 0));
  chart_ignore_free(ig);
  /* the literal and *.ext rules (matched without path.Match) agree with it */
  const char *fast = ".git/\n__snapshot__\n*~\n*\nlit/x.y\n";
  ig = chart_ignore_parse(fast, strlen(fast), "f", &err);
  const char *names[] = {".git", "a/.git", "__snapshot__", "x/__snapshot__",
                         "a~", "d/a~", "~", "lit/x.y", "lit/x.yy", "a/lit/x.y",
                         "values.yaml", NULL};
  const int want[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; names[i]; i++) CHECK(chart_ignore_match(ig, names[i], 1) == want[i]);
  chart_ignore_free(ig);
  ig = chart_ignore_parse("*.md\nlit/x.y\n", 13, "f", &err);
  CHECK(chart_ignore_match(ig, "a.md", 0) && chart_ignore_match(ig, "s/a.md", 0));
  CHECK(chart_ignore_match(ig, ".md", 0) && !chart_ignore_match(ig, "a.mdx", 0));
  CHECK(chart_ignore_match(ig, "lit/x.y", 0) && !chart_ignore_match(ig, "lit/x.yy", 0));
  CHECK(!chart_ignore_match(ig, "a/lit/x.y", 0) && !chart_ignore_match(ig, "lit", 1));
  chart_ignore_free(ig);
  CHECK(chart_ignore_parse("a/**/b\n", 7, ".helmignore", &err) == NULL);
  CHECK(strstr(err.msg, "double-star") != NULL);
  CHECK(err.line == 1);
}

static void test_semver(void)
{
  CHECK(chart_semver_check(">=1.19.0-0", "v1.35.0") == 1);
  CHECK(chart_semver_check(">=1.36.0-0", "v1.35.0") == 0);
  CHECK(chart_semver_check("1.42.*", "1.42.7") == 1);
  CHECK(chart_semver_check("1.42.*", "1.43.0") == 0);
  CHECK(chart_semver_check("2.x.x", "2.31.0") == 1);
  CHECK(chart_semver_check("~1.2.3", "1.2.9") == 1);
  CHECK(chart_semver_check("~1.2.3", "1.3.0") == 0);
  CHECK(chart_semver_check("^1.2.3", "1.9.0") == 1);
  CHECK(chart_semver_check("^0.2.3", "0.3.0") == 0);
  CHECK(chart_semver_check(">=1.0, <2.0", "1.5.0") == 1);
  CHECK(chart_semver_check(">=1.0 <2.0", "2.0.0") == 0);
  CHECK(chart_semver_check("<1.0 || >=3", "3.1.0") == 1);
  CHECK(chart_semver_check("1.0 - 2.0", "1.5.0") == 1);
  CHECK(chart_semver_check(">=1.0.0", "1.1.0-beta.1") == 0);   /* prerelease */
  CHECK(chart_semver_check("0.1.0", "0.1.0") == 1);
  CHECK(chart_semver_check("0.1.0", "not-a-version") == -1);
}

static int set_into(tpl_val m, chart_vkind k, const char *s, kd_error *err)
{
  return chart_strvals(m, k, s, strlen(s), err);
}

static void test_strvals(void)
{
  kd_error err = {0};
  tpl_val m;
  tpl_map_new(&m);
  CHECK(set_into(m, CHART_SET, "a=1,b=true,c=null,d=0,e=007,f=x\\,y", &err) == KD_OK);
  CHECK_DUMP(m, "{a:1,b:true,c:nil,d:0,e:\"007\",f:\"x,y\"}");
  tpl_unref(m);
  tpl_map_new(&m);
  CHECK(set_into(m, CHART_SET, "l={}", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET, "m.n[1].x=5", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET, "a\\.b=3", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET, "list={a,b,3}", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET, "big=9223372036854775808,neg=-5", &err) == KD_OK);
  CHECK_DUMP(m, "{a.b:3,big:\"9223372036854775808\",l:[\"\"],list:[\"a\",\"b\",3],"
                "m:{n:[nil,{x:5}]},neg:-5}");
  tpl_unref(m);
  tpl_map_new(&m);
  CHECK(set_into(m, CHART_SET_STRING, "a=1,b=true", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET_LITERAL, "c=x,y=z\\n", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET_JSON, "j={\"a\":1.5,\"b\":[1,2]},k=[1]", &err) == KD_OK);
  CHECK_DUMP(m, "{a:\"1\",b:\"true\",c:\"x,y=z\\n\",j:{a:1.5f,b:[1f,2f]},k:[1f]}");
  tpl_unref(m);
  tpl_map_new(&m);
  CHECK(set_into(m, CHART_SET, "a", &err) == KD_EPARSE);
  CHECK_STR(err.msg, "key \"a\" has no value");
  CHECK(set_into(m, CHART_SET, "a,b=1", &err) == KD_EPARSE);
  CHECK_STR(err.msg, "key \"a\" has no value (cannot end with ,)");
  CHECK(set_into(m, CHART_SET, "x[-1]=1", &err) == KD_EPARSE);
  CHECK(set_into(m, CHART_SET, "x[70000]=1", &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "maximum supported index") != NULL);
  CHECK(set_into(m, CHART_SET, "y={a,b", &err) == KD_EPARSE);
  CHECK_STR(err.msg, "list must terminate with '}'");
  CHECK(set_into(m, CHART_SET, "s=1", &err) == KD_OK);
  CHECK(set_into(m, CHART_SET, "s.t=1", &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "interface conversion") != NULL);
  tpl_unref(m);
}

static void test_user_values_order(void)
{
  char path[] = "/tmp/kdeploy_chart_test_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  const char *y = "a: 1\nm: {x: 1, q: 2, y: 3}\nbig: 1000000\n";
  CHECK(write(fd, y, strlen(y)) == (ssize_t)strlen(y));
  close(fd);
  /* --set comes after -f whatever the order on the command line */
  chart_vflag flags[] = {{CHART_SET, "a=2"}, {CHART_VALUES_FILE, path},
                         {CHART_SET_STRING, "m.q=s"}};
  tpl_val v;
  kd_error err = {0};
  CHECK(chart_user_values(flags, 3, &v, &err) == KD_OK);
  /* y is a YAML 1.1 boolean: the key becomes "true", as in Helm */
  CHECK_DUMP(v, "{a:2,big:1e+06f,m:{q:\"s\",true:3f,x:1f}}");
  tpl_unref(v);
  chart_vflag bad[] = {{CHART_SET, "a.b"}};
  CHECK(chart_user_values(bad, 1, &v, &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "--set") != NULL && strstr(err.msg, "a.b") != NULL);
  chart_vflag missing[] = {{CHART_VALUES_FILE, "/nonexistent/v.yaml"}};
  CHECK(chart_user_values(missing, 1, &v, &err) != KD_OK);
  CHECK(strstr(err.msg, "/nonexistent/v.yaml") != NULL);
  unlink(path);
}

/* Writes FILES (name, content pairs, NULL-terminated) under DIR. */
static void write_tree(const char *dir, const char *const *files)
{
  for (size_t i = 0; files[i]; i += 2) {
    kd_buf p = {0};
    kd_buf_printf(&p, "%s/%s", dir, files[i]);
    for (char *s = p.data + strlen(dir) + 1; *s; s++)
      if (*s == '/') { *s = 0; mkdir(p.data, 0755); *s = '/'; }
    kd_error err = {0};
    kd_write_file(p.data, files[i + 1], strlen(files[i + 1]), &err);
    kd_buf_free(&p);
  }
}

static const char *const tree[] = {
  "Chart.yaml",
  "apiVersion: v2\nname: top\nversion: 1.0.0\nappVersion: 1.0\n"
  "dependencies:\n"
  "- {name: sub, version: 0.1.x, condition: sub.enabled, alias: s1}\n"
  "- {name: sub, version: 0.1.0, alias: s2, tags: [extra],\n"
  "   import-values: [{child: exported, parent: fromS2}, data]}\n",
  "values.yaml",
  "global: {g: top}\nsub: {}\ns1: {enabled: true, v: parent}\n"
  "tags: {extra: true}\nkeep: 1\ndrop: 2\n",
  ".helmignore", "*.bak\n",
  "ignored.bak", "x",
  "templates/a.yaml", "a: 1\n",
  "charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
  "charts/sub/values.yaml",
  "v: child\nw: child\nglobal: {g: sub, h: sub}\nexported: {e: 1}\n"
  "exports: {data: {d: 2}}\n",
  "charts/sub/crds/crd.yaml", "kind: CustomResourceDefinition\n",
  NULL,
};

static void test_load_and_coalesce(void)
{
  char dir[] = "/tmp/kdeploy_chart_dir_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  write_tree(dir, tree);
  kd_error err = {0};
  chart *c = chart_load(dir, &err);
  CHECK(c != NULL);
  if (!c) { printf("# %s\n", err.msg); return; }
  CHECK_STR(chart_name(c), "top");
  CHECK(c->nsubs == 1 && c->ntmpl == 1);
  CHECK(c->nfiles == 1);   /* .helmignore; ignored.bak is ignored */
  CHECK_DUMP(tpl_map_gets(c->meta, "AppVersion") ? *tpl_map_gets(c->meta, "AppVersion")
             : tpl_nil(), "\"1\"");
  node *top = chart_node_new(c, NULL, &err);
  tpl_val user, vals;
  tpl_map_new(&user);
  CHECK(chart_strvals(user, CHART_SET, "drop=null,s2.w=user", 19, &err) == KD_OK);
  CHECK(chart_process_deps(top, user, &err) == KD_OK);
  CHECK(top->nsubs == 2);
  CHECK_STR(top->subs[0]->name, "s1");
  CHECK_STR(top->subs[1]->name, "s2");
  CHECK(chart_coalesce_values(top, user, 0, &vals, &err) == KD_OK);
  const tpl_val *s1 = tpl_map_gets(vals, "s1"), *s2 = tpl_map_gets(vals, "s2");
  CHECK(tpl_map_gets(vals, "drop") == NULL);   /* null deletes */
  CHECK(s1 && s2);
  if (s1 && s2) {
    CHECK_DUMP(*tpl_map_gets(*s1, "v"), "\"parent\"");   /* parent wins */
    CHECK_DUMP(*tpl_map_gets(*s2, "w"), "\"user\"");
    CHECK_DUMP(*tpl_map_gets(*s2, "global"), "{g:\"top\",h:\"sub\"}");
  }
  /* import-values: both forms land in the parent's values */
  CHECK_DUMP(*tpl_map_gets(vals, "fromS2"), "{e:1f}");
  CHECK_DUMP(*tpl_map_gets(vals, "d"), "2f");
  tpl_unref(vals);
  chart_node_free(top);
  /* tags: extra=false disables s2; condition s1.enabled=false disables s1 */
  top = chart_node_new(c, NULL, &err);
  tpl_unref(user);
  tpl_map_new(&user);
  CHECK(chart_strvals(user, CHART_SET, "tags.extra=false,sub.enabled=false", 34, &err) == KD_OK);
  CHECK(chart_process_deps(top, user, &err) == KD_OK);
  CHECK(top->nsubs == 0 && top->ndeps == 0);
  chart_node_free(top);
  tpl_unref(user);
  chart_free(c);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

static void test_split_docs(void)
{
  const char *t = "  \n\n# just a comment\n---\n---\napiVersion: v1\n---   \n"
                  "--- # c\nkind: A\n";
  chart_span *d;
  size_t n;
  CHECK(chart_split_docs(t, strlen(t), &d, &n) == KD_OK);
  CHECK(n == 3);
  if (n == 3) {
    CHECK(d[0].n == 16 && memcmp(d[0].p, "# just a comment", 16) == 0);
    CHECK(d[1].n == 18 && memcmp(d[1].p, "---\napiVersion: v1", 18) == 0);
    CHECK(d[2].n == 15 && memcmp(d[2].p, "--- # c\nkind: A", 15) == 0);
  }
  free(d);
  CHECK(chart_split_docs("---\na: 1\n---", 12, &d, &n) == KD_OK);
  CHECK(n == 1 && d[0].n == 4);
  free(d);
}

static chart_rendered rendered(const char *name, const char *text)
{
  chart_rendered r = {kd_strndup(name, strlen(name)), kd_strndup(text, strlen(text)),
                      strlen(text)};
  return r;
}

static void test_sort_and_print(void)
{
  chart_rendered files[3] = {
    rendered("c/templates/b.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n"
             "apiVersion: v1\nkind: Zed\nmetadata: {name: z}\n---\n"
             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n"
             "    helm.sh/hook: test\n---\n"
             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: u\n  annotations:\n"
             "    helm.sh/hook: bogus\n"),
    rendered("c/templates/a.yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
             "apiVersion: v1\nkind: Alpha\nmetadata: {name: a}\n"),
    rendered("c/templates/_h.tpl", "kind: X\n"),
  };
  chart_result *r = calloc(1, sizeof *r);
  kd_error err = {0};
  CHECK(chart_sort_manifests(files, 3, r, &err) == KD_OK);
  CHECK(r->n_manifests == 4 && r->n_hooks == 1);
  if (r->n_manifests == 4) {
    CHECK_STR(r->manifests[0].obj_kind, "Service");
    CHECK_STR(r->manifests[1].obj_kind, "Deployment");
    CHECK_STR(r->manifests[2].obj_kind, "Alpha");
    CHECK_STR(r->manifests[3].obj_kind, "Zed");
  }
  CHECK(r->n_hooks == 1 && r->hooks[0].is_test);
  kd_buf out = {0};
  chart_print_opts p = {0};
  p.skip_tests = 1;
  CHECK(chart_result_print(r, &p, &out, &err) == KD_OK);
  CHECK(strncmp(out.data, "---\n# Source: c/templates/a.yaml\napiVersion: v1\n"
                "kind: Service\nmetadata: {name: s}\n---\n", 82) == 0);
  CHECK(strstr(out.data, "name: t") == NULL);
  CHECK(out.data[out.len - 1] == '\n' && out.data[out.len - 2] != '\n');
  out.len = 0;
  const char *only[] = {"templates/b.yaml"};
  p.show_only = only;
  p.n_show_only = 1;
  p.skip_tests = 0;
  CHECK(chart_result_print(r, &p, &out, &err) == KD_OK);
  CHECK(strstr(out.data, "kind: Service") == NULL);
  CHECK(strstr(out.data, "name: t") != NULL);
  const char *none[] = {"templates/zzz.yaml"};
  p.show_only = none;
  CHECK(chart_result_print(r, &p, &out, &err) == KD_ENOTFOUND);
  CHECK_STR(err.msg, "could not find template templates/zzz.yaml in chart");
  CHECK(chart_result_check(r, "ns", &err) == KD_OK);
  kd_buf_free(&out);
  chart_result_free(r);
  for (int i = 0; i < 3; i++) { free(files[i].name); free(files[i].text); }
}

static void test_bad_documents(void)
{
  chart_rendered f[1] = {rendered("c/templates/x.yaml",
                                  "a: 1\n---\nkind: A\n  bad: [\n")};
  chart_result *r = calloc(1, sizeof *r);
  kd_error err = {0};
  CHECK(chart_sort_manifests(f, 1, r, &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "c/templates/x.yaml:") != NULL);
  chart_result_free(r);
  free(f[0].name); free(f[0].text);
  chart_rendered g[2] = {
    rendered("c/templates/x.yaml", "apiVersion: v1\nkind: A\nmetadata: {name: nm}\n"),
    rendered("c/templates/y.yaml", "apiVersion: v1\nkind: A\nmetadata: {name: nm}\n")};
  r = calloc(1, sizeof *r);
  CHECK(chart_sort_manifests(g, 2, r, &err) == KD_OK);
  CHECK(chart_result_check(r, "ns", &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "also defined in c/templates/x.yaml") != NULL);
  chart_result_free(r);
  for (int i = 0; i < 2; i++) { free(g[i].name); free(g[i].text); }
}

static void test_archive(void)
{
  char dir[] = "/tmp/kdeploy_chart_tgz_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "mkdir -p %s/pkg/templates && printf 'apiVersion: v2\\n"
           "name: pkg\\nversion: 0.2.0\\n' > %s/pkg/Chart.yaml && printf 'x: 1\\n' > "
           "%s/pkg/templates/t.yaml && tar czf %s/pkg.tgz -C %s pkg", dir, dir, dir, dir, dir);
  CHECK(system(cmd) == 0);
  kd_buf p = {0};
  kd_buf_printf(&p, "%s/pkg.tgz", dir);
  kd_error err = {0};
  chart *c = chart_load(p.data, &err);
  CHECK(c != NULL);
  if (c) {
    CHECK_STR(chart_version(c), "0.2.0");
    CHECK(c->ntmpl == 1 && strcmp(c->tmpl[0]->name, "templates/t.yaml") == 0);
  }
  chart_free(c);
  CHECK(chart_load_archive("not gzip", 8, "bad.tgz", &err) == NULL);
  CHECK(strstr(err.msg, "bad.tgz") != NULL);
  kd_buf_free(&p);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

static const char *const schema_tree[] = {
  "Chart.yaml", "apiVersion: v2\nname: sc\nversion: 1.0.0\n",
  "values.yaml", "replicas: 1\nname: abc\nsub: {}\n",
  "values.schema.json",
  "{\"type\": \"object\", \"required\": [\"name\"],\n"
  " \"properties\": {\"replicas\": {\"type\": \"integer\", \"minimum\": 1},\n"
  "  \"name\": {\"$ref\": \"#/definitions/n\"},\n"
  "  \"mode\": {\"enum\": [\"a\", \"b\"]}},\n"
  " \"definitions\": {\"n\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"}}}\n",
  "charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
  "charts/sub/values.schema.json",
  "{\"properties\": {\"size\": {\"type\": \"string\"}, \"global\": {},\n"
  " \"o\": {\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}}, "
  "\"additionalProperties\": false}\n",
  NULL,
};

static void test_schema(void)
{
  char dir[] = "/tmp/kdeploy_chart_schema_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  write_tree(dir, schema_tree);
  kd_error err = {0};
  chart *c = chart_load(dir, &err);
  CHECK(c != NULL);
  if (!c) return;
  node *top = chart_node_new(c, NULL, &err);
  tpl_val user, vals;
  tpl_map_new(&user);
  CHECK(chart_process_deps(top, user, &err) == KD_OK);
  CHECK(chart_coalesce_values(top, user, 0, &vals, &err) == KD_OK);
  CHECK(chart_schema_validate(top, vals, &err, NULL) == KD_OK);
  tpl_unref(vals);
  CHECK(chart_strvals(user, CHART_SET, "replicas=0.5,name=ABC,mode=c,sub.size=5,sub.x=1,sub.o=true",
                      58, &err) == KD_OK);
  CHECK(chart_coalesce_values(top, user, 0, &vals, &err) == KD_OK);
  kd_buf full = {0};
  CHECK(chart_schema_validate(top, vals, &err, &full) == KD_EINVAL);
  CHECK_STR(full.data, err.msg);   /* short: the same text */
  CHECK_STR(err.msg, "values don't meet the specifications of the schema(s) in the "
            "following chart(s):\nsc:\n"
            "- at '/mode': value must be one of \"a\", \"b\"\n"
            "- at '/name': 'ABC' does not match pattern '^[a-z]+$'\n"
            "- at '/replicas': got string, want integer\n"
            "sub:\n- at '/o': 'oneOf' failed, none matched\n"
            "  - at '/o': got boolean, want string\n"
            "  - at '/o': got boolean, want integer\n"
            "- at '/size': got number, want string\n"
            "- at '': additional properties 'x' not allowed");
  tpl_unref(vals);
  /* a list longer than kd_error.msg comes whole in FULL */
  kd_buf set = {0};
  kd_buf_adds(&set, "name=");
  for (int i = 0; i < 700; i++) kd_buf_addc(&set, 'A');
  CHECK(chart_strvals(user, CHART_SET, set.data, set.len, &err) == KD_OK);
  CHECK(chart_coalesce_values(top, user, 0, &vals, &err) == KD_OK);
  CHECK(chart_schema_validate(top, vals, &err, &full) == KD_EINVAL);
  CHECK(strlen(err.msg) == sizeof err.msg - 1);
  CHECK(full.len > 900 && strncmp(full.data, err.msg, strlen(err.msg)) == 0);
  CHECK(strstr(full.data, "AAAA' does not match pattern '^[a-z]+$'") != NULL);
  CHECK(strstr(full.data, "additional properties 'x' not allowed") != NULL);
  kd_buf_free(&set);
  kd_buf_free(&full);
  tpl_unref(vals);
  tpl_unref(user);
  chart_node_free(top);
  chart_free(c);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

/* import-values share maps with the child's values, as Helm's maps are
 * references: c2's import into "imported" (c1's exp.nested) shows in
 * c1.exp.nested and in "nested" too. Expected text printed by helm 4.1.4. */
static const char *const import_tree[] = {
  "Chart.yaml",
  "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n"
  "- name: c1\n  version: 0.1.0\n  import-values:\n  - data\n"
  "  - {child: exp.nested, parent: imported}\n  - {child: exp, parent: .}\n"
  "- name: c2\n  version: 0.1.0\n  alias: second\n  import-values:\n"
  "  - {child: exp, parent: imported}\n  - data\n",
  "values.yaml",
  "imported: {fromParent: p, shared: parent-wins?}\nshared: parent\ntop: 1\n",
  "charts/c1/Chart.yaml", "apiVersion: v2\nname: c1\nversion: 0.1.0\n",
  "charts/c1/values.yaml",
  "exports: {data: {fromExports: c1, shared: c1-exports}}\n"
  "exp: {nested: {shared: c1-nested, n1: 1}, shared: c1-exp, top: c1}\n",
  "charts/c2/Chart.yaml", "apiVersion: v2\nname: c2\nversion: 0.1.0\n",
  "charts/c2/values.yaml",
  "exports: {data: {fromExports: c2, c2only: yes}}\nexp: {shared: c2-exp, c2: true}\n",
  "templates/cm.yaml", "# {{ toJson .Values }}\n",
  NULL,
};

static void test_import_values_share_maps(void)
{
  char dir[] = "/tmp/kdeploy_chart_import_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  write_tree(dir, import_tree);
  kd_error err = {0};
  chart *c = chart_load(dir, &err);
  CHECK(c != NULL);
  if (!c) return;
  tpl_val user;
  tpl_map_new(&user);
  chart_result *r = NULL;
  kd_buf out = {0};
  CHECK(chart_render(c, user, NULL, &r, &err) == KD_OK);
  if (r) CHECK(chart_result_print(r, NULL, &out, &err) == KD_OK);
  CHECK_STR(out.data ? out.data : "",
            "---\n# Source: p/templates/cm.yaml\n"
            "# {\"c1\":{\"exp\":{\"nested\":{\"c2\":true,\"n1\":1,\"shared\":"
            "\"c1-nested\"},\"shared\":\"c1-exp\",\"top\":\"c1\"},\"exports\":"
            "{\"data\":{\"fromExports\":\"c1\",\"shared\":\"c1-exports\"}},"
            "\"global\":{}},\"c2only\":true,\"fromExports\":\"c1\",\"imported\":"
            "{\"c2\":true,\"fromParent\":\"p\",\"n1\":1,\"shared\":\"parent-wins?\"},"
            "\"nested\":{\"c2\":true,\"n1\":1,\"shared\":\"c1-nested\"},\"second\":"
            "{\"exp\":{\"c2\":true,\"shared\":\"c2-exp\"},\"exports\":{\"data\":"
            "{\"c2only\":true,\"fromExports\":\"c2\"}},\"global\":{}},\"shared\":"
            "\"parent\",\"top\":1}\n");
  kd_buf_free(&out);
  chart_result_free(r);
  tpl_unref(user);
  chart_free(c);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

/* --kube-version as Helm 4.1.4 parses it (values printed by helm). */
static void test_kube_version(void)
{
  static const char *const ok[][5] = {
    {"1.28", "v1.28", "v1.28", "1", "28"},
    {"v1.28.3-gke.1", "v1.28.3-gke.1", "v1.28.3", "1", "28"},
    {"1.02", "v1.02", "v1.2", "1", "2"},
    {" 1.2", "v 1.2", "v1.2", "1", "2"},
    {"1.2.3.4", "v1.2.3.4", "v1.2.3.4", "1", "2"},
    {"1.2.x", "v1.2.x", "v1.2", "1", "2"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    chart_render_opts o = {0};
    o.kube_version = ok[i][0];
    kd_error err = {0};
    tpl_val caps;
    CHECK(chart_caps_obj(&o, &caps, &err) == KD_OK);
    CHECK_STR(chart_caps_kube_version(caps, 0), ok[i][1]);
    CHECK_STR(chart_caps_kube_version(caps, 1), ok[i][2]);
    kd_buf b = {0};
    tpl_fmt_v(&b, caps);
    kd_buf want = {0};
    kd_buf_printf(&want, "&{{%s %s %s %s} [v1 ", ok[i][1], ok[i][2], ok[i][3], ok[i][4]);
    CHECK(b.data && strncmp(b.data, want.data, want.len) == 0);
    kd_buf_free(&b);
    kd_buf_free(&want);
    tpl_unref(caps);
  }
  static const char *const bad[][2] = {
    {"x1", "invalid kube version 'x1': could not parse \"x1\" as version"},
    {"1", "invalid kube version '1': illegal version string \"1\""},
    {"01.2", "invalid kube version '01.2': illegal zero-prefixed version "
             "component \"01\" in \"01.2\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    chart_render_opts o = {0};
    o.kube_version = bad[i][0];
    kd_error err = {0};
    tpl_val caps;
    CHECK(chart_caps_obj(&o, &caps, &err) == KD_EINVAL);
    CHECK_STR(err.msg, bad[i][1]);
  }
}

int main(void)
{
  RUN(test_path_match);
  RUN(test_helmignore);
  RUN(test_semver);
  RUN(test_strvals);
  RUN(test_user_values_order);
  RUN(test_load_and_coalesce);
  RUN(test_split_docs);
  RUN(test_sort_and_print);
  RUN(test_bad_documents);
  RUN(test_archive);
  RUN(test_schema);
  RUN(test_import_values_share_maps);
  RUN(test_kube_version);
  TEST_EXIT();
}
