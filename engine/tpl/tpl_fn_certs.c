/* engine/tpl/tpl_fn_certs.c: Sprig's keys and certificates on OpenSSL:
 * genPrivateKey (rsa 4096, dsa L2048N256, ecdsa P-256, ed25519, in the
 * PEM blocks Sprig writes: RSA/DSA/EC PRIVATE KEY, PKCS#8 PRIVATE KEY for
 * ed25519), genCA, genSelfSignedCert, genSignedCert (+WithKey) and
 * buildCustomCert. Certificates carry what Go's x509.CreateCertificate
 * writes for Sprig's template: v3, a random serial below 2^128, subject
 * CN, validity now..now+days, critical key usage, server+client extended
 * key usage, critical basic constraints, for CAs a subject key id (SHA-256
 * of the key, truncated to 160 bits, as Go 1.25), an authority key id
 * when signed by a CA, and the SANs (DNS names, then IPs). The result is
 * a sprig.certificate object with .Cert and .Key. */
#define _GNU_SOURCE   /* memmem */
#include "tpl_int.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)
#define S(i) tpl_sdata(a[i])
#define L(i) tpl_slen(a[i])

/* ---- PEM ---------------------------------------------------------------- */

/* pem.Encode: base64 in 64-column lines between BEGIN/END lines */
static int pem_encode(const char *type, const unsigned char *der, size_t len,
                      kd_buf *b)
{
  static const char t[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, col = 0;
  int rc = kd_buf_printf(b, "-----BEGIN %s-----\n", type);
  for (i = 0; i < len && rc == KD_OK; i += 3) {
    unsigned v = (unsigned)der[i] << 16;
    char q[4];
    if (i + 1 < len) v |= (unsigned)der[i + 1] << 8;
    if (i + 2 < len) v |= der[i + 2];
    q[0] = t[(v >> 18) & 63];
    q[1] = t[(v >> 12) & 63];
    q[2] = i + 1 < len ? t[(v >> 6) & 63] : '=';
    q[3] = i + 2 < len ? t[v & 63] : '=';
    rc = kd_buf_add(b, q, 4);
    if ((col += 4) == 64) {
      rc |= kd_buf_addc(b, '\n');
      col = 0;
    }
  }
  if (col) rc |= kd_buf_addc(b, '\n');
  rc |= kd_buf_printf(b, "-----END %s-----\n", type);
  return rc ? KD_ENOMEM : KD_OK;
}

/* Sprig's pemBlockForKey */
static int key_pem(EVP_PKEY *k, kd_buf *b)
{
  unsigned char *der = NULL;
  int len, rc;
  const char *type;
  switch (EVP_PKEY_get_base_id(k)) {
  case EVP_PKEY_RSA: type = "RSA PRIVATE KEY"; len = i2d_PrivateKey(k, &der); break;
  case EVP_PKEY_EC: type = "EC PRIVATE KEY"; len = i2d_PrivateKey(k, &der); break;
  case EVP_PKEY_DSA: type = "DSA PRIVATE KEY"; len = i2d_PrivateKey(k, &der); break;
  default: {
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
    type = "PRIVATE KEY";
    len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
    PKCS8_PRIV_KEY_INFO_free(p8);
  }
  }
  if (len <= 0) return KD_ENOMEM;
  rc = pem_encode(type, der, (size_t)len, b);
  OPENSSL_free(der);
  return rc;
}

static EVP_PKEY *gen_dsa(void)
{
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL), *kc = NULL;
  EVP_PKEY *params = NULL, *key = NULL;
  if (pc && EVP_PKEY_paramgen_init(pc) > 0 &&
      EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 2048) > 0 &&
      EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pc, 256) > 0 &&
      EVP_PKEY_paramgen(pc, &params) > 0 &&
      (kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) &&
      EVP_PKEY_keygen_init(kc) > 0)
    EVP_PKEY_keygen(kc, &key);
  EVP_PKEY_CTX_free(kc);
  EVP_PKEY_CTX_free(pc);
  EVP_PKEY_free(params);
  return key;
}

FN(fn_gen_private_key)
{
  EVP_PKEY *k = NULL;
  kd_buf b = {0};
  int rc;
  if (L(0) == 0 || !strcmp(S(0), "rsa")) k = tpl_rsa_keygen(4096);
  else if (!strcmp(S(0), "dsa")) k = gen_dsa();
  else if (!strcmp(S(0), "ecdsa")) k = EVP_EC_gen("P-256");
  else if (!strcmp(S(0), "ed25519")) k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  else {
    kd_buf_printf(&b, "Unknown type %s", S(0));
    return tpl_str_take(out, &b);
  }
  if (!k) return tpl_str_cstr(out, "failed to generate private key");
  rc = key_pem(k, &b);
  EVP_PKEY_free(k);
  if (rc) {
    kd_buf_free(&b);
    return rc;
  }
  return tpl_str_take(out, &b);
}

/* ---- the certificate object --------------------------------------------- */

/* A genCA result is made on first use: its RSA key costs more than most
 * renders (charts call genCA and then often never read it). What the call
 * decides is fixed at the call: the serial (drawn from the call's random
 * source, in the call's order) and the validity start. */
typedef struct {
  char *cert, *key;   /* NULL while pending */
  char *cn;           /* pending CA: its subject */
  int64_t days, now;
  unsigned char serial[16];
} certificate;

static void cert_free(void *p)
{
  certificate *ct = p;
  if (!ct) return;
  free(ct->cert);
  free(ct->key);
  free(ct->cn);
  free(ct);
}

static int cert_ready(certificate *ct);

static void *obj_data(tpl_obj *o)
{
  tpl_val v;
  v.kind = TPL_OBJ;
  v.sub = 0;
  v.u.o = o;
  return tpl_obj_data(v);
}

static int cert_member(tpl_call *c, tpl_obj *o, const char *name,
                       const tpl_val *args, int nargs, tpl_val *out)
{
  certificate *ct = obj_data(o);
  int rc;
  if ((!strcmp(name, "Cert") || !strcmp(name, "Key")) && (rc = cert_ready(ct)) != KD_OK)
    return rc;
  if (!strcmp(name, "Cert")) return tpl_str_cstr(out, ct->cert);
  if (!strcmp(name, "Key")) return tpl_str_cstr(out, ct->key);
  return KD_ENOTFOUND;
}

/* %v of the struct: {CERT KEY} */
static int cert_print(tpl_obj *o, kd_buf *b)
{
  certificate *ct = obj_data(o);
  int rc = cert_ready(ct);
  if (rc != KD_OK) return rc;
  return kd_buf_printf(b, "{%s %s}", ct->cert, ct->key) ? KD_ENOMEM : KD_OK;
}

static int cert_marshal(tpl_obj *o, tpl_val *out)
{
  certificate *ct = obj_data(o);
  tpl_val s;
  int rc = cert_ready(ct);
  if (rc != KD_OK) return rc;
  rc = tpl_map_new(out);
  if (rc == KD_OK && (rc = tpl_str_cstr(&s, ct->cert)) == KD_OK)
    rc = tpl_map_sets(*out, "Cert", s);
  if (rc == KD_OK && (rc = tpl_str_cstr(&s, ct->key)) == KD_OK)
    rc = tpl_map_sets(*out, "Key", s);
  return rc;
}

static const tpl_class cert_class = {
  "sprig.certificate", "struct", cert_member, cert_print, cert_marshal, NULL, cert_free};

static int new_cert(kd_buf *cert, kd_buf *key, tpl_val *out)
{
  certificate *ct = calloc(1, sizeof *ct);
  if (!ct) return KD_ENOMEM;
  ct->cert = kd_buf_take(cert, NULL);
  ct->key = kd_buf_take(key, NULL);
  if (!ct->cert || !ct->key) {
    cert_free(ct);
    return KD_ENOMEM;
  }
  return tpl_obj_new(out, &cert_class, ct);
}

/* ---- keys and certificates ---------------------------------------------- */

/* Sprig's parsePrivateKeyPEM: NULL + Go's message in MSG */
static EVP_PKEY *parse_key_pem(const char *pem, size_t len, kd_buf *msg)
{
  const char *begin = memmem(pem, len, "-----BEGIN ", 11), *dash;
  BIO *bio;
  EVP_PKEY *k;
  size_t tl;
  if (!begin || !(dash = strstr(begin + 11, "-----"))) {
    kd_buf_adds(msg, "no PEM data in input");
    return NULL;
  }
  tl = (size_t)(dash - begin - 11);
  if (!(tl == 11 && !memcmp(begin + 11, "PRIVATE KEY", 11)) &&
      !(tl > 12 && !memcmp(dash - 12, " PRIVATE KEY", 12))) {
    kd_buf_printf(msg, "no private key data in PEM block of type %.*s", (int)tl, begin + 11);
    return NULL;
  }
  if (!(bio = BIO_new_mem_buf(pem, (int)len))) return NULL;
  k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!k) kd_buf_printf(msg, "invalid private key type %.*s", (int)tl, begin + 11);
  return k;
}

static int add_ext(X509 *x, int nid, int crit, void *val)
{
  return X509_add1_ext_i2d(x, nid, val, crit, X509V3_ADD_DEFAULT) == 1;
}

/* the key id Go 1.25 writes: SHA-256 of the public key bits, 160 bits */
static int key_id(X509 *x, unsigned char id[20])
{
  const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
  unsigned char h[32];
  if (!bits || !EVP_Digest(bits->data, (size_t)bits->length, h, NULL, EVP_sha256(), NULL))
    return 0;
  memcpy(id, h, 20);
  return 1;
}

/* net.ParseIP into 4 or 16 bytes (IPv4-mapped addresses become 4) */
static int parse_ip(const char *s, unsigned char ip[16], int *len)
{
  if (inet_pton(AF_INET, s, ip) == 1) {
    *len = 4;
    return 1;
  }
  if (inet_pton(AF_INET6, s, ip) != 1) return 0;
  *len = 16;
  if (!memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
    memmove(ip, ip + 12, 4);
    *len = 4;
  }
  return 1;
}

typedef struct {
  const char *cn;
  tpl_val ips, dns;   /* lists (or nil) */
  int64_t days;
  int is_ca;
} cert_spec;

static int spec_fail(tpl_call *c, tpl_val v, const char *what)
{
  kd_buf b = {0};
  int rc;
  tpl_fmt_v(&b, v);
  rc = tpl_call_fail(c, "%s: %s is not a string", what, b.data ? b.data : "");
  kd_buf_free(&b);
  return rc;
}

/* SANs: DNS names then IPs, as Go's marshalSANs */
static int add_sans(tpl_call *c, X509 *x, const cert_spec *sp)
{
  GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
  size_t i;
  int rc = KD_OK, ok = 1;
  if (!gens) return KD_ENOMEM;
  for (i = 0; rc == KD_OK && sp->dns.kind == TPL_LIST && i < tpl_list_len(sp->dns); i++) {
    tpl_val d = tpl_list_at(sp->dns, i);
    GENERAL_NAME *g;
    ASN1_IA5STRING *s;
    if (d.kind != TPL_STR) {
      rc = spec_fail(c, d, "error processing alternate dns name");
      break;
    }
    g = GENERAL_NAME_new();
    s = ASN1_IA5STRING_new();
    if (!g || !s || !ASN1_STRING_set(s, tpl_sdata(d), (int)tpl_slen(d))) ok = 0;
    if (g && s) GENERAL_NAME_set0_value(g, GEN_DNS, s);
    else ASN1_IA5STRING_free(s);
    if (!g || !sk_GENERAL_NAME_push(gens, g)) ok = 0;
  }
  for (i = 0; rc == KD_OK && sp->ips.kind == TPL_LIST && i < tpl_list_len(sp->ips); i++) {
    tpl_val d = tpl_list_at(sp->ips, i);
    unsigned char ip[16];
    int len;
    GENERAL_NAME *g;
    ASN1_OCTET_STRING *o;
    if (d.kind != TPL_STR) {
      rc = spec_fail(c, d, "error parsing ip");
      break;
    }
    if (!parse_ip(tpl_sdata(d), ip, &len)) {
      rc = tpl_call_fail(c, "error parsing ip: %s", tpl_sdata(d));
      break;
    }
    g = GENERAL_NAME_new();
    o = ASN1_OCTET_STRING_new();
    if (!g || !o || !ASN1_OCTET_STRING_set(o, ip, len)) ok = 0;
    if (g && o) GENERAL_NAME_set0_value(g, GEN_IPADD, o);
    else ASN1_OCTET_STRING_free(o);
    if (!g || !sk_GENERAL_NAME_push(gens, g)) ok = 0;
  }
  if (rc == KD_OK && ok && sk_GENERAL_NAME_num(gens) > 0 &&
      !add_ext(x, NID_subject_alt_name, 0, gens))
    ok = 0;
  GENERAL_NAMES_free(gens);
  return rc != KD_OK ? rc : ok ? KD_OK : KD_ENOMEM;
}

/* a Name with only the CN, as a PrintableString when it can be */
static X509_NAME *cn_name(const char *cn)
{
  X509_NAME *nm = X509_NAME_new();
  size_t i;
  int printable = 1;
  if (!nm || !*cn) return nm;
  for (i = 0; cn[i]; i++)
    if (!((cn[i] >= 'a' && cn[i] <= 'z') || (cn[i] >= 'A' && cn[i] <= 'Z') ||
          (cn[i] >= '0' && cn[i] <= '9') || strchr(" '()+,-./:=?*&", cn[i])))
      printable = 0;
  if (!X509_NAME_add_entry_by_NID(nm, NID_commonName,
                                  printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
                                  (const unsigned char *)cn, -1, -1, 0)) {
    X509_NAME_free(nm);
    return NULL;
  }
  return nm;
}

/* the call's serial number and time (seconds) for a new certificate */
static int cert_serial_now(tpl_call *c, unsigned char serial[16], int64_t *now)
{
  const tpl_options *opt = tpl_call_options(c);
  long nsec;
  int rc = tpl_random_bytes(c, serial, 16);
  if (rc != KD_OK) return rc;
  if (!(opt->now && opt->now(opt->now_ctx, now, &nsec) == KD_OK)) *now = (int64_t)time(NULL);
  return KD_OK;
}

/* Builds and signs the certificate of SP for KEY, signed by SIGNER_KEY
 * with ISSUER (NULL: self-signed), with SERIAL and validity from NOW; the
 * PEMs go to CERT and KEYPEM. C only reports a DSA signer or a bad SAN, so
 * it may be NULL for an RSA-signed certificate without SANs. */
static int make_cert(tpl_call *c, const cert_spec *sp, EVP_PKEY *key,
                     X509 *issuer, EVP_PKEY *signer_key, const unsigned char serial[16],
                     int64_t now, kd_buf *cert, kd_buf *keypem)
{
  X509 *x = X509_new();
  X509_NAME *nm = cn_name(sp->cn);
  unsigned char id[20], *der = NULL;
  BIGNUM *bn = NULL;
  ASN1_INTEGER *ai = NULL;
  int rc = KD_ENOMEM, len;
  if (!x || !nm) goto done;
  if (EVP_PKEY_get_base_id(signer_key) == EVP_PKEY_DSA) {
    rc = tpl_call_fail(c, "error creating certificate: x509: certificate private "
                          "key does not implement crypto.Signer");
    goto done;
  }
  if (!(bn = BN_bin2bn(serial, 16, NULL)) || !(ai = BN_to_ASN1_INTEGER(bn, NULL)) ||
      !X509_set_version(x, 2) || !X509_set_serialNumber(x, ai) ||
      !X509_set_subject_name(x, nm) ||
      !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm) ||
      !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) ||
      !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + sp->days * 86400)) ||
      !X509_set_pubkey(x, key))
    goto done;
  {
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    int ok = ku && eku && bc && ASN1_BIT_STRING_set_bit(ku, 0, 1) &&
             ASN1_BIT_STRING_set_bit(ku, 2, 1) &&
             (!sp->is_ca || ASN1_BIT_STRING_set_bit(ku, 5, 1)) &&
             sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) &&
             sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth));
    if (ok) {
      bc->ca = sp->is_ca ? 0xFF : 0;
      ok = add_ext(x, NID_key_usage, 1, ku) && add_ext(x, NID_ext_key_usage, 0, eku) &&
           add_ext(x, NID_basic_constraints, 1, bc);
    }
    ASN1_BIT_STRING_free(ku);
    sk_ASN1_OBJECT_free(eku);
    BASIC_CONSTRAINTS_free(bc);
    if (!ok) goto done;
  }
  if (sp->is_ca) {
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    int ok = os && key_id(x, id) && ASN1_OCTET_STRING_set(os, id, 20) &&
             add_ext(x, NID_subject_key_identifier, 0, os);
    ASN1_OCTET_STRING_free(os);
    if (!ok) goto done;
  }
  if (issuer) {   /* the CA's key id, when it has one */
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(issuer);
    if (skid) {
      AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();
      int ok = ak && (ak->keyid = ASN1_OCTET_STRING_dup(skid)) &&
               add_ext(x, NID_authority_key_identifier, 0, ak);
      AUTHORITY_KEYID_free(ak);
      if (!ok) goto done;
    }
  }
  if ((rc = add_sans(c, x, sp)) != KD_OK) goto done;
  rc = KD_ENOMEM;
  if (!X509_sign(x, signer_key,
                 EVP_PKEY_get_base_id(signer_key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()))
    goto done;
  if ((len = i2d_X509(x, &der)) <= 0) goto done;
  rc = pem_encode("CERTIFICATE", der, (size_t)len, cert);
  if (rc == KD_OK) rc = key_pem(key, keypem);
done:
  OPENSSL_free(der);
  ASN1_INTEGER_free(ai);
  BN_free(bn);
  X509_NAME_free(nm);
  X509_free(x);
  return rc;
}

/* the CA certificate object's parsed cert and key; a message on failure */
static int ca_parts(tpl_call *c, tpl_val ca, X509 **cert, EVP_PKEY **key)
{
  const certificate *ct;
  BIO *bio;
  kd_buf msg = {0};
  int rc;
  *cert = NULL;
  *key = NULL;
  if (tpl_obj_class(ca) != &cert_class)
    return tpl_call_fail(c, "wrong type for value; expected sprig.certificate; got %s",
                         tpl_type_name(ca));
  ct = tpl_obj_data(ca);
  if ((rc = cert_ready((certificate *)ct)) != KD_OK) return rc;
  if (!(bio = BIO_new_mem_buf(ct->cert, -1))) return KD_ENOMEM;
  *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!*cert) return tpl_call_fail(c, "unable to decode certificate");
  if (!(*key = parse_key_pem(ct->key, strlen(ct->key), &msg))) {
    rc = tpl_call_fail(c, "error parsing private key: %s", msg.data ? msg.data : "");
    kd_buf_free(&msg);
    X509_free(*cert);
    *cert = NULL;
    return rc;
  }
  return KD_OK;
}

/* The generators: KEYPEM NULL means a fresh RSA-2048 key. */
static int generate(tpl_call *c, cert_spec *sp, tpl_val ca, int has_ca,
                    const tpl_val *keypem, tpl_val *out)
{
  EVP_PKEY *key = NULL, *ca_key = NULL;
  X509 *ca_cert = NULL;
  kd_buf cert = {0}, kp = {0}, msg = {0};
  unsigned char serial[16];
  int64_t now;
  int rc = KD_OK;
  if (has_ca && (rc = ca_parts(c, ca, &ca_cert, &ca_key)) != KD_OK) return rc;
  if ((rc = cert_serial_now(c, serial, &now)) != KD_OK) {
    EVP_PKEY_free(ca_key);
    X509_free(ca_cert);
    return rc;
  }
  if (keypem) {
    if (!(key = parse_key_pem(tpl_sdata(*keypem), tpl_slen(*keypem), &msg)))
      rc = tpl_call_fail(c, "parsing private key: %s", msg.data ? msg.data : "");
  } else if (!(key = tpl_rsa_keygen(2048))) {
    rc = tpl_call_fail(c, "error generating rsa key");
  }
  if (rc == KD_OK)
    rc = make_cert(c, sp, key, ca_cert, ca_key ? ca_key : key, serial, now, &cert, &kp);
  if (rc == KD_OK) rc = new_cert(&cert, &kp, out);
  kd_buf_free(&cert);
  kd_buf_free(&kp);
  kd_buf_free(&msg);
  EVP_PKEY_free(key);
  EVP_PKEY_free(ca_key);
  X509_free(ca_cert);
  return rc;
}

static int list_arg(tpl_call *c, tpl_val v, tpl_val *out)
{
  if (v.kind == TPL_NIL || v.kind == TPL_LIST) {
    *out = v;
    return KD_OK;
  }
  return tpl_call_fail(c, "wrong type for value; expected []interface {}; got %s",
                       tpl_type_name(v));
}

/* a pending CA's key and certificate, made now (see certificate) */
static int cert_ready(certificate *ct)
{
  cert_spec sp = {ct->cn, {0}, {0}, ct->days, 1};
  kd_buf cert = {0}, kp = {0};
  EVP_PKEY *key;
  int rc;
  if (ct->cert) return KD_OK;
  if (!(key = tpl_rsa_keygen(2048))) return KD_ENOMEM;
  rc = make_cert(NULL, &sp, key, NULL, key, ct->serial, ct->now, &cert, &kp);
  EVP_PKEY_free(key);
  if (rc == KD_OK && (!(ct->cert = kd_buf_take(&cert, NULL)) ||
                      !(ct->key = kd_buf_take(&kp, NULL)))) {
    free(ct->cert);
    ct->cert = NULL;
    rc = KD_ENOMEM;
  }
  kd_buf_free(&cert);
  kd_buf_free(&kp);
  return rc;
}

FN(fn_gen_ca)
{
  certificate *ct = calloc(1, sizeof *ct);
  int rc = ct && (ct->cn = strdup(S(0))) ? KD_OK : KD_ENOMEM;
  if (rc == KD_OK) rc = cert_serial_now(c, ct->serial, &ct->now);
  if (rc != KD_OK) {
    cert_free(ct);
    return rc;
  }
  ct->days = a[1].u.i;
  return tpl_obj_new(out, &cert_class, ct);
}

FN(fn_gen_ca_with_key)
{
  cert_spec sp = {S(0), {0}, {0}, a[1].u.i, 1};
  return generate(c, &sp, tpl_nil(), 0, &a[2], out);
}

static int self_signed(tpl_call *c, const tpl_val *a, const tpl_val *key, tpl_val *out)
{
  cert_spec sp = {S(0), {0}, {0}, a[3].u.i, 0};
  int rc;
  if ((rc = list_arg(c, a[1], &sp.ips)) || (rc = list_arg(c, a[2], &sp.dns))) return rc;
  return generate(c, &sp, tpl_nil(), 0, key, out);
}

FN(fn_gen_self_signed_cert) { return self_signed(c, a, NULL, out); }
FN(fn_gen_self_signed_cert_with_key) { return self_signed(c, a, &a[4], out); }

static int signed_cert(tpl_call *c, const tpl_val *a, const tpl_val *key, tpl_val *out)
{
  cert_spec sp = {S(0), {0}, {0}, a[3].u.i, 0};
  int rc;
  if ((rc = list_arg(c, a[1], &sp.ips)) || (rc = list_arg(c, a[2], &sp.dns))) return rc;
  return generate(c, &sp, a[4], 1, key, out);
}

FN(fn_gen_signed_cert) { return signed_cert(c, a, NULL, out); }
FN(fn_gen_signed_cert_with_key) { return signed_cert(c, a, &a[5], out); }

FN(fn_build_custom_cert)
{
  kd_buf cert = {0}, key = {0}, msg = {0};
  long e1, e2;
  BIO *bio;
  X509 *x = NULL;
  EVP_PKEY *k = NULL;
  int rc = tpl_b64_decode(S(0), L(0), &cert, &e1);
  if (rc == KD_OK) rc = tpl_b64_decode(S(1), L(1), &key, &e2);
  if (rc == KD_OK && e1 >= 0) rc = tpl_call_fail(c, "unable to decode base64 certificate");
  else if (rc == KD_OK && e2 >= 0) rc = tpl_call_fail(c, "unable to decode base64 private key");
  if (rc == KD_OK) {
    kd_buf_adds(&cert, "");
    kd_buf_adds(&key, "");
    if (!strstr(cert.data, "-----BEGIN ")) {
      rc = tpl_call_fail(c, "unable to decode certificate");
    } else if ((bio = BIO_new_mem_buf(cert.data, (int)cert.len))) {
      x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
      BIO_free(bio);
      if (!x) rc = tpl_call_fail(c, "error parsing certificate: decodedCert.Bytes: "
                                    "x509: malformed certificate");
    }
  }
  if (rc == KD_OK && !(k = parse_key_pem(key.data, key.len, &msg)))
    rc = tpl_call_fail(c, "error parsing private key: %s", msg.data ? msg.data : "");
  if (rc == KD_OK) rc = new_cert(&cert, &key, out);
  X509_free(x);
  EVP_PKEY_free(k);
  kd_buf_free(&cert);
  kd_buf_free(&key);
  kd_buf_free(&msg);
  return rc;
}

const tpl_func_def tpl_fn_certs[] = {
  {"genPrivateKey", fn_gen_private_key, "s"},
  {"genCA", fn_gen_ca, "si"},
  {"genCAWithKey", fn_gen_ca_with_key, "sis"},
  {"genSelfSignedCert", fn_gen_self_signed_cert, "saai"},
  {"genSelfSignedCertWithKey", fn_gen_self_signed_cert_with_key, "saais"},
  {"genSignedCert", fn_gen_signed_cert, "saaia"},
  {"genSignedCertWithKey", fn_gen_signed_cert_with_key, "saaias"},
  {"buildCustomCert", fn_build_custom_cert, "ss"},
  {NULL, NULL, NULL}};
