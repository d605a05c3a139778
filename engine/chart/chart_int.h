/* engine/chart/chart_int.h: internals shared by the chart engine's files.
 * Not a public API. */
#ifndef KD_CHART_INT_H
#define KD_CHART_INT_H

#include "chart.h"

/* A dependency as Chart.yaml (or v1 requirements.yaml) declares it. */
typedef struct chart_dep {
  char *name, *version, *repository, *condition, *alias;
  tpl_val tags;            /* list of strings (may be empty) */
  tpl_val import_values;   /* list as loaded (nil when absent) */
} chart_dep;

/* A loaded chart: immutable after loading; renders work on a node tree. */
struct chart {
  chart_file *raw;          /* every loaded file, in walk (name) order */
  size_t nraw;
  const chart_file **tmpl;  /* templates/... */
  size_t ntmpl;
  const chart_file **files; /* Helm's c.Files: what .Files sees, crds/ too */
  size_t nfiles;
  const chart_file *schema; /* values.schema.json or NULL */
  char *name, *version, *api_version, *type, *kube_version;
  tpl_val meta;             /* .Chart without Name/Dependencies/IsRoot */
  chart_dep *deps;
  size_t ndeps;
  int has_deps;             /* Chart.yaml has a dependencies list */
  tpl_val values;           /* values.yaml, numbers as float64 */
  chart **subs;             /* charts/ subcharts, sorted by name */
  size_t nsubs;
};

/* A dependency of one render (names aliased, enabled flag, rewritten
 * import-values). */
typedef struct node_dep {
  char *name;               /* owned; the alias once processed */
  const chart_dep *src;
  int enabled;
  tpl_val import_values;    /* owned */
} node_dep;

/* One chart of a render: Helm mutates its chart tree while processing
 * dependencies; we mutate nodes and keep the loaded chart intact. */
typedef struct node {
  const chart *src;
  char *name;               /* metadata name (alias for aliased deps) */
  tpl_val values;           /* owned */
  node_dep *deps;           /* Metadata.Dependencies */
  size_t ndeps;
  int has_deps;
  struct node **subs;       /* Dependencies() */
  size_t nsubs;
  struct node *parent;
} node;

node *chart_node_new(const chart *c, node *parent, kd_error *err);
void chart_node_free(node *n);
/* Helm's ProcessDependenciesWithMerge(top, vals). */
int chart_process_deps(node *top, tpl_val vals, kd_error *err);
/* Helm's CoalesceValues(chart, vals): *OUT a new map (owned). */
int chart_coalesce_values(node *n, tpl_val vals, int merge, tpl_val *out,
                          kd_error *err);
/* Values.Table(path): the map at dotted PATH in V, borrowed, or NULL. */
const tpl_val *chart_values_table(const tpl_val *v, const char *path);
/* "CHART/charts/SUB..." as Helm's ChartFullPath. Owned. */
char *chart_node_path(const node *n);

/* Validates VALUES against each chart's values.schema.json in the tree.
 * ERR lists every violation as Helm words it; FULL (may be NULL) gets the
 * whole list, however long. */
int chart_schema_validate(const node *top, tpl_val values, kd_error *err,
                          kd_buf *full);

/* Fails with TEXT[0..LEN): ERR gets as much as it holds, FULL (may be
 * NULL) all of it. Returns CODE. */
int chart_fail_text(kd_error *err, kd_buf *full, int code, const char *text,
                    size_t len);
/* Helm's wording of Go's template errors (MSG is Go's full text):
 * "parse error at (NAME:LINE): msg"; for execution errors "execution
 * error at (LOC): msg" for fail/required, Helm 4's three-line form per
 * nested call where it applies, else Go's text. Appends to OUT. */
int chart_helm_parse_error(const char *msg, kd_buf *out);
int chart_helm_exec_error(const char *msg, kd_buf *out);

/* The .Files object over FILES (borrowed pointers, array copied). */
int chart_files_obj(const chart_file *const *files, size_t n, tpl_val *out);
/* Method signatures of the .Files and .Capabilities classes, for
 * tpl_options.methods. */
extern const tpl_methods chart_methods[];
/* The .Capabilities object. */
int chart_caps_obj(const chart_render_opts *o, tpl_val *out, kd_error *err);
/* Its KubeVersion: .Version (STRING_FORM 0) or String() (1). Borrowed. */
const char *chart_caps_kube_version(tpl_val caps, int string_form);

/* Appends "key: value" YAML of a string map as Helm's toYAML does. */
int chart_yaml_string_map(tpl_val map, kd_buf *out);

/* A piece of a rendered text (borrowed). */
typedef struct chart_span { const char *p; size_t n; } chart_span;
/* Helm's SplitManifests: the documents of TEXT, each trimmed, empty ones
 * dropped. *OUT owned (free). */
int chart_split_docs(const char *text, size_t len, chart_span **out,
                     size_t *n);

/* One rendered template (owned strings). */
typedef struct chart_rendered { char *name; char *text; size_t len; } chart_rendered;
/* Helm's SortManifests over FILES (sorted in place): documents into R's
 * manifests and hooks, in install order. The text of each file is freed
 * (and set NULL) once its documents are copied. */
int chart_sort_manifests(chart_rendered *files, size_t n, chart_result *r,
                         kd_error *err);
void chart_manifest_clear(chart_manifest *m);
/* Appends M as `helm template` prints it: "---\n# Source: S\n" TEXT "\n". */
int chart_doc_text(kd_buf *b, const chart_manifest *m);

#endif
