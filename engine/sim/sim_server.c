/* engine/sim/sim_server.c: the poll loop's socket side: listening socket,
 * connections (plain or TLS), keep-alive, responses and chunked streams. */
#define _GNU_SOURCE
#include "sim_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#define READ_CHUNK 65536
#define OUT_LIMIT ((size_t)512 << 20)   /* a reader this far behind is cut */
#define SIM_REQUEST_TIMEOUT_MS 30000    /* a request must arrive within */

static const char *status_text(int code)
{
  switch (code) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 413: return "Request Entity Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 503: return "Service Unavailable";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

int sim_server_listen(sim *s, kd_error *err)
{
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return kd_error_set(err, KD_EIO, "sim: socket: %s", strerror(errno));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((unsigned short)s->cfg.port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 512) < 0) {
    int e = errno;
    close(fd);
    return kd_error_set(err, KD_EIO, "sim: cannot listen on 127.0.0.1:%d: %s",
                        s->cfg.port, strerror(e));
  }
  getsockname(fd, (struct sockaddr *)&a, &alen);
  s->listen_fd = fd;
  s->port = ntohs(a.sin_port);
  return KD_OK;
}

static void accept_all(sim *s)
{
  for (;;) {
    int one = 1;
    sim_conn *c;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      /* out of descriptors: the backlog stays readable, so stop polling it
       * for a moment instead of spinning */
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
          errno == ENOBUFS)
        s->accept_pause = sim_clock_ms() + 100;
      return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c = calloc(1, sizeof *c);
    if (!c) { close(fd); continue; }
    c->fd = fd;
    c->in.cap = s->cfg.max_body + SIM_MAX_HEAD + 16;
    if (s->ssl_ctx) {
      c->ssl = SSL_new(s->ssl_ctx);
      if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
        SSL_free(c->ssl);
        close(fd);
        free(c);
        continue;
      }
      SSL_set_accept_state(c->ssl);
    }
    c->next = s->conns;
    s->conns = c;
  }
}

void sim_conn_close(sim *s, sim_conn *c)
{
  if (c->dead) return;
  c->dead = 1;
  if (c->watch) { sim_watch_free(s, c->watch); c->watch = NULL; }
  if (c->follow) { sim_follow_free(s, c->follow); c->follow = NULL; }
  if (c->delay_timer) sim_timer_cancel(s, c->delay_timer);
  c->delay_timer = 0;
  if (c->ssl) {
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

static void conn_free(sim_conn *c)
{
  kd_buf_free(&c->in);
  kd_buf_free(&c->out);
  sim_req_free(&c->pending);
  free(c);
}

/* Writes what is queued; closes on error or when done and close_after. */
void sim_conn_flush(sim *s, sim_conn *c)
{
  while (!c->dead && c->out_off < c->out.len) {
    size_t n = c->out.len - c->out_off;
    const char *p = c->out.data + c->out_off;
    ssize_t w;
    if (c->ssl) {
      int r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return;
        sim_conn_close(s, c);
        return;
      }
      w = r;
    } else {
      w = send(c->fd, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        sim_conn_close(s, c);
        return;
      }
    }
    c->out_off += (size_t)w;
  }
  if (c->dead) return;
  c->out.len = c->out_off = 0;
  if (c->close_after) sim_conn_close(s, c);
}

static void queue_out(sim *s, sim_conn *c, const char *p, size_t n)
{
  if (c->dead) return;
  if (c->out.len - c->out_off + n > OUT_LIMIT ||
      kd_buf_add(&c->out, p, n) != KD_OK) {
    sim_conn_close(s, c);   /* a reader that does not read */
    return;
  }
}

void sim_respond(sim *s, sim_conn *c, int status, const char *ctype,
                 const char *headers, const char *body, size_t len)
{
  kd_buf h = {0};
  int rc;
  if (c->dead) return;
  rc = kd_buf_printf(&h, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                     "Cache-Control: no-cache, private\r\n"
                     "Content-Length: %zu\r\n",
                     status, status_text(status), ctype ? ctype : "text/plain",
                     len);
  /* the Warning lines of a write (fieldValidation=Warn) */
  if (!rc && s->warnings.len)
    rc = kd_buf_add(&h, s->warnings.data, s->warnings.len);
  if (!rc && headers) rc = kd_buf_adds(&h, headers);
  if (!rc && c->close_after) rc = kd_buf_adds(&h, "Connection: close\r\n");
  if (!rc) rc = kd_buf_adds(&h, "\r\n");
  kd_buf_free(&s->warnings);
  if (rc) {
    kd_buf_free(&h);
    sim_conn_close(s, c);
    return;
  }
  queue_out(s, c, h.data, h.len);
  kd_buf_free(&h);
  queue_out(s, c, body, len);
  sim_conn_flush(s, c);
}

void sim_stream_start(sim *s, sim_conn *c, const char *ctype)
{
  char head[512];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                   "Cache-Control: no-cache, private\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n", ctype);
  c->chunked = 1;
  queue_out(s, c, head, (size_t)n);
  sim_conn_flush(s, c);
}

void sim_stream_chunk(sim *s, sim_conn *c, const char *p, size_t len)
{
  char sz[32];
  int n;
  if (!len || c->dead) return;
  n = snprintf(sz, sizeof sz, "%zx\r\n", len);
  queue_out(s, c, sz, (size_t)n);
  queue_out(s, c, p, len);
  queue_out(s, c, "\r\n", 2);
  sim_conn_flush(s, c);
}

/* Ends a stream; the connection stays usable for the next request. */
void sim_stream_end(sim *s, sim_conn *c)
{
  c->chunked = 0;
  queue_out(s, c, "0\r\n\r\n", 5);
  sim_conn_flush(s, c);
}

/* ---- reading and dispatching requests -----------------------------------*/

static void handle_now(sim *s, sim_conn *c, sim_req *req)
{
  if (!req->keep_alive) c->close_after = 1;
  s->n_requests++;
  sim_api_handle(s, c, req);
  sim_req_free(req);
  sim_dispatch(s);
}

static void process_input(sim *s, sim_conn *c);

static void delayed(sim *s, void *ctx)
{
  sim_conn *c = ctx;
  c->delay_timer = 0;
  c->busy = 0;
  if (c->dead) return;
  handle_now(s, c, &c->pending);
  process_input(s, c);
}

/* Parses and handles every complete request in the input buffer, in
 * order; stops while a streaming response or a delayed request holds the
 * connection. */
static void process_input(sim *s, sim_conn *c)
{
  while (!c->dead && !c->busy && !c->watch && !c->follow && c->in.len) {
    sim_req req;
    size_t used = 0;
    int status = 0;
    int r = sim_http_parse(c->in.data, c->in.len, s->cfg.max_body, &req,
                           &used, &status);
    if (r == 0) {
      if (status == 100 && !c->sent_continue) {
        c->sent_continue = 1;
        queue_out(s, c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
        sim_conn_flush(s, c);
      }
      return;
    }
    if (r < 0) {
      char msg[200];
      c->close_after = 1;
      if (status == 413)
        snprintf(msg, sizeof msg, "Request entity too large: limit is %zu",
                 s->cfg.max_body);
      else
        snprintf(msg, sizeof msg, "%d %s", status, status_text(status));
      sim_send_status(s, c, status, sim_reason_for(status), msg, NULL);
      c->in.len = 0;
      return;
    }
    c->sent_continue = 0;
    memmove(c->in.data, c->in.data + used, c->in.len - used);
    c->in.len -= used;
    if (s->cfg.faults.latency_ms > 0) {
      s->n_delayed++;
      c->pending = req;
      c->busy = 1;
      c->delay_timer = sim_timer_add(s, s->cfg.faults.latency_ms, delayed, c);
      return;
    }
    handle_now(s, c, &req);
  }
}

void sim_conn_resume(sim *s, sim_conn *c) { process_input(s, c); }

static void conn_read(sim *s, sim_conn *c)
{
  for (;;) {
    ssize_t n;
    if (kd_buf_reserve(&c->in, READ_CHUNK) != KD_OK) {
      /* over the cap: more than a body limit plus head is buffered */
      c->close_after = 1;
      sim_send_status(s, c, 413, "RequestEntityTooLarge",
                      "Request entity too large", NULL);
      return;
    }
    if (c->ssl) {
      int r = SSL_read(c->ssl, c->in.data + c->in.len, READ_CHUNK);
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_WANT_WRITE) { c->want_write_ssl = 1; break; }
        sim_conn_close(s, c);
        return;
      }
      c->handshaken = 1;
      n = r;
    } else {
      n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, 0);
      if (n == 0) {   /* the client is done sending */
        if (c->out_off < c->out.len) {
          c->close_after = 1;
          c->read_eof = 1;   /* stop polling for input: EOF stays readable */
        } else {
          sim_conn_close(s, c);
        }
        return;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
        sim_conn_close(s, c);
        return;
      }
    }
    c->in.len += (size_t)n;
    c->in.data[c->in.len] = 0;
    c->last_in = sim_clock_ms();
    if ((size_t)n < READ_CHUNK && !c->ssl) break;
  }
  process_input(s, c);
}

/* One loop turn: poll the sockets at most TIMEOUT_MS, serve what is ready.*/
int sim_server_turn(sim *s, int timeout_ms)
{
  struct pollfd *pfd;
  sim_conn **who, *c, **pp;
  size_t n = 2, i;
  for (c = s->conns; c; c = c->next) n++;
  pfd = calloc(n, sizeof *pfd);
  who = calloc(n, sizeof *who);
  if (!pfd || !who) {
    free(pfd);
    free(who);
    return KD_ENOMEM;
  }
  pfd[0].fd = s->accept_pause > sim_clock_ms() ? -1 : s->listen_fd;
  pfd[0].events = POLLIN;
  pfd[1].fd = s->wake[0];
  pfd[1].events = POLLIN;
  n = 2;
  for (c = s->conns; c; c = c->next) {
    if (c->dead) continue;
    pfd[n].fd = c->fd;
    pfd[n].events = 0;
    if (!c->busy && !c->read_eof) pfd[n].events |= POLLIN;
    if (c->out_off < c->out.len || c->want_write_ssl) pfd[n].events |= POLLOUT;
    who[n++] = c;
  }
  if (poll(pfd, n, timeout_ms) > 0) {
    if (pfd[1].revents & POLLIN) {
      char b[64];
      while (read(s->wake[0], b, sizeof b) > 0) {}
    }
    for (i = 2; i < n; i++) {
      c = who[i];
      if (c->dead || !pfd[i].revents) continue;
      if (pfd[i].revents & POLLOUT) {
        c->want_write_ssl = 0;
        sim_conn_flush(s, c);
      }
      if (!c->dead && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        conn_read(s, c);
    }
    if (pfd[0].revents & POLLIN) accept_all(s);
  }
  free(pfd);
  free(who);
  /* a request that stays incomplete this long is abandoned (a client that
   * sends headers byte by byte must not hold a connection forever) */
  {
    int64_t now = sim_clock_ms();
    for (c = s->conns; c; c = c->next)
      if (!c->dead && !c->busy && !c->watch && !c->follow && c->in.len &&
          now - c->last_in > SIM_REQUEST_TIMEOUT_MS)
        sim_conn_close(s, c);
  }
  /* free connections closed during this turn */
  pp = &s->conns;
  while (*pp) {
    c = *pp;
    if (c->dead) {
      *pp = c->next;
      conn_free(c);
    } else {
      pp = &c->next;
    }
  }
  return KD_OK;
}

void sim_server_close(sim *s)
{
  sim_conn *c, *next;
  for (c = s->conns; c; c = next) {
    next = c->next;
    sim_conn_close(s, c);
    conn_free(c);
  }
  s->conns = NULL;
  if (s->listen_fd >= 0) close(s->listen_fd);
  s->listen_fd = -1;
}
