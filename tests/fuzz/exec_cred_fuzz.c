/* tests/fuzz/exec_cred_fuzz.c: libFuzzer target for the ExecCredential an
 * exec plugin prints (engine/kube_exec.c), parsed for a v1 and a v1beta1
 * plugin. Checks: at most one of the two accepts it; a failure leaves the
 * credential empty and says why; a success has a token or a certificate
 * and key pair (never one of the two) and is what the same fields give
 * when printed again as an ExecCredential (round trip). */
#include "json.h"
#include "kube_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const versions[] = {
  "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"
};

static int is_empty(const kube_cred *cr)
{
  return !cr->token && !cr->cert_data && !cr->key_data && !cr->cert_len &&
         !cr->key_len && cr->expires == 0;
}

static int add_str(kd_value *o, const char *key, const char *s, size_t len)
{
  kd_value *v = kd_obj_add(o, key, strlen(key));
  return !v || kd_value_str(v, s, len);
}

/* CR printed again as an ExecCredential of VERSION; EXP: the input's
 * expirationTimestamp (NULL: none). */
static void reprint(const kube_cred *cr, const char *version, const kd_value *exp,
                    kd_buf *out)
{
  kd_value root, *st, *v;
  kd_value_obj(&root);
  if (add_str(&root, "apiVersion", version, strlen(version)) ||
      add_str(&root, "kind", "ExecCredential", 14) ||
      !(st = kd_obj_add(&root, "status", 6)))
    abort();
  kd_value_obj(st);
  if ((cr->token && add_str(st, "token", cr->token, strlen(cr->token))) ||
      (cr->cert_data && add_str(st, "clientCertificateData", cr->cert_data,
                                cr->cert_len)) ||
      (cr->key_data && add_str(st, "clientKeyData", cr->key_data, cr->key_len)))
    abort();
  if (exp && (!(v = kd_obj_add(st, "expirationTimestamp", 19)) ||
              kd_value_copy(v, exp)))
    abort();
  if (json_encode(&root, 0, out, NULL)) abort();
  kd_value_clear(&root);
}

static int same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
  return alen == blen && (!alen || memcmp(a, b, alen) == 0);
}

static void check_success(const kube_conn *c, const kube_cred *cr,
                          const unsigned char *data, size_t size)
{
  kd_value doc;
  const kd_value *st, *exp;
  kd_buf again = {0};
  kube_cred back = {0};
  kd_error err = {0};
  if (!cr->token && !cr->cert_data) abort();
  if (!cr->cert_data != !cr->key_data) abort();
  if ((cr->token && !cr->token[0]) || (cr->cert_data && !cr->cert_len) ||
      (cr->key_data && !cr->key_len) || !isfinite(cr->expires))
    abort();
  /* the input is JSON (it parsed): take its expirationTimestamp as is */
  if (json_decode((const char *)data, size, "fuzz", &doc, NULL)) abort();
  st = kd_obj_gets(&doc, "status");
  exp = st ? kd_obj_gets(st, "expirationTimestamp") : NULL;
  reprint(cr, c->exec->api_version, exp, &again);
  if (kube_exec_parse_cred(c, &again, &back, &err)) abort();
  if (strcmp(back.token ? back.token : "", cr->token ? cr->token : "") ||
      !same_bytes(back.cert_data, back.cert_len, cr->cert_data, cr->cert_len) ||
      !same_bytes(back.key_data, back.key_len, cr->key_data, cr->key_len) ||
      back.expires != cr->expires)
    abort();
  kube_cred_clear(&back);
  kd_buf_free(&again);
  kd_value_clear(&doc);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  /* the text is not NUL-terminated: the parser must keep to its length */
  kd_buf text = {(char *)(uintptr_t)data, size, size, 0};
  int accepted = 0;
  size_t i;
  for (i = 0; i < 2; i++) {
    kube_exec e = {0};
    kube_conn c = {0};
    kube_cred cr = {0};
    kd_error err = {0};
    e.command = "fuzz-plugin";
    e.api_version = (char *)(uintptr_t)versions[i];
    c.exec = &e;
    if (kube_exec_parse_cred(&c, &text, &cr, &err) == KD_OK) {
      accepted++;
      check_success(&c, &cr, data, size);
    } else if (!is_empty(&cr) || !err.code || !err.msg[0]) {
      abort();
    }
    kube_cred_clear(&cr);
  }
  if (accepted > 1) abort();
  return 0;
}
