/* tests/unit/loop_test.c: engine/loop: ready queue, timers, transfers
 * (file:// URLs, no server needed), fd watches, signals. */
#include "loop.h"
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

static void test_ready_queue_is_fifo(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id out[300];
  size_t i, n;
  CHECK(l != NULL);
  for (i = 1; i <= 200; i++) CHECK(loop_ready(l, i) == KD_OK);
  n = loop_take_ready(l, out, 50);
  CHECK(n == 50 && out[0] == 1 && out[49] == 50);
  for (i = 201; i <= 250; i++) CHECK(loop_ready(l, i) == KD_OK);
  n = loop_take_ready(l, out, 300);
  CHECK(n == 200 && out[0] == 51 && out[199] == 250);
  CHECK(loop_ready_count(l) == 0);
  loop_free(l);
}

static int fired[8], nfired;
static void record(void *ctx) { fired[nfired++] = (int)(intptr_t)ctx; }

static void test_timers_fire_in_order_and_cancel(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id ids[4], cancelled, ready[4];
  double t0 = loop_now();
  nfired = 0;
  ids[0] = loop_timer(l, 0.03, record, (void *)3);
  ids[1] = loop_timer(l, 0.01, record, (void *)1);
  cancelled = loop_timer(l, 0.02, record, (void *)9);
  ids[2] = loop_timer(l, 0.02, record, (void *)2);
  ids[3] = loop_timer(l, 0.04, NULL, NULL);     /* marks its id ready */
  CHECK(ids[0] && ids[1] && ids[2] && ids[3]);
  CHECK(ids[0] != ids[1] && ids[1] != cancelled && cancelled != ids[2] &&
        ids[2] != ids[3]);
  CHECK(loop_timer_cancel(l, cancelled) == 1);
  CHECK(loop_timer_cancel(l, cancelled) == 0);
  CHECK(loop_pending(l) == 4);
  CHECK(loop_run(l, 5, &err) == 1);
  CHECK(loop_take_ready(l, ready, 4) == 1 && ready[0] == ids[3]);
  CHECK(nfired == 3 && fired[0] == 1 && fired[1] == 2 && fired[2] == 3);
  CHECK(loop_now() - t0 >= 0.035);
  CHECK(loop_pending(l) == 0);
  loop_free(l);
}

static void test_run_returns_on_timeout_and_when_idle(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id t = loop_timer(l, 10, NULL, NULL);
  CHECK(loop_run(l, 0.02, &err) == 0);          /* timer not due yet */
  CHECK(loop_timer_cancel(l, t) == 1);
  CHECK(loop_run(l, -1, &err) == 0);            /* nothing pending: no hang */
  loop_free(l);
}

static loop *g_loop;
static void add_again(void *ctx)
{
  int *count = ctx;
  if (++*count < 5) loop_timer(g_loop, 0, add_again, ctx);
}

static void test_zero_delay_timer_chain_does_not_spin(void)
{
  kd_error err = {0};
  int count = 0;
  g_loop = loop_new(&err);
  loop_timer(g_loop, 0, add_again, &count);
  CHECK(loop_run(g_loop, 1, &err) == 0);        /* runs all rounds, then idle */
  CHECK(count == 5);
  loop_free(g_loop);
}

typedef struct {
  kd_buf body;
  int done;
  CURLcode rc;
  loop *l;
  loop_id id;
} fetch;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
  fetch *f = ud;
  return kd_buf_add(&f->body, p, size * n) ? 0 : size * n;
}

static void on_done(void *ctx, CURL *easy, CURLcode rc)
{
  fetch *f = ctx;
  f->done++;
  f->rc = rc;
  loop_ready(f->l, f->id);
}

static void test_transfers_complete_with_callbacks(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  char path[] = "/tmp/kd_loop_testXXXXXX";
  int fd = mkstemp(path);
  fetch f[3];
  CURL *easy[3];
  kd_buf url = {0};
  loop_id got[3];
  int i, seen = 0;
  CHECK(fd >= 0);
  CHECK(write(fd, "hello loop", 10) == 10);
  close(fd);
  kd_buf_printf(&url, "file://%s", path);
  for (i = 0; i < 3; i++) {
    memset(&f[i], 0, sizeof f[i]);
    f[i].l = l;
    f[i].id = loop_new_id(l);
    easy[i] = curl_easy_init();
    curl_easy_setopt(easy[i], CURLOPT_URL, i == 2 ? "file:///nonexistent/x" : url.data);
    curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &f[i]);
    CHECK(loop_add(l, easy[i], on_done, &f[i], &err) == KD_OK);
  }
  CHECK(loop_pending(l) == 3);
  while (seen < 3 && loop_run(l, 5, &err) > 0)
    seen += (int)loop_take_ready(l, got, 3);
  CHECK(seen == 3);
  CHECK(f[0].done == 1 && f[0].rc == CURLE_OK);
  CHECK_STR(f[0].body.data, "hello loop");
  CHECK(f[1].done == 1 && f[1].rc == CURLE_OK);
  CHECK(f[2].done == 1 && f[2].rc != CURLE_OK);
  CHECK(loop_pending(l) == 0);
  for (i = 0; i < 3; i++) {
    curl_easy_cleanup(easy[i]);
    kd_buf_free(&f[i].body);
  }
  kd_buf_free(&url);
  unlink(path);
  loop_free(l);
}

static void test_removed_transfer_never_calls_back(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  fetch f;
  CURL *easy = curl_easy_init();
  memset(&f, 0, sizeof f);
  f.l = l;
  f.id = loop_new_id(l);
  curl_easy_setopt(easy, CURLOPT_URL, "file:///etc/hostname");
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &f);
  CHECK(loop_add(l, easy, on_done, &f, &err) == KD_OK);
  loop_remove(l, easy);
  CHECK(loop_pending(l) == 0);
  CHECK(loop_run(l, 0.01, &err) == 0);
  CHECK(f.done == 0);
  /* a transfer left in the loop is detached by loop_free */
  CHECK(loop_add(l, easy, on_done, &f, &err) == KD_OK);
  loop_free(l);
  curl_easy_cleanup(easy);
  kd_buf_free(&f.body);
}

static void test_signal_marks_id_ready(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  loop_id id = loop_new_id(l), got;
  CHECK(loop_signal(l, SIGUSR1, id, &err) == KD_OK);
  CHECK(loop_run(l, 0, &err) == 0);
  raise(SIGUSR1);
  CHECK(loop_run(l, 2, &err) == 1);
  CHECK(loop_take_ready(l, &got, 1) == 1 && got == id);
  CHECK(loop_signal(l, 0, id, &err) == KD_EINVAL);
  loop_free(l);
}

/* fd watches: a pipe's read end, read by its callback until EOF */
typedef struct {
  loop *l;
  int fd, calls, eof;
  loop_id watch, done;
  kd_buf got;
} piperead;

static void on_readable(void *ctx)
{
  piperead *p = ctx;
  char buf[8];
  ssize_t n;
  p->calls++;
  while ((n = read(p->fd, buf, sizeof buf)) > 0) kd_buf_add(&p->got, buf, (size_t)n);
  if (n == 0) {
    p->eof = 1;
    CHECK(loop_fd_cancel(p->l, p->watch) == 1);
    CHECK(loop_ready(p->l, p->done) == KD_OK);
  }
}

static void test_fd_watch_reads_until_eof(void)
{
  kd_error err = {0};
  loop *l = loop_new(&err);
  int fds[2];
  loop_id got;
  piperead p;
  double t0;
  memset(&p, 0, sizeof p);
  CHECK(pipe(fds) == 0);
  CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
  p.l = l;
  p.fd = fds[0];
  p.done = loop_new_id(l);
  p.watch = loop_fd(l, fds[0], on_readable, &p);
  CHECK(p.watch != 0 && loop_pending(l) == 1);
  CHECK(loop_run(l, 0.02, &err) == 0);           /* nothing written: no call */
  CHECK(p.calls == 0);
  CHECK(write(fds[1], "first part, ", 12) == 12);
  CHECK(loop_run(l, 0.5, &err) == 0);            /* read, still open */
  CHECK(p.calls >= 1 && p.eof == 0);
  CHECK(write(fds[1], "then EOF", 8) == 8);
  close(fds[1]);
  t0 = loop_now();
  CHECK(loop_run(l, 5, &err) == 1);
  CHECK(loop_now() - t0 < 1);                    /* woken by the fd, not a timeout */
  CHECK(loop_take_ready(l, &got, 1) == 1 && got == p.done);
  CHECK(p.eof == 1 && p.got.len == 20 && memcmp(p.got.data, "first part, then EOF", 20) == 0);
  CHECK(loop_pending(l) == 0);
  CHECK(loop_fd_cancel(l, p.watch) == 0);
  CHECK(loop_fd(l, -1, on_readable, &p) == 0);
  close(fds[0]);
  kd_buf_free(&p.got);
  loop_free(l);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  RUN(test_ready_queue_is_fifo);
  RUN(test_timers_fire_in_order_and_cancel);
  RUN(test_run_returns_on_timeout_and_when_idle);
  RUN(test_zero_delay_timer_chain_does_not_spin);
  RUN(test_transfers_complete_with_callbacks);
  RUN(test_removed_transfer_never_calls_back);
  RUN(test_signal_marks_id_ready);
  RUN(test_fd_watch_reads_until_eof);
  curl_global_cleanup();
  TEST_EXIT();
}
