/* engine/chart/chart_outdir.c: `helm template --output-dir`: one file per
 * source template under DIR (documents of the same source appended), all
 * or nothing: every file is written to a temporary name beside its target
 * first; only when all of them are written are they renamed into place.
 * On failure the temporary files and the directories this call created
 * are removed again. */
#define _GNU_SOURCE
#include "chart_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *path;       /* DIR/SOURCE */
  char *tmp;        /* the temporary file while it exists */
  kd_buf data;
} out_file;

typedef struct {
  out_file *f;
  size_t n;
  char **made;      /* directories created, parents first */
  size_t nmade;
} out_set;

static int add_out(out_set *s, const char *dir, const chart_manifest *m,
                   kd_buf *log)
{
  kd_buf path = {0};
  if (kd_buf_printf(&path, "%s/%s", dir, m->source)) return KD_ENOMEM;
  out_file *f = NULL;
  for (size_t i = 0; i < s->n && !f; i++)
    if (strcmp(s->f[i].path, path.data) == 0) f = &s->f[i];
  if (!f) {
    out_file *nf = realloc(s->f, (s->n + 1) * sizeof *nf);
    if (!nf) { kd_buf_free(&path); return KD_ENOMEM; }
    s->f = nf;
    f = &nf[s->n++];
    memset(f, 0, sizeof *f);
    f->path = kd_buf_take(&path, NULL);
  }
  kd_buf_free(&path);
  if (kd_buf_printf(log, "wrote %s\n", f->path)) return KD_ENOMEM;
  return chart_doc_text(&f->data, m);
}

/* Creates the missing parents of FILE, recording each one made. */
static int make_parents(out_set *s, const char *file, kd_error *err)
{
  char *p = kd_strndup(file, strlen(file));
  if (!p) return kd_error_set(err, KD_ENOMEM, "out of memory");
  int rc = KD_OK;
  for (char *c = p + 1; rc == KD_OK && *c; c++) {
    if (*c != '/') continue;
    *c = 0;
    struct stat st;
    if (mkdir(p, 0755) == 0) {
      char **nm = realloc(s->made, (s->nmade + 1) * sizeof *nm);
      char *d = kd_strndup(p, strlen(p));
      if (!nm || !d) {
        if (nm) s->made = nm;
        free(d);
        rmdir(p);
        rc = kd_error_set(err, KD_ENOMEM, "out of memory");
      } else {
        s->made = nm;
        s->made[s->nmade++] = d;
      }
    } else if (errno != EEXIST) {
      rc = kd_error_set(err, KD_EIO, "%s: %s", p, strerror(errno));
    } else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
      rc = kd_error_set(err, KD_EIO, "%s: not a directory", p);
    }
    *c = '/';
  }
  free(p);
  return rc;
}

/* Writes F's data to a new temporary file in its target's directory. */
static int write_tmp(out_file *f, kd_error *err)
{
  struct stat st;
  if (stat(f->path, &st) == 0 && S_ISDIR(st.st_mode))
    return kd_error_set(err, KD_EIO, "%s: is a directory", f->path);
  kd_buf t = {0};
  if (kd_buf_printf(&t, "%s.kdeploy-XXXXXX", f->path))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  int fd = mkstemp(t.data);
  if (fd < 0) {
    int rc = kd_error_set(err, KD_EIO, "%s: %s", f->path, strerror(errno));
    kd_buf_free(&t);
    return rc;
  }
  f->tmp = kd_buf_take(&t, NULL);
  const char *d = f->data.data;
  size_t left = f->data.len;
  while (left > 0) {
    ssize_t w = write(fd, d, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int rc = kd_error_set(err, KD_EIO, "%s: %s", f->path, strerror(errno));
      close(fd);
      return rc;
    }
    d += w;
    left -= (size_t)w;
  }
  if (fchmod(fd, 0644) != 0 || close(fd) != 0)
    return kd_error_set(err, KD_EIO, "%s: %s", f->path, strerror(errno));
  return KD_OK;
}

static void out_set_free(out_set *s, int failed)
{
  for (size_t i = 0; i < s->n; i++) {
    if (s->f[i].tmp) unlink(s->f[i].tmp);
    free(s->f[i].tmp);
    free(s->f[i].path);
    kd_buf_free(&s->f[i].data);
  }
  free(s->f);
  for (size_t i = s->nmade; i-- > 0;) {
    if (failed) rmdir(s->made[i]);   /* children first */
    free(s->made[i]);
  }
  free(s->made);
}

int chart_result_write_dir(const chart_result *r, const chart_print_opts *p,
                           const char *dir, kd_buf *log, kd_error *err)
{
  static const chart_print_opts none = {0};
  if (!p) p = &none;
  out_set s = {0};
  int rc = KD_OK;
  /* Helm writes every file and then looks for the --show-only templates
   * in the (empty) printed stream, failing on the first: fail before
   * writing anything instead, with its message. */
  if (p->n_show_only > 0)
    return kd_error_set(err, KD_ENOTFOUND, "could not find template %s in "
                        "chart", p->show_only[0]);
  for (size_t i = 0; rc == KD_OK && p->include_crds && i < r->n_crds; i++)
    rc = add_out(&s, dir, &r->crds[i], log);
  for (size_t i = 0; rc == KD_OK && i < r->n_manifests; i++)
    rc = add_out(&s, dir, &r->manifests[i], log);
  for (size_t i = 0; rc == KD_OK && !p->no_hooks && i < r->n_hooks; i++)
    if (!(p->skip_tests && r->hooks[i].is_test))
      rc = add_out(&s, dir, &r->hooks[i], log);
  if (rc) rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  for (size_t i = 0; rc == KD_OK && i < s.n; i++) {
    rc = make_parents(&s, s.f[i].path, err);
    if (rc == KD_OK) rc = write_tmp(&s.f[i], err);
  }
  for (size_t i = 0; rc == KD_OK && i < s.n; i++) {
    if (rename(s.f[i].tmp, s.f[i].path) != 0) {
      rc = kd_error_set(err, KD_EIO, "%s: %s", s.f[i].path, strerror(errno));
      break;
    }
    free(s.f[i].tmp);
    s.f[i].tmp = NULL;
  }
  out_set_free(&s, rc != KD_OK);
  /* then Helm prints the (empty) manifest stream: one newline */
  if (rc == KD_OK && kd_buf_addc(log, '\n'))
    rc = kd_error_set(err, KD_ENOMEM, "out of memory");
  return rc;
}
