/* engine/kd.c: errors, buffers and whole-file I/O shared by the engine. */
#include "kd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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

/* open, fstat, one read of a regular file's size (charts are hundreds of
 * small files: stdio's buffering cost two extra syscalls and a copy per
 * file), then reads until EOF for anything else or a file that grew. */
char *kd_read_file(const char *path, size_t *len, kd_error *err)
{
  kd_buf b = {0};
  struct stat st;
  size_t size = 0, want = 65536;
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  /* a regular file's size, when it tells one (files in /proc say 0) */
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    want = size = (size_t)st.st_size;
  for (;;) {
    if (kd_buf_reserve(&b, want)) {
      kd_error_set(err, KD_ENOMEM, "%s: file too large", path);
      goto fail;
    }
    n = read(fd, b.data + b.len, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      kd_error_set(err, KD_EIO, "%s: %s", path, strerror(errno));
      goto fail;
    }
    if (n == 0) break;
    b.len += (size_t)n;
    b.data[b.len] = 0;
    if (size && b.len >= size) break;   /* all of it, as fstat saw it */
    want = 65536;
  }
  close(fd);
  return kd_buf_take(&b, len);
fail:
  close(fd);
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

int kd_has_ctl(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

char *kd_strndup(const char *s, size_t n)
{
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

int kd_url_unreserved(unsigned char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

int kd_buf_add_escaped(kd_buf *b, const char *s, const char *keep)
{
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    int rc = kd_url_unreserved(ch) || strchr(keep, ch) ? kd_buf_addc(b, (char)ch)
                                                       : kd_buf_printf(b, "%%%02X", ch);
    if (rc) return KD_ENOMEM;
  }
  return KD_OK;
}
