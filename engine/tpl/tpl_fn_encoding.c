/* engine/tpl/tpl_fn_encoding.c: b64enc/b64dec, b32enc/b32dec (Go's
 * encoding/base64 and base32 StdEncoding, decode errors returned as the
 * string, as Sprig does), the checksums (sha1sum, sha256sum, sha512sum,
 * adler32sum) and the JSON family (toJson, toPrettyJson, toRawJson,
 * fromJson, fromJsonArray and their must* forms). */
#include "tpl_int.h"
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)
#define S(i) tpl_sdata(a[i])
#define L(i) tpl_slen(a[i])

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

FN(fn_b64enc)
{
  kd_buf b = {0};
  size_t i, len = L(0);
  const unsigned char *s = (const unsigned char *)S(0);
  int rc = kd_buf_reserve(&b, len / 3 * 4 + 4);
  for (i = 0; rc == KD_OK && i < len; i += 3) {
    unsigned v = (unsigned)s[i] << 16;
    char q[4];
    if (i + 1 < len) v |= (unsigned)s[i + 1] << 8;
    if (i + 2 < len) v |= s[i + 2];
    q[0] = b64[(v >> 18) & 63];
    q[1] = b64[(v >> 12) & 63];
    q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
    q[3] = i + 2 < len ? b64[v & 63] : '=';
    rc = kd_buf_add(&b, q, 4);
  }
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

static int b64_value(unsigned char ch)
{
  const char *p = ch ? strchr(b64, ch) : NULL;
  return p ? (int)(p - b64) : -1;
}

/* Go's base64.StdEncoding.DecodeString: newlines skipped, padding
 * required; *ERR_AT gets the byte offset of an error, or -1. */
int tpl_b64_decode(const char *s, size_t len, kd_buf *b, long *err_at)
{
  size_t si = 0;
  *err_at = -1;
  while (si < len) {
    int d[4], j, dlen = 4;
    for (j = 0; j < 4; j++) {
      unsigned char in;
      int v;
      if (si == len) {
        if (j == 0) return KD_OK;
        *err_at = (long)(si - (size_t)j);
        return KD_OK;
      }
      in = (unsigned char)s[si++];
      if ((v = b64_value(in)) >= 0) {
        d[j] = v;
        continue;
      }
      if (in == '\n' || in == '\r') {
        j--;
        continue;
      }
      if (in != '=' || j < 2) {
        *err_at = (long)(si - 1);
        return KD_OK;
      }
      if (j == 2) {   /* "==" expected */
        while (si < len && (s[si] == '\n' || s[si] == '\r')) si++;
        if (si == len) {
          *err_at = (long)len;
          return KD_OK;
        }
        if (s[si] != '=') {
          *err_at = (long)(si - 1);
          return KD_OK;
        }
        si++;
      }
      while (si < len && (s[si] == '\n' || s[si] == '\r')) si++;
      if (si < len) *err_at = (long)si;
      dlen = j;
      break;
    }
    {
      unsigned v = 0;
      int k;
      for (k = 0; k < 4; k++) v = (v << 6) | (unsigned)(k < dlen ? d[k] : 0);
      if (kd_buf_addc(b, (char)(v >> 16))) return KD_ENOMEM;
      if (dlen > 2 && kd_buf_addc(b, (char)(v >> 8))) return KD_ENOMEM;
      if (dlen > 3 && kd_buf_addc(b, (char)v)) return KD_ENOMEM;
    }
    if (*err_at >= 0 || dlen < 4) return KD_OK;
  }
  return KD_OK;
}

static int decoded(tpl_val *out, kd_buf *b, long err_at, const char *what)
{
  if (err_at >= 0) {
    kd_buf_free(b);
    return kd_buf_printf(b, "illegal %s data at input byte %ld", what,
                         err_at) ? KD_ENOMEM : tpl_str_take(out, b);
  }
  if (!b->data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, b);
}

FN(fn_b64dec)
{
  kd_buf b = {0};
  long err_at;
  int rc = tpl_b64_decode(S(0), L(0), &b, &err_at);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return decoded(out, &b, err_at, "base64");
}

FN(fn_b32enc)
{
  kd_buf b = {0};
  size_t i, len = L(0);
  const unsigned char *s = (const unsigned char *)S(0);
  int rc = KD_OK;
  for (i = 0; rc == KD_OK && i < len; i += 5) {
    uint64_t v = 0;
    size_t k, take = len - i < 5 ? len - i : 5;
    static const int chars[6] = {0, 2, 4, 5, 7, 8};
    char q[8];
    for (k = 0; k < 5; k++) v = (v << 8) | (k < take ? s[i + k] : 0);
    for (k = 0; k < 8; k++)
      q[k] = (int)k < chars[take] ? b32[(v >> (35 - 5 * k)) & 31] : '=';
    rc = kd_buf_add(&b, q, 8);
  }
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  if (!b.data) return tpl_str_cstr(out, "");
  return tpl_str_take(out, &b);
}

/* Go's base32.StdEncoding.DecodeString (newlines stripped first) */
FN(fn_b32dec)
{
  kd_buf src = {0}, b = {0};
  size_t i, olen, pos = 0;
  long err_at = -1;
  int rc = KD_OK, end = 0;
  for (i = 0; i < L(0); i++)
    if (S(0)[i] != '\n' && S(0)[i] != '\r') rc |= kd_buf_addc(&src, S(0)[i]);
  olen = src.len;
  while (rc == KD_OK && pos < olen && !end && err_at < 0) {
    int d[8] = {0}, j = 0, dlen = 8, k;
    uint64_t v = 0;
    while (j < 8) {
      unsigned char in;
      const char *p;
      if (pos == olen) {
        err_at = (long)(pos - (size_t)j);
        break;
      }
      in = (unsigned char)src.data[pos++];
      if (in == '=' && j >= 2 && olen - pos < 8) {
        size_t rest = olen - pos;
        if (rest + (size_t)j < 7) {
          err_at = (long)olen;
          break;
        }
        for (k = 0; k < 7 - j; k++)
          if (rest > (size_t)k && src.data[pos + (size_t)k] != '=') {
            err_at = (long)(pos + (size_t)k - 1);
            break;
          }
        if (err_at >= 0) break;
        dlen = j;
        end = 1;
        if (dlen == 1 || dlen == 3 || dlen == 6) err_at = (long)(pos - 1);
        break;
      }
      if (!in || !(p = strchr(b32, in))) {
        err_at = (long)(pos - 1);
        break;
      }
      d[j++] = (int)(p - b32);
    }
    if (err_at >= 0) break;
    for (k = 0; k < 8; k++) v = (v << 5) | (uint64_t)d[k];
    {
      static const int bytes[9] = {0, 0, 1, 0, 2, 3, 0, 4, 5};
      int nb = bytes[dlen];
      for (k = 0; k < nb; k++) rc |= kd_buf_addc(&b, (char)(v >> (32 - 8 * k)));
    }
  }
  kd_buf_free(&src);
  if (rc) {
    kd_buf_free(&b);
    return KD_ENOMEM;
  }
  return decoded(out, &b, err_at, "base32");
}

/* ---- checksums ---------------------------------------------------------- */

/* The hex digest of the argument; the hashes are ours (tpl_sha.c): the
 * first OpenSSL digest of a process costs more than a small render. */
static int digest_hex(const tpl_val *a, int bits, tpl_val *out)
{
  unsigned char h[64];
  size_t hl = bits == 1 ? 20 : bits == 256 ? 32 : 64, i;
  char hex[129];
  static const char digits[] = "0123456789abcdef";
  if (bits == 1) tpl_sha1(S(0), L(0), h);
  else if (bits == 256) tpl_sha256(S(0), L(0), h);
  else tpl_sha512(S(0), L(0), h);
  for (i = 0; i < hl; i++) {
    hex[2 * i] = digits[h[i] >> 4];
    hex[2 * i + 1] = digits[h[i] & 15];
  }
  return tpl_str_new(out, hex, 2 * hl);
}

FN(fn_sha1sum) { return digest_hex(a, 1, out); }
FN(fn_sha256sum) { return digest_hex(a, 256, out); }
FN(fn_sha512sum) { return digest_hex(a, 512, out); }

FN(fn_adler32sum)
{
  char num[16];
  uLong v = adler32(adler32(0L, Z_NULL, 0), (const Bytef *)S(0), (uInt)L(0));
  snprintf(num, sizeof num, "%lu", (unsigned long)v);
  return tpl_str_cstr(out, num);
}

/* ---- JSON --------------------------------------------------------------- */

/* The first NaN or Inf in V in encoding order (Go reports that one). */
static const char *bad_float(tpl_val v, int depth)
{
  size_t i;
  const char *r = NULL;
  if (depth > 10000) return NULL;
  if (v.kind == TPL_FLOAT && (isnan(v.u.f) || isinf(v.u.f)))
    return isnan(v.u.f) ? "NaN" : v.u.f > 0 ? "+Inf" : "-Inf";
  for (i = 0; !r && v.kind == TPL_LIST && i < tpl_list_len(v); i++)
    r = bad_float(tpl_list_at(v, i), depth + 1);
  for (i = 0; !r && v.kind == TPL_MAP && i < tpl_map_len(v); i++)
    r = bad_float(tpl_map_val_at(v, i), depth + 1);
  return r;
}

/* Go's json.Marshal of V with FLAGS; NULL message on success */
static int to_json(tpl_val v, int flags, kd_buf *b, const char **why)
{
  kd_value kv;
  kd_error err = {0};
  int rc = tpl_to_kd(v, &kv);
  *why = NULL;
  if (rc == KD_OK) rc = json_encode(&kv, flags | JSON_SORT_KEYS, b, &err);
  kd_value_clear(&kv);
  if (rc == KD_ERANGE) {
    static char msg[64];
    const char *f = bad_float(v, 0);
    snprintf(msg, sizeof msg, "json: unsupported value: %s", f ? f : "NaN");
    *why = msg;
  }
  return rc;
}

static int json_fn(tpl_call *c, tpl_val v, int flags, int must, tpl_val *out)
{
  kd_buf b = {0};
  const char *why;
  int rc = to_json(v, flags, &b, &why);
  if (rc == KD_ENOMEM) {
    kd_buf_free(&b);
    return rc;
  }
  if (rc != KD_OK) {
    kd_buf_free(&b);
    if (must) return tpl_call_fail(c, "%s", why ? why : "json: error");
    return tpl_str_cstr(out, "");
  }
  return tpl_str_take(out, &b);
}

FN(fn_to_json) { return json_fn(c, a[0], JSON_ESCAPE_HTML, 0, out); }
FN(fn_must_to_json) { return json_fn(c, a[0], JSON_ESCAPE_HTML, 1, out); }
FN(fn_to_pretty_json)
{
  return json_fn(c, a[0], JSON_ESCAPE_HTML | JSON_PRETTY, 0, out);
}
FN(fn_must_to_pretty_json)
{
  return json_fn(c, a[0], JSON_ESCAPE_HTML | JSON_PRETTY, 1, out);
}
/* toRawJson panics on errors, so it fails like its must form */
FN(fn_to_raw_json) { return json_fn(c, a[0], 0, 1, out); }

/* Parses S as JSON into *OUT (numbers float64); *WHY on failure. */
static int from_json(const tpl_val *s, tpl_val *out, kd_error *err)
{
  kd_value kv;
  int rc = json_decode(tpl_sdata(*s), tpl_slen(*s), "json", &kv, err);
  *out = tpl_nil();
  if (rc != KD_OK) return rc;
  rc = tpl_from_kd(&kv, TPL_FROM_KD_FLOATS, out);
  kd_value_clear(&kv);
  return rc;
}

/* Helm's fromJson: a map; errors go into its "Error" key */
FN(fn_from_json)
{
  kd_error err = {0};
  tpl_val v, msg;
  int rc = from_json(&a[0], &v, &err);
  if (rc == KD_ENOMEM) return rc;
  if (rc == KD_OK && v.kind == TPL_MAP) {
    *out = v;
    return KD_OK;
  }
  if (rc == KD_OK && v.kind == TPL_NIL) return tpl_map_new(out);
  if (rc == KD_OK)
    snprintf(err.msg, sizeof err.msg, "json: cannot unmarshal %s into Go "
             "value of type map[string]interface {}",
             v.kind == TPL_LIST ? "array" : v.kind == TPL_STR ? "string"
             : v.kind == TPL_BOOL ? "bool" : "number");
  tpl_unref(v);
  if ((rc = tpl_map_new(out)) != KD_OK) return rc;
  if ((rc = tpl_str_cstr(&msg, err.msg)) != KD_OK) return rc;
  return tpl_map_sets(*out, "Error", msg);
}

/* Helm's fromJsonArray: a list; an error becomes its only item */
FN(fn_from_json_array)
{
  kd_error err = {0};
  tpl_val v, msg;
  int rc = from_json(&a[0], &v, &err);
  if (rc == KD_ENOMEM) return rc;
  if (rc == KD_OK && v.kind == TPL_LIST) {
    *out = v;
    return KD_OK;
  }
  if (rc == KD_OK && v.kind == TPL_NIL) return tpl_list_new(out, 0);
  if (rc == KD_OK)
    snprintf(err.msg, sizeof err.msg, "json: cannot unmarshal %s into Go "
             "value of type []interface {}",
             v.kind == TPL_MAP ? "object" : v.kind == TPL_STR ? "string"
             : v.kind == TPL_BOOL ? "bool" : "number");
  tpl_unref(v);
  if ((rc = tpl_list_new(out, 1)) != KD_OK) return rc;
  if ((rc = tpl_str_cstr(&msg, err.msg)) != KD_OK) return rc;
  return tpl_list_push(*out, msg);
}

/* Sprig's mustFromJson: any JSON value, errors fail the call */
FN(fn_must_from_json)
{
  kd_error err = {0};
  int rc = from_json(&a[0], out, &err);
  if (rc == KD_ENOMEM) return rc;
  if (rc != KD_OK) return tpl_call_fail(c, "%s", err.msg);
  return KD_OK;
}

const tpl_func_def tpl_fn_encoding[] = {
  {"b64enc", fn_b64enc, "s"},
  {"b64dec", fn_b64dec, "s"},
  {"b32enc", fn_b32enc, "s"},
  {"b32dec", fn_b32dec, "s"},
  {"sha1sum", fn_sha1sum, "s"},
  {"sha256sum", fn_sha256sum, "s"},
  {"sha512sum", fn_sha512sum, "s"},
  {"adler32sum", fn_adler32sum, "s"},
  {"toJson", fn_to_json, "a"},
  {"mustToJson", fn_must_to_json, "a"},
  {"toPrettyJson", fn_to_pretty_json, "a"},
  {"mustToPrettyJson", fn_must_to_pretty_json, "a"},
  {"toRawJson", fn_to_raw_json, "a"},
  {"mustToRawJson", fn_to_raw_json, "a"},
  {"fromJson", fn_from_json, "s"},
  {"fromJsonArray", fn_from_json_array, "s"},
  {"mustFromJson", fn_must_from_json, "s"},
  {NULL, NULL, NULL}};
