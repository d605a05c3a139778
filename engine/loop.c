/* engine/loop.c: curl multi (socket interface) + timer heap + fd watches
 * + self-pipe signals, all waited on by one poll().
 *
 * Why curl's socket interface and not curl_multi_perform/curl_multi_poll:
 * perform visits every transfer on every call, and for each one libcurl
 * does a zero-timeout poll() of its socket before reading; so every idle
 * watch or log stream cost a syscall per loop round, and a GET three
 * poll() calls where two do (measured in the commit that made this).
 * With curl_multi_socket_action curl tells us which sockets to wait on
 * (socket callback) and when its next timeout is (timer callback); we poll
 * those with our own descriptors and hand curl only the sockets that are
 * ready. */
#define _GNU_SOURCE   /* pipe2 */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
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

/* A socket curl asked us to wait on; curl keeps its index + 1 as the
 * socket's pointer (curl_multi_assign), so updates need no search. */
typedef struct csock {
  curl_socket_t fd;
  short events;          /* POLLIN / POLLOUT */
} csock;

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
  csock *socks;          /* curl's sockets, dense */
  size_t nsocks, scap;
  double curl_due;       /* when curl wants CURL_SOCKET_TIMEOUT; < 0: never */
  int oom;               /* a curl callback could not record something */
  struct pollfd *pfd;    /* one round's poll set, rebuilt each round */
  size_t pcap;
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

/* ---- curl's sockets and timeout ------------------------------------------ */

/* CURLMOPT_SOCKETFUNCTION: curl starts, changes or stops waiting on S. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *ud, void *sockp)
{
  loop *l = ud;
  size_t i = (size_t)(uintptr_t)sockp;   /* index + 1; 0: not known yet */
  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (i == 0 || i > l->nsocks) return 0;
    l->socks[i - 1] = l->socks[--l->nsocks];   /* the last one moves to i */
    if (i - 1 < l->nsocks)
      curl_multi_assign(l->multi, l->socks[i - 1].fd, (void *)(uintptr_t)i);
    return 0;
  }
  if (i == 0) {
    if (l->nsocks == l->scap) {
      size_t cap = l->scap ? l->scap * 2 : 16;
      csock *p = realloc(l->socks, cap * sizeof *p);
      if (!p) {
        l->oom = 1;
        return -1;
      }
      l->socks = p;
      l->scap = cap;
    }
    i = ++l->nsocks;
    l->socks[i - 1].fd = s;
    curl_multi_assign(l->multi, s, (void *)(uintptr_t)i);
  }
  l->socks[i - 1].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
                                   ((what & CURL_POLL_OUT) ? POLLOUT : 0));
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants CURL_SOCKET_TIMEOUT in MS ms (-1:
 * never). Called inside curl, so it only records the time. */
static int on_curl_timer(CURLM *multi, long ms, void *ud)
{
  loop *l = ud;
  (void)multi;
  l->curl_due = ms < 0 ? -1 : loop_now() + (double)ms / 1000;
  return 0;
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
  curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
  curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
  l->curl_due = -1;
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
  curl_multi_cleanup(l->multi);   /* may still call on_curl_socket */
  free(l->socks);
  free(l->pfd);
  free(l->sigs);
  free(l->fds);
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

static int curl_failed(kd_error *err, CURLMcode mc)
{
  return kd_error_set(err, KD_EIO, "loop: %s", curl_multi_strerror(mc));
}

/* Gives curl its CURL_SOCKET_TIMEOUT once the time it asked for came. */
static CURLMcode run_curl_timeout(loop *l, double now)
{
  int running;
  if (l->curl_due < 0 || l->curl_due > now) return CURLM_OK;
  l->curl_due = -1;   /* curl sets the next one from inside the call */
  return curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

/* Makes the poll set big enough for this round's descriptors. */
static int poll_room(loop *l)
{
  size_t need = 1 + l->nfds + l->nsocks;
  struct pollfd *p;
  if (l->pcap >= need) return KD_OK;
  if (need < 16) need = 16;
  if (!(p = realloc(l->pfd, need * 2 * sizeof *p))) return KD_ENOMEM;
  l->pfd = p;
  l->pcap = need * 2;
  return KD_OK;
}

static void poll_add(loop *l, size_t *n, int fd, short events)
{
  l->pfd[*n].fd = fd;
  l->pfd[*n].events = events;
  l->pfd[(*n)++].revents = 0;
}

/* Fills the poll set: the signal pipe while a signal is watched, every fd
 * watch, then curl's sockets from *FIRST_SOCK on. Returns the size. */
static size_t poll_set(loop *l, size_t *first_sock)
{
  size_t n = 0, i;
  if (sig_pipe[0] >= 0 && l->nsigs) poll_add(l, &n, sig_pipe[0], POLLIN);
  for (i = 0; i < l->nfds; i++) poll_add(l, &n, l->fds[i].fd, POLLIN);
  *first_sock = n;
  for (i = 0; i < l->nsocks; i++) poll_add(l, &n, l->socks[i].fd, l->socks[i].events);
  return n;
}

/* Tells curl which of its sockets the poll found ready. The poll set is a
 * snapshot: curl's socket callback changes l->socks meanwhile, and a
 * socket curl dropped since is one it ignores. */
static CURLMcode dispatch_socks(loop *l, size_t from, size_t n)
{
  size_t i;
  for (i = from; i < n; i++) {
    short re = l->pfd[i].revents;
    int mask = 0, running;
    CURLMcode mc;
    if (!re) continue;
    if (re & (POLLIN | POLLHUP)) mask |= CURL_CSELECT_IN;
    if (re & POLLOUT) mask |= CURL_CSELECT_OUT;
    if (re & (POLLERR | POLLNVAL)) mask |= CURL_CSELECT_ERR;
    mc = curl_multi_socket_action(l->multi, l->pfd[i].fd, mask, &running);
    if (mc != CURLM_OK) return mc;
  }
  return CURLM_OK;
}

/* Runs the callback of every watch whose fd the poll found ready (poll
 * set entries before END). A callback may cancel or add watches, so each
 * one is looked up again by its fd; readiness is only a hint (callbacks
 * read non-blocking). */
static void dispatch_fds(loop *l, size_t end)
{
  size_t i, j;
  for (i = 0; i < end; i++) {
    int fd = l->pfd[i].fd;
    if (!l->pfd[i].revents || fd == sig_pipe[0]) continue;
    for (j = 0; j < l->nfds; j++)
      if (l->fds[j].fd == fd) {
        l->fds[j].fn(l->fds[j].ctx);
        break;
      }
  }
}

/* Milliseconds poll may sleep: up to the deadline, the next timer and
 * curl's timeout, rounded up so that what is due is due when we wake. */
static int wait_ms(const loop *l, double now, double deadline)
{
  double w = deadline >= 0 ? deadline - now : 3600;
  if (l->ntimers > 0 && l->timers[0].when - now < w) w = l->timers[0].when - now;
  if (l->curl_due >= 0 && l->curl_due - now < w) w = l->curl_due - now;
  if (w <= 0) return 0;
  if (w > 3600) w = 3600;
  return (int)ceil(w * 1000);
}

/* One round after the dispatches: waits in poll, then hands out what
 * became ready. KD_OK or KD_E* + ERR. */
static int wait_round(loop *l, double now, double deadline, kd_error *err)
{
  size_t n, first_sock;
  CURLMcode mc;
  int rc;
  if (poll_room(l)) return kd_error_set(err, KD_ENOMEM, "loop: out of memory");
  n = poll_set(l, &first_sock);
  rc = poll(l->pfd, (nfds_t)n, wait_ms(l, now, deadline));
  if (rc < 0 && errno != EINTR)   /* EINTR: a signal, drained next round */
    return kd_error_set(err, KD_EIO, "loop: poll: %s", strerror(errno));
  if (rc <= 0) return KD_OK;
  if ((mc = dispatch_socks(l, first_sock, n)) != CURLM_OK) return curl_failed(err, mc);
  dispatch_fds(l, first_sock);
  return KD_OK;
}

int loop_run(loop *l, double timeout, kd_error *err)
{
  double deadline = timeout >= 0 ? loop_now() + timeout : -1;
  for (;;) {
    double now = loop_now();
    CURLMcode mc = run_curl_timeout(l, now);
    int rc;
    if (mc != CURLM_OK) return curl_failed(err, mc);
    dispatch_done(l);
    /* A finished call hands its slot to the next queued one from inside
     * dispatch_done: give curl its due timeout now, so those requests are
     * written before the caller's tasks run (decoding what came in) and the
     * server works on them meanwhile rather than after the next round. */
    if (l->nready && (mc = run_curl_timeout(l, loop_now())) != CURLM_OK)
      return curl_failed(err, mc);
    if (run_timers(l) || drain_signals(l) || l->oom) {
      l->oom = 0;
      return kd_error_set(err, KD_ENOMEM, "loop: out of memory");
    }
    if (l->nready) return (int)(l->nready > 0x7fffffff ? 0x7fffffff : l->nready);
    if (loop_pending(l) == 0) return 0;
    now = loop_now();
    if (deadline >= 0 && now >= deadline) return 0;
    if ((rc = wait_round(l, now, deadline, err)) != KD_OK) return rc;
  }
}
