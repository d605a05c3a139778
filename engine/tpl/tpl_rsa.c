/* engine/tpl/tpl_rsa.c: RSA key generation for genPrivateKey and the
 * certificate functions, the way Go's crypto/rsa makes Helm's keys: two
 * random probable primes of half the size with their top two bits set
 * (FIPS 186-5 B.3.3), e = 65537, d = e^-1 mod lcm(p-1, q-1). OpenSSL 3's
 * EVP_RSA_gen takes the SP 800-56B route with auxiliary primes for such
 * keys, about three times slower here for the same key size and kind.
 * The primes come from OpenSSL's BN_generate_prime_ex2 (its DRBG, its
 * sieve and its Miller-Rabin rounds: 64 for these sizes, FIPS asks for 4
 * or fewer), and the key is checked as a pair before it is returned. */
#include "tpl_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#define MAX_TRIES 100   /* p, q pairs refused before giving up (never seen) */

enum { P, Q, N, E, D, DP, DQ, QINV, P1, Q1, LAMBDA, T, NNUMS };
typedef struct { BIGNUM *v[NNUMS]; } rsa_nums;   /* T: scratch */

static void nums_free(rsa_nums *k)
{
  int i;
  for (i = 0; i < NNUMS; i++) BN_clear_free(k->v[i]);
}

static int nums_new(rsa_nums *k)
{
  int i, ok = 1;
  for (i = 0; i < NNUMS; i++) {
    if (!(k->v[i] = BN_secure_new())) ok = 0;
    else BN_set_flags(k->v[i], BN_FLG_CONSTTIME);
  }
  return ok;
}

/* A prime of BITS bits (top two set) with gcd(prime - 1, e) = 1. */
static int gen_prime(BIGNUM *r, BIGNUM *r1, int bits, rsa_nums *k, BN_CTX *ctx)
{
  int tries;
  for (tries = 0; tries < MAX_TRIES; tries++) {
    if (!BN_generate_prime_ex2(r, bits, 0, NULL, NULL, NULL, ctx) ||
        !BN_sub(r1, r, BN_value_one()) || !BN_gcd(k->v[T], r1, k->v[E], ctx))
      return 0;
    if (BN_is_one(k->v[T])) return 1;
  }
  return 0;
}

/* p, q and the private exponents for an n of BITS bits; 0 to try again
 * (the checks of FIPS 186-5 B.3.3 and A.1.1), -1 on an OpenSSL failure. */
static int derive(rsa_nums *k, int bits, BN_CTX *ctx)
{
  if (!gen_prime(k->v[P], k->v[P1], bits / 2, k, ctx) ||
      !gen_prime(k->v[Q], k->v[Q1], bits - bits / 2, k, ctx))
    return -1;
  if (BN_cmp(k->v[P], k->v[Q]) < 0) {   /* p > q, as OpenSSL and Go order them */
    BN_swap(k->v[P], k->v[Q]);
    BN_swap(k->v[P1], k->v[Q1]);
  }
  /* |p - q| > 2^(bits/2 - 100) */
  if (!BN_sub(k->v[T], k->v[P], k->v[Q])) return -1;
  if (BN_num_bits(k->v[T]) <= bits / 2 - 100) return 0;
  if (!BN_mul(k->v[N], k->v[P], k->v[Q], ctx)) return -1;
  if (BN_num_bits(k->v[N]) != bits) return 0;
  /* lambda = (p-1)(q-1) / gcd(p-1, q-1); d = e^-1 mod lambda > 2^(bits/2) */
  if (!BN_gcd(k->v[T], k->v[P1], k->v[Q1], ctx) ||
      !BN_mul(k->v[LAMBDA], k->v[P1], k->v[Q1], ctx) ||
      !BN_div(k->v[LAMBDA], NULL, k->v[LAMBDA], k->v[T], ctx) ||
      !BN_mod_inverse(k->v[D], k->v[E], k->v[LAMBDA], ctx))
    return -1;
  if (BN_num_bits(k->v[D]) <= bits / 2) return 0;
  if (!BN_mod(k->v[DP], k->v[D], k->v[P1], ctx) ||
      !BN_mod(k->v[DQ], k->v[D], k->v[Q1], ctx) ||
      !BN_mod_inverse(k->v[QINV], k->v[Q], k->v[P], ctx))
    return -1;
  return 1;
}

static EVP_PKEY *to_pkey(const rsa_nums *k)
{
  OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *pc = NULL, *check = NULL;
  EVP_PKEY *key = NULL;
  if (b && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, k->v[N]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, k->v[E]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, k->v[D]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, k->v[P]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, k->v[Q]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, k->v[DP]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, k->v[DQ]) &&
      OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, k->v[QINV]) &&
      (params = OSSL_PARAM_BLD_to_param(b)) &&
      (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) &&
      EVP_PKEY_fromdata_init(pc) > 0)
    EVP_PKEY_fromdata(pc, &key, EVP_PKEY_KEYPAIR, params);
  /* the pair must work together (OpenSSL's keygen tests this too) */
  if (key && (!(check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) ||
              EVP_PKEY_pairwise_check(check) != 1)) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  EVP_PKEY_CTX_free(check);
  EVP_PKEY_CTX_free(pc);
  OSSL_PARAM_free(params);   /* clears the secure block with the secrets */
  OSSL_PARAM_BLD_free(b);
  return key;
}

struct evp_pkey_st *tpl_rsa_keygen(int bits)
{
  rsa_nums k = {0};
  BN_CTX *ctx = BN_CTX_secure_new();
  EVP_PKEY *key = NULL;
  int tries, r = -1;
  if (ctx && bits >= 1024 && nums_new(&k) && BN_set_word(k.v[E], 65537))
    for (tries = 0; tries < MAX_TRIES && (r = derive(&k, bits, ctx)) == 0; tries++)
      ;
  if (r == 1) key = to_pkey(&k);
  nums_free(&k);
  BN_CTX_free(ctx);
  return key;
}
