/* engine/tpl/tpl_fn_regex.c: Sprig's regex functions over tpl_regex.c:
 * regexMatch, regexFind, regexFindAll, regexReplaceAll (Go's $1/${name}
 * expansion), regexReplaceAllLiteral, regexSplit, regexQuoteMeta and the
 * must* forms. Go's loops for FindAll, ReplaceAll and Split are followed
 * exactly, empty matches included. The plain forms panic on a bad pattern
 * as regexp.MustCompile does; the template reports that panic. */
#include "tpl_int.h"

#include <stdlib.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)
#define S(i) tpl_sdata(a[i])
#define L(i) tpl_slen(a[i])

/* Compiles A[0]; MUST: fail with Go's error, else with MustCompile's panic
 * text "regexp: Compile(`x`): error parsing regexp: ...". */
static int compile(tpl_call *c, const tpl_val *a, int must, tpl_regex **re)
{
  kd_buf msg = {0}, q = {0};
  int rc;
  if ((*re = tpl_regex_new(S(0), L(0), &msg))) return KD_OK;
  if (!msg.len) {
    kd_buf_free(&msg);
    return KD_ENOMEM;
  }
  if (must) {
    rc = tpl_call_fail(c, "%s", msg.data);
  } else {
    /* Go's quote(): backquotes when strconv.CanBackquote, else Quote */
    int back = tpl_utf8_valid(S(0), L(0)) && !memchr(S(0), '`', L(0)) &&
               !strstr(S(0), "\xEF\xBB\xBF");
    size_t i;
    for (i = 0; back && i < L(0); i++)
      if (((unsigned char)S(0)[i] < 0x20 && S(0)[i] != '\t') || S(0)[i] == 0x7F)
        back = 0;
    if (back) kd_buf_printf(&q, "`%s`", S(0));
    else tpl_sprintf(&q, "%q", 2, a, 1);
    rc = tpl_call_fail(c, "regexp: Compile(%s): %s", q.data ? q.data : "",
                       msg.data);
  }
  kd_buf_free(&q);
  kd_buf_free(&msg);
  return rc;
}

static int match_fail(tpl_call *c, int rc)
{
  if (rc == KD_ENOMEM) return rc;
  return tpl_call_fail(c, "regexp: match limit exceeded");
}

/* match_fail for the functions returning a list: drops what *OUT holds. */
static int list_fail(tpl_call *c, int rc, tpl_val *out)
{
  tpl_unref(*out);
  *out = tpl_nil();
  return match_fail(c, rc);
}

/* Go's allMatches: calls back with each match of RE in S (at most N, all
 * when N < 0); M holds the match's offsets. */
typedef int (*each_fn)(void *ctx, const long *m);

static int all_matches(tpl_regex *re, const char *s, size_t len, long n,
                       each_fn fn, void *ctx)
{
  size_t caps = 2 * ((size_t)tpl_regex_ncap(re) + 1);
  long *m = malloc(caps * sizeof *m), prev_end = -1, i = 0;
  size_t pos = 0;
  int rc = KD_OK;
  if (!m) return KD_ENOMEM;
  if (n < 0) n = (long)len + 1;
  while (i < n && pos <= len) {
    int accept = 1, found = tpl_regex_exec(re, s, len, pos, m);
    if (found <= 0) {
      rc = found;
      break;
    }
    if ((size_t)m[1] == pos) {   /* empty match: step one rune */
      int32_t r;
      if ((long)m[0] == prev_end) accept = 0;
      pos += pos < len ? (size_t)tpl_utf8_decode(s + pos, len - pos, &r) : 1;
    } else {
      pos = (size_t)m[1];
    }
    prev_end = m[1];
    if (accept) {
      if ((rc = fn(ctx, m)) != KD_OK) break;
      i++;
    }
  }
  free(m);
  return rc;
}

typedef struct {
  const char *s;
  tpl_val list;
} collect;

static int push_str(tpl_val list, const char *s, size_t len)
{
  tpl_val v;
  int rc = tpl_str_new(&v, s, len);
  return rc ? rc : tpl_list_push(list, v);
}

static int on_find(void *ctx, const long *m)
{
  collect *k = ctx;
  return push_str(k->list, k->s + m[0], (size_t)(m[1] - m[0]));
}

static int str_list(tpl_val *out)
{
  int rc = tpl_list_new(out, 0);
  if (rc == KD_OK) out->sub = TPL_ELEM_STR;
  return rc;
}

static int find_all(tpl_call *c, const tpl_val *a, int must, tpl_val *out)
{
  tpl_regex *re;
  collect k;
  int rc = compile(c, a, must, &re);
  if (rc != KD_OK) return rc;
  if ((rc = str_list(out)) == KD_OK && a[2].u.i != 0) {
    k.s = S(1);
    k.list = *out;
    rc = all_matches(re, S(1), L(1), (long)a[2].u.i, on_find, &k);
  }
  tpl_regex_free(re);
  return rc != KD_OK ? list_fail(c, rc, out) : KD_OK;
}

FN(fn_regex_find_all) { return find_all(c, a, 0, out); }
FN(fn_must_regex_find_all) { return find_all(c, a, 1, out); }

static int find(tpl_call *c, const tpl_val *a, int must, tpl_val *out)
{
  tpl_regex *re;
  long *m;
  int rc = compile(c, a, must, &re), found;
  if (rc != KD_OK) return rc;
  if (!(m = malloc(2 * ((size_t)tpl_regex_ncap(re) + 1) * sizeof *m))) {
    tpl_regex_free(re);
    return KD_ENOMEM;
  }
  found = tpl_regex_exec(re, S(1), L(1), 0, m);
  if (found == 1) rc = tpl_str_new(out, S(1) + m[0], (size_t)(m[1] - m[0]));
  else if (found == 0) rc = tpl_str_cstr(out, "");
  else rc = match_fail(c, found);
  free(m);
  tpl_regex_free(re);
  return rc;
}

FN(fn_regex_find) { return find(c, a, 0, out); }
FN(fn_must_regex_find) { return find(c, a, 1, out); }

static int match(tpl_call *c, const tpl_val *a, int must, tpl_val *out)
{
  tpl_regex *re;
  long *m;
  int rc = compile(c, a, must, &re), found;
  if (rc == KD_EEXEC && !must) {   /* regexMatch swallows the error */
    c->msg.len = 0;
    *out = tpl_bool(0);
    return KD_OK;
  }
  if (rc != KD_OK) return rc;
  if (!(m = malloc(2 * ((size_t)tpl_regex_ncap(re) + 1) * sizeof *m))) {
    tpl_regex_free(re);
    return KD_ENOMEM;
  }
  found = tpl_regex_exec(re, S(1), L(1), 0, m);
  free(m);
  tpl_regex_free(re);
  if (found < 0) return match_fail(c, found);
  *out = tpl_bool(found);
  return KD_OK;
}

FN(fn_regex_match) { return match(c, a, 0, out); }
FN(fn_must_regex_match) { return match(c, a, 1, out); }

/* Go's extract: a name or number after '$' ("1", "{name}"); returns the
 * bytes consumed, 0 when malformed. */
static size_t extract(const char *t, size_t n, const char **name,
                      size_t *nlen, long *num)
{
  size_t i = 0, k;
  int brace = 0;
  if (!n) return 0;
  if (t[0] == '{') {
    brace = 1;
    i = 1;
  }
  k = i;
  while (i < n) {
    int32_t r;
    int w = tpl_utf8_decode(t + i, n - i, &r);
    if (!tpl_uc_is(TPL_UC_LETTER, r) && !tpl_uc_is(TPL_UC_DIGIT, r) && r != '_')
      break;
    i += (size_t)w;
  }
  if (i == k) return 0;
  *name = t + k;
  *nlen = i - k;
  if (brace) {
    if (i >= n || t[i] != '}') return 0;
    i++;
  }
  *num = 0;
  for (k = 0; k < *nlen; k++) {
    if ((*name)[k] < '0' || (*name)[k] > '9' || *num >= 100000000) {
      *num = -1;
      break;
    }
    *num = *num * 10 + ((*name)[k] - '0');
  }
  if ((*name)[0] == '0' && *nlen > 1) *num = -1;
  return i;
}

/* Go's (*Regexp).expand of TEMPLATE for match M of SRC */
static int expand(kd_buf *b, tpl_regex *re, const char *tpl, size_t tn,
                  const char *src, const long *m)
{
  size_t i = 0;
  int rc = KD_OK, ncap = tpl_regex_ncap(re);
  while (i < tn && rc == KD_OK) {
    const char *d = memchr(tpl + i, '$', tn - i), *name;
    size_t used, nlen;
    long num;
    if (!d) break;
    rc |= kd_buf_add(b, tpl + i, (size_t)(d - tpl) - i);
    i = (size_t)(d - tpl) + 1;
    if (i < tn && tpl[i] == '$') {
      rc |= kd_buf_addc(b, '$');
      i++;
      continue;
    }
    if (!(used = extract(tpl + i, tn - i, &name, &nlen, &num))) {
      rc |= kd_buf_addc(b, '$');
      continue;
    }
    i += used;
    if (num >= 0) {
      if (num <= ncap && m[2 * num] >= 0)
        rc |= kd_buf_add(b, src + m[2 * num], (size_t)(m[2 * num + 1] - m[2 * num]));
    } else {
      int g;
      for (g = 1; g <= ncap; g++) {
        const char *gn = tpl_regex_name(re, g);
        if (strlen(gn) == nlen && memcmp(gn, name, nlen) == 0 && m[2 * g] >= 0) {
          rc |= kd_buf_add(b, src + m[2 * g], (size_t)(m[2 * g + 1] - m[2 * g]));
          break;
        }
      }
    }
  }
  if (i < tn) rc |= kd_buf_add(b, tpl + i, tn - i);
  return rc ? KD_ENOMEM : KD_OK;
}

/* Go's (*Regexp).replaceAll; LITERAL: the replacement as it is */
static int replace_all(tpl_call *c, const tpl_val *a, int must, int literal,
                       tpl_val *out)
{
  tpl_regex *re;
  kd_buf b = {0};
  long *m;
  size_t last = 0, pos = 0, len = L(1);
  const char *src = S(1);
  int rc = compile(c, a, must, &re), found = 0;
  if (rc != KD_OK) return rc;
  if (!(m = malloc(2 * ((size_t)tpl_regex_ncap(re) + 1) * sizeof *m))) {
    tpl_regex_free(re);
    return KD_ENOMEM;
  }
  while (pos <= len && rc == KD_OK) {
    int32_t r;
    size_t w;
    if ((found = tpl_regex_exec(re, src, len, pos, m)) <= 0) break;
    rc = kd_buf_add(&b, src + last, (size_t)m[0] - last);
    if (rc == KD_OK && ((size_t)m[1] > last || m[0] == 0))
      rc = literal ? kd_buf_add(&b, S(2), L(2))
                   : expand(&b, re, S(2), L(2), src, m);
    last = (size_t)m[1];
    w = pos < len ? (size_t)tpl_utf8_decode(src + pos, len - pos, &r) : 0;
    if (pos + w > (size_t)m[1]) pos += w;
    else if (pos + 1 > (size_t)m[1]) pos++;
    else pos = (size_t)m[1];
  }
  free(m);
  tpl_regex_free(re);
  if (rc == KD_OK && found < 0) rc = found;
  if (rc == KD_OK) rc = kd_buf_add(&b, src + last, len - last);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return match_fail(c, rc);
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

FN(fn_regex_replace_all) { return replace_all(c, a, 0, 0, out); }
FN(fn_must_regex_replace_all) { return replace_all(c, a, 1, 0, out); }
FN(fn_regex_replace_all_literal) { return replace_all(c, a, 0, 1, out); }
FN(fn_must_regex_replace_all_literal) { return replace_all(c, a, 1, 1, out); }

/* Collects each match's start and end as two ints. */
static int on_find_index(void *ctx, const long *m)
{
  collect *k = ctx;
  int rc = tpl_list_push(k->list, tpl_int(m[0]));
  return rc ? rc : tpl_list_push(k->list, tpl_int(m[1]));
}

/* Go's (*Regexp).Split: the matches (at most n), then its loop over them */
static int split(tpl_call *c, const tpl_val *a, int must, tpl_val *out)
{
  tpl_regex *re;
  tpl_val idx = tpl_nil();
  collect all;
  long n = (long)a[2].u.i, beg = 0, end = 0;
  size_t i, nm;
  int rc = compile(c, a, must, &re);
  if (rc != KD_OK) return rc;
  if ((rc = str_list(out)) != KD_OK || n == 0) goto done;
  if (L(0) > 0 && L(1) == 0) {
    rc = push_str(*out, "", 0);
    goto done;
  }
  if ((rc = tpl_list_new(&idx, 0)) != KD_OK) goto done;
  all.list = idx;
  if ((rc = all_matches(re, S(1), L(1), n, on_find_index, &all)) != KD_OK)
    goto done;
  nm = tpl_list_len(idx) / 2;
  for (i = 0; i < nm && rc == KD_OK; i++) {
    long m0 = tpl_list_at(idx, 2 * i).u.i, m1 = tpl_list_at(idx, 2 * i + 1).u.i;
    if (n > 0 && (long)tpl_list_len(*out) == n - 1) break;
    end = m0;
    if (m1 != 0) rc = push_str(*out, S(1) + beg, (size_t)(end - beg));
    beg = m1;
  }
  if (rc == KD_OK && (size_t)end != L(1))
    rc = push_str(*out, S(1) + beg, L(1) - (size_t)beg);
done:
  tpl_unref(idx);
  tpl_regex_free(re);
  return rc != KD_OK ? list_fail(c, rc, out) : KD_OK;
}

FN(fn_regex_split) { return split(c, a, 0, out); }
FN(fn_must_regex_split) { return split(c, a, 1, out); }

/* regexp.QuoteMeta */
FN(fn_regex_quote_meta)
{
  kd_buf b = {0};
  size_t i;
  int rc = KD_OK;
  for (i = 0; i < L(0) && rc == KD_OK; i++) {
    if (strchr("\\.+*?()|[]{}^$", S(0)[i]) && S(0)[i]) rc = kd_buf_addc(&b, '\\');
    if (rc == KD_OK) rc = kd_buf_addc(&b, S(0)[i]);
  }
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

const tpl_func_def tpl_fn_regex[] = {
  {"regexMatch", fn_regex_match, "ss"},
  {"mustRegexMatch", fn_must_regex_match, "ss"},
  {"regexFind", fn_regex_find, "ss"},
  {"mustRegexFind", fn_must_regex_find, "ss"},
  {"regexFindAll", fn_regex_find_all, "ssi"},
  {"mustRegexFindAll", fn_must_regex_find_all, "ssi"},
  {"regexReplaceAll", fn_regex_replace_all, "sss"},
  {"mustRegexReplaceAll", fn_must_regex_replace_all, "sss"},
  {"regexReplaceAllLiteral", fn_regex_replace_all_literal, "sss"},
  {"mustRegexReplaceAllLiteral", fn_must_regex_replace_all_literal, "sss"},
  {"regexSplit", fn_regex_split, "ssi"},
  {"mustRegexSplit", fn_must_regex_split, "ssi"},
  {"regexQuoteMeta", fn_regex_quote_meta, "s"},
  {NULL, NULL, NULL}};
