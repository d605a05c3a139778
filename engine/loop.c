/* engine/loop.c: curl multi + timer heap + fd watches + self-pipe signals. */
#define _GNU_SOURCE   /* pipe2 */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct timer {
  double when;
  loop_id id;            /* ids grow, so they order timers due together */
  loop_timer_fn fn;
  void *ctx;
} timer;

typedef struct xfer {
  loop_done_fn fn;
  void *ctx;
  CURL *easy;
  struct xfer *prev, *next;   /* every transfer in the multi handle */
} xfer;

typedef struct fdwatch {
  int fd;
  loop_id id;
  loop_fd_fn fn;
  void *ctx;
} fdwatch;

typedef struct sigwatch {
  int signo;
  loop_id id;
  struct sigaction old;
} sigwatch;

struct loop {
  CURLM *multi;
  loop_id next_id;
  loop_id *ready;        /* FIFO: ready[head..head+nready) */
  size_t head, nready, rcap;
  timer *timers;         /* binary min-heap on (when, id) */
  size_t ntimers, tcap;
  size_t nxfers;
  xfer *xfers;
  fdwatch *fds;
  size_t nfds, fcap;
  struct curl_waitfd *waitfds;   /* the poll set: signal pipe + fds */
  size_t wcap;
  sigwatch *sigs;
  size_t nsigs;
};

/* The write end is used by the signal handler: a process-wide pipe, since
 * a handler has no context pointer. Created once, kept for the process. */
static int sig_pipe[2] = {-1, -1};

double loop_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

loop *loop_new(kd_error *err)
{
  loop *l = calloc(1, sizeof *l);
  if (!l) {
    kd_error_set(err, KD_ENOMEM, "loop: out of memory");
    return NULL;
  }
  l->multi = curl_multi_init();
  if (!l->multi) {
    free(l);
    /* names the cause when libcurl itself could not be loaded (curl_lazy.c) */
    kd_error_set(err, KD_ENOMEM, "loop: cannot create a curl multi handle: %s",
                 curl_easy_strerror(CURLE_FAILED_INIT));
    return NULL;
  }
  curl_multi_setopt(l->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  /* No cap on connections per host: every watch holds one on HTTP/1.1;
   * kube clients cap their requests in flight themselves. */
  curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, 256L);
  l->next_id = 1;
  return l;
}

void loop_set_max_host_connections(loop *l, long n)
{
  curl_multi_setopt(l->multi, CURLMOPT_MAX_HOST_CONNECTIONS, n);
  curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, n * 2);
}

void loop_free(loop *l)
{
  size_t i;
  if (!l) return;
  /* Detach every transfer still in the multi handle, without callbacks. */
  while (l->xfers) loop_remove(l, l->xfers->easy);
  for (i = 0; i < l->nsigs; i++) sigaction(l->sigs[i].signo, &l->sigs[i].old, NULL);
  curl_multi_cleanup(l->multi);
  free(l->sigs);
  free(l->fds);
  free(l->waitfds);
  free(l->timers);
  free(l->ready);
  free(l);
}

loop_id loop_new_id(loop *l) { return l->next_id++; }

int loop_ready(loop *l, loop_id id)
{
  if (l->head + l->nready == l->rcap) {
    if (l->head > 0) {      /* slide down before growing */
      memmove(l->ready, l->ready + l->head, l->nready * sizeof *l->ready);
      l->head = 0;
    }
    if (l->nready == l->rcap) {
      size_t cap = l->rcap ? l->rcap * 2 : 64;
      loop_id *p = realloc(l->ready, cap * sizeof *p);
      if (!p) return KD_ENOMEM;
      l->ready = p;
      l->rcap = cap;
    }
  }
  l->ready[l->head + l->nready++] = id;
  return KD_OK;
}

size_t loop_take_ready(loop *l, loop_id *out, size_t max)
{
  size_t n = l->nready < max ? l->nready : max;
  if (n == 0) return 0;
  memcpy(out, l->ready + l->head, n * sizeof *out);
  l->head += n;
  l->nready -= n;
  if (l->nready == 0) l->head = 0;
  return n;
}

size_t loop_ready_count(const loop *l) { return l->nready; }

size_t loop_pending(const loop *l) { return l->nxfers + l->ntimers + l->nfds + l->nsigs; }

void loop_wakeup(loop *l) { curl_multi_wakeup(l->multi); }

/* ---- timers --------------------------------------------------------------- */

static int before(const timer *a, const timer *b)
{
  return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void sift_up(timer *h, size_t i)
{
  while (i > 0) {
    size_t p = (i - 1) / 2;
    timer t;
    if (!before(&h[i], &h[p])) break;
    t = h[i], h[i] = h[p], h[p] = t;
    i = p;
  }
}

static void sift_down(timer *h, size_t n, size_t i)
{
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    timer t;
    if (l < n && before(&h[l], &h[m])) m = l;
    if (r < n && before(&h[r], &h[m])) m = r;
    if (m == i) break;
    t = h[i], h[i] = h[m], h[m] = t;
    i = m;
  }
}

static void heap_remove(loop *l, size_t i)
{
  l->timers[i] = l->timers[--l->ntimers];
  if (i < l->ntimers) {
    sift_down(l->timers, l->ntimers, i);
    sift_up(l->timers, i);
  }
}

loop_id loop_timer(loop *l, double delay, loop_timer_fn fn, void *ctx)
{
  timer *t;
  loop_id id;
  if (l->ntimers == l->tcap) {
    size_t cap = l->tcap ? l->tcap * 2 : 32;
    timer *p = realloc(l->timers, cap * sizeof *p);
    if (!p) return 0;
    l->timers = p;
    l->tcap = cap;
  }
  if (!(delay > 0)) delay = 0;   /* NaN and negatives: now */
  t = &l->timers[l->ntimers];
  t->when = loop_now() + delay;
  t->id = loop_new_id(l);
  t->fn = fn;
  t->ctx = ctx;
  id = t->id;
  sift_up(l->timers, l->ntimers++);   /* moves *t */
  return id;
}

int loop_timer_cancel(loop *l, loop_id id)
{
  size_t i;
  for (i = 0; i < l->ntimers; i++) {
    if (l->timers[i].id == id) {
      heap_remove(l, i);
      return 1;
    }
  }
  return 0;
}

/* Fires every timer due by now. A callback may add timers: those run on
 * the next round even when due at once, so a zero-delay retry cannot spin
 * here forever. Returns KD_OK or KD_ENOMEM. */
static int run_timers(loop *l)
{
  double now = loop_now();
  loop_id last = l->next_id;
  while (l->ntimers > 0 && l->timers[0].when <= now &&
         l->timers[0].id < last) {
    timer t = l->timers[0];
    heap_remove(l, 0);
    if (t.fn) t.fn(t.ctx);
    else if (loop_ready(l, t.id)) return KD_ENOMEM;
  }
  return KD_OK;
}

/* ---- transfers ------------------------------------------------------------ */

int loop_add(loop *l, CURL *easy, loop_done_fn fn, void *ctx, kd_error *err)
{
  xfer *x = malloc(sizeof *x);
  CURLMcode mc;
  if (!x) return kd_error_set(err, KD_ENOMEM, "loop: out of memory");
  x->fn = fn;
  x->ctx = ctx;
  x->easy = easy;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
  mc = curl_multi_add_handle(l->multi, easy);
  if (mc != CURLM_OK) {
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    free(x);
    return kd_error_set(err, KD_EIO, "loop: cannot add a transfer: %s",
                        curl_multi_strerror(mc));
  }
  x->prev = NULL;
  x->next = l->xfers;
  if (l->xfers) l->xfers->prev = x;
  l->xfers = x;
  l->nxfers++;
  return KD_OK;
}

/* Detaches EASY; returns its record (caller frees) or NULL if not ours. */
static xfer *detach(loop *l, CURL *easy)
{
  xfer *x = NULL;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
  if (!x) return NULL;
  curl_multi_remove_handle(l->multi, easy);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
  if (x->prev) x->prev->next = x->next;
  else l->xfers = x->next;
  if (x->next) x->next->prev = x->prev;
  l->nxfers--;
  return x;
}

void loop_remove(loop *l, CURL *easy)
{
  if (easy) free(detach(l, easy));
}

static void dispatch_done(loop *l)
{
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(l->multi, &left))) {
    CURL *easy = m->easy_handle;
    CURLcode rc = m->data.result;
    xfer *x;
    if (m->msg != CURLMSG_DONE) continue;
    x = detach(l, easy);
    if (!x) continue;
    x->fn(x->ctx, easy, rc);   /* may free EASY or add new transfers */
    free(x);
  }
}

/* ---- fd watches ----------------------------------------------------------- */

/* Makes the poll set big enough for the signal pipe and every fd watch
 * the watch array has room for, so that loop_run never allocates it. */
static int poll_room(loop *l)
{
  size_t need = l->fcap + 1;
  struct curl_waitfd *p;
  if (l->wcap >= need) return KD_OK;
  if (!(p = realloc(l->waitfds, need * sizeof *p))) return KD_ENOMEM;
  l->waitfds = p;
  l->wcap = need;
  return KD_OK;
}

loop_id loop_fd(loop *l, int fd, loop_fd_fn fn, void *ctx)
{
  fdwatch *w;
  if (fd < 0 || !fn) return 0;
  if (l->nfds == l->fcap) {
    size_t cap = l->fcap ? l->fcap * 2 : 4;
    fdwatch *p = realloc(l->fds, cap * sizeof *p);
    if (!p) return 0;
    l->fds = p;
    l->fcap = cap;
  }
  if (poll_room(l)) return 0;
  w = &l->fds[l->nfds++];
  w->fd = fd;
  w->id = loop_new_id(l);
  w->fn = fn;
  w->ctx = ctx;
  return w->id;
}

int loop_fd_cancel(loop *l, loop_id id)
{
  size_t i;
  for (i = 0; i < l->nfds; i++) {
    if (l->fds[i].id == id) {
      l->fds[i] = l->fds[--l->nfds];
      return 1;
    }
  }
  return 0;
}

/* Fills the extra descriptors for curl_multi_poll: the signal pipe while
 * a signal is watched, then every fd watch. Returns how many. */
static unsigned poll_set(loop *l)
{
  unsigned n = 0;
  size_t i;
  if (sig_pipe[0] >= 0 && l->nsigs) {
    l->waitfds[n].fd = sig_pipe[0];
    l->waitfds[n].events = CURL_WAIT_POLLIN;
    l->waitfds[n++].revents = 0;
  }
  for (i = 0; i < l->nfds; i++) {
    l->waitfds[n].fd = l->fds[i].fd;
    l->waitfds[n].events = CURL_WAIT_POLLIN;
    l->waitfds[n++].revents = 0;
  }
  return n;
}

/* Runs the callback of every watch whose fd the last poll found ready. A
 * callback may cancel or add watches, so each one is looked up again by
 * its fd; readiness is only a hint (callbacks read non-blocking). */
static void dispatch_fds(loop *l, unsigned n)
{
  unsigned i;
  size_t j;
  for (i = 0; i < n; i++) {
    int fd = l->waitfds[i].fd;
    if (!l->waitfds[i].revents || fd == sig_pipe[0]) continue;
    for (j = 0; j < l->nfds; j++)
      if (l->fds[j].fd == fd) {
        l->fds[j].fn(l->fds[j].ctx);
        break;
      }
  }
}

/* ---- signals -------------------------------------------------------------- */

static void on_signal(int signo)
{
  int saved = errno;
  unsigned char b = (unsigned char)signo;
  if (sig_pipe[1] >= 0 && write(sig_pipe[1], &b, 1) < 0) { /* full: dropped */ }
  errno = saved;
}

int loop_signal(loop *l, int signo, loop_id id, kd_error *err)
{
  struct sigaction sa;
  sigwatch *p;
  size_t i;
  if (signo <= 0 || signo > 255)
    return kd_error_set(err, KD_EINVAL, "loop: bad signal number %d", signo);
  if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return kd_error_set(err, KD_EIO, "loop: pipe: %s", strerror(errno));
  if (poll_room(l)) return kd_error_set(err, KD_ENOMEM, "loop: out of memory");
  p = realloc(l->sigs, (l->nsigs + 1) * sizeof *p);
  if (!p) return kd_error_set(err, KD_ENOMEM, "loop: out of memory");
  l->sigs = p;
  p = &l->sigs[l->nsigs];
  p->signo = signo;
  p->id = id;
  for (i = 0; i < l->nsigs; i++) {   /* already handled: keep the first old */
    if (l->sigs[i].signo == signo) {
      p->old = l->sigs[i].old;
      l->nsigs++;
      return KD_OK;
    }
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(signo, &sa, &p->old) != 0)
    return kd_error_set(err, KD_EIO, "loop: sigaction(%d): %s", signo,
                        strerror(errno));
  l->nsigs++;
  return KD_OK;
}

static int drain_signals(loop *l)
{
  unsigned char buf[64];
  ssize_t n, i;
  size_t j;
  if (sig_pipe[0] < 0 || l->nsigs == 0) return KD_OK;
  while ((n = read(sig_pipe[0], buf, sizeof buf)) > 0) {
    for (i = 0; i < n; i++)
      for (j = 0; j < l->nsigs; j++)
        if (l->sigs[j].signo == buf[i] && loop_ready(l, l->sigs[j].id))
          return KD_ENOMEM;
  }
  return KD_OK;
}

/* ---- running -------------------------------------------------------------- */

/* Milliseconds curl_multi_poll may sleep: up to the deadline and the next
 * timer, rounded up so a timer is due when we wake. */
static int wait_ms(const loop *l, double now, double deadline)
{
  double w = deadline >= 0 ? deadline - now : 3600;
  if (l->ntimers > 0 && l->timers[0].when - now < w) w = l->timers[0].when - now;
  if (w <= 0) return 0;
  if (w > 3600) w = 3600;
  return (int)ceil(w * 1000);
}

int loop_run(loop *l, double timeout, kd_error *err)
{
  double deadline = timeout >= 0 ? loop_now() + timeout : -1;
  for (;;) {
    int running = 0, numfds = 0;
    unsigned nextra;
    CURLMcode mc = curl_multi_perform(l->multi, &running);
    double now;
    if (mc != CURLM_OK)
      return kd_error_set(err, KD_EIO, "loop: %s", curl_multi_strerror(mc));
    dispatch_done(l);
    if (run_timers(l) || drain_signals(l))
      return kd_error_set(err, KD_ENOMEM, "loop: out of memory");
    if (l->nready) return (int)(l->nready > 0x7fffffff ? 0x7fffffff : l->nready);
    if (loop_pending(l) == 0) return 0;
    now = loop_now();
    if (deadline >= 0 && now >= deadline) return 0;
    nextra = poll_set(l);
    mc = curl_multi_poll(l->multi, l->waitfds, nextra, wait_ms(l, now, deadline), &numfds);
    if (mc != CURLM_OK)
      return kd_error_set(err, KD_EIO, "loop: %s", curl_multi_strerror(mc));
    dispatch_fds(l, nextra);
  }
}
