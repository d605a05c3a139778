/* engine/tpl/tpl_fn_random.c: Sprig's random functions: randAlphaNum,
 * randAlpha, randNumeric, randAscii (goutils' CryptoRandom* alphabets),
 * randInt, shuffle (of runes), uuidv4 (RFC 4122 version 4) and randBytes
 * (base64 of N bytes). Every random byte comes from the tpl_options
 * random hook, or the OS (getrandom) when there is none, so tests can
 * make the output fixed. */
#include "tpl_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

int tpl_random_bytes(tpl_call *c, unsigned char *buf, size_t len)
{
  const tpl_options *o = tpl_call_options(c);
  size_t got = 0;
  if (o->random) {
    if (o->random(o->random_ctx, buf, len) != KD_OK)
      return tpl_call_fail(c, "random source failed");
    return KD_OK;
  }
  while (got < len) {
    ssize_t r = getrandom(buf + got, len - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return tpl_call_fail(c, "random source failed");
    got += (size_t)r;
  }
  return KD_OK;
}

int tpl_random_below(tpl_call *c, uint64_t bound, uint64_t *out)
{
  /* rejection sampling: no modulo bias */
  uint64_t limit = bound ? UINT64_MAX - UINT64_MAX % bound : 0, v;
  int rc;
  *out = 0;
  if (bound < 2) return KD_OK;
  do {
    unsigned char b[8];
    int i;
    if ((rc = tpl_random_bytes(c, b, sizeof b)) != KD_OK) return rc;
    for (v = 0, i = 0; i < 8; i++) v = v << 8 | b[i];
  } while (v >= limit);
  *out = v % bound;
  return KD_OK;
}

/* COUNT characters drawn from ALPHABET (count <= 0: "", as goutils'
 * error is swallowed by Sprig) */
static int rand_from(tpl_call *c, int64_t count, const char *alphabet,
                     tpl_val *out)
{
  size_t an = strlen(alphabet), i;
  char *s;
  int rc = KD_OK;
  if (count <= 0) return tpl_str_cstr(out, "");
  if (count > (int64_t)1 << 30) return KD_ENOMEM;
  if (!(s = malloc((size_t)count))) return KD_ENOMEM;
  for (i = 0; i < (size_t)count && rc == KD_OK; i++) {
    uint64_t k;
    rc = tpl_random_below(c, an, &k);
    s[i] = alphabet[k];
  }
  if (rc == KD_OK) rc = tpl_str_new(out, s, (size_t)count);
  free(s);
  return rc;
}

#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

FN(fn_rand_alpha_num) { return rand_from(c, a[0].u.i, LETTERS DIGITS, out); }
FN(fn_rand_alpha) { return rand_from(c, a[0].u.i, LETTERS, out); }
FN(fn_rand_numeric) { return rand_from(c, a[0].u.i, DIGITS, out); }

FN(fn_rand_ascii)
{
  char ascii[96];
  int i;
  for (i = 0; i < 95; i++) ascii[i] = (char)(32 + i);   /* ' ' .. '~' */
  ascii[95] = 0;
  return rand_from(c, a[0].u.i, ascii, out);
}

/* rand.Intn(max-min) + min; Intn panics unless its argument is > 0 */
FN(fn_rand_int)
{
  int64_t lo = a[0].u.i, hi = a[1].u.i;
  uint64_t k;
  int rc;
  if (hi <= lo || (lo < 0 && hi > INT64_MAX + lo))
    return tpl_call_fail(c, "invalid argument to Intn");
  if ((rc = tpl_random_below(c, (uint64_t)(hi - lo), &k)) != KD_OK) return rc;
  *out = tpl_int(lo + (int64_t)k);
  return KD_OK;
}

/* xstrings.Shuffle: a random permutation of the runes */
FN(fn_shuffle)
{
  const char *s = tpl_sdata(a[0]);
  size_t len = tpl_slen(a[0]), nr = 0, i;
  int32_t *r = malloc((len + 1) * sizeof *r);
  kd_buf b = {0};
  int rc = KD_OK;
  if (!r) return KD_ENOMEM;
  for (i = 0; i < len;) i += (size_t)tpl_utf8_decode(s + i, len - i, &r[nr++]);
  for (i = nr; i > 1 && rc == KD_OK; i--) {   /* Fisher-Yates */
    uint64_t j;
    int32_t t;
    rc = tpl_random_below(c, i, &j);
    t = r[i - 1];
    r[i - 1] = r[j];
    r[j] = t;
  }
  for (i = 0; i < nr && rc == KD_OK; i++) {
    char e[4];
    rc = kd_buf_add(&b, e, (size_t)tpl_utf8_encode(e, r[i]));
  }
  free(r);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

FN(fn_uuidv4)
{
  unsigned char u[16];
  char s[37];
  int rc = tpl_random_bytes(c, u, sizeof u), i, k = 0;
  static const char hex[] = "0123456789abcdef";
  if (rc != KD_OK) return rc;
  u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);   /* version 4 */
  u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);   /* RFC 4122 variant */
  for (i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s[k++] = '-';
    s[k++] = hex[u[i] >> 4];
    s[k++] = hex[u[i] & 15];
  }
  s[k] = 0;
  return tpl_str_cstr(out, s);
}

/* Sprig's randBytes: base64 of COUNT random bytes */
FN(fn_rand_bytes)
{
  static const char b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int64_t count = a[0].u.i;
  unsigned char *buf;
  kd_buf b = {0};
  size_t i;
  int rc;
  if (count < 0) return tpl_call_fail(c, "runtime error: makeslice: len out of range");
  if (count > (int64_t)1 << 30) return KD_ENOMEM;
  if (!(buf = malloc((size_t)count + 1))) return KD_ENOMEM;
  rc = tpl_random_bytes(c, buf, (size_t)count);
  for (i = 0; rc == KD_OK && i < (size_t)count; i += 3) {
    unsigned v = (unsigned)buf[i] << 16;
    char q[4];
    if (i + 1 < (size_t)count) v |= (unsigned)buf[i + 1] << 8;
    if (i + 2 < (size_t)count) v |= buf[i + 2];
    q[0] = b64[(v >> 18) & 63];
    q[1] = b64[(v >> 12) & 63];
    q[2] = i + 1 < (size_t)count ? b64[(v >> 6) & 63] : '=';
    q[3] = i + 2 < (size_t)count ? b64[v & 63] : '=';
    rc = kd_buf_add(&b, q, 4);
  }
  free(buf);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

const tpl_func_def tpl_fn_random[] = {
  {"randAlphaNum", fn_rand_alpha_num, "i"},
  {"randAlpha", fn_rand_alpha, "i"},
  {"randNumeric", fn_rand_numeric, "i"},
  {"randAscii", fn_rand_ascii, "i"},
  {"randInt", fn_rand_int, "ii"},
  {"shuffle", fn_shuffle, "s"},
  {"uuidv4", fn_uuidv4, ""},
  {"randBytes", fn_rand_bytes, "i"},
  {NULL, NULL, NULL}};
