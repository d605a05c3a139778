/* tests/bench/bench.h: what the benchmark drivers share: a clock, whole-file
 * reading and the "best of N runs" loop. Each driver prints the best time
 * in seconds of the one operation it measures. The clock is the process's
 * CPU time (user + system): on a machine shared with other work it moves
 * far less than wall time, and the drivers are single-threaded. */
#ifndef KD_BENCH_H
#define KD_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *bench_read(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *data;
  long n;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
    fprintf(stderr, "bench: cannot read %s\n", path);
    exit(1);
  }
  rewind(f);
  data = malloc((size_t)n + 1);
  if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "bench: cannot read %s\n", path);
    exit(1);
  }
  data[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return data;
}

/* Keeps the best of RUNS timings of one measured step; AFTER runs after
 * each step, untimed (freeing what the step built). */
#define BENCH_BEST_THEN(runs, best, step, after)                          \
  do {                                                                    \
    int r_;                                                               \
    (best) = 1e30;                                                        \
    for (r_ = 0; r_ < (runs); r_++) {                                     \
      double t0_ = bench_now(), t_;                                       \
      step;                                                               \
      t_ = bench_now() - t0_;                                             \
      if (t_ < (best)) (best) = t_;                                       \
      after;                                                              \
    }                                                                     \
  } while (0)
#define BENCH_BEST(runs, best, step) BENCH_BEST_THEN(runs, best, step, (void)0)

#endif
