/* engine/sim/sim_util.c: small helpers of the sim: shared blobs, object
 * paths, uids, timestamps. */
#include "sim_int.h"
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

sim_blob *sim_blob_new(const char *p, size_t len)
{
  sim_blob *b = malloc(sizeof *b + len + 1);
  if (!b) return NULL;
  b->refs = 1;
  b->len = len;
  memcpy(b->data, p, len);
  b->data[len] = 0;
  return b;
}

sim_blob *sim_blob_ref(sim_blob *b)
{
  if (b) b->refs++;
  return b;
}

void sim_blob_unref(sim_blob *b)
{
  if (b && --b->refs == 0) free(b);
}

char *sim_strdup(const char *p) { return p ? kd_strndup(p, strlen(p)) : NULL; }

uint64_t sim_rand(sim *s)
{
  /* xorshift64*: uids and generated names need uniqueness, not secrecy */
  uint64_t x = s->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  s->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

char *sim_uuid(sim *s)
{
  uint64_t a = sim_rand(s), b = sim_rand(s);
  char *out = malloc(37);
  if (!out) return NULL;
  snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
           (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
           (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
           (unsigned long long)(b & 0xffffffffffffULL));
  return out;
}

const char *sim_str(const kd_value *v, const char *path)
{
  const kd_value *x = v ? kd_value_path(v, path) : NULL;
  return x && x->type == KD_STR ? x->u.str.s : NULL;
}

/* Walks PATH ("a.b.c"); with CREATE makes missing or non-object parts
 * objects. Returns the slot or NULL. */
kd_value *sim_obj_path(kd_value *obj, const char *path, int create)
{
  kd_value *cur = obj;
  const char *p = path;
  while (cur) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    kd_value *next;
    if (cur->type != KD_OBJ) {
      if (!create) return NULL;
      kd_value_clear(cur);
      kd_value_obj(cur);
    }
    next = kd_obj_get(cur, p, n);
    if (!next) {
      if (!create) return NULL;
      next = kd_obj_add(cur, p, n);
      if (!next) return NULL;
    }
    cur = next;
    if (!dot) return cur;
    p = dot + 1;
  }
  return NULL;
}

int sim_set_str(kd_value *obj, const char *path, const char *val)
{
  kd_value *slot = sim_obj_path(obj, path, 1);
  if (!slot) return KD_ENOMEM;
  kd_value_clear(slot);
  return kd_value_str(slot, val, strlen(val));
}

int sim_set_int(kd_value *obj, const char *path, int64_t val)
{
  kd_value *slot = sim_obj_path(obj, path, 1);
  if (!slot) return KD_ENOMEM;
  kd_value_clear(slot);
  kd_value_int(slot, val);
  return KD_OK;
}

void sim_obj_del(kd_value *obj, const char *key)
{
  size_t i;
  if (!obj || obj->type != KD_OBJ) return;
  for (i = 0; i < obj->u.obj.len; i++) {
    kd_member *m = &obj->u.obj.m[i];
    if (strcmp(m->key, key) == 0) {
      free(m->key);
      kd_value_clear(&m->val);
      memmove(m, m + 1, (obj->u.obj.len - i - 1) * sizeof *m);
      obj->u.obj.len--;
      return;
    }
  }
}

int64_t sim_wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_clock_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *sim_rfc3339(int64_t unix_ms)
{
  return sim_time_str(unix_ms);   /* the controllers' toolkit has it */
}

char *sim_timestamp(const sim *s)
{
  (void)s;
  return sim_rfc3339(sim_wall_ms());
}

int64_t sim_now_ms(const sim *s)
{
  (void)s;
  return sim_clock_ms();
}

void sim_b64(char *out, const char *p, size_t n)
{
  EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, (int)n);
}
