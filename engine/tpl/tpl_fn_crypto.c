/* engine/tpl/tpl_fn_crypto.c: Sprig's password and cipher functions:
 * bcrypt and htpasswd (cost 10, "$2a$" hashes, through libxcrypt's
 * bcrypt), derivePassword (the Master Password algorithm: scrypt
 * N=32768 r=8 p=2, HMAC-SHA256, Sprig's templates), encryptAES and
 * decryptAES (AES-256-CBC, key zero-padded to 32 bytes, random IV in
 * front, PKCS#7 padding, base64) with Go's panics worded as Go words them.
 * Keys and certificates are in tpl_fn_certs.c. */
#include "tpl_int.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)
#define S(i) tpl_sdata(a[i])
#define L(i) tpl_slen(a[i])

/* bcrypt.GenerateFromPassword(PW, 10) into B; a message on failure */
static int bcrypt_hash(tpl_call *c, const char *pw, size_t len, kd_buf *b)
{
  static const char alphabet[] =
      "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char salt[16];
  char setting[32], *pwz;
  struct crypt_data *cd;
  const char *h;
  int rc, i, k = 0;
  if (len > 72)
    return kd_buf_adds(b, "failed to encrypt string with bcrypt: bcrypt: "
                          "password length exceeds 72 bytes");
  if ((rc = tpl_random_bytes(c, salt, sizeof salt)) != KD_OK) return rc;
  /* bcrypt's base64 of the 16 salt bytes: 22 characters */
  memcpy(setting, "$2b$10$", 7);
  for (i = 0; i < 16; i += 3) {
    unsigned v = (unsigned)salt[i] << 16;
    if (i + 1 < 16) v |= (unsigned)salt[i + 1] << 8;
    if (i + 2 < 16) v |= salt[i + 2];
    setting[7 + k++] = alphabet[(v >> 18) & 63];
    setting[7 + k++] = alphabet[(v >> 12) & 63];
    if (i + 1 < 16) setting[7 + k++] = alphabet[(v >> 6) & 63];
    if (i + 2 < 16) setting[7 + k++] = alphabet[v & 63];
  }
  setting[7 + k] = 0;
  if (!(cd = calloc(1, sizeof *cd))) return KD_ENOMEM;
  if (!(pwz = kd_strndup(pw, len))) {
    free(cd);
    return KD_ENOMEM;
  }
  h = crypt_r(pwz, setting, cd);
  free(pwz);
  if (!h || h[0] != '$') {
    free(cd);
    return tpl_call_fail(c, "bcrypt failed");
  }
  /* Go writes the same hash under the "$2a$" name */
  rc = kd_buf_adds(b, "$2a$") | kd_buf_adds(b, h + 4);
  free(cd);
  return rc ? KD_ENOMEM : KD_OK;
}

FN(fn_bcrypt)
{
  kd_buf b = {0};
  int rc = bcrypt_hash(c, S(0), L(0), &b);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

FN(fn_htpasswd)
{
  kd_buf b = {0};
  int rc;
  if (memchr(S(0), ':', L(0))) {
    kd_buf_printf(&b, "invalid username: %s", S(0));
    return tpl_str_take(out, &b);
  }
  rc = kd_buf_add(&b, S(0), L(0)) | kd_buf_addc(&b, ':');
  if (rc == KD_OK) rc = bcrypt_hash(c, S(1), L(1), &b);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

/* ---- derivePassword ----------------------------------------------------- */

static const char *mp_chars(char t)
{
  switch (t) {
  case 'V': return "AEIOU";
  case 'C': return "BCDFGHJKLMNPQRSTVWXYZ";
  case 'v': return "aeiou";
  case 'c': return "bcdfghjklmnpqrstvwxyz";
  case 'A': return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
  case 'a': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
  case 'n': return "0123456789";
  case 'o': return "@&%?,=[]_:-+*$#!'^~;()/.";
  default: return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
  }
}

/* the site password templates of each type, NULL-terminated */
static const char *const *mp_templates(const char *type, size_t len)
{
  static const char *const maximum[] = {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno", NULL};
  static const char *const lng[] = {
    "CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv",
    "CvccCvcvnoCvcv", "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv",
    "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno",
    "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno", "CvcvnoCvccCvcc",
    "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
    "CvccCvcvCvccno", NULL};
  static const char *const medium[] = {"CvcnoCvc", "CvcCvcno", NULL};
  static const char *const shrt[] = {"Cvcn", NULL};
  static const char *const basic[] = {"aaanaaan", "aannaaan", "aaannaaa", NULL};
  static const char *const pin[] = {"nnnn", NULL};
  static const struct { const char *name; const char *const *t; } types[] = {
    {"maximum", maximum}, {"long", lng}, {"medium", medium}, {"short", shrt},
    {"basic", basic}, {"pin", pin}};
  size_t i;
  for (i = 0; i < sizeof types / sizeof *types; i++)
    if (strlen(types[i].name) == len && memcmp(types[i].name, type, len) == 0)
      return types[i].t;
  return NULL;
}

static void put_be32(kd_buf *b, uint32_t v)
{
  char x[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
  kd_buf_add(b, x, 4);
}

/* derivePassword(counter, type, password, user, site) */
FN(fn_derive_password)
{
  static const char seed[] = "com.lyndir.masterpassword";
  const char *const *tpl = mp_templates(S(1), L(1));
  unsigned char key[64], sum[EVP_MAX_MD_SIZE];
  unsigned int slen = 0;
  kd_buf salt = {0}, msg = {0}, res = {0};
  size_t nt = 0, i;
  const char *t;
  int rc = KD_OK;
  if (!tpl) {
    kd_buf_printf(&res, "cannot find password template %s", S(1));
    return tpl_str_take(out, &res);
  }
  while (tpl[nt]) nt++;
  kd_buf_adds(&salt, seed);
  put_be32(&salt, (uint32_t)L(3));
  kd_buf_add(&salt, S(3), L(3));
  kd_buf_adds(&msg, seed);
  put_be32(&msg, (uint32_t)L(4));
  kd_buf_add(&msg, S(4), L(4));
  put_be32(&msg, (uint32_t)a[0].u.i);
  if (!salt.data || !msg.data ||
      !EVP_PBE_scrypt(S(2), L(2), (const unsigned char *)salt.data, salt.len,
                      32768, 8, 2, 64 * 1024 * 1024 + 4096 * 1024, key, sizeof key) ||
      !HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)msg.data,
            msg.len, sum, &slen)) {
    rc = tpl_call_fail(c, "failed to derive password");
  }
  kd_buf_free(&salt);
  kd_buf_free(&msg);
  if (rc) return rc;
  t = tpl[sum[0] % nt];
  for (i = 0; t[i] && rc == KD_OK; i++) {
    const char *opts = mp_chars(t[i]);
    rc = kd_buf_addc(&res, opts[sum[i + 1] % strlen(opts)]);
  }
  if (rc) {
    kd_buf_free(&res);
    return rc;
  }
  return tpl_str_take(out, &res);
}

/* ---- AES ---------------------------------------------------------------- */

static int b64_encode(const unsigned char *s, size_t len, kd_buf *b)
{
  static const char t[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i;
  int rc = KD_OK;
  for (i = 0; i < len && rc == KD_OK; i += 3) {
    unsigned v = (unsigned)s[i] << 16;
    char q[4];
    if (i + 1 < len) v |= (unsigned)s[i + 1] << 8;
    if (i + 2 < len) v |= s[i + 2];
    q[0] = t[(v >> 18) & 63];
    q[1] = t[(v >> 12) & 63];
    q[2] = i + 1 < len ? t[(v >> 6) & 63] : '=';
    q[3] = i + 2 < len ? t[v & 63] : '=';
    rc = kd_buf_add(b, q, 4);
  }
  return rc;
}

/* AES-256-CBC over whole blocks, no padding (Go's CryptBlocks) */
static int cbc(int enc, const unsigned char key[32], const unsigned char *iv,
               const unsigned char *in, size_t len, unsigned char *out)
{
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  int ok, n1 = 0, n2 = 0;
  if (!x) return KD_ENOMEM;
  ok = EVP_CipherInit_ex(x, EVP_aes_256_cbc(), NULL, key, iv, enc) &&
       EVP_CIPHER_CTX_set_padding(x, 0) &&
       EVP_CipherUpdate(x, out, &n1, in, (int)len) &&
       EVP_CipherFinal_ex(x, out + n1, &n2);
  EVP_CIPHER_CTX_free(x);
  return ok ? KD_OK : KD_ENOMEM;
}

FN(fn_encrypt_aes)
{
  unsigned char key[32] = {0}, *buf;
  size_t len = L(1), pad, total;
  kd_buf b = {0};
  int rc;
  if (len == 0) return tpl_str_cstr(out, "");
  memcpy(key, S(0), L(0) < 32 ? L(0) : 32);
  pad = 16 - len % 16;
  total = 16 + len + pad;
  if (!(buf = malloc(total * 2))) return KD_ENOMEM;
  memcpy(buf + total, S(1), len);   /* the padded plaintext, after the output */
  memset(buf + total + len, (int)pad, pad);
  rc = tpl_random_bytes(c, buf, 16);
  if (rc == KD_OK) rc = cbc(1, key, buf, buf + total, len + pad, buf + 16);
  if (rc == KD_OK) rc = b64_encode(buf, total, &b);
  free(buf);
  if (rc != KD_OK) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

FN(fn_decrypt_aes)
{
  unsigned char key[32] = {0}, *plain;
  kd_buf raw = {0};
  long err_at;
  size_t len;
  int rc, padn;
  if (L(1) == 0) return tpl_str_cstr(out, "");
  memcpy(key, S(0), L(0) < 32 ? L(0) : 32);
  if ((rc = tpl_b64_decode(S(1), L(1), &raw, &err_at)) != KD_OK) {
    kd_buf_free(&raw);
    return rc;
  }
  if (err_at >= 0) {
    kd_buf_free(&raw);
    return tpl_call_fail(c, "illegal base64 data at input byte %ld", err_at);
  }
  if (raw.len < 16) {
    rc = tpl_call_fail(c, "runtime error: slice bounds out of range [:16] with capacity %zu",
                       raw.len);
    kd_buf_free(&raw);
    return rc;
  }
  len = raw.len - 16;
  if (len % 16) {
    kd_buf_free(&raw);
    return tpl_call_fail(c, "crypto/cipher: input not full blocks");
  }
  if (len == 0) {
    kd_buf_free(&raw);
    return tpl_call_fail(c, "runtime error: index out of range [-1]");
  }
  if (!(plain = malloc(len))) {
    kd_buf_free(&raw);
    return KD_ENOMEM;
  }
  rc = cbc(0, key, (unsigned char *)raw.data, (unsigned char *)raw.data + 16, len, plain);
  kd_buf_free(&raw);
  padn = plain[len - 1];
  if (rc == KD_OK && (size_t)padn > len)
    rc = tpl_call_fail(c, "runtime error: slice bounds out of range [:%ld]",
                       (long)len - padn);
  else if (rc == KD_OK)
    rc = tpl_str_new(out, (const char *)plain, len - (size_t)padn);
  free(plain);
  return rc;
}

const tpl_func_def tpl_fn_crypto[] = {
  {"bcrypt", fn_bcrypt, "s"},
  {"htpasswd", fn_htpasswd, "ss"},
  {"derivePassword", fn_derive_password, "ussss"},
  {"encryptAES", fn_encrypt_aes, "ss"},
  {"decryptAES", fn_decrypt_aes, "ss"},
  {NULL, NULL, NULL}};
