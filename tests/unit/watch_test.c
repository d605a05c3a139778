/* tests/unit/watch_test.c: the watch stream framer, fed the same stream in
 * every chunking, and its errors. (Streams against a server: tests/lua.) */
#include "watch.h"
#include "test.h"

#include <stdlib.h>

typedef struct { int n; kd_buf all; } frames;

static int collect(void *ctx, const char *text, size_t len)
{
  frames *f = ctx;
  f->n++;
  kd_buf_add(&f->all, text, len);
  kd_buf_addc(&f->all, '|');
  return 0;
}

static const char *stream =
  "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"}{\\\"[\"}}}\n"
  "{\"type\":\"MODIFIED\",\"object\":{\"list\":[1,[2,{}],\"]\"]}}\r\n\n"
  "  {\"type\":\"BOOKMARK\",\"object\":{}}\n";

static void test_every_chunking_gives_the_same_objects(void)
{
  size_t len = strlen(stream), chunk;
  frames whole = {0};
  watch_framer f = {0};
  kd_error err = {0};
  CHECK(watch_framer_feed(&f, stream, len, collect, &whole, &err) == KD_OK);
  CHECK(whole.n == 3);
  CHECK(strstr(whole.all.data, "{\"type\":\"BOOKMARK\",\"object\":{}}|") != NULL);
  watch_framer_free(&f);
  for (chunk = 1; chunk <= len; chunk++) {
    frames got = {0};
    size_t i;
    for (i = 0; i < len; i += chunk) {
      size_t n = len - i < chunk ? len - i : chunk;
      CHECK(watch_framer_feed(&f, stream + i, n, collect, &got, &err) == KD_OK);
    }
    CHECK(got.n == 3);
    CHECK(got.all.data && strcmp(got.all.data, whole.all.data) == 0);
    kd_buf_free(&got.all);
    watch_framer_free(&f);
  }
  kd_buf_free(&whole.all);
}

static void test_partial_object_waits_and_reset_drops_it(void)
{
  frames got = {0};
  watch_framer f = {0};
  kd_error err = {0};
  CHECK(watch_framer_feed(&f, "{\"type\":\"ADD", 12, collect, &got, &err) == KD_OK);
  CHECK(got.n == 0);
  watch_framer_reset(&f);
  CHECK(watch_framer_feed(&f, "{}\n", 3, collect, &got, &err) == KD_OK);
  CHECK(got.n == 1 && strcmp(got.all.data, "{}|") == 0);
  kd_buf_free(&got.all);
  watch_framer_free(&f);
}

static int stop_at_first(void *ctx, const char *text, size_t len)
{
  (*(int *)ctx)++;
  return 7;
}

static void test_errors_and_callback_stop(void)
{
  watch_framer f = {0};
  kd_error err = {0};
  int calls = 0;
  frames got = {0};
  CHECK(watch_framer_feed(&f, "{}{}{}", 6, stop_at_first, &calls, &err) == 7);
  CHECK(calls == 1);
  watch_framer_free(&f);
  CHECK(watch_framer_feed(&f, "<html>", 6, collect, &got, &err) == KD_EPARSE);
  CHECK(strstr(err.msg, "not a sequence of JSON objects") != NULL);
  watch_framer_free(&f);
  kd_buf_free(&got.all);
}

/* Log lines timed with a zone offset (a runtime on a node not in UTC):
 * the resume time keeps the offset after nine fraction digits (it took
 * "+02:00" for fraction digits), and the resend after it is deduplicated. */
static void test_log_resume_time_keeps_the_zone_offset(void)
{
  watch_log *lg = watch_log_detached();
  const char *ts, *text;
  size_t len;
  kd_buf got = {0};
  kd_error err = {0};
  const char *lines = "2026-12-03T16:00:01.5+02:00 a\n2026-12-03T16:00:01.5+02:00 b\n";
  double want, since;
  CHECK(watch_log_feed(lg, lines, strlen(lines)) == 0);
  watch_log_feed_end(lg, 0);
  CHECK_STR(watch_log_since(lg), "2026-12-03T16:00:01.500000000+02:00");
  CHECK(kube_parse_time(watch_log_since(lg), &since) == KD_OK);
  CHECK(kube_parse_time("2026-12-03T14:00:01.5Z", &want) == KD_OK && since == want);
  CHECK(watch_log_reconnect(lg, &err) == KD_OK);
  lines = "2026-12-03T16:00:01+02:00 before\n2026-12-03T16:00:01.5+02:00 a\n"
          "2026-12-03T16:00:01.5+02:00 b\n2026-12-03T16:00:02-00:00 c\n";
  CHECK(watch_log_feed(lg, lines, strlen(lines)) == 0);
  watch_log_feed_end(lg, 1);
  while (watch_log_next(lg, &ts, &text, &len)) kd_buf_printf(&got, "%.*s,", (int)len, text);
  CHECK_STR(got.data, "a,b,c,");
  CHECK_STR(watch_log_since(lg), "2026-12-03T16:00:02.000000000-00:00");
  kd_buf_free(&got);
  watch_log_close(lg);
}

int main(void)
{
  RUN(test_every_chunking_gives_the_same_objects);
  RUN(test_partial_object_waits_and_reset_drops_it);
  RUN(test_errors_and_callback_stop);
  RUN(test_log_resume_time_keeps_the_zone_offset);
  TEST_EXIT();
}
