/* tests/fuzz/sim_http_fuzz.c: libFuzzer target for the sim's request
 * parsing: the HTTP/1.1 parser (heads, Content-Length and chunked
 * bodies), query decoding, selectors and the protobuf body decoder. */
#include "sim/sim_http.h"
#include "sim/sim_int.h"
#include "sim/sim_proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  sim_req req;
  size_t used = 0, off = 0;
  int status = 0, guard = 0;
  kd_value v;
  kd_error err = {0};
  /* every request in the buffer, as the server does on one connection */
  while (off < size && guard++ < 64) {
    int r = sim_http_parse((const char *)data + off, size - off, 4096, &req,
                           &used, &status);
    if (r != 1) break;
    {
      char *x = sim_query_get(req.query, "labelSelector");
      sim_selector *sel;
      if (x && (sel = sim_selector_parse(x, 0, &err))) sim_selector_free(sel);
      free(x);
    }
    if (req.body.len &&
        sim_proto_decode(req.body.data, req.body.len, &v, &err) == KD_OK)
      kd_value_clear(&v);
    sim_req_free(&req);
    if (used == 0) break;
    off += used;
  }
  /* the protobuf decoder on raw bytes too */
  if (size > 4 && sim_proto_decode((const char *)data, size, &v, &err) == KD_OK)
    kd_value_clear(&v);
  return 0;
}
