/* engine/kd.h: shared basics of the engine: error codes, errors, buffers.
 * No Lua. Every engine function that can fail returns an int code
 * (KD_OK = 0, negative KD_E*) and fills a caller-owned kd_error. */
#ifndef KD_H
#define KD_H

#include <stddef.h>
#include <stdint.h>

enum {
  KD_OK = 0,
  KD_ENOMEM = -1,   /* allocation failed or a size cap was hit */
  KD_EINVAL = -2,   /* bad argument from the caller */
  KD_EPARSE = -3,   /* malformed input (YAML, JSON, template, ...) */
  KD_EIO = -4,      /* file or socket error */
  KD_ENOTFOUND = -5,
  KD_ETYPE = -6,    /* a value of the wrong type */
  KD_ERANGE = -7,   /* number out of range, nesting too deep */
  KD_EHTTP = -8,    /* the server answered with an error status */
  KD_ETIMEOUT = -9,
  KD_EEXEC = -10    /* a template or script failed while running */
};

/* An error: code, optional HTTP status (0: no answer), a message and the
 * source position (line/col 0: unknown). msg is truncated, never overrun. */
typedef struct kd_error {
  int code;
  int http_status;
  int line, col;
  char msg[512];
} kd_error;

/* Sets ERR (may be NULL) from a printf format; returns CODE. */
int kd_error_set(kd_error *err, int code, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 3, 4)))
#endif
  ;
/* Sets ERR with a position: "SOURCE:LINE:COL: message". Returns CODE. */
int kd_error_at(kd_error *err, int code, const char *source, int line,
                int col, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 6, 7)))
#endif
  ;
/* Short name of a code, e.g. "parse error". */
const char *kd_strerror(int code);

/* Growable byte buffer, always NUL-terminated when data != NULL. A buffer
 * stops growing past its cap (0: KD_BUF_DEFAULT_CAP) and reports KD_ENOMEM. */
#define KD_BUF_DEFAULT_CAP ((size_t)1 << 32)
typedef struct kd_buf {
  char *data;
  size_t len, size, cap;
} kd_buf;

int kd_buf_reserve(kd_buf *b, size_t extra);
int kd_buf_add(kd_buf *b, const void *p, size_t n);
int kd_buf_adds(kd_buf *b, const char *s);
int kd_buf_addc(kd_buf *b, char c);
int kd_buf_printf(kd_buf *b, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
  ;
/* Takes the data out (returns owned, NUL-terminated, never NULL unless out
 * of memory) and resets B. */
char *kd_buf_take(kd_buf *b, size_t *len);
void kd_buf_free(kd_buf *b);

/* Reads a whole file. Returns owned data (NUL-terminated) or NULL + ERR. */
char *kd_read_file(const char *path, size_t *len, kd_error *err);
/* Writes DATA atomically: a temp file in the same directory renamed over
 * PATH, so a failure never leaves a half-written file. */
int kd_write_file(const char *path, const void *data, size_t len,
                  kd_error *err);

/* strdup/strndup that go through our allocation checks. */
char *kd_strndup(const char *s, size_t n);
/* Whether S holds a control byte (below 0x20, or DEL): a value that cannot
 * go into an HTTP header as it is (a token with a line break would add
 * headers of its own). */
int kd_has_ctl(const char *s);

/* Whether byte CH is one of RFC 3986's unreserved characters (letters,
 * digits, "-._~"): the bytes percent-encoding leaves as they are. */
int kd_url_unreserved(unsigned char ch);
/* Appends S to B percent-encoded: every byte but the unreserved ones and
 * those in KEEP ("" for none). KD_OK or KD_ENOMEM. */
int kd_buf_add_escaped(kd_buf *b, const char *s, const char *keep);

#endif
