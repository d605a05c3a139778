/* engine/tpl/tpl_fn_strings.c: Sprig's string functions (Go's strings
 * package, goutils and xstrings as Sprig calls them). Lengths and offsets
 * are in bytes where Go's are (trunc, substr, abbrev), runes elsewhere. */
#include "tpl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)
#define S(i) tpl_sdata(a[i])
#define L(i) tpl_slen(a[i])

static int ret(tpl_val *out, const char *s, size_t len)
{
  return tpl_str_new(out, s, len);
}

static int ret_buf(tpl_val *out, kd_buf *b, int rc)
{
  if (rc) {
    kd_buf_free(b);
    *out = tpl_nil();
    return KD_ENOMEM;
  }
  return tpl_str_take(out, b);
}

static void add_rune(kd_buf *b, int32_t r, int *rc)
{
  char enc[4];
  if (kd_buf_add(b, enc, (size_t)tpl_utf8_encode(enc, r))) *rc = KD_ENOMEM;
}

/* strings.Map: each rune of A[0] through FN (invalid bytes become U+FFFD,
 * as Go). FN keeps what it needs to know of the runes before in *STATE,
 * which starts as STATE. */
typedef int32_t (*rune_map)(int32_t r, int32_t *state);

static int map_runes(const tpl_val *a, tpl_val *out, rune_map fn, int32_t state)
{
  kd_buf b = {0};
  size_t i = 0, len = L(0);
  const char *s = S(0);
  int rc = kd_buf_reserve(&b, len);
  while (i < len && rc == KD_OK) {
    int32_t r;
    i += (size_t)tpl_utf8_decode(s + i, len - i, &r);
    add_rune(&b, fn(r, &state), &rc);
  }
  return ret_buf(out, &b, rc);
}

static int32_t rune_upper(int32_t r, int32_t *state) { return tpl_uc_upper(r); }
static int32_t rune_lower(int32_t r, int32_t *state) { return tpl_uc_lower(r); }

FN(fn_upper) { return map_runes(a, out, rune_upper, 0); }
FN(fn_lower) { return map_runes(a, out, rune_lower, 0); }

/* strings.Title's separators */
static int is_separator(int32_t r)
{
  if (r <= 0x7F) {
    return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') ||
             (r >= 'A' && r <= 'Z') || r == '_');
  }
  if (tpl_uc_is(TPL_UC_LETTER, r) || tpl_uc_is(TPL_UC_DIGIT, r)) return 0;
  return tpl_uc_is(TPL_UC_SPACE, r);
}

/* strings.Title: title case after a separator; *PREV is the rune before */
static int32_t rune_title(int32_t r, int32_t *prev)
{
  int32_t t = is_separator(*prev) ? tpl_uc_title(r) : r;
  *prev = r;
  return t;
}

FN(fn_title) { return map_runes(a, out, rune_title, ' '); }

/* goutils.Uncapitalize: lower the first rune of each space-separated word;
 * *START says the next rune begins one */
static int32_t rune_untitle(int32_t r, int32_t *start)
{
  if (tpl_uc_is(TPL_UC_SPACE, r)) {
    *start = 1;
  } else if (*start) {
    r = tpl_uc_lower(r);
    *start = 0;
  }
  return r;
}

FN(fn_untitle) { return map_runes(a, out, rune_untitle, 1); }

/* goutils.SwapCase; *WS says the rune before was white space (or none) */
static int32_t rune_swapcase(int32_t r, int32_t *ws)
{
  if (tpl_uc_is(TPL_UC_UPPER, r) || tpl_uc_is(TPL_UC_TITLE, r)) {
    r = tpl_uc_lower(r);
    *ws = 0;
  } else if (tpl_uc_is(TPL_UC_LOWER, r)) {
    r = *ws ? tpl_uc_title(r) : tpl_uc_upper(r);
    *ws = 0;
  } else {
    *ws = tpl_uc_is(TPL_UC_SPACE, r);
  }
  return r;
}

FN(fn_swapcase) { return map_runes(a, out, rune_swapcase, 1); }

/* ---- trimming ----------------------------------------------------------- */

static int in_cutset(tpl_val cut, int32_t r)
{
  size_t i = 0, len = tpl_slen(cut);
  while (i < len) {
    int32_t x;
    i += (size_t)tpl_utf8_decode(tpl_sdata(cut) + i, len - i, &x);
    if (x == r) return 1;
  }
  return 0;
}

/* utf8.DecodeLastRuneInString over S[LO..HI): the width of the last rune */
static size_t last_rune(const char *s, size_t lo, size_t hi, int32_t *r)
{
  size_t st = hi - 1;
  int w;
  if ((unsigned char)s[st] < 0x80) {
    *r = (unsigned char)s[st];
    return 1;
  }
  while (st > lo && hi - st < 4 && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
  w = tpl_utf8_decode(s + st, hi - st, r);
  if (st + (size_t)w != hi) {
    *r = TPL_RUNE_ERROR;
    return 1;
  }
  return (size_t)w;
}

/* strings.TrimSpace / strings.Trim: CUT NULL trims unicode.IsSpace */
static int trim_runes(const char *s, size_t len, tpl_val *cut, tpl_val *out)
{
  size_t lo = 0, hi = len;
  while (lo < hi) {
    int32_t r;
    int w = tpl_utf8_decode(s + lo, hi - lo, &r);
    if (cut ? !in_cutset(*cut, r) : !tpl_uc_is(TPL_UC_SPACE, r)) break;
    lo += (size_t)w;
  }
  while (hi > lo) {
    int32_t r;
    size_t w = last_rune(s, lo, hi, &r);
    if (cut ? !in_cutset(*cut, r) : !tpl_uc_is(TPL_UC_SPACE, r)) break;
    hi -= w;
  }
  return ret(out, s + lo, hi - lo);
}

FN(fn_trim) { return trim_runes(S(0), L(0), NULL, out); }

FN(fn_trim_all)
{
  tpl_val cut = a[0];
  if (L(0) == 0) return ret(out, S(1), L(1));
  return trim_runes(S(1), L(1), &cut, out);
}

FN(fn_trim_suffix)
{
  size_t len = L(1);
  if (L(0) <= len && memcmp(S(1) + len - L(0), S(0), L(0)) == 0) len -= L(0);
  return ret(out, S(1), len);
}

FN(fn_trim_prefix)
{
  if (L(0) <= L(1) && memcmp(S(1), S(0), L(0)) == 0)
    return ret(out, S(1) + L(0), L(1) - L(0));
  return ret(out, S(1), L(1));
}

/* goutils.DeleteWhiteSpace works on bytes: each byte is a rune to it */
static int byte_space(unsigned char ch)
{
  return ch == ' ' || (ch >= '\t' && ch <= '\r') || ch == 0x85 || ch == 0xA0;
}

FN(fn_nospace)
{
  kd_buf b = {0};
  size_t i, len = L(0);
  int rc = KD_OK, removed = 0;
  for (i = 0; i < len; i++)
    if (byte_space((unsigned char)S(0)[i])) removed = 1;
  if (!removed) return ret(out, S(0), len);
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)S(0)[i];
    if (!byte_space(ch)) add_rune(&b, ch, &rc);
  }
  return ret_buf(out, &b, rc);
}

/* goutils.Initials: first byte of each space-separated word */
FN(fn_initials)
{
  kd_buf b = {0};
  size_t i, len = L(0);
  int gap = 1, rc = KD_OK;
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)S(0)[i];
    if (byte_space(ch)) {
      gap = 1;
    } else if (gap) {
      add_rune(&b, ch, &rc);
      gap = 0;
    }
  }
  return ret_buf(out, &b, rc);
}

/* ---- cutting ------------------------------------------------------------ */

FN(fn_trunc)
{
  int64_t k = a[0].u.i, len = (int64_t)L(1);
  if (k < 0 && len + k > 0) return ret(out, S(1) + len + k, (size_t)-k);
  if (k >= 0 && len > k) return ret(out, S(1), (size_t)k);
  return ret(out, S(1), L(1));
}

/* Go's runtime panics for s[lo:hi], as templates report them */
static int slice_panic(tpl_call *c, int64_t lo, int64_t hi, int64_t len,
                       int has_lo)
{
  if (!has_lo) {
    if (hi < 0) return tpl_call_fail(c, "runtime error: slice bounds out of "
                                        "range [:%lld]", (long long)hi);
    return tpl_call_fail(c, "runtime error: slice bounds out of range "
                            "[:%lld] with length %lld", (long long)hi,
                         (long long)len);
  }
  if (hi > len)
    return tpl_call_fail(c, "runtime error: slice bounds out of range "
                            "[:%lld] with length %lld", (long long)hi,
                         (long long)len);
  return tpl_call_fail(c, "runtime error: slice bounds out of range "
                          "[%lld:%lld]", (long long)lo, (long long)hi);
}

FN(fn_substr)
{
  int64_t start = a[0].u.i, end = a[1].u.i, len = (int64_t)L(2);
  if (start < 0) {
    if (end < 0 || end > len) return slice_panic(c, 0, end, len, 0);
    return ret(out, S(2), (size_t)end);
  }
  if (end < 0 || end > len) {
    if (start > len) return slice_panic(c, start, len, len, 1);
    return ret(out, S(2) + start, (size_t)(len - start));
  }
  if (start > end) return slice_panic(c, start, end, len, 1);
  return ret(out, S(2) + start, (size_t)(end - start));
}

/* goutils.AbbreviateFull on bytes */
static int abbreviate(tpl_val *out, const char *s, int64_t len, int64_t off,
                      int64_t w)
{
  kd_buf b = {0};
  int rc = KD_OK;
  if (len == 0) return ret(out, "", 0);
  if (w < 4) return ret(out, "", 0);   /* goutils: an error, Sprig: "" */
  if (len <= w) return ret(out, s, (size_t)len);
  if (off > len) off = len;
  if (len - off < w - 3) off = len - (w - 3);
  if (off <= 4) {
    rc |= kd_buf_add(&b, s, (size_t)(w - 3));
    rc |= kd_buf_adds(&b, "...");
    return ret_buf(out, &b, rc);
  }
  if (w < 7) return ret(out, "", 0);
  if (off + w - 3 < len) {
    tpl_val inner;
    if ((rc = abbreviate(&inner, s + off, len - off, 0, w - 3)) != KD_OK)
      return rc;
    rc |= kd_buf_adds(&b, "...");
    rc |= kd_buf_add(&b, tpl_sdata(inner), tpl_slen(inner));
    tpl_unref(inner);
    return ret_buf(out, &b, rc);
  }
  rc |= kd_buf_adds(&b, "...");
  rc |= kd_buf_add(&b, s + len - (w - 3), (size_t)(w - 3));
  return ret_buf(out, &b, rc);
}

FN(fn_abbrev)
{
  if (a[0].u.i < 4) return ret(out, S(1), L(1));
  return abbreviate(out, S(1), (int64_t)L(1), 0, a[0].u.i);
}

FN(fn_abbrevboth)
{
  int64_t left = a[0].u.i, right = a[1].u.i;
  if (right < 4 || (left > 0 && right < 7)) return ret(out, S(2), L(2));
  return abbreviate(out, S(2), (int64_t)L(2), left, right);
}

/* ---- building ----------------------------------------------------------- */

static int repeat(kd_buf *b, const char *s, size_t len, int64_t count)
{
  int64_t i;
  if (len && (uint64_t)count > ((size_t)1 << 32) / len) return KD_ENOMEM;
  if (kd_buf_reserve(b, len * (size_t)count)) return KD_ENOMEM;
  for (i = 0; i < count; i++) kd_buf_add(b, s, len);
  return KD_OK;
}

FN(fn_repeat)
{
  kd_buf b = {0};
  if (a[0].u.i < 0) return tpl_call_fail(c, "strings: negative Repeat count");
  if (repeat(&b, S(1), L(1), a[0].u.i)) {
    kd_buf_free(&b);
    return tpl_call_fail(c, "strings: Repeat output length overflow");
  }
  return ret_buf(out, &b, KD_OK);
}

static int indent(tpl_call *c, int64_t spaces, tpl_val s, int lead_nl,
                  tpl_val *out)
{
  kd_buf pad = {0}, b = {0};
  size_t i;
  int rc = KD_OK;
  if (spaces < 0) return tpl_call_fail(c, "strings: negative Repeat count");
  if (repeat(&pad, " ", 1, spaces)) {
    kd_buf_free(&pad);
    return tpl_call_fail(c, "strings: Repeat output length overflow");
  }
  if (lead_nl) rc |= kd_buf_addc(&b, '\n');
  rc |= kd_buf_add(&b, pad.data, pad.len);
  for (i = 0; i < tpl_slen(s); i++) {
    char ch = tpl_sdata(s)[i];
    rc |= kd_buf_addc(&b, ch);
    if (ch == '\n') rc |= kd_buf_add(&b, pad.data, pad.len);
  }
  kd_buf_free(&pad);
  return ret_buf(out, &b, rc);
}

FN(fn_indent) { return indent(c, a[0].u.i, a[1], 0, out); }
FN(fn_nindent) { return indent(c, a[0].u.i, a[1], 1, out); }

/* strings.Replace(src, old, new, -1) */
static int replace_all(const char *s, size_t len, const char *old, size_t olen,
                       const char *nw, size_t nlen, kd_buf *b)
{
  size_t i = 0;
  int rc = KD_OK;
  if (olen == 0) {   /* new before each rune and at the end */
    while (i < len) {
      int32_t r;
      int w = tpl_utf8_decode(s + i, len - i, &r);
      rc |= kd_buf_add(b, nw, nlen);
      rc |= kd_buf_add(b, s + i, (size_t)w);
      i += (size_t)w;
    }
    rc |= kd_buf_add(b, nw, nlen);
    return rc;
  }
  while (i < len) {
    if (len - i >= olen && memcmp(s + i, old, olen) == 0) {
      rc |= kd_buf_add(b, nw, nlen);
      i += olen;
    } else {
      rc |= kd_buf_addc(b, s[i++]);
    }
  }
  return rc;
}

FN(fn_replace)
{
  kd_buf b = {0};
  int rc = replace_all(S(2), L(2), S(0), L(0), S(1), L(1), &b);
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

FN(fn_plural)
{
  *out = tpl_ref(a[2].u.i == 1 ? a[0] : a[1]);
  return KD_OK;
}

/* ---- tests -------------------------------------------------------------- */

static int has_at(tpl_val s, size_t at, tpl_val sub)
{
  return tpl_slen(sub) <= tpl_slen(s) - at &&
         memcmp(tpl_sdata(s) + at, tpl_sdata(sub), tpl_slen(sub)) == 0;
}

FN(fn_contains)
{
  size_t i;
  int found = L(0) == 0;
  for (i = 0; !found && L(0) <= L(1) && i <= L(1) - L(0); i++)
    found = has_at(a[1], i, a[0]);
  *out = tpl_bool(found);
  return KD_OK;
}

FN(fn_has_prefix)
{
  *out = tpl_bool(L(0) <= L(1) && has_at(a[1], 0, a[0]));
  return KD_OK;
}

FN(fn_has_suffix)
{
  *out = tpl_bool(L(0) <= L(1) && has_at(a[1], L(1) - L(0), a[0]));
  return KD_OK;
}

/* ---- quoting and joining ------------------------------------------------ */

/* quote: each non-nil argument as %q of its strval, joined by spaces */
FN(fn_quote)
{
  kd_buf b = {0};
  int i, rc = KD_OK, first = 1;
  for (i = 0; i < n && rc == KD_OK; i++) {
    tpl_val s;
    if (a[i].kind == TPL_NIL) continue;
    if (!first) rc |= kd_buf_addc(&b, ' ');
    first = 0;
    if ((rc = tpl_strval_new(a[i], &s)) != KD_OK) break;
    rc = tpl_sprintf(&b, "%q", 2, &s, 1);
    tpl_unref(s);
  }
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

/* squote and cat: each non-nil argument as %v, joined by spaces */
static int join_v(const tpl_val *a, int n, const char *q, tpl_val *out)
{
  kd_buf b = {0};
  int i, rc = KD_OK, first = 1;
  for (i = 0; i < n; i++) {
    if (a[i].kind == TPL_NIL) continue;
    if (!first) rc |= kd_buf_addc(&b, ' ');
    first = 0;
    rc |= kd_buf_adds(&b, q);
    rc |= tpl_fmt_v(&b, a[i]);
    rc |= kd_buf_adds(&b, q);
  }
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

FN(fn_squote) { return join_v(a, n, "'", out); }
FN(fn_cat) { return join_v(a, n, "", out); }

/* strings.SplitN(s, sep, max) into a []string (max < 0: all) */
static int split_n(const char *s, size_t len, const char *sep, size_t slen,
                   int64_t max, tpl_val *out)
{
  size_t i = 0, start = 0;
  int64_t count = 0;
  int rc;
  if ((rc = tpl_list_new(out, 0)) != KD_OK) return rc;
  out->sub = TPL_ELEM_STR;
  if (max == 0) return KD_OK;
  while (rc == KD_OK) {
    tpl_val piece;
    size_t end;
    if (max > 0 && count == max - 1) break;
    if (slen == 0) {   /* explode into runes */
      int32_t r;
      if (i >= len) break;
      i += (size_t)tpl_utf8_decode(s + i, len - i, &r);
      end = i;
    } else {
      while (i + slen <= len && memcmp(s + i, sep, slen) != 0) i++;
      if (i + slen > len) break;
      end = i;
      i += slen;
    }
    if ((rc = tpl_str_new(&piece, s + start, end - start)) == KD_OK)
      rc = tpl_list_push(*out, piece);
    count++;
    start = slen == 0 ? end : i;
  }
  if (rc == KD_OK && (slen != 0 || start < len)) {
    tpl_val piece;
    if ((rc = tpl_str_new(&piece, s + start, len - start)) == KD_OK)
      rc = tpl_list_push(*out, piece);
  }
  return rc;
}

FN(fn_split_list) { return split_n(S(1), L(1), S(0), L(0), -1, out); }

/* split/splitn: a map {_0: ..., _1: ...} */
static int split_map(const tpl_val *sep, const tpl_val *s, int64_t max,
                     tpl_val *out)
{
  tpl_val parts;
  size_t i;
  int rc = split_n(tpl_sdata(*s), tpl_slen(*s), tpl_sdata(*sep),
                   tpl_slen(*sep), max, &parts);
  if (rc == KD_OK && (rc = tpl_map_new(out)) == KD_OK) out->sub = TPL_MAPV_STR;
  for (i = 0; rc == KD_OK && i < tpl_list_len(parts); i++) {
    char key[32];
    snprintf(key, sizeof key, "_%zu", i);
    rc = tpl_map_sets(*out, key, tpl_ref(tpl_list_at(parts, i)));
  }
  tpl_unref(parts);
  return rc;
}

FN(fn_split) { return split_map(&a[0], &a[1], -1, out); }
FN(fn_splitn) { return split_map(&a[0], &a[2], a[1].u.i, out); }

/* tpl_fn_core.c's toStrings, shared here by join and sortAlpha */
static int to_strings(tpl_val v, tpl_val *out)
{
  size_t i, len = tpl_list_len(v);
  int rc;
  if ((rc = tpl_list_new(out, len)) != KD_OK) return rc;
  out->sub = TPL_ELEM_STR;
  if (v.kind != TPL_LIST) {
    tpl_val s;
    if (v.kind == TPL_NIL) return KD_OK;
    if ((rc = tpl_strval_new(v, &s)) == KD_OK) rc = tpl_list_push(*out, s);
    return rc;
  }
  for (i = 0; i < len && rc == KD_OK; i++) {
    tpl_val item = tpl_list_at(v, i), s;
    if (item.kind == TPL_NIL) continue;
    if ((rc = tpl_strval_new(item, &s)) == KD_OK) rc = tpl_list_push(*out, s);
  }
  return rc;
}

FN(fn_join)
{
  tpl_val parts;
  kd_buf b = {0};
  size_t i;
  int rc = to_strings(a[1], &parts);
  for (i = 0; rc == KD_OK && i < tpl_list_len(parts); i++) {
    tpl_val p = tpl_list_at(parts, i);
    if (i) rc |= kd_buf_add(&b, S(0), L(0));
    rc |= kd_buf_add(&b, tpl_sdata(p), tpl_slen(p));
  }
  tpl_unref(parts);
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

static int cmp_str(const void *x, const void *y)
{
  const tpl_val *p = x, *q = y;
  size_t lp = tpl_slen(*p), lq = tpl_slen(*q);
  int r = memcmp(tpl_sdata(*p), tpl_sdata(*q), lp < lq ? lp : lq);
  return r ? r : (lp > lq) - (lp < lq);
}

FN(fn_sort_alpha)
{
  tpl_val parts, sorted;
  size_t i, len;
  tpl_val *items;
  int rc;
  if (a[0].kind != TPL_LIST) {   /* Sprig: []string{strval(list)} */
    tpl_val s;
    if ((rc = tpl_list_new(out, 1)) != KD_OK) return rc;
    out->sub = TPL_ELEM_STR;
    if ((rc = tpl_strval_new(a[0], &s)) == KD_OK) rc = tpl_list_push(*out, s);
    return rc;
  }
  if ((rc = to_strings(a[0], &parts)) != KD_OK) return rc;
  len = tpl_list_len(parts);
  items = malloc((len ? len : 1) * sizeof *items);
  if (!items) {
    tpl_unref(parts);
    return KD_ENOMEM;
  }
  for (i = 0; i < len; i++) items[i] = tpl_list_at(parts, i);
  qsort(items, len, sizeof *items, cmp_str);
  rc = tpl_list_new(&sorted, len);
  if (rc == KD_OK) sorted.sub = TPL_ELEM_STR;
  for (i = 0; rc == KD_OK && i < len; i++)
    rc = tpl_list_push(sorted, tpl_ref(items[i]));
  free(items);
  tpl_unref(parts);
  *out = sorted;
  return rc;
}

/* ---- wrapping ----------------------------------------------------------- */

/* goutils.WrapCustom on bytes, wrapping at spaces */
static int wrap(const char *s, size_t len, int64_t width, const char *nl,
                size_t nllen, int long_words, tpl_val *out)
{
  kd_buf b = {0};
  size_t off = 0;
  int rc = KD_OK;
  if (len == 0) return ret(out, "", 0);
  if (nllen == 0) nl = "\n", nllen = 1;
  if (width < 1) width = 1;
  while ((int64_t)(len - off) > width && rc == KD_OK) {
    size_t end = off + (size_t)width + 1, k, at = (size_t)-1;
    if (s[off] == ' ') {
      off++;
      continue;
    }
    for (k = off; k < end; k++)
      if (s[k] == ' ') at = k;
    if (at != (size_t)-1) {
      rc |= kd_buf_add(&b, s + off, at - off);
      rc |= kd_buf_add(&b, nl, nllen);
      off = at + 1;
    } else if (long_words) {
      rc |= kd_buf_add(&b, s + off, (size_t)width);
      rc |= kd_buf_add(&b, nl, nllen);
      off += (size_t)width;
    } else {
      size_t e = off + (size_t)width;
      const char *sp = memchr(s + e, ' ', len - e);
      if (!sp) {
        rc |= kd_buf_add(&b, s + off, len - off);
        off = len;
      } else {
        rc |= kd_buf_add(&b, s + off, (size_t)(sp - s) - off);
        rc |= kd_buf_add(&b, nl, nllen);
        off = (size_t)(sp - s) + 1;
      }
    }
  }
  rc |= kd_buf_add(&b, s + off, len - off);
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

FN(fn_wrap) { return wrap(S(1), L(1), a[0].u.i, "", 0, 0, out); }
FN(fn_wrap_with) { return wrap(S(2), L(2), a[0].u.i, S(1), L(1), 1, out); }

/* ---- case styles -------------------------------------------------------- */

static int is_conn(int32_t r) { return r == '_' || r == ' ' || r == '-'; }

/* snakecase/kebabcase: connectors (_ space -) become CONN; a word boundary
 * before an upper-case letter that follows a lower-case letter or digit,
 * or that ends an acronym (HTTPServer -> http_server), gets one. */
static int to_lower_words(const char *s, size_t len, char conn, kd_buf *b)
{
  int32_t prev = 0, r, next;
  size_t i = 0;
  int rc = KD_OK, w;
  while (i < len) {
    w = tpl_utf8_decode(s + i, len - i, &r);
    if (r == TPL_RUNE_ERROR && w == 1) {   /* invalid bytes pass through */
      rc |= kd_buf_addc(b, s[i]);
      i++;
      prev = r;
      continue;
    }
    i += (size_t)w;
    next = 0;
    if (i < len) tpl_utf8_decode(s + i, len - i, &next);
    if (is_conn(r)) {
      rc |= kd_buf_addc(b, conn);
    } else if (tpl_uc_is(TPL_UC_UPPER, r)) {
      if (prev && !is_conn(prev) &&
          (tpl_uc_is(TPL_UC_LOWER, prev) || tpl_uc_is(TPL_UC_DIGIT, prev) ||
           (tpl_uc_is(TPL_UC_UPPER, prev) && tpl_uc_is(TPL_UC_LOWER, next))))
        rc |= kd_buf_addc(b, conn);
      add_rune(b, tpl_uc_lower(r), &rc);
    } else {
      add_rune(b, r, &rc);
    }
    prev = r;
  }
  return rc;
}

FN(fn_snakecase)
{
  kd_buf b = {0};
  int rc = to_lower_words(S(0), L(0), '_', &b);
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

FN(fn_kebabcase)
{
  kd_buf b = {0};
  int rc = to_lower_words(S(0), L(0), '-', &b);
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

/* camelcase (xstrings.ToPascalCase): the snake_case words capitalised and
 * joined; leading and trailing underscores stay, "__" keeps one. */
FN(fn_camelcase)
{
  kd_buf snake = {0}, b = {0};
  const char *s;
  size_t i = 0, len;
  int32_t r0 = 0, r1;
  int rc = to_lower_words(S(0), L(0), '_', &snake), w;
  s = snake.data ? snake.data : "";
  len = snake.len;
  while (i < len) {
    w = tpl_utf8_decode(s + i, len - i, &r0);
    i += (size_t)w;
    if (r0 != '_') break;
    rc |= kd_buf_addc(&b, '_');
  }
  if (len && r0 != '_') {
    add_rune(&b, tpl_uc_upper(r0), &rc);
    if (i < len) {
      i += (size_t)tpl_utf8_decode(s + i, len - i, &r0);
      while (i < len) {
        r1 = r0;
        i += (size_t)tpl_utf8_decode(s + i, len - i, &r0);
        if (r1 == '_' && r0 != '_') r0 = tpl_uc_upper(r0);
        else add_rune(&b, r1, &rc);
      }
      add_rune(&b, r0, &rc);
    }
  }
  kd_buf_free(&snake);
  if (!b.data && !rc) return ret(out, "", 0);
  return ret_buf(out, &b, rc);
}

const tpl_func_def tpl_fn_strings[] = {
  {"abbrev", fn_abbrev, "is"},
  {"abbrevboth", fn_abbrevboth, "iis"},
  {"trunc", fn_trunc, "is"},
  {"trim", fn_trim, "s"},
  {"upper", fn_upper, "s"},
  {"lower", fn_lower, "s"},
  {"title", fn_title, "s"},
  {"untitle", fn_untitle, "s"},
  {"substr", fn_substr, "iis"},
  {"repeat", fn_repeat, "is"},
  {"trimall", fn_trim_all, "ss"},
  {"trimAll", fn_trim_all, "ss"},
  {"trimSuffix", fn_trim_suffix, "ss"},
  {"trimPrefix", fn_trim_prefix, "ss"},
  {"nospace", fn_nospace, "s"},
  {"initials", fn_initials, "s"},
  {"swapcase", fn_swapcase, "s"},
  {"snakecase", fn_snakecase, "s"},
  {"camelcase", fn_camelcase, "s"},
  {"kebabcase", fn_kebabcase, "s"},
  {"wrap", fn_wrap, "is"},
  {"wrapWith", fn_wrap_with, "iss"},
  {"contains", fn_contains, "ss"},
  {"hasPrefix", fn_has_prefix, "ss"},
  {"hasSuffix", fn_has_suffix, "ss"},
  {"quote", fn_quote, "a*"},
  {"squote", fn_squote, "a*"},
  {"cat", fn_cat, "a*"},
  {"indent", fn_indent, "is"},
  {"nindent", fn_nindent, "is"},
  {"replace", fn_replace, "sss"},
  {"plural", fn_plural, "ssi"},
  {"split", fn_split, "ss"},
  {"splitList", fn_split_list, "ss"},
  {"splitn", fn_splitn, "sis"},
  {"join", fn_join, "sa"},
  {"sortAlpha", fn_sort_alpha, "a"},
  {NULL, NULL, NULL}};
