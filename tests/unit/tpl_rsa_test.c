/* tests/unit/tpl_rsa_test.c: tpl_rsa_keygen makes valid RSA keys of the
 * size asked for, e = 65537, two primes, each key different. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

static BIGNUM *param(EVP_PKEY *k, const char *name)
{
  BIGNUM *b = NULL;
  EVP_PKEY_get_bn_param(k, name, &b);
  return b;
}

/* Checks KEY as OpenSSL does (p and q prime, n = pq, d e = 1 mod lambda,
 * CRT values) and its shape; returns its modulus (owned). */
static BIGNUM *check_key(EVP_PKEY *key, int bits)
{
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
  BIGNUM *n = param(key, OSSL_PKEY_PARAM_RSA_N), *e = param(key, OSSL_PKEY_PARAM_RSA_E);
  BIGNUM *p = param(key, OSSL_PKEY_PARAM_RSA_FACTOR1);
  BIGNUM *q = param(key, OSSL_PKEY_PARAM_RSA_FACTOR2);
  BIGNUM *r = param(key, "rsa-factor3");
  CHECK(c && EVP_PKEY_check(c) == 1);
  CHECK(EVP_PKEY_get_bits(key) == bits);
  CHECK(n && BN_num_bits(n) == bits);
  CHECK(e && BN_is_word(e, 65537));
  CHECK(p && q && BN_num_bits(p) == bits / 2 && BN_num_bits(q) == bits / 2);
  CHECK(p && q && BN_cmp(p, q) > 0);
  CHECK(r == NULL);   /* no third prime */
  EVP_PKEY_CTX_free(c);
  BN_free(e);
  BN_free(p);
  BN_free(q);
  BN_free(r);
  return n;
}

static void test_rsa_2048(void)
{
  EVP_PKEY *a = tpl_rsa_keygen(2048), *b = tpl_rsa_keygen(2048);
  BIGNUM *na, *nb;
  CHECK(a && b);
  if (!a || !b) return;
  na = check_key(a, 2048);
  nb = check_key(b, 2048);
  CHECK(na && nb && BN_cmp(na, nb) != 0);
  BN_free(na);
  BN_free(nb);
  EVP_PKEY_free(a);
  EVP_PKEY_free(b);
}

static void test_rsa_4096(void)
{
  EVP_PKEY *a = tpl_rsa_keygen(4096);
  CHECK(a != NULL);
  if (a) BN_free(check_key(a, 4096));
  EVP_PKEY_free(a);
}

static void test_rsa_refuses_small(void)
{
  CHECK(tpl_rsa_keygen(512) == NULL);
}

int main(void)
{
  RUN(test_rsa_2048);
  RUN(test_rsa_4096);
  RUN(test_rsa_refuses_small);
  TEST_EXIT();
}
