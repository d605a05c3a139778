/* engine/chart/chart_tar.c: packaged charts: gzip (zlib) and a small tar
 * reader (ustar, GNU long names, pax path/size records), turned into the
 * file list Helm's LoadArchiveFiles produces. Our own reader rather than
 * libarchive: a chart archive is a plain tar stream, the reader is ~250
 * lines with a fuzz target, and it avoids a dependency for one format. */
#include "chart.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_CHART_SIZE ((size_t)100 << 20)   /* Helm: 100 MiB in all */
#define MAX_FILE_SIZE ((size_t)5 << 20)      /* Helm: 5 MiB per file */

void chart_files_free(chart_file *files, size_t n)
{
  if (!files) return;
  for (size_t i = 0; i < n; i++) {
    free(files[i].name);
    free(files[i].data);
  }
  free(files);
}

/* Inflates a gzip stream (several members are read one after the other,
 * as Go's gzip reader does). */
static int gunzip(const void *data, size_t len, const char *source,
                  kd_buf *out, kd_error *err)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return kd_error_set(err, KD_ENOMEM, "%s: out of memory", source);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)len;
  int rc = KD_OK;
  for (;;) {
    if (kd_buf_reserve(out, 65536) != KD_OK) {
      rc = kd_error_set(err, KD_ENOMEM, "%s: out of memory", source);
      break;
    }
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)(out->size - out->len - 1);
    size_t before = z.avail_out;
    int zr = inflate(&z, Z_NO_FLUSH);
    out->len += before - z.avail_out;
    out->data[out->len] = 0;
    if (out->len > MAX_CHART_SIZE + 1024 * 1024) {
      rc = kd_error_set(err, KD_EPARSE,
                        "%s: decompressed chart is larger than the maximum "
                        "size %zu", source, MAX_CHART_SIZE);
      break;
    }
    if (zr == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      if (inflateReset(&z) != Z_OK) {
        rc = kd_error_set(err, KD_EPARSE, "%s: gzip: invalid header", source);
        break;
      }
      continue;
    }
    if (zr == Z_BUF_ERROR && z.avail_in == 0) {
      rc = kd_error_set(err, KD_EPARSE, "%s: unexpected EOF", source);
      break;
    }
    if (zr != Z_OK) {
      rc = kd_error_set(err, KD_EPARSE, "%s: gzip: %s", source,
                        z.msg ? z.msg : "invalid data");
      break;
    }
  }
  inflateEnd(&z);
  return rc;
}

/* A numeric header field: octal text, or base-256 when the top bit is set. */
static int tar_num(const unsigned char *p, size_t n, uint64_t *out)
{
  uint64_t v = 0;
  if (n && (p[0] & 0x80)) {
    for (size_t i = 0; i < n; i++) {
      unsigned char c = i == 0 ? (p[0] & 0x7f) : p[i];
      if (v >> 55) return -1;
      v = (v << 8) | c;
    }
    *out = v;
    return 0;
  }
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == 0)) i++;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
    if (v >> 60) return -1;
    v = v * 8 + (uint64_t)(p[i] - '0');
  }
  for (; i < n; i++)
    if (p[i] != ' ' && p[i] != 0) return -1;
  *out = v;
  return 0;
}

static int checksum_ok(const unsigned char *h)
{
  uint64_t want;
  if (tar_num(h + 148, 8, &want) != 0) return 0;
  uint64_t u = 0;
  int64_t s = 0;
  for (int i = 0; i < 512; i++) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
    u += c;
    s += (signed char)c;
  }
  return want == u || (int64_t)want == s;
}

static size_t field_len(const unsigned char *p, size_t n)
{
  size_t i = 0;
  while (i < n && p[i]) i++;
  return i;
}

/* Reads "LEN key=value\n" records of a pax header for path and size. */
static void pax_parse(const char *p, size_t n, kd_buf *path, int *has_path,
                      uint64_t *size, int *has_size)
{
  size_t i = 0;
  while (i < n) {
    size_t rl = 0, j = i;
    while (j < n && p[j] >= '0' && p[j] <= '9') rl = rl * 10 + (size_t)(p[j++] - '0');
    if (j >= n || p[j] != ' ' || rl == 0 || i + rl > n || rl < j - i + 2) return;
    const char *kv = p + j + 1, *end = p + i + rl - 1;   /* end: the '\n' */
    const char *eq = memchr(kv, '=', (size_t)(end - kv));
    if (eq) {
      size_t kl = (size_t)(eq - kv);
      if (kl == 4 && memcmp(kv, "path", 4) == 0) {
        path->len = 0;
        kd_buf_add(path, eq + 1, (size_t)(end - eq - 1));
        *has_path = 1;
      } else if (kl == 4 && memcmp(kv, "size", 4) == 0) {
        uint64_t v = 0;
        for (const char *q = eq + 1; q < end && *q >= '0' && *q <= '9'; q++)
          v = v * 10 + (uint64_t)(*q - '0');
        *size = v;
        *has_size = 1;
      }
    }
    i += rl;
  }
}

/* Go's path.Clean for a relative '/'-separated path, in place. */
static void path_clean(kd_buf *b)
{
  char *s = b->data;
  size_t n = b->len, w = 0, r = 0;
  int rooted = n > 0 && s[0] == '/';
  size_t dotdot = 0;
  if (rooted) { w = 1; r = 1; dotdot = 1; }
  while (r < n) {
    if (s[r] == '/') { r++; continue; }
    if (s[r] == '.' && (r + 1 == n || s[r + 1] == '/')) { r++; continue; }
    if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == n || s[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && s[w] != '/') w--;
      } else if (!rooted) {
        if (w > 0) s[w++] = '/';
        s[w++] = '.';
        s[w++] = '.';
        dotdot = w;
      }
      continue;
    }
    if ((rooted && w != 1) || (!rooted && w != 0)) s[w++] = '/';
    while (r < n && s[r] != '/') s[w++] = s[r++];
  }
  if (w == 0) s[w++] = '.';
  b->len = w;
  s[w] = 0;
}

/* Turns an entry name into the chart-relative name Helm uses. */
static int entry_name(const char *raw, size_t rawlen, const char *source,
                      kd_buf *n, int *skip, kd_error *err)
{
  char delim = memchr(raw, '\\', rawlen) ? '\\' : '/';
  const char *slash = memchr(raw, delim, rawlen);
  *skip = 0;
  if (slash == NULL || slash == raw) {
    if (rawlen == 10 && memcmp(raw, "Chart.yaml", 10) == 0)
      return kd_error_set(err, KD_EPARSE,
                          "%s: chart yaml not in base directory", source);
  }
  if (slash && (size_t)(slash - raw) == 10 && memcmp(raw, "Chart.yaml", 10) == 0)
    return kd_error_set(err, KD_EPARSE,
                        "%s: chart yaml not in base directory", source);
  n->len = 0;
  if (slash) {
    for (const char *p = slash + 1; p < raw + rawlen; p++)
      if (kd_buf_addc(n, *p == delim ? '/' : *p) != KD_OK)
        return kd_error_set(err, KD_ENOMEM, "out of memory");
  }
  if (kd_buf_addc(n, 0) != KD_OK) return kd_error_set(err, KD_ENOMEM, "out of memory");
  n->len--;
  if (n->len > 0 && n->data[0] == '/')
    return kd_error_set(err, KD_EPARSE,
                        "%s: chart illegally contains absolute paths", source);
  path_clean(n);
  if (n->len == 1 && n->data[0] == '.')
    return kd_error_set(err, KD_EPARSE,
                        "%s: chart illegally contains content outside the "
                        "base directory: \"%.*s\"", source, (int)rawlen, raw);
  if (n->len >= 2 && n->data[0] == '.' && n->data[1] == '.')
    return kd_error_set(err, KD_EPARSE,
                        "%s: chart illegally references parent directory",
                        source);
  if (n->len >= 2 && n->data[1] == ':' &&
      ((n->data[0] | 32) >= 'a' && (n->data[0] | 32) <= 'z'))
    return kd_error_set(err, KD_EPARSE,
                        "%s: chart contains illegally named files", source);
  return KD_OK;
}

static int add_file(chart_file **files, size_t *n, size_t *cap,
                    const kd_buf *name, const unsigned char *data,
                    size_t len)
{
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    chart_file *nf = realloc(*files, nc * sizeof *nf);
    if (!nf) return KD_ENOMEM;
    *files = nf;
    *cap = nc;
  }
  static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
  if (len >= 3 && memcmp(data, bom, 3) == 0) { data += 3; len -= 3; }
  chart_file *f = &(*files)[*n];
  f->name = kd_strndup(name->data, name->len);
  f->data = kd_strndup((const char *)data, len);
  f->len = len;
  if (!f->name || !f->data) {
    free(f->name);
    free(f->data);
    return KD_ENOMEM;
  }
  (*n)++;
  return KD_OK;
}

static int untar(const unsigned char *t, size_t tlen, const char *source,
                 chart_file **files, size_t *nfiles, kd_error *err)
{
  kd_buf longname = {0}, paxpath = {0}, name = {0};
  int has_long = 0, has_pax = 0, has_psize = 0, rc = KD_OK;
  uint64_t psize = 0;
  size_t cap = 0, total = 0, off = 0;
  while (off + 512 <= tlen) {
    const unsigned char *h = t + off;
    int zero = 1;
    for (int i = 0; i < 512 && zero; i++) zero = h[i] == 0;
    if (zero) break;
    uint64_t size;
    if (!checksum_ok(h) || tar_num(h + 124, 12, &size) != 0) {
      rc = kd_error_set(err, KD_EPARSE, "%s: archive/tar: invalid header",
                        source);
      goto done;
    }
    char type = (char)h[156];
    if (has_psize) size = psize;
    off += 512;
    if (size > tlen - off) {
      rc = kd_error_set(err, KD_EPARSE, "%s: unexpected EOF", source);
      goto done;
    }
    const unsigned char *body = t + off;
    off += (size_t)((size + 511) & ~(uint64_t)511);
    if (off > tlen) off = tlen;
    if (type == 'L') {            /* GNU long name for the next entry */
      longname.len = 0;
      if (kd_buf_add(&longname, body, field_len(body, (size_t)size)) != KD_OK)
        goto nomem;
      has_long = 1;
      continue;
    }
    if (type == 'x') {            /* pax header for the next entry */
      pax_parse((const char *)body, (size_t)size, &paxpath, &has_pax,
                &psize, &has_psize);
      continue;
    }
    if (type == 'g' || type == 'K') continue;
    const char *raw;
    size_t rawlen;
    kd_buf full = {0};
    if (has_pax) {
      raw = paxpath.data ? paxpath.data : "";
      rawlen = paxpath.len;
    } else if (has_long) {
      raw = longname.data;
      rawlen = longname.len;
    } else {
      size_t nl = field_len(h, 100);
      if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
        size_t pl = field_len(h + 345, 155);
        if (kd_buf_add(&full, h + 345, pl) || kd_buf_addc(&full, '/') ||
            kd_buf_add(&full, h, nl)) {
          kd_buf_free(&full);
          goto nomem;
        }
      } else if (kd_buf_add(&full, h, nl) || kd_buf_addc(&full, 0)) {
        kd_buf_free(&full);
        goto nomem;
      } else {
        full.len--;
      }
      raw = full.data;
      rawlen = full.len;
    }
    has_long = has_pax = has_psize = 0;
    int is_dir = type == '5' || (rawlen > 0 && raw[rawlen - 1] == '/' &&
                                 (type == '0' || type == 0));
    if (is_dir) { kd_buf_free(&full); continue; }
    int skip;
    rc = entry_name(raw, rawlen, source, &name, &skip, err);
    kd_buf_free(&full);
    if (rc != KD_OK) goto done;
    if (size > MAX_FILE_SIZE) {
      rc = kd_error_set(err, KD_EPARSE, "%s: decompressed chart file \"%s\" "
                        "is larger than the maximum file size %zu", source,
                        name.data, MAX_FILE_SIZE);
      goto done;
    }
    total += (size_t)size;
    if (total > MAX_CHART_SIZE) {
      rc = kd_error_set(err, KD_EPARSE, "%s: decompressed chart is larger "
                        "than the maximum size %zu", source, MAX_CHART_SIZE);
      goto done;
    }
    /* Links and special files carry no data: Helm keeps them as empty. */
    size_t dlen = (type == '0' || type == 0 || type == '7') ? (size_t)size : 0;
    if (add_file(files, nfiles, &cap, &name, body, dlen) != KD_OK) goto nomem;
  }
  if (*nfiles == 0)
    rc = kd_error_set(err, KD_EPARSE, "%s: no files in chart archive", source);
  goto done;
nomem:
  rc = kd_error_set(err, KD_ENOMEM, "%s: out of memory", source);
done:
  kd_buf_free(&longname);
  kd_buf_free(&paxpath);
  kd_buf_free(&name);
  return rc;
}

int chart_untar(const void *data, size_t len, const char *source,
                chart_file **files, size_t *n, kd_error *err)
{
  kd_buf tar = {0};
  *files = NULL;
  *n = 0;
  int rc = gunzip(data, len, source, &tar, err);
  if (rc == KD_OK)
    rc = untar((const unsigned char *)(tar.data ? tar.data : ""), tar.len,
               source, files, n, err);
  kd_buf_free(&tar);
  if (rc != KD_OK) {
    chart_files_free(*files, *n);
    *files = NULL;
    *n = 0;
  }
  return rc;
}
