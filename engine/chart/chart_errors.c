/* engine/chart/chart_errors.c: template errors worded as Helm 4.1.4 words
 * them, and failures whose text outgrows kd_error.msg. */
#include "chart_int.h"

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

/* Go's one-line text, with a run of identical nested calls (an include
 * cycle repeats the same element up to Helm's 1000 levels) shown once. */
static int add_collapsed(const char *s, const char *end, kd_buf *out)
{
  while (s < end) {
    element e;
    const char *next;
    if (!parse_element(s, end, &e, &next) || !next) break;
    size_t seg = (size_t)(next - s), reps = 0;
    const char *t = next;
    while ((size_t)(end - t) >= seg && memcmp(t, s, seg) == 0) {
      t += seg;
      reps++;
    }
    kd_buf_add(out, s, seg);
    if (reps > 2) {
      kd_buf_printf(out, "[the same call nested %zu more times] ", reps);
      s = t;
    } else {
      s = next;
    }
  }
  return kd_buf_add(out, s, (size_t)(end - s));
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
