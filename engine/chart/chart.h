/* engine/chart/chart.h: Helm charts: loading (directories and .tgz),
 * values (files, --set flags, coalescing, dependencies, schema), and
 * rendering through engine/tpl into the manifests `helm template` prints.
 * No Lua. Behaviour follows Helm v4.1.4. */
#ifndef KD_CHART_H
#define KD_CHART_H

#include "kd.h"
#include "tpl/tpl.h"

/* ---- loading ------------------------------------------------------------ */

typedef struct chart_file {
  char *name;   /* path inside the chart, '/'-separated ("templates/a.yaml") */
  char *data;   /* NUL-terminated too; a leading UTF-8 BOM is removed */
  size_t len;
} chart_file;

typedef struct chart chart;

/* Loads the chart at PATH: a directory (honouring .helmignore) or a
 * packaged .tgz. Subcharts in charts/ (directories and archives) are
 * loaded too. Returns owned; chart_free. NULL + ERR naming the file. */
chart *chart_load(const char *path, kd_error *err);
/* Loads a packaged chart from memory (SOURCE names it in errors). */
chart *chart_load_archive(const void *data, size_t len, const char *source,
                          kd_error *err);
/* Loads a chart from FILES[0..N) (takes ownership of the array and its
 * strings, freed on failure too), as from an archive: paths relative to
 * the chart root, subcharts under charts/, no .helmignore. */
chart *chart_load_files(chart_file *files, size_t n, const char *source,
                        kd_error *err);
void chart_free(chart *c);   /* NULL is fine */

/* Metadata name and version (borrowed). */
const char *chart_name(const chart *c);
const char *chart_version(const chart *c);
/* The chart's default values (values.yaml), borrowed. */
tpl_val chart_default_values(const chart *c);

/* ---- values ------------------------------------------------------------- */

/* Where a value flag comes from; Helm applies them by kind in this order
 * whatever their order on the command line. */
typedef enum {
  CHART_VALUES_FILE,   /* -f/--values PATH ("-": stdin) */
  CHART_SET_JSON,      /* --set-json */
  CHART_SET,           /* --set */
  CHART_SET_STRING,    /* --set-string */
  CHART_SET_FILE,      /* --set-file key=PATH */
  CHART_SET_LITERAL    /* --set-literal */
} chart_vkind;

typedef struct chart_vflag {
  chart_vkind kind;
  const char *arg;      /* borrowed */
} chart_vflag;

/* Builds the user values from FLAGS (N entries) as Helm's MergeValues does.
 * *OUT is a new map (owned). Errors name the flag and the position. */
int chart_user_values(const chart_vflag *flags, size_t n, tpl_val *out,
                      kd_error *err);
/* Parses one --set style argument S into DEST (a map, modified), with
 * Helm's strvals rules. FILE_READER is used for CHART_SET_FILE (may be NULL:
 * read from disk). Errors in Helm's words. */
int chart_strvals(tpl_val dest, chart_vkind kind, const char *s, size_t len,
                  kd_error *err);
/* Decodes a values file (YAML) into a new map, numbers as float64. */
int chart_values_parse(const char *data, size_t len, const char *source,
                       tpl_val *out, kd_error *err);
/* Helm's MergeMaps(A, B): a new map, B's keys win, maps merged deeply. */
int chart_merge_maps(tpl_val a, tpl_val b, tpl_val *out);
/* Deep copy of the maps in V (lists and scalars shared). */
int chart_copy_value(tpl_val v, tpl_val *out);

/* ---- rendering ---------------------------------------------------------- */

typedef struct chart_render_opts {
  const char *release;      /* default "release-name" */
  const char *namespace;    /* default "default" */
  int revision;             /* default 1 */
  int is_upgrade;           /* IsUpgrade (IsInstall is its opposite) */
  const char *kube_version; /* NULL: Helm's default (v1.35.0) */
  const char *const *api_versions;   /* extra group/versions */
  size_t n_api_versions;
  int skip_schema;          /* skip values.schema.json validation */
  const tpl_options *tpl;   /* lookup/random/clock hooks; may be NULL */
  /* Out, may be NULL: on failure the whole message (kd_error.msg holds
   * only its first 511 bytes; schema lists and template errors can be
   * longer). Reset by chart_render before use. */
  kd_buf *error_text;
} chart_render_opts;

typedef enum { CHART_MANIFEST, CHART_HOOK, CHART_CRD } chart_mkind;

/* One rendered document. */
typedef struct chart_manifest {
  chart_mkind kind;
  char *source;      /* "CHART/templates/x.yaml" or "CHART/crds/x.yaml" */
  char *content;     /* the document text as Helm prints it (trimmed) */
  size_t len;
  char *api_version, *obj_kind, *name, *namespace;   /* "" when absent */
  char *hook_events; /* the helm.sh/hook annotation, NULL if no hook */
  int is_test;       /* a hook with the test / test-success event */
  int weight;        /* helm.sh/hook-weight */
} chart_manifest;

typedef struct chart_result {
  chart_manifest *crds;       /* crds/ of the chart tree, not templated */
  size_t n_crds;
  chart_manifest *manifests;  /* in Helm's install order */
  size_t n_manifests;
  chart_manifest *hooks;      /* in Helm's order (by kind, stable) */
  size_t n_hooks;
  char *notes;                /* rendered NOTES.txt of the top chart, or NULL */
} chart_result;

/* Renders C with the user VALUES (borrowed) as `helm template` does:
 * dependencies (conditions, tags, aliases, import-values), coalescing,
 * schema validation, templates, post-processing, splitting and sorting.
 * *OUT is owned (chart_result_free). Errors name the template and line. */
int chart_render(const chart *c, tpl_val values, const chart_render_opts *o,
                 chart_result **out, kd_error *err);
void chart_result_free(chart_result *r);

/* Checks the documents of R: each parses as YAML, has apiVersion, kind and
 * metadata.name (comment-only documents pass), and no two share
 * (group, kind, namespace, name). ERR names the source template. */
int chart_result_check(const chart_result *r, const char *namespace,
                       kd_error *err);

typedef struct chart_print_opts {
  int include_crds, no_hooks, skip_tests;
  const char *const *show_only;   /* glob patterns on the source path */
  size_t n_show_only;
} chart_print_opts;

/* Appends what `helm template` prints for R to OUT. */
int chart_result_print(const chart_result *r, const chart_print_opts *p,
                       kd_buf *out, kd_error *err);
/* Writes R under DIR as `helm template --output-dir` does (one file per
 * source, documents appended); all files are prepared first, then each is
 * written atomically. LOG gets Helm's "wrote PATH" lines. */
int chart_result_write_dir(const chart_result *r, const chart_print_opts *p,
                           const char *dir, kd_buf *log, kd_error *err);

/* ---- helpers shared with tests and fuzzers ------------------------------ */

/* .helmignore rules. */
typedef struct chart_ignore chart_ignore;
chart_ignore *chart_ignore_parse(const char *text, size_t len,
                                 const char *source, kd_error *err);
/* Adds Helm's default rule (templates/.?*). */
int chart_ignore_defaults(chart_ignore *r, kd_error *err);
/* True when PATH (relative, '/'-separated) is ignored. */
int chart_ignore_match(const chart_ignore *r, const char *path, int is_dir);
void chart_ignore_free(chart_ignore *r);

/* Go's path.Match(PATTERN, NAME): 1 match, 0 no match, KD_EPARSE for a bad
 * pattern. */
int chart_path_match(const char *pattern, const char *name);

/* Masterminds semver: does VERSION satisfy CONSTRAINT? 1/0; -1 when either
 * does not parse (Helm's IsCompatibleRange then says no). */
int chart_semver_check(const char *constraint, const char *version);

/* Reads the files of a .tgz into an array (owned; chart_files_free), with
 * the first path component removed, as Helm's LoadArchiveFiles. */
int chart_untar(const void *data, size_t len, const char *source,
                chart_file **files, size_t *n, kd_error *err);
void chart_files_free(chart_file *files, size_t n);

#endif
