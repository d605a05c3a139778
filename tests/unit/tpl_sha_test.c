/* tests/unit/tpl_sha_test.c: our SHA-1/256/512 (tpl_sha.c) against
 * OpenSSL's on the FIPS 180 examples and on every length from 0 to 300
 * (all the padding cases of both block sizes) of pseudo-random bytes. */
#include "test.h"
#include "tpl/tpl_int.h"

#include <openssl/evp.h>
#include <string.h>

static int same(const EVP_MD *md, const unsigned char *mine, size_t n,
                const unsigned char *data, size_t len)
{
  unsigned char ref[EVP_MAX_MD_SIZE];
  unsigned int rl = 0;
  return EVP_Digest(data, len, ref, &rl, md, NULL) && rl == n &&
         memcmp(ref, mine, n) == 0;
}

static void test_known_answers(void)
{
  unsigned char h[64];
  char hex[129];
  tpl_sha256("abc", 3, h);
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  tpl_sha1("abc", 3, h);
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
  CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
  tpl_sha512("", 0, h);
  for (int i = 0; i < 64; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
  CHECK_STR(hex, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}

static void test_every_padding_length(void)
{
  unsigned char data[300], h[64];
  unsigned x = 12345;
  for (size_t i = 0; i < sizeof data; i++) {
    x = x * 1103515245u + 12345u;
    data[i] = (unsigned char)(x >> 16);
  }
  for (size_t n = 0; n <= sizeof data; n++) {
    tpl_sha1(data, n, h);
    CHECK(same(EVP_sha1(), h, 20, data, n));
    tpl_sha256(data, n, h);
    CHECK(same(EVP_sha256(), h, 32, data, n));
    tpl_sha512(data, n, h);
    CHECK(same(EVP_sha512(), h, 64, data, n));
  }
}

int main(void)
{
  RUN(test_known_answers);
  RUN(test_every_padding_length);
  TEST_EXIT();
}
