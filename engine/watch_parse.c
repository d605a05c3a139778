/* engine/watch_parse.c: splits a watch response, arriving in chunks of any
 * size, into its JSON event objects without waiting for the stream's end.
 * The scanner keeps its state (depth, inside a string, after a backslash)
 * between chunks, so every byte is looked at once. */
#include "watch.h"

#include <string.h>

#define FRAME_CAP ((size_t)64 << 20)

void watch_framer_reset(watch_framer *f)
{
  f->buf.len = 0;
  if (f->buf.data) f->buf.data[0] = 0;
  f->pos = f->start = 0;
  f->depth = f->in_str = f->esc = 0;
}

void watch_framer_free(watch_framer *f)
{
  kd_buf_free(&f->buf);
  watch_framer_reset(f);
}

/* Drops the bytes before START once they are consumed. */
static void compact(watch_framer *f)
{
  size_t keep = f->buf.len - f->start;
  if (f->start == 0) return;
  memmove(f->buf.data, f->buf.data + f->start, keep);
  f->buf.len = keep;
  f->buf.data[keep] = 0;
  f->pos -= f->start;
  f->start = 0;
}

int watch_framer_feed(watch_framer *f, const char *data, size_t len,
                      watch_frame_fn fn, void *ctx, kd_error *err)
{
  int rc = KD_OK;
  f->buf.cap = FRAME_CAP;
  if (kd_buf_add(&f->buf, data, len))
    return kd_error_set(err, KD_ENOMEM, "watch: an event is larger than %zu bytes",
                        FRAME_CAP);
  while (f->pos < f->buf.len) {
    char ch = f->buf.data[f->pos++];
    if (f->depth == 0) {                 /* between objects */
      if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
        f->start = f->pos;
        continue;
      }
      if (ch != '{') {
        rc = kd_error_set(err, KD_EPARSE, "watch: stream is not a sequence of "
                          "JSON objects (byte 0x%02x)", (unsigned char)ch);
        break;
      }
      f->start = f->pos - 1;
      f->depth = 1;
      continue;
    }
    if (f->in_str) {
      if (f->esc) f->esc = 0;
      else if (ch == '\\') f->esc = 1;
      else if (ch == '"') f->in_str = 0;
      continue;
    }
    if (ch == '"') f->in_str = 1;
    else if (ch == '{' || ch == '[') f->depth++;
    else if ((ch == '}' || ch == ']') && --f->depth == 0) {
      size_t start = f->start;
      if (ch != '}') {
        rc = kd_error_set(err, KD_EPARSE, "watch: unbalanced brackets in an event");
        break;
      }
      f->start = f->pos;
      if ((rc = fn(ctx, f->buf.data + start, f->pos - start)) != 0) break;
    }
  }
  compact(f);
  return rc;
}
