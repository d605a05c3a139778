/* engine/loop.h: the event loop, one per process: a libcurl multi handle,
 * timers, fd watches and signal wakeups, with C callbacks carrying a
 * context pointer. No Lua. Callbacks run inside loop_run, never inside a
 * curl callback, and may add or remove transfers, timers and watches.
 *
 * Everything a caller may wait on has a loop_id. Whoever finishes something
 * marks its id ready (loop_ready); loop_run returns once ids are ready and
 * loop_take_ready hands them out in order. The Lua scheduler parks a
 * coroutine on an id and resumes it when the id comes back. */
#ifndef KD_LOOP_H
#define KD_LOOP_H

#include <curl/curl.h>

#include "kd.h"

typedef struct loop loop;
typedef uint64_t loop_id;   /* 0 is never a valid id */

/* A new loop with its own curl multi handle. Returns owned or NULL + ERR. */
loop *loop_new(kd_error *err);
/* Cancels every transfer (no callbacks) and timer, frees L. NULL is fine. */
void loop_free(loop *l);

/* A fresh id, unique within L. */
loop_id loop_new_id(loop *l);
/* Queues ID as ready. KD_ENOMEM when the queue cannot grow. */
int loop_ready(loop *l, loop_id id);
/* Moves up to MAX ready ids into OUT (oldest first); returns how many. */
size_t loop_take_ready(loop *l, loop_id *out, size_t max);
/* Number of ready ids not yet taken. */
size_t loop_ready_count(const loop *l);

/* Timers. FN(CTX) runs once, DELAY seconds from now, inside loop_run; with
 * FN NULL the timer's id is marked ready instead. Returns the timer's id
 * (also in *ID when ID is not NULL), or 0 when out of memory. */
typedef void (*loop_timer_fn)(void *ctx);
loop_id loop_timer(loop *l, double delay, loop_timer_fn fn, void *ctx);
/* Cancels a pending timer; returns 1 when it was pending, 0 otherwise. */
int loop_timer_cancel(loop *l, loop_id id);

/* Transfers. Adds EASY (borrowed: the caller keeps and cleans it up) to the
 * multi handle; FN(CTX, EASY, RESULT) runs when it finishes. The loop uses
 * CURLOPT_PRIVATE of EASY. */
typedef void (*loop_done_fn)(void *ctx, CURL *easy, CURLcode result);
int loop_add(loop *l, CURL *easy, loop_done_fn fn, void *ctx, kd_error *err);
/* Stops a transfer added with loop_add; its callback never runs. */
void loop_remove(loop *l, CURL *easy);

/* File-descriptor watches. FN(CTX) runs inside loop_run each time FD is
 * readable (or at EOF, or on error: FN reads and finds out); it may cancel
 * its own or other watches. FD stays the caller's. Returns the watch's id,
 * or 0 when out of memory. */
typedef void (*loop_fd_fn)(void *ctx);
loop_id loop_fd(loop *l, int fd, loop_fd_fn fn, void *ctx);
/* Stops a watch; returns 1 when it was active, 0 otherwise. */
int loop_fd_cancel(loop *l, loop_id id);

/* Marks ID ready each time signal SIGNO arrives (handler installed with
 * sigaction; the previous disposition is restored by loop_free). */
int loop_signal(loop *l, int signo, loop_id id, kd_error *err);

/* Runs the loop: drives transfers, dispatches finished ones and due timers,
 * and sleeps in poll() until an id is ready or TIMEOUT seconds
 * passed (TIMEOUT < 0: no limit, but it returns at once when nothing is
 * pending at all). Returns the number of ready ids (>= 0) or KD_E* + ERR. */
int loop_run(loop *l, double timeout, kd_error *err);

/* Transfers + timers + fd and signal watches that can still make an id
 * ready. */
size_t loop_pending(const loop *l);
/* Monotonic clock in seconds. */
double loop_now(void);
/* Cap on parallel connections to one host (default: none). */
void loop_set_max_host_connections(loop *l, long n);

#endif
