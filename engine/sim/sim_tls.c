/* engine/sim/sim_tls.c: --tls: a fresh CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate (O=system:masters), all
 * made at start-up with OpenSSL; the server context asks for (but does
 * not require) a client certificate signed by that CA. */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static EVP_PKEY *new_key(void)
{
  EVP_PKEY *k = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
  if (!ctx) return NULL;
  if (EVP_PKEY_keygen_init(ctx) <= 0 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) <= 0 ||
      EVP_PKEY_keygen(ctx, &k) <= 0)
    k = NULL;
  EVP_PKEY_CTX_free(ctx);
  return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ex;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ex) return 0;
  X509_add_ext(cert, ex, -1);
  X509_EXTENSION_free(ex);
  return 1;
}

/* A certificate for KEY named CN (and O), signed by CA_KEY/CA (NULL: self).*/
static X509 *make_cert(sim *s, EVP_PKEY *key, const char *cn, const char *org,
                       X509 *ca, EVP_PKEY *ca_key, int kind)
{
  X509 *x = X509_new();
  X509_NAME *name;
  if (!x) return NULL;
  X509_set_version(x, 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x),
                          sim_rand(s) & 0x7fffffffffffffffULL);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600);
  X509_set_pubkey(x, key);
  name = X509_get_subject_name(x);
  if (org)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *)org, -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
  if (kind == 0) {
    add_ext(x, ca ? ca : x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, ca ? ca : x, NID_key_usage, "critical,keyCertSign,cRLSign,"
                                           "digitalSignature");
  } else {
    add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(x, ca, NID_ext_key_usage, kind == 1 ? "serverAuth" : "clientAuth");
    if (kind == 1)
      add_ext(x, ca, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  if (!X509_sign(x, ca_key ? ca_key : key, EVP_sha256())) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static char *cert_pem(X509 *x)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *data, *out = NULL;
  long n;
  if (!b) return NULL;
  if (PEM_write_bio_X509(b, x) && (n = BIO_get_mem_data(b, &data)) > 0)
    out = kd_strndup(data, (size_t)n);
  BIO_free(b);
  return out;
}

static char *key_pem(EVP_PKEY *k)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *data, *out = NULL;
  long n;
  if (!b) return NULL;
  if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) &&
      (n = BIO_get_mem_data(b, &data)) > 0)
    out = kd_strndup(data, (size_t)n);
  BIO_free(b);
  return out;
}

int sim_tls_init(sim *s, kd_error *err)
{
  EVP_PKEY *ca_key = new_key(), *srv_key = new_key(), *cli_key = new_key();
  X509 *ca = NULL, *srv = NULL, *cli = NULL;
  int rc = KD_OK;
  if (!ca_key || !srv_key || !cli_key) goto fail;
  ca = make_cert(s, ca_key, "kdeploy-sim-ca", NULL, NULL, NULL, 0);
  if (!ca) goto fail;
  srv = make_cert(s, srv_key, "kdeploy-sim", NULL, ca, ca_key, 1);
  cli = make_cert(s, cli_key, "kdeploy-sim-admin", "system:masters", ca,
                  ca_key, 2);
  if (!srv || !cli) goto fail;
  s->ssl_ctx = SSL_CTX_new(TLS_server_method());
  if (!s->ssl_ctx) goto fail;
  SSL_CTX_set_min_proto_version(s->ssl_ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(s->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate(s->ssl_ctx, srv) != 1 ||
      SSL_CTX_use_PrivateKey(s->ssl_ctx, srv_key) != 1)
    goto fail;
  X509_STORE_add_cert(SSL_CTX_get_cert_store(s->ssl_ctx), ca);
  SSL_CTX_set_verify(s->ssl_ctx, SSL_VERIFY_PEER, NULL);
  /* with client certificates verified, OpenSSL refuses to resume a session
   * (internal error alert) unless it has a session id context */
  SSL_CTX_set_session_id_context(s->ssl_ctx, (const unsigned char *)"kdeploy-sim", 11);
  {
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    if (names) {
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
      SSL_CTX_set_client_CA_list(s->ssl_ctx, names);
    }
  }
  s->ca_pem = cert_pem(ca);
  s->client_cert_pem = cert_pem(cli);
  s->client_key_pem = key_pem(cli_key);
  if (!s->ca_pem || !s->client_cert_pem || !s->client_key_pem) goto fail;
  if (s->dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/ca.crt", s->dir);
    rc = kd_write_file(path, s->ca_pem, strlen(s->ca_pem), err);
  }
  goto done;
fail:
  rc = kd_error_set(err, KD_EIO, "sim: cannot set up TLS: %s",
                    ERR_reason_error_string(ERR_get_error())
                        ? ERR_reason_error_string(ERR_get_error())
                        : "OpenSSL error");
done:
  X509_free(ca);
  X509_free(srv);
  X509_free(cli);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(srv_key);
  EVP_PKEY_free(cli_key);
  return rc;
}
