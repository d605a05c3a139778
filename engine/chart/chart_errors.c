/* engine/chart/chart_errors.c: template errors worded as Helm 4.1.4 words
 * them, and failures whose text outgrows kd_error.msg. */
#include "chart_int.h"

#include <stdlib.h>
#include <string.h>

int chart_fail_text(kd_error *err, kd_buf *full, int code, const char *text,
                    size_t len)
{
  kd_error_set(err, code, "%.*s", (int)(len < 0x7fffffff ? len : 0x7fffffff),
               text);
  if (full) {
    full->len = 0;
    if (kd_buf_add(full, text, len) != KD_OK) return code;
  }
  return code;
}

/* cleanupParseError: "template: NAME:LINE: a: b: msg" becomes
 * "parse error at (NAME:LINE): msg" (Helm keeps the last ": " piece). */
int chart_helm_parse_error(const char *msg, kd_buf *out)
{
  const char *loc = strstr(msg, ": ");
  if (!loc) return kd_buf_printf(out, "parse error in (%s)", msg);
  loc += 2;
  const char *le = strstr(loc, ": ");
  if (!le) return kd_buf_adds(out, msg);
  const char *last = le + 2, *p;
  while ((p = strstr(last, ": "))) last = p + 2;
  return kd_buf_printf(out, "parse error at (%.*s): %s", (int)(le - loc), loc,
                       last);
}

/* One element of Go's error chain: "template: LOC: executing NAME at
 * <NODE>: MSG". */
typedef struct {
  const char *loc, *exec, *msg;
  size_t nloc, nexec, nmsg;
} element;

static int starts(const char *s, const char *end, const char *lit)
{
  size_t n = strlen(lit);
  return (size_t)(end - s) >= n && memcmp(s, lit, n) == 0;
}

static const char *find(const char *s, const char *end, const char *lit)
{
  size_t n = strlen(lit);
  for (; s + n <= end; s++)
    if (memcmp(s, lit, n) == 0) return s;
  return NULL;
}

/* Parses one element at S; *NEXT is where a wrapped error continues (after
 * "error calling F: "), NULL at a leaf. 0 when S is not one. */
static int parse_element(const char *s, const char *end, element *e,
                         const char **next)
{
  *next = NULL;
  if (!starts(s, end, "template: ")) return 0;
  const char *loc = s + 10, *ex = find(loc, end, ": executing ");
  if (!ex) return 0;
  const char *at = find(ex, end, " at <");
  const char *close = at ? find(at, end, ">: ") : NULL;
  if (!close) return 0;
  e->loc = loc;
  e->nloc = (size_t)(ex - loc);
  e->exec = ex + 2;
  e->nexec = (size_t)(close + 2 - e->exec);   /* "executing N at <X>:" */
  e->msg = close + 3;
  e->nmsg = (size_t)(end - e->msg);
  if (starts(e->msg, end, "error calling ")) {
    const char *colon = find(e->msg + 14, end, ": ");
    if (!colon) return 0;
    e->nmsg = (size_t)(colon + 1 - e->msg);   /* "error calling F:" */
    *next = colon + 2;
  }
  return 1;
}

/* The text of the element chain at S as Helm 4 prints it (each element on
 * three lines), or 0 when some element does not parse: Helm then keeps
 * Go's one-line text. */
static int format_chain(const char *s, const char *end, kd_buf *out)
{
  for (;;) {
    element e;
    const char *next;
    if (starts(s, end, "template: no template ")) {
      kd_buf_add(out, s, (size_t)(end - s));
      kd_buf_addc(out, '\n');
      return 1;
    }
    if (!parse_element(s, end, &e, &next)) return 0;
    kd_buf_printf(out, "%.*s\n  %.*s\n    %.*s\n", (int)e.nloc, e.loc,
                  (int)e.nexec, e.exec, (int)e.nmsg, e.msg);
    if (!next) return 1;
    s = next;
  }
}

/* Go's one-line text, with a run of repeated nested calls shown once: an
 * include cycle repeats the same K elements up to Helm's 1000 levels,
 * which would make a message of hundreds of kilobytes. */
#define MAX_PERIOD 8

static int same_run(const char *const *seg, size_t i, size_t k, size_t n)
{
  for (size_t j = 0; j < k; j++) {
    size_t a = (size_t)(seg[i + j + 1] - seg[i + j]);
    size_t b = (size_t)(seg[i + k + j + 1] - seg[i + k + j]);
    if (i + k + j + 1 > n || a != b || memcmp(seg[i + j], seg[i + k + j], a))
      return 0;
  }
  return 1;
}

static int add_collapsed(const char *s, const char *end, kd_buf *out)
{
  /* the starts of the wrapping elements, then the start of the leaf */
  const char **seg = NULL;
  size_t n = 0, cap = 0;
  for (const char *p = s;;) {
    element e;
    const char *next;
    if (n + 2 > cap) {
      cap = cap ? cap * 2 : 64;
      const char **ns = realloc(seg, cap * sizeof *ns);
      if (!ns) { free(seg); return KD_ENOMEM; }
      seg = ns;
    }
    seg[n++] = p;
    if (!parse_element(p, end, &e, &next) || !next) break;
    p = next;
  }
  size_t nelem = n - 1;   /* seg[nelem] is the leaf */
  int rc = KD_OK;
  for (size_t i = 0; rc == KD_OK && i < nelem;) {
    size_t best_k = 0, best_reps = 0;
    for (size_t k = 1; k <= MAX_PERIOD && i + 2 * k <= nelem; k++) {
      size_t reps = 0;
      while (i + (reps + 2) * k <= nelem && same_run(seg, i + reps * k, k, nelem))
        reps++;
      if (reps * k > best_reps * best_k) { best_k = k; best_reps = reps; }
    }
    size_t k = best_reps >= 2 ? best_k : 1;
    rc = kd_buf_add(out, seg[i], (size_t)(seg[i + k] - seg[i]));
    if (rc == KD_OK && best_reps >= 2)
      rc = kd_buf_printf(out, "[the %s nested call%s repeated %zu more times] ",
                         k == 1 ? "same" : "same cycle of", k == 1 ? "" : "s",
                         best_reps);
    i += best_reps >= 2 ? k * (best_reps + 1) : 1;
  }
  if (rc == KD_OK) rc = kd_buf_add(out, seg[nelem], (size_t)(end - seg[nelem]));
  free(seg);
  return rc;
}

int chart_helm_exec_error(const char *msg, kd_buf *out)
{
  const char *end = msg + strlen(msg);
  /* tokens := SplitN(err, ": ", 3): LOCATION is the second one */
  const char *t1 = strstr(msg, ": ");
  const char *t2 = t1 ? strstr(t1 + 2, ": ") : NULL;
  if (!t2) return kd_buf_printf(out, "execution error: %s", msg);
  const char *start = strstr(t2, "HELM_ERR_START");
  const char *stop = NULL;
  for (const char *p = start; p && (p = strstr(p, "HELM_ERR_END")); p += 12)
    stop = p;
  if (start && stop && stop >= start + 14)
    return kd_buf_printf(out, "execution error at (%.*s): %.*s",
                         (int)(t2 - t1 - 2), t1 + 2,
                         (int)(stop - start - 14), start + 14);
  size_t mark = out->len;
  if (format_chain(msg, end, out)) {
    while (out->len > mark && out->data[out->len - 1] == '\n')
      out->data[--out->len] = 0;
    return out->data ? KD_OK : KD_ENOMEM;
  }
  out->len = mark;
  if (out->data) out->data[mark] = 0;
  return add_collapsed(msg, end, out);
}
