/* tests/unit/tpl_fn_test.c: the function families whose output is not
 * fixed (random, uuid, crypto, now) checked for their form and validity,
 * and the registry checked against Helm 4.1.4's function list. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static const tpl_func_def *find_fn(const char *name)
{
  const tpl_func_def *const *t;
  const tpl_func_def *f;
  for (t = tpl_fn_library; *t; t++)
    for (f = *t; f->name; f++)
      if (!strcmp(f->name, name)) return f;
  return NULL;
}

/* Calls NAME with ARGS under OPT; the result, or nil after a failure
 * (the message is then in LAST_ERR). */
static char last_err[512];
static tpl_val call(const tpl_options *opt, const char *name,
                    const tpl_val *args, int n)
{
  const tpl_func_def *f = find_fn(name);
  tpl_call c;
  tpl_val out = tpl_nil();
  int rc;
  last_err[0] = 0;
  if (!f) {
    snprintf(last_err, sizeof last_err, "no function %s", name);
    return out;
  }
  tpl_call_init(&c, name, opt);
  rc = f->fn(&c, args, n, &out);
  if (rc != KD_OK) {
    snprintf(last_err, sizeof last_err, "%s", c.msg.data ? c.msg.data : "?");
    tpl_unref(out);
    out = tpl_nil();
  }
  tpl_call_done(&c);
  return out;
}

static tpl_val call_i(const tpl_options *opt, const char *name, int64_t i)
{
  tpl_val a = tpl_int(i);
  return call(opt, name, &a, 1);
}

static tpl_val call_s(const tpl_options *opt, const char *name, const char *s)
{
  tpl_val a, r;
  tpl_str_cstr(&a, s);
  r = call(opt, name, &a, 1);
  tpl_unref(a);
  return r;
}

static int all_in(tpl_val s, const char *set)
{
  size_t i;
  if (s.kind != TPL_STR) return 0;
  for (i = 0; i < tpl_slen(s); i++)
    if (!tpl_sdata(s)[i] || !strchr(set, tpl_sdata(s)[i])) return 0;
  return 1;
}

/* a random hook that counts up: outputs are fixed */
static int counter_random(void *ctx, unsigned char *buf, size_t n)
{
  unsigned *k = ctx;
  size_t i;
  for (i = 0; i < n; i++) buf[i] = (unsigned char)((*k)++ * 37u);
  return KD_OK;
}

static void test_random_strings(void)
{
  static const char alnum[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char ascii[96];
  int i;
  tpl_val v;
  for (i = 0; i < 95; i++) ascii[i] = (char)(32 + i);
  ascii[95] = 0;
  v = call_i(NULL, "randAlphaNum", 40);
  CHECK(tpl_slen(v) == 40 && all_in(v, alnum));
  tpl_unref(v);
  v = call_i(NULL, "randAlpha", 33);
  CHECK(tpl_slen(v) == 33 && all_in(v, alnum) && !strpbrk(tpl_sdata(v), "0123456789"));
  tpl_unref(v);
  v = call_i(NULL, "randNumeric", 25);
  CHECK(tpl_slen(v) == 25 && all_in(v, "0123456789"));
  tpl_unref(v);
  v = call_i(NULL, "randAscii", 200);
  CHECK(tpl_slen(v) == 200 && all_in(v, ascii));
  tpl_unref(v);
  v = call_i(NULL, "randAlphaNum", 0);
  CHECK(v.kind == TPL_STR && tpl_slen(v) == 0);
  tpl_unref(v);
  {   /* two draws of 32 differ (the chance they match is 62^-32) */
    tpl_val x = call_i(NULL, "randAlphaNum", 32), y = call_i(NULL, "randAlphaNum", 32);
    CHECK(strcmp(tpl_sdata(x), tpl_sdata(y)) != 0);
    tpl_unref(x);
    tpl_unref(y);
  }
  v = call_i(NULL, "randBytes", 32);   /* base64 of 32 bytes: 44 chars */
  CHECK(tpl_slen(v) == 44 && tpl_sdata(v)[43] == '=');
  tpl_unref(v);
}

static void test_random_hook(void)
{
  tpl_options opt;
  unsigned k1 = 0, k2 = 0;
  tpl_val x, y;
  memset(&opt, 0, sizeof opt);
  opt.random = counter_random;
  opt.random_ctx = &k1;
  x = call_i(&opt, "randAlphaNum", 16);
  opt.random_ctx = &k2;
  y = call_i(&opt, "randAlphaNum", 16);
  CHECK(x.kind == TPL_STR && y.kind == TPL_STR);
  CHECK_STR(tpl_sdata(x), tpl_sdata(y));   /* the hook decides everything */
  CHECK(k1 > 0 && k1 == k2);
  tpl_unref(x);
  tpl_unref(y);
}

static void test_rand_int_uuid_shuffle(void)
{
  tpl_val a[2], v;
  int i, seen_lo = 0, seen_hi = 0;
  a[0] = tpl_int(-3);
  a[1] = tpl_int(4);
  for (i = 0; i < 400; i++) {
    v = call(NULL, "randInt", a, 2);
    CHECK(v.kind == TPL_INT && v.u.i >= -3 && v.u.i < 4);
    seen_lo |= v.u.i == -3;
    seen_hi |= v.u.i == 3;
  }
  CHECK(seen_lo && seen_hi);
  a[1] = tpl_int(-3);
  v = call(NULL, "randInt", a, 2);
  CHECK_STR(last_err, "invalid argument to Intn");
  for (i = 0; i < 20; i++) {
    const char *s;
    size_t k;
    v = call(NULL, "uuidv4", NULL, 0);
    s = tpl_sdata(v);
    CHECK(tpl_slen(v) == 36);
    for (k = 0; k < 36; k++)
      CHECK(k == 8 || k == 13 || k == 18 || k == 23 ? s[k] == '-'
                                                    : strchr("0123456789abcdef", s[k]) != NULL);
    CHECK(s[14] == '4' && strchr("89ab", s[19]));
    tpl_unref(v);
  }
  v = call_s(NULL, "shuffle", "h\xc3\xa9llo w\xc3\xb6rld");
  {   /* the same runes in some order */
    const char *s = tpl_sdata(v);
    CHECK(tpl_slen(v) == 13 && tpl_utf8_valid(s, 13));
    CHECK(strstr(s, "\xc3\xa9") && strstr(s, "\xc3\xb6"));
    CHECK(strchr(s, 'w') && strchr(s, 'd') && strchr(s, ' '));
  }
  tpl_unref(v);
}

static tpl_val call_ss(const tpl_options *opt, const char *name, const char *x,
                       const char *y)
{
  tpl_val a[2], r;
  tpl_str_cstr(&a[0], x);
  tpl_str_cstr(&a[1], y);
  r = call(opt, name, a, 2);
  tpl_unref(a[0]);
  tpl_unref(a[1]);
  return r;
}

static void test_bcrypt_htpasswd(void)
{
  tpl_val h = call_s(NULL, "bcrypt", "s3cret p\xc3\xa4ss");
  struct crypt_data cd;
  char setting[64];
  const char *again;
  CHECK(h.kind == TPL_STR && tpl_slen(h) == 60);
  CHECK(!strncmp(tpl_sdata(h), "$2a$10$", 7));
  /* the hash verifies: the same computation under the $2b$ name */
  snprintf(setting, sizeof setting, "$2b$%s", tpl_sdata(h) + 4);
  memset(&cd, 0, sizeof cd);
  again = crypt_r("s3cret p\xc3\xa4ss", setting, &cd);
  CHECK(again && !strcmp(again + 4, tpl_sdata(h) + 4));
  again = crypt_r("wrong", setting, &cd);
  CHECK(again && strcmp(again + 4, tpl_sdata(h) + 4) != 0);
  tpl_unref(h);
  h = call_ss(NULL, "htpasswd", "admin", "pw");
  CHECK(h.kind == TPL_STR && !strncmp(tpl_sdata(h), "admin:$2a$10$", 13) &&
        tpl_slen(h) == 66);
  tpl_unref(h);
}

static void test_aes_round_trip(void)
{
  static const char *const texts[] = {"x", "exactly16bytes!!", "a longer secret, "
                                      "more than two blocks of it", "\xc3\xa9\n\t"};
  size_t i;
  for (i = 0; i < sizeof texts / sizeof *texts; i++) {
    tpl_val e = call_ss(NULL, "encryptAES", "a key longer than thirty-two bytes!", texts[i]);
    tpl_val a[2], d;
    size_t blocks = strlen(texts[i]) / 16 + 1;
    CHECK(e.kind == TPL_STR && tpl_slen(e) == (16 + blocks * 16 + 2) / 3 * 4);
    tpl_str_cstr(&a[0], "a key longer than thirty-two bytes!");
    a[1] = e;
    d = call(NULL, "decryptAES", a, 2);
    CHECK(d.kind == TPL_STR && !strcmp(tpl_sdata(d), texts[i]));
    tpl_unref(d);
    tpl_unref(a[0]);
    /* only the first 32 bytes of the password are the key */
    tpl_str_cstr(&a[0], "a key longer than thirty-two byt");
    d = call(NULL, "decryptAES", a, 2);
    CHECK(d.kind == TPL_STR && !strcmp(tpl_sdata(d), texts[i]));
    tpl_unref(d);
    tpl_unref(a[0]);
    tpl_unref(e);
  }
}

static EVP_PKEY *pem_key(const char *pem)
{
  BIO *b = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  BIO_free(b);
  return k;
}

static X509 *pem_cert(const char *pem)
{
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  return x;
}

static void test_private_keys(void)
{
  static const struct { const char *type, *header; int id, bits; } kinds[] = {
    {"rsa", "-----BEGIN RSA PRIVATE KEY-----\n", EVP_PKEY_RSA, 4096},
    {"ecdsa", "-----BEGIN EC PRIVATE KEY-----\n", EVP_PKEY_EC, 256},
    {"ed25519", "-----BEGIN PRIVATE KEY-----\n", EVP_PKEY_ED25519, 256},
    {"dsa", "-----BEGIN DSA PRIVATE KEY-----\n", EVP_PKEY_DSA, 2048}};
  size_t i;
  for (i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    tpl_val v = call_s(NULL, "genPrivateKey", kinds[i].type);
    EVP_PKEY *k;
    const char *s = tpl_sdata(v);
    CHECK(v.kind == TPL_STR && !strncmp(s, kinds[i].header, strlen(kinds[i].header)));
    CHECK(v.kind == TPL_STR && s[tpl_slen(v) - 1] == '\n');
    k = v.kind == TPL_STR ? pem_key(s) : NULL;
    CHECK(k && EVP_PKEY_get_base_id(k) == kinds[i].id && EVP_PKEY_get_bits(k) == kinds[i].bits);
    EVP_PKEY_free(k);
    tpl_unref(v);
  }
  {
    tpl_val v = call_s(NULL, "genPrivateKey", "foo");
    CHECK_STR(tpl_sdata(v), "Unknown type foo");
    tpl_unref(v);
  }
}

static int fixed_now(void *ctx, int64_t *sec, long *nsec)
{
  *sec = 1700000000;
  *nsec = 0;
  return KD_OK;
}

static int64_t clock_now;   /* the time moving_now reports */
static int moving_now(void *ctx, int64_t *sec, long *nsec)
{
  *sec = clock_now;
  *nsec = 0;
  return KD_OK;
}

/* what cert CT (a sprig.certificate) holds, borrowed */
static const char *member(tpl_val ct, const char *name, tpl_val *keep)
{
  tpl_call c;
  tpl_call_init(&c, name, NULL);
  *keep = tpl_nil();
  if (tpl_obj_class(ct)) tpl_obj_class(ct)->member(&c, ct.u.o, name, NULL, 0, keep);
  tpl_call_done(&c);
  return keep->kind == TPL_STR ? tpl_sdata(*keep) : "";
}

/* genCA makes its key on first use, but as of the call: the validity
 * starts at the call's time, and every later use sees the same CA. */
static void test_ca_made_on_first_use(void)
{
  tpl_options opt;
  tpl_val a[2], ca, c1, c2, k1, k2;
  X509 *x;
  memset(&opt, 0, sizeof opt);
  opt.now = moving_now;
  clock_now = 1600000000;
  tpl_str_cstr(&a[0], "lazy-ca");
  a[1] = tpl_int(10);
  ca = call(&opt, "genCA", a, 2);
  clock_now = 1700000000;   /* time passes before the CA is read */
  x = pem_cert(member(ca, "Cert", &c1));
  CHECK(x && ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), 1600000000) == 0);
  member(ca, "Key", &k1);
  member(ca, "Cert", &c2);
  member(ca, "Key", &k2);
  CHECK(c1.kind == TPL_STR && c2.kind == TPL_STR && !strcmp(tpl_sdata(c1), tpl_sdata(c2)));
  CHECK(k1.kind == TPL_STR && k2.kind == TPL_STR && !strcmp(tpl_sdata(k1), tpl_sdata(k2)));
  X509_free(x);
  tpl_unref(c1);
  tpl_unref(c2);
  tpl_unref(k1);
  tpl_unref(k2);
  tpl_unref(ca);
  tpl_unref(a[0]);
}

static void test_certificates(void)
{
  tpl_options opt;
  tpl_val a[5], ca, srv, ck, cc, sk, sc, ext;
  X509 *cax, *sx;
  EVP_PKEY *cak, *sk_key;
  memset(&opt, 0, sizeof opt);
  opt.now = fixed_now;
  tpl_str_cstr(&a[0], "my-ca");
  a[1] = tpl_int(365);
  ca = call(&opt, "genCA", a, 2);
  CHECK(tpl_type_name(ca) && !strcmp(tpl_type_name(ca), "sprig.certificate"));
  cax = pem_cert(member(ca, "Cert", &cc));
  cak = pem_key(member(ca, "Key", &ck));
  CHECK(cax && cak);
  if (!cax || !cak) return;
  CHECK(X509_check_ca(cax) == 1);
  CHECK(X509_check_private_key(cax, cak) == 1);
  CHECK(X509_get0_subject_key_id(cax) != NULL);
  CHECK(X509_get_key_usage(cax) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_CERT_SIGN));
  CHECK(EVP_PKEY_get_bits(cak) == 2048);
  {
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cax), X509_get0_notAfter(cax));
    CHECK(days == 365 && secs == 0);
    CHECK(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cax), 1700000000) == 0);
  }
  {
    char cn[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(cax), NID_commonName, cn, sizeof cn);
    CHECK_STR(cn, "my-ca");
  }
  /* a server certificate signed by it */
  tpl_unref(a[0]);
  tpl_str_cstr(&a[0], "srv.example");
  tpl_list_new(&a[1], 2);
  tpl_str_cstr(&ext, "10.1.2.3");
  tpl_list_push(a[1], ext);
  tpl_str_cstr(&ext, "::1");
  tpl_list_push(a[1], ext);
  tpl_list_new(&a[2], 1);
  tpl_str_cstr(&ext, "srv.example");
  tpl_list_push(a[2], ext);
  a[3] = tpl_int(30);
  a[4] = ca;
  srv = call(&opt, "genSignedCert", a, 5);
  sx = pem_cert(member(srv, "Cert", &sc));
  sk_key = pem_key(member(srv, "Key", &sk));
  CHECK(sx && sk_key);
  if (sx && sk_key) {
    GENERAL_NAMES *gens = X509_get_ext_d2i(sx, NID_subject_alt_name, NULL, NULL);
    EVP_PKEY *capub = X509_get_pubkey(cax);
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(sx);
    CHECK(X509_verify(sx, capub) == 1);               /* signed by the CA */
    CHECK(X509_check_private_key(sx, sk_key) == 1);
    CHECK(X509_check_ca(sx) == 0);
    CHECK(X509_check_host(sx, "srv.example", 0, 0, NULL) == 1);
    CHECK(X509_check_ip_asc(sx, "10.1.2.3", 0) == 1);
    CHECK(X509_check_ip_asc(sx, "::1", 0) == 1);
    CHECK(gens && sk_GENERAL_NAME_num(gens) == 3 &&
          sk_GENERAL_NAME_value(gens, 0)->type == GEN_DNS);
    CHECK(akid && !ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(cax)));
    CHECK((X509_get_extended_key_usage(sx) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
          (XKU_SSL_SERVER | XKU_SSL_CLIENT));
    GENERAL_NAMES_free(gens);
    EVP_PKEY_free(capub);
  }
  X509_free(sx);
  EVP_PKEY_free(sk_key);
  tpl_unref(sc);
  tpl_unref(sk);
  tpl_unref(srv);
  {   /* self-signed with an ECDSA key of our own; bad IPs are Go's error */
    tpl_val key = call_s(NULL, "genPrivateKey", "ecdsa"), b[5], self, c1, c2;
    X509 *x;
    b[0] = a[0];
    b[1] = tpl_nil();
    b[2] = a[2];
    b[3] = tpl_int(1);
    b[4] = key;
    self = call(&opt, "genSelfSignedCertWithKey", b, 5);
    x = pem_cert(member(self, "Cert", &c1));
    CHECK(x && X509_check_ca(x) == 0);
    CHECK_STR(member(self, "Key", &c2), tpl_sdata(key));
    if (x) {
      EVP_PKEY *pub = X509_get_pubkey(x);
      CHECK(X509_verify(x, pub) == 1 && EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC);
      EVP_PKEY_free(pub);
    }
    X509_free(x);
    tpl_unref(c1);
    tpl_unref(c2);
    tpl_unref(self);
    tpl_list_new(&b[1], 1);
    tpl_str_cstr(&ext, "not-an-ip");
    tpl_list_push(b[1], ext);
    self = call(&opt, "genSelfSignedCertWithKey", b, 5);
    CHECK(self.kind == TPL_NIL);
    CHECK_STR(last_err, "error parsing ip: not-an-ip");
    tpl_unref(b[1]);
    tpl_unref(key);
  }
  {   /* buildCustomCert takes the CA back from base64 */
    tpl_val b[2], built, x1, x2;
    b[0] = call_s(NULL, "b64enc", tpl_sdata(cc));
    b[1] = call_s(NULL, "b64enc", tpl_sdata(ck));
    built = call(NULL, "buildCustomCert", b, 2);
    CHECK_STR(member(built, "Cert", &x1), tpl_sdata(cc));
    CHECK_STR(member(built, "Key", &x2), tpl_sdata(ck));
    tpl_unref(x1);
    tpl_unref(x2);
    tpl_unref(built);
    tpl_unref(b[1]);
    b[1] = call_s(NULL, "b64enc", "not a key");
    built = call(NULL, "buildCustomCert", b, 2);
    CHECK(built.kind == TPL_NIL);
    CHECK_STR(last_err, "error parsing private key: no PEM data in input");
    tpl_unref(b[0]);
    tpl_unref(b[1]);
  }
  tpl_unref(a[0]);
  tpl_unref(a[1]);
  tpl_unref(a[2]);
  tpl_unref(cc);
  tpl_unref(ck);
  X509_free(cax);
  EVP_PKEY_free(cak);
  tpl_unref(ca);
}

/* every function of Helm's list (tests/golden/tpl_fn/helm_funcs.txt,
 * confirmed against helm by check.py) that belongs to the library is
 * registered, and no name twice */
static void test_registry_complete(void)
{
  kd_error err = {0};
  size_t len;
  char *data = kd_read_file("tests/golden/tpl_fn/helm_funcs.txt", &len, &err), *line, *save;
  int listed = 0;
  const tpl_func_def *const *t, *const *u;
  const tpl_func_def *f, *g;
  CHECK(data != NULL);
  if (!data) return;
  for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    if (line[0] == '#' || !sp) continue;
    *sp = 0;
    listed++;
    if (!strcmp(sp + 1, "lib") && !find_fn(line)) {
      printf("FAIL %s: %s is not registered\n", t_name, line);
      t_failures++;
    }
  }
  CHECK(listed > 200);
  free(data);
  for (t = tpl_fn_library; *t; t++)
    for (f = *t; f->name; f++)
      for (u = t; *u; u++)
        for (g = (u == t ? f + 1 : *u); g->name; g++)
          if (!strcmp(f->name, g->name)) {
            printf("FAIL %s: %s registered twice\n", t_name, f->name);
            t_failures++;
          }
}

/* Time.String as Go prints it: "{{ now }}" carries the monotonic reading
 * " m=+S.NNNNNNNNN" (its value only means something within one run), Add
 * (dateModify) keeps it signed, UTC drops it, an injected clock has none. */
static int printed_as(tpl_val t, const char *pattern)
{
  kd_buf b = {0};
  regex_t re;
  int ok = tpl_obj_class(t) && tpl_obj_class(t)->print(t.u.o, &b) == KD_OK && b.data &&
           regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
  if (ok) {
    ok = regexec(&re, b.data, 0, NULL, 0) == 0;
    if (!ok) fprintf(stderr, "  %s does not match %s\n", b.data, pattern);
    regfree(&re);
  }
  kd_buf_free(&b);
  return ok;
}

static void test_now_monotonic(void)
{
  static const char stamp[] =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)? [-+][0-9]{4} [^ ]+";
  char with_m[256], with_neg[256], without[256];
  tpl_options opt;
  tpl_val now, a[2], earlier, utc = tpl_nil();
  tpl_call c;
  memset(&opt, 0, sizeof opt);
  snprintf(with_m, sizeof with_m, "%s m=\\+[0-9]+\\.[0-9]{9}$", stamp);
  snprintf(with_neg, sizeof with_neg, "%s m=-3[56][0-9]{2}\\.[0-9]{9}$", stamp);
  snprintf(without, sizeof without, "%s$", stamp);
  now = call(&opt, "now", NULL, 0);
  CHECK(printed_as(now, with_m));
  tpl_str_cstr(&a[0], "-1h");
  a[1] = now;
  earlier = call(&opt, "dateModify", a, 2);
  CHECK(printed_as(earlier, with_neg));
  tpl_call_init(&c, "UTC", &opt);
  CHECK(tpl_obj_class(now)->member(&c, now.u.o, "UTC", NULL, 0, &utc) == KD_OK);
  tpl_call_done(&c);
  CHECK(printed_as(utc, without));
  tpl_unref(utc);
  tpl_unref(earlier);
  tpl_unref(now);
  opt.now = fixed_now;
  now = call(&opt, "now", NULL, 0);
  CHECK(printed_as(now, without));
  tpl_unref(now);
  tpl_unref(a[0]);
}

int main(void)
{
  RUN(test_random_strings);
  RUN(test_random_hook);
  RUN(test_rand_int_uuid_shuffle);
  RUN(test_bcrypt_htpasswd);
  RUN(test_aes_round_trip);
  RUN(test_private_keys);
  RUN(test_certificates);
  RUN(test_ca_made_on_first_use);
  RUN(test_registry_complete);
  RUN(test_now_monotonic);
  TEST_EXIT();
}
