/* engine/sim/sim_state.c: --state FILE: every object saved as JSON on
 * exit and restored (with its uid, resourceVersion and timestamps) at
 * start, CRDs first so their resources exist for the custom objects. */
#include "sim_int.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_save(sim *s, kd_error *err)
{
  kd_buf b = {0};
  sim_resource *r;
  int first = 1, rc;
  if (!s->state_file) return KD_OK;
  kd_buf_printf(&b, "{\"kind\":\"KdeploySimState\",\"resourceVersion\":%llu,"
                "\"objects\":[", (unsigned long long)s->rv);
  for (r = s->resources; r; r = r->next) {
    const sim_resource *y;
    size_t i;
    int seen = 0;
    for (y = s->resources; y != r; y = y->next) if (y->table == r->table) seen = 1;
    if (seen) continue;
    for (i = 0; i < r->table->len; i++) {
      sim_blob *j = sim_obj_json(r->table->items[i]);
      if (!j) continue;
      kd_buf_printf(&b, "%s\n{\"group\":\"%s\",\"resource\":\"%s\","
                    "\"object\":", first ? "" : ",", r->group, r->plural);
      kd_buf_add(&b, j->data, j->len);
      kd_buf_addc(&b, '}');
      first = 0;
    }
  }
  kd_buf_adds(&b, "]}\n");
  if (!b.data) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  rc = kd_write_file(s->state_file, b.data, b.len, err);
  kd_buf_free(&b);
  return rc;
}

/* Inserts OBJ (moved) into R's table as it was saved. */
static int restore(sim *s, sim_resource *r, kd_value *obj, kd_error *err)
{
  const char *ns = r->namespaced ? sim_str(obj, "metadata.namespace") : "";
  const char *name = sim_str(obj, "metadata.name");
  const char *rv = sim_str(obj, "metadata.resourceVersion");
  sim_obj *o;
  size_t pos;
  sim_obj **items;
  if (!name || !ns) return KD_OK;
  if (sim_table_find(r->table, ns, name, &pos)) return KD_OK;
  o = calloc(1, sizeof *o);
  if (!o || !(o->ns = sim_strdup(ns)) || !(o->name = sim_strdup(name))) goto oom;
  if (r->table->len == r->table->cap) {
    size_t ncap = r->table->cap ? r->table->cap * 2 : 16;
    items = realloc(r->table->items, ncap * sizeof *items);
    if (!items) goto oom;
    r->table->items = items;
    r->table->cap = ncap;
  }
  memmove(r->table->items + pos + 1, r->table->items + pos,
          (r->table->len - pos) * sizeof *items);
  r->table->items[pos] = o;
  r->table->len++;
  o->v = *obj;
  kd_value_null(obj);
  o->rv = rv ? strtoull(rv, NULL, 10) : 0;
  if (strcmp(r->plural, "customresourcedefinitions") == 0)
    return sim_crd_sync(s, &o->v, err);
  return KD_OK;
oom:
  if (o) { free(o->ns); free(o->name); free(o); }
  return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
}

int sim_state_load(sim *s, kd_error *err)
{
  size_t len;
  char *data = kd_read_file(s->state_file, &len, err);
  kd_value doc;
  const kd_value *objs, *rv;
  size_t i;
  int pass, rc = KD_OK;
  if (!data) return err ? err->code : KD_EIO;
  rc = json_decode(data, len, s->state_file, &doc, err);
  free(data);
  if (rc) return rc;
  objs = kd_obj_gets(&doc, "objects");
  rv = kd_obj_gets(&doc, "resourceVersion");
  if (!objs || objs->type != KD_ARR || !rv || rv->type != KD_INT) {
    kd_value_clear(&doc);
    return kd_error_set(err, KD_EPARSE, "%s: not a kdeploy sim state file",
                        s->state_file);
  }
  /* pass 0: CRDs (they create resources), pass 1: everything else */
  for (pass = 0; pass < 2 && rc == KD_OK; pass++)
    for (i = 0; i < objs->u.arr.len && rc == KD_OK; i++) {
      kd_value *e = &objs->u.arr.items[i];
      const char *group = sim_str(e, "group"), *res = sim_str(e, "resource");
      kd_value *obj = kd_obj_gets(e, "object");
      sim_resource *r;
      int is_crd;
      if (!group || !res || !obj || obj->type != KD_OBJ) continue;
      is_crd = strcmp(res, "customresourcedefinitions") == 0;
      if (is_crd != (pass == 0)) continue;
      r = sim_res_find(s, group, NULL, res);
      if (!r) continue;   /* its CRD is gone: skip the object */
      rc = restore(s, r, obj, err);
    }
  s->rv = (uint64_t)rv->u.i;
  s->log_min_rv = s->rv;   /* no history before the restart */
  kd_value_clear(&doc);
  return rc;
}
