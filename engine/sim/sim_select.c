/* engine/sim/sim_select.c: label selectors (=, ==, !=, in, notin, exists,
 * !exists, gt, lt) and field selectors (=, ==, !=) as kube parses them. */
#include "sim_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS, OP_GT, OP_LT };

typedef struct req {
  char *key;
  int op;
  char **vals;
  size_t n;
} sreq;

struct sim_selector {
  int fields;
  sreq *reqs;
  size_t n;
};

void sim_selector_free(sim_selector *sel)
{
  size_t i, j;
  if (!sel) return;
  for (i = 0; i < sel->n; i++) {
    free(sel->reqs[i].key);
    for (j = 0; j < sel->reqs[i].n; j++) free(sel->reqs[i].vals[j]);
    free(sel->reqs[i].vals);
  }
  free(sel->reqs);
  free(sel);
}

static void skip_ws(const char **p) { while (**p == ' ' || **p == '\t') (*p)++; }

static int key_char(int c, int fields)
{
  return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/' ||
         (fields && c == '\\');
}

static char *word(const char **p, int fields)
{
  const char *s = *p;
  while (**p && key_char((unsigned char)**p, fields)) (*p)++;
  return kd_strndup(s, (size_t)(*p - s));
}

static int add_val(sreq *r, char *v)
{
  char **n;
  if (!v) return -1;
  n = realloc(r->vals, (r->n + 1) * sizeof *n);
  if (!n) { free(v); return -1; }
  r->vals = n;
  r->vals[r->n++] = v;
  return 0;
}

/* Known field labels: every kind has metadata.name/namespace; a few kinds
 * add their own (kube rejects others with "field label not supported"). */
static int field_ok(const char *k)
{
  static const char *const ok[] = {
    "metadata.name", "metadata.namespace", "status.phase", "spec.nodeName",
    "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
    "status.podIP", "status.nominatedNodeName", "type", "reason",
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
    "involvedObject.uid", "involvedObject.apiVersion",
    "involvedObject.resourceVersion", "involvedObject.fieldPath", "source",
    "reportingComponent", "spec.unschedulable", "status.replicas",
    "status.successful", "spec.signerName", NULL};
  int i;
  for (i = 0; ok[i]; i++) if (strcmp(ok[i], k) == 0) return 1;
  return 0;
}

sim_selector *sim_selector_parse(const char *text, int fields, kd_error *err)
{
  sim_selector *sel = calloc(1, sizeof *sel);
  const char *p = text;
  if (!sel) { kd_error_set(err, KD_ENOMEM, "out of memory"); return NULL; }
  sel->fields = fields;
  skip_ws(&p);
  while (*p) {
    sreq r = {0}, *nr;
    int neg = 0;
    skip_ws(&p);
    if (!fields && *p == '!') { neg = 1; p++; skip_ws(&p); }
    r.key = word(&p, fields);
    if (!r.key || !r.key[0]) {
      free(r.key);
      kd_error_set(err, KD_EPARSE, "unable to parse requirement: found '%c', "
                   "expected: identifier", *p ? *p : ' ');
      goto fail;
    }
    skip_ws(&p);
    if (neg) {
      r.op = OP_NOTEXISTS;
    } else if (p[0] == '=' && p[1] == '=') { r.op = OP_EQ; p += 2; }
    else if (p[0] == '!' && p[1] == '=') { r.op = OP_NE; p += 2; }
    else if (p[0] == '=') { r.op = OP_EQ; p++; }
    else if (!fields && p[0] == '>') { r.op = OP_GT; p++; }
    else if (!fields && p[0] == '<') { r.op = OP_LT; p++; }
    else if (!fields && strncmp(p, "in", 2) == 0 &&
             (p[2] == ' ' || p[2] == '(')) { r.op = OP_IN; p += 2; }
    else if (!fields && strncmp(p, "notin", 5) == 0 &&
             (p[5] == ' ' || p[5] == '(')) { r.op = OP_NOTIN; p += 5; }
    else if (!fields && (*p == ',' || !*p)) r.op = OP_EXISTS;
    else {
      kd_error_set(err, KD_EPARSE, fields ? "invalid selector: '%s'; can't "
                   "understand '%s'" : "unable to parse requirement: %s%s",
                   text, fields ? r.key : "");
      free(r.key);
      goto fail;
    }
    skip_ws(&p);
    if (r.op == OP_IN || r.op == OP_NOTIN) {
      if (*p != '(') {
        kd_error_set(err, KD_EPARSE, "unable to parse requirement: found "
                     "'%c', expected: '('", *p ? *p : ' ');
        free(r.key);
        goto fail;
      }
      p++;
      for (;;) {
        skip_ws(&p);
        if (add_val(&r, word(&p, 0))) break;
        skip_ws(&p);
        if (*p == ',') { p++; continue; }
        break;
      }
      if (*p != ')') {
        size_t j;
        kd_error_set(err, KD_EPARSE, "unable to parse requirement: found "
                     "'%c', expected: ')'", *p ? *p : ' ');
        free(r.key);
        for (j = 0; j < r.n; j++) free(r.vals[j]);
        free(r.vals);
        goto fail;
      }
      p++;
    } else if (r.op == OP_EQ || r.op == OP_NE || r.op == OP_GT ||
               r.op == OP_LT) {
      add_val(&r, word(&p, fields));
    }
    if (fields && !field_ok(r.key)) {
      size_t j;
      kd_error_set(err, KD_EPARSE, "field label not supported: %s", r.key);
      free(r.key);
      for (j = 0; j < r.n; j++) free(r.vals[j]);
      free(r.vals);
      goto fail;
    }
    nr = realloc(sel->reqs, (sel->n + 1) * sizeof *nr);
    if (!nr) {
      size_t j;
      free(r.key);
      for (j = 0; j < r.n; j++) free(r.vals[j]);
      free(r.vals);
      kd_error_set(err, KD_ENOMEM, "out of memory");
      goto fail;
    }
    sel->reqs = nr;
    sel->reqs[sel->n++] = r;
    skip_ws(&p);
    if (*p == ',') { p++; continue; }
    if (*p) {
      kd_error_set(err, KD_EPARSE, "unable to parse requirement: found '%c', "
                   "expected: ','", *p);
      goto fail;
    }
  }
  return sel;
fail:
  sim_selector_free(sel);
  return NULL;
}

static const char *field_value(const kd_value *obj, const char *key,
                               char *buf, size_t n)
{
  const kd_value *v = kd_value_path(obj, key);
  if (!v) {
    /* unset fields compare as "" (e.g. spec.nodeName of pending pods) */
    return "";
  }
  if (v->type == KD_STR) return v->u.str.s;
  if (v->type == KD_BOOL) return v->u.b ? "true" : "false";
  if (v->type == KD_INT) {
    snprintf(buf, n, "%lld", (long long)v->u.i);
    return buf;
  }
  return "";
}

int sim_selector_match(const sim_selector *sel, const kd_value *obj)
{
  const kd_value *labels = kd_value_path(obj, "metadata.labels");
  size_t i, j;
  for (i = 0; i < sel->n; i++) {
    const sreq *r = &sel->reqs[i];
    const char *have;
    char buf[32];
    int found;
    if (sel->fields) {
      have = field_value(obj, r->key, buf, sizeof buf);
    } else {
      const kd_value *v = labels && labels->type == KD_OBJ
                              ? kd_obj_gets(labels, r->key) : NULL;
      have = v && v->type == KD_STR ? v->u.str.s : NULL;
    }
    switch (r->op) {
    case OP_EXISTS: if (!have) return 0; break;
    case OP_NOTEXISTS: if (have) return 0; break;
    case OP_EQ: if (!have || strcmp(have, r->vals[0])) return 0; break;
    case OP_NE: if (have && !strcmp(have, r->vals[0])) return 0; break;
    case OP_IN:
    case OP_NOTIN:
      found = 0;
      for (j = 0; have && j < r->n; j++) if (!strcmp(have, r->vals[j])) found = 1;
      if ((r->op == OP_IN) != found) return 0;
      break;
    case OP_GT:
    case OP_LT:
      if (!have) return 0;
      {
        long long a = atoll(have), b = atoll(r->vals[0]);
        if (r->op == OP_GT ? !(a > b) : !(a < b)) return 0;
      }
      break;
    }
  }
  return 1;
}
