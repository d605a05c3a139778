/* engine/sim/sim_http.h: HTTP/1.1 request parsing for the sim server.
 * Pure functions over a byte buffer (no I/O), fuzzed by
 * tests/fuzz/sim_http_fuzz.c. No Lua. */
#ifndef KD_SIM_HTTP_H
#define KD_SIM_HTTP_H

#include "kd.h"

typedef struct sim_header {
  char *name;     /* lower-cased */
  char *value;    /* leading/trailing blanks trimmed */
} sim_header;

typedef struct sim_req {
  char *method;
  char *target;   /* as sent: path?query */
  char *path;     /* percent-decoded path */
  char *query;    /* raw query ("" when none) */
  sim_header *headers;
  size_t n_headers;
  kd_buf body;
  int keep_alive;
  int expect_continue;
} sim_req;

#define SIM_MAX_HEAD ((size_t)64 * 1024)

/* Parses one request from BUF[0..LEN). Returns 1 when complete (REQ
 * filled, owned by the caller: sim_req_free; *USED = bytes consumed),
 * 0 when more bytes are needed (*STATUS is 100 when the client waits for
 * "100 Continue"), or -1 on a malformed or too large request with the HTTP
 * status to answer in *STATUS (400, 413, 431, 501, 505). Bodies longer
 * than MAX_BODY give 413. */
int sim_http_parse(const char *buf, size_t len, size_t max_body,
                   sim_req *req, size_t *used, int *status);
void sim_req_free(sim_req *req);

/* Value of header NAME (lower-case), or NULL. Borrowed. */
const char *sim_req_header(const sim_req *req, const char *name);
/* Decoded value of query parameter NAME (owned), or NULL when absent. */
char *sim_query_get(const char *query, const char *name);
/* Percent-decodes S[0..N) ('+' as space when FORM). Returns owned. */
char *sim_url_decode(const char *s, size_t n, int form);

#endif
