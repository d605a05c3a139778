/* engine/sim/sim_list.c: the list verb (label and field selectors,
 * limit/continue, Table answers), split from sim_api.c. */
#include "sim_int.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static void b64(kd_buf *out, const char *p, size_t n)
{
  char *tmp = malloc(4 * ((n + 2) / 3) + 1);
  if (!tmp) return;
  EVP_EncodeBlock((unsigned char *)tmp, (const unsigned char *)p, (int)n);
  kd_buf_adds(out, tmp);
  free(tmp);
}

/* Continue tokens: base64 of {"rv":N,"start":"ns/name"} (kube's own token
 * is the same shape). Returns 0 on success with the owned start key. */
static int parse_continue(const char *tok, uint64_t *rv, char **ns,
                          char **name)
{
  size_t n = strlen(tok);
  unsigned char *raw = malloc(n + 4);
  int len;
  kd_value v;
  kd_error err;
  const kd_value *x;
  const char *start, *slash;
  if (!raw) return -1;
  len = EVP_DecodeBlock(raw, (const unsigned char *)tok, (int)n);
  if (len < 0) { free(raw); return -1; }
  while (len > 0 && raw[len - 1] == 0) len--;
  if (json_decode((char *)raw, (size_t)len, "continue", &v, &err)) {
    free(raw);
    return -1;
  }
  free(raw);
  x = kd_obj_gets(&v, "rv");
  start = sim_str(&v, "start");
  if (!x || x->type != KD_INT || !start || !(slash = strchr(start, '/'))) {
    kd_value_clear(&v);
    return -1;
  }
  *rv = (uint64_t)x->u.i;
  *ns = kd_strndup(start, (size_t)(slash - start));
  *name = sim_strdup(slash + 1);
  kd_value_clear(&v);
  return 0;
}

/* How many bytes after the opening brace of a stored object's JSON hold
 * its leading "kind" and "apiVersion" members (with their commas), 0 when
 * it does not start with them. The real server leaves them out of the
 * items of built-in lists (the list's own kind says them). */
static size_t type_meta_len(const char *p, size_t n)
{
  static const char *const keys[2] = {"\"kind\":\"", "\"apiVersion\":\""};
  size_t at = 1, k, seen = 0;
  if (n < 2 || p[0] != '{') return 0;
  for (k = 0; k < 2; k++) {
    size_t i, kl;
    for (i = 0; i < 2; i++) {
      kl = strlen(keys[i]);
      if (!(seen & (1u << i)) && n - at > kl && memcmp(p + at, keys[i], kl) == 0)
        break;
    }
    if (i == 2) return 0;
    seen |= 1u << i;
    at += kl;
    while (at < n && p[at] != '"' && p[at] != '\\') at++;
    if (at + 1 >= n || p[at] != '"' || p[at + 1] != ',') return 0;
    at += 2;
  }
  return at - 1;
}

void sim_api_list(sim *s, sim_conn *c, sim_req *req, sim_resource *res,
                  const char *req_ns)
{
  char *lsel = sim_query_get(req->query, "labelSelector");
  char *fsel = sim_query_get(req->query, "fieldSelector");
  char *lim = sim_query_get(req->query, "limit");
  char *cont = sim_query_get(req->query, "continue");
  sim_selector *ls = NULL, *fs = NULL;
  kd_error err = {0};
  kd_buf b = {0};
  sim_table *t = res->table;
  size_t i = 0, count = 0, limit = 0;
  uint64_t list_rv = s->rv;
  char gv[300];
  const char *ns = res->namespaced ? req_ns : "";
  int more = 0;
  if (lsel && !(ls = sim_selector_parse(lsel, 0, &err))) goto bad;
  if (fsel && !(fs = sim_selector_parse(fsel, 1, &err))) goto bad;
  if (lim && lim[0]) limit = (size_t)strtoull(lim, NULL, 10);
  if (cont && cont[0]) {
    char *cns = NULL, *cname = NULL;
    if (parse_continue(cont, &list_rv, &cns, &cname)) {
      kd_error_set(&err, KD_EINVAL, "continue key is not valid: illegal "
                   "base64 data at input byte 0");
      goto bad;
    }
    if (list_rv < s->log_min_rv) {
      free(cns);
      free(cname);
      sim_send_status(s, c, 410, "Expired", "The provided continue parameter "
                      "is too old to display a consistent list result. You "
                      "can start a new list without the continue parameter.",
                      NULL);
      goto done;
    }
    sim_table_find(t, cns, cname, &i);
    if (i < t->len && strcmp(t->items[i]->ns, cns) == 0 &&
        strcmp(t->items[i]->name, cname) == 0)
      i++;
    free(cns);
    free(cname);
  } else if (ns[0]) {
    sim_table_find(t, ns, "", &i);   /* first object of the namespace */
  }
  {
    sim_obj **hits = NULL;
    size_t n = 0, cap = 0;
    kd_buf cont_tok = {0};
    int table = sim_table_wanted(req), include = sim_table_include(req);
    for (; i < t->len; i++) {
      sim_obj *o = t->items[i];
      if (ns[0] && strcmp(o->ns, ns) != 0) break;
      if (ls && !sim_selector_match(ls, &o->v)) continue;
      if (fs && !sim_selector_match(fs, &o->v)) continue;
      if (limit && n == limit) { more = 1; break; }
      if (n == cap) {
        sim_obj **nh = realloc(hits, (cap = cap ? cap * 2 : 64) * sizeof *nh);
        if (!nh) break;
        hits = nh;
      }
      hits[n++] = o;
    }
    if (more && n) {
      kd_buf tok = {0}, key = {0};
      kd_buf_printf(&tok, "{\"v\":\"meta.k8s.io/v1\",\"rv\":%llu,\"start\":",
                    (unsigned long long)list_rv);
      kd_buf_printf(&key, "%s/%s", hits[n - 1]->ns, hits[n - 1]->name);
      json_encode_string(key.data, key.len, 0, &tok);
      kd_buf_addc(&tok, '}');
      b64(&cont_tok, tok.data, tok.len);
      kd_buf_free(&tok);
      kd_buf_free(&key);
    }
    if (table) {
      sim_table_begin(s, &b, res, list_rv, cont_tok.data);
    } else {
      kd_buf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
                    "\"resourceVersion\":\"%llu\"", res->list_kind,
                    sim_res_gvstr(res, gv, sizeof gv),
                    (unsigned long long)list_rv);
      if (cont_tok.len) kd_buf_printf(&b, ",\"continue\":\"%s\"", cont_tok.data);
      kd_buf_adds(&b, "},\"items\":[");
    }
    for (count = 0; count < n; count++) {
      sim_blob *json = sim_api_json_for(s, res, hits[count]);
      if (!json) continue;
      if (table) {
        sim_table_row(s, &b, res, &hits[count]->v, json->data, json->len,
                      include, count == 0);
      } else {
        size_t skip = res->crd ? 0 : type_meta_len(json->data, json->len);
        if (count) kd_buf_addc(&b, ',');
        kd_buf_addc(&b, '{');
        kd_buf_add(&b, json->data + 1 + skip, json->len - 1 - skip);
      }
      sim_blob_unref(json);
    }
    if (table) sim_table_end(&b);
    else kd_buf_adds(&b, "]}\n");
    free(hits);
    kd_buf_free(&cont_tok);
  }
  sim_respond(s, c, 200, "application/json", NULL, b.data, b.len);
  goto done;
bad:
  sim_send_status(s, c, 400, "BadRequest", err.msg, NULL);
done:
  kd_buf_free(&b);
  sim_selector_free(ls);
  sim_selector_free(fs);
  free(lsel);
  free(fsel);
  free(lim);
  free(cont);
}

