/* tests/fuzz/chart_tar_fuzz.c: libFuzzer target for packaged charts: the
 * tar reader on raw bytes (gzip-compressed first, so the fuzzer reaches the
 * tar headers), then the whole archive loader. */
#include "chart/chart.h"

#include <stdlib.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  uLongf zlen = compressBound(size) + 32;
  unsigned char *z = malloc(zlen);
  if (!z) return 0;
  z_stream s = {0};
  if (deflateInit2(&s, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
    s.next_in = (Bytef *)data;
    s.avail_in = (uInt)size;
    s.next_out = z;
    s.avail_out = (uInt)zlen;
    if (deflate(&s, Z_FINISH) == Z_STREAM_END) {
      kd_error err = {0};
      chart_file *files;
      size_t n;
      if (chart_untar(z, s.total_out, "fuzz.tgz", &files, &n, &err) == KD_OK)
        chart_files_free(files, n);
      chart_free(chart_load_archive(z, s.total_out, "fuzz.tgz", &err));
    }
    deflateEnd(&s);
  }
  free(z);
  return 0;
}
