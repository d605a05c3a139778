/* engine/kd.c: errors, buffers and whole-file I/O shared by the engine. */
#include "kd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kd_error_set(kd_error *err, int code, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

int kd_error_at(kd_error *err, int code, const char *source, int line,
                int col, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    int n;
    err->code = code;
    err->line = line;
    err->col = col;
    n = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: ",
                 source ? source : "<input>", line, col);
    if (n < 0 || (size_t)n >= sizeof err->msg) return code;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - n, fmt, ap);
    va_end(ap);
  }
  return code;
}

const char *kd_strerror(int code)
{
  switch (code) {
  case KD_OK: return "ok";
  case KD_ENOMEM: return "out of memory";
  case KD_EINVAL: return "invalid argument";
  case KD_EPARSE: return "parse error";
  case KD_EIO: return "i/o error";
  case KD_ENOTFOUND: return "not found";
  case KD_ETYPE: return "type error";
  case KD_ERANGE: return "out of range";
  case KD_EHTTP: return "http error";
  case KD_ETIMEOUT: return "timeout";
  case KD_EEXEC: return "execution error";
  default: return "error";
  }
}

int kd_buf_reserve(kd_buf *b, size_t extra)
{
  size_t cap = b->cap ? b->cap : KD_BUF_DEFAULT_CAP;
  size_t need, size;
  char *p;
  if (extra > cap || b->len > cap - extra - 1) return KD_ENOMEM;
  need = b->len + extra + 1;
  if (need <= b->size) return KD_OK;
  size = b->size ? b->size : 64;
  while (size < need) size = size > cap / 2 ? cap + 1 : size * 2;
  p = realloc(b->data, size);
  if (!p) return KD_ENOMEM;
  b->data = p;
  b->size = size;
  return KD_OK;
}

int kd_buf_add(kd_buf *b, const void *p, size_t n)
{
  if (kd_buf_reserve(b, n)) return KD_ENOMEM;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
  return KD_OK;
}

int kd_buf_adds(kd_buf *b, const char *s) { return kd_buf_add(b, s, strlen(s)); }

int kd_buf_addc(kd_buf *b, char c)
{
  if (b->len + 1 < b->size) {  /* fast path: room for c and the NUL */
    b->data[b->len++] = c;
    b->data[b->len] = 0;
    return KD_OK;
  }
  return kd_buf_add(b, &c, 1);
}

int kd_buf_printf(kd_buf *b, const char *fmt, ...)
{
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || kd_buf_reserve(b, (size_t)n)) return KD_ENOMEM;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return KD_OK;
}

char *kd_buf_take(kd_buf *b, size_t *len)
{
  char *p;
  if (!b->data && kd_buf_reserve(b, 0)) return NULL;
  p = b->data;
  if (len) *len = b->len;
  b->data = NULL;
  b->len = b->size = 0;
  return p;
}

void kd_buf_free(kd_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->size = 0;
}

char *kd_read_file(const char *path, size_t *len, kd_error *err)
{
  kd_buf b = {0};
  char chunk[65536];
  size_t n;
  FILE *f = fopen(path, "rb");
  if (!f) {
    kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (kd_buf_add(&b, chunk, n)) {
      kd_error_set(err, KD_ENOMEM, "%s: file too large", path);
      goto fail;
    }
  }
  if (ferror(f)) {
    kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
    goto fail;
  }
  fclose(f);
  return kd_buf_take(&b, len);
fail:
  fclose(f);
  kd_buf_free(&b);
  return NULL;
}

int kd_write_file(const char *path, const void *data, size_t len,
                  kd_error *err)
{
  kd_buf tmp = {0};
  FILE *f;
  int rc = KD_OK;
  if (kd_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()))
    return kd_error_set(err, KD_ENOMEM, "out of memory");
  f = fopen(tmp.data, "wb");
  if (!f) {
    rc = kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
    goto done;
  }
  if ((len && fwrite(data, 1, len, f) != len) || fflush(f) != 0) {
    rc = kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
    fclose(f);
    remove(tmp.data);
    goto done;
  }
  if (fclose(f) != 0 || rename(tmp.data, path) != 0) {
    rc = kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
    remove(tmp.data);
  }
done:
  kd_buf_free(&tmp);
  return rc;
}

char *kd_strndup(const char *s, size_t n)
{
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}
