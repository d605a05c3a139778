/* engine/sim/sim_ctrl_rev.c: ControllerRevisions, the template history
 * of StatefulSets and DaemonSets: one per distinct pod template, named
 * "<owner>-<hash>", numbered in the order templates were used, pruned to
 * revisionHistoryLimit. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LABEL "controller.kubernetes.io/hash"

static int by_revision(const void *pa, const void *pb)
{
  int64_t a = sim_vint(pa, "revision", 0), b = sim_vint(pb, "revision", 0);
  return a < b ? -1 : a > b;
}

void sim_revisions(sim *s, const kd_value *owner, kd_value *revs)
{
  sim_list(s, sim_res(s, "apps", "controllerrevisions"),
           sim_vstr(owner, "metadata.namespace"), sim_filter_owned,
           (void *)sim_vstr(owner, "metadata.uid"), revs);
  if (revs->u.arr.len > 1)
    qsort(revs->u.arr.items, revs->u.arr.len, sizeof(kd_value), by_revision);
}

/* The data a revision keeps: the template as a strategic "replace". */
static void revision_data(const kd_value *owner, kd_value *data)
{
  kd_value *t;
  kd_value_obj(data);
  t = sim_vobj(data, "spec.template");
  kd_value_clear(t);
  kd_value_copy(t, kd_value_path(owner, "spec.template"));
  sim_vset_str(t, "$patch", "replace");
}

int64_t sim_revision_current(sim *s, const kd_value *owner, kd_value *revs,
                             char *name, char *hash)
{
  const sim_resource *cr = sim_res(s, "apps", "controllerrevisions");
  const char *ns = sim_vstr(owner, "metadata.namespace");
  kd_value data, rev, out;
  kd_error err;
  int64_t max = 0, num = -1;
  size_t i;
  revision_data(owner, &data);
  sim_hash(&data, sim_vint(owner, "status.collisionCount", -1), hash);
  snprintf(name, 320, "%s-%s", sim_vstr(owner, "metadata.name"), hash);
  for (i = 0; i < revs->u.arr.len; i++)
    if (sim_vint(&revs->u.arr.items[i], "revision", 0) > max)
      max = sim_vint(&revs->u.arr.items[i], "revision", 0);
  for (i = 0; i < revs->u.arr.len; i++) {
    kd_value *r = &revs->u.arr.items[i];
    if (!kd_value_equal(kd_obj_gets(r, "data"), &data)) continue;
    snprintf(name, 320, "%s", sim_vstr(r, "metadata.name"));
    num = sim_vint(r, "revision", 0);
    if (num < max) {   /* an old template again: it becomes the newest */
      num = max + 1;
      sim_vset_int(r, "revision", num);
      sim_obj_update(s, cr, r, NULL, &err);
    }
    kd_value_clear(&data);
    return num;
  }
  kd_value_obj(&rev);
  sim_vset_str(&rev, "apiVersion", "apps/v1");
  sim_vset_str(&rev, "kind", "ControllerRevision");
  sim_vset_str(&rev, "metadata.name", name);
  sim_vset_str(&rev, "metadata.namespace", ns);
  {
    const kd_value *ml = kd_value_path(owner, "spec.selector.matchLabels");
    kd_value *labels = sim_vobj(&rev, "metadata.labels");
    if (ml && ml->type == KD_OBJ) {
      kd_value_clear(labels);
      kd_value_copy(labels, ml);
    }
    sim_vset_key(labels, HASH_LABEL, hash);
  }
  sim_set_controller(&rev, owner);
  {
    kd_value *d = kd_obj_add(&rev, "data", 4);
    if (d) *d = data;
    else kd_value_clear(&data);
  }
  sim_vset_int(&rev, "revision", max + 1);
  kd_value_null(&out);
  if (sim_obj_create(s, cr, ns, &rev, &out, &err) == KD_OK) {
    kd_value *slot = kd_arr_push(revs);
    num = max + 1;
    if (slot) {
      *slot = out;
      kd_value_null(&out);
    }
  }
  kd_value_clear(&out);
  kd_value_clear(&rev);
  return num;
}

static int used(const kd_value *pods, const kd_value *rev)
{
  const char *name = sim_vstr(rev, "metadata.name");
  const char *hash = sim_vkey(kd_value_path(rev, "metadata.labels"), HASH_LABEL);
  size_t i;
  for (i = 0; i < sim_vlen(pods); i++) {
    const char *h = sim_vkey(kd_value_path(&pods->u.arr.items[i], "metadata.labels"),
                             "controller-revision-hash");
    if (h && ((name && !strcmp(h, name)) || (hash && !strcmp(h, hash))))
      return 1;
  }
  return 0;
}

void sim_revisions_prune(sim *s, const kd_value *owner, const kd_value *revs,
                         const kd_value *pods, const char *keep1,
                         const char *keep2)
{
  int64_t limit = sim_vint(owner, "spec.revisionHistoryLimit", 10), live = 0;
  size_t i;
  for (i = 0; i < sim_vlen(revs); i++) {
    const char *n = sim_vstr(&revs->u.arr.items[i], "metadata.name");
    if (!(n && ((keep1 && !strcmp(n, keep1)) || (keep2 && !strcmp(n, keep2)))) &&
        !used(pods, &revs->u.arr.items[i]))
      live++;
  }
  for (i = 0; i < sim_vlen(revs) && live > limit; i++) {
    const kd_value *r = &revs->u.arr.items[i];
    const char *n = sim_vstr(r, "metadata.name");
    kd_error err;
    if ((n && ((keep1 && !strcmp(n, keep1)) || (keep2 && !strcmp(n, keep2)))) ||
        used(pods, r))
      continue;
    sim_obj_delete(s, sim_res(s, "apps", "controllerrevisions"),
                   sim_vstr(r, "metadata.namespace"), n, NULL, &err);
    live--;
  }
}
