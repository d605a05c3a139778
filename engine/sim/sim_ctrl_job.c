/* engine/sim/sim_ctrl_job.c: the Job controller as kube 1.33 runs it:
 * pods up to parallelism for the remaining completions (NonIndexed or
 * Indexed), the batch.kubernetes.io/job-tracking finalizer on each pod
 * until it is counted in succeeded/failed, pod re-creation with back-off
 * after failures, backoffLimit (also restarts under OnFailure),
 * activeDeadlineSeconds, suspend, the interim conditions FailureTarget /
 * SuccessCriteriaMet and, once no pod is terminating, Failed / Complete
 * (completionTime), status active/ready/terminating/succeeded/failed/
 * startTime/uncountedTerminatedPods/completedIndexes, and
 * ttlSecondsAfterFinished (the TTL-after-finished controller). */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "job-controller"
#define FINALIZER "batch.kubernetes.io/job-tracking"
#define A_INDEX "batch.kubernetes.io/job-completion-index"
#define BACKOFF_MS 200        /* kube: 10s, doubling, capped at 6 min */
#define BACKOFF_MAX_MS 5000

typedef struct jobc {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *jobs, *pods;
} jobc;

static int has_finalizer(const kd_value *pod)
{
  const kd_value *fs = kd_value_path(pod, "metadata.finalizers");
  size_t i;
  for (i = 0; i < sim_vlen(fs); i++)
    if (fs->u.arr.items[i].type == KD_STR &&
        !strcmp(fs->u.arr.items[i].u.str.s, FINALIZER))
      return 1;
  return 0;
}

static void remove_finalizer(jobc *c, const kd_value *pod)
{
  kd_value copy, *fs;
  kd_error err;
  size_t i;
  kd_value_copy(&copy, pod);
  fs = kd_value_path(&copy, "metadata.finalizers");
  for (i = 0; i < sim_vlen(fs); i++)
    if (fs->u.arr.items[i].type == KD_STR &&
        !strcmp(fs->u.arr.items[i].u.str.s, FINALIZER)) {
      kd_value_clear(&fs->u.arr.items[i]);
      memmove(&fs->u.arr.items[i], &fs->u.arr.items[i + 1],
              (fs->u.arr.len - i - 1) * sizeof *fs->u.arr.items);
      fs->u.arr.len--;
      break;
    }
  if (fs && !fs->u.arr.len) sim_vdel(&copy, "metadata.finalizers");
  sim_obj_update(c->s, c->pods, &copy, NULL, &err);
  kd_value_clear(&copy);
}

static const char *phase(const kd_value *pod)
{
  const char *p = sim_vstr(pod, "status.phase");
  return p ? p : "Pending";
}

static int terminating(const kd_value *pod)
{
  return kd_value_path(pod, "metadata.deletionTimestamp") &&
         strcmp(phase(pod), "Succeeded") && strcmp(phase(pod), "Failed");
}

/* isPodFailed under podReplacementPolicy TerminatingOrFailed (or Failed) */
static int pod_failed(const kd_value *job, const kd_value *pod)
{
  const char *rp = sim_vstr(job, "spec.podReplacementPolicy");
  if (!strcmp(phase(pod), "Failed")) return 1;
  if (rp && !strcmp(rp, "Failed")) return 0;
  return kd_value_path(pod, "metadata.deletionTimestamp") &&
         strcmp(phase(pod), "Succeeded");
}

static int indexed(const kd_value *job)
{
  const char *m = sim_vstr(job, "spec.completionMode");
  return m && !strcmp(m, "Indexed");
}

static int64_t index_of(const kd_value *pod)
{
  const char *x = sim_vkey(kd_value_path(pod, "metadata.annotations"), A_INDEX);
  return x ? strtoll(x, NULL, 10) : -1;
}

/* ---- completed indexes ("0-2,5") ---------------------------------------------*/

static void indexes_parse(const char *s, unsigned char *done, int64_t n)
{
  while (s && *s) {
    char *end;
    long long a = strtoll(s, &end, 10), b = a, i;
    if (end == s) break;
    if (*end == '-') b = strtoll(end + 1, &end, 10);
    for (i = a; i <= b && i < n; i++) if (i >= 0) done[i] = 1;
    s = *end == ',' ? end + 1 : end;
    if (*s && *s != ',' && (*s < '0' || *s > '9')) break;
  }
}

static void indexes_format(kd_buf *b, const unsigned char *done, int64_t n)
{
  int64_t i = 0;
  while (i < n) {
    int64_t j;
    if (!done[i]) {
      i++;
      continue;
    }
    for (j = i; j + 1 < n && done[j + 1]; j++) {}
    kd_buf_printf(b, "%s%lld", b->len ? "," : "", (long long)i);
    if (j > i) kd_buf_printf(b, "-%lld", (long long)j);
    i = j + 1;
  }
}

/* ---- pods -----------------------------------------------------------------------*/

static void create_pod(jobc *c, const kd_value *job, int64_t index)
{
  kd_value pod;
  char prefix[300], buf[32];
  snprintf(prefix, sizeof prefix, "%s-", sim_vstr(job, "metadata.name"));
  if (index >= 0)
    snprintf(prefix, sizeof prefix, "%s-%lld-", sim_vstr(job, "metadata.name"),
             (long long)index);
  sim_pod_from_template(&pod, kd_value_path(job, "spec.template"), job, NULL,
                        prefix);
  sim_vpush_str(sim_varr(&pod, "metadata.finalizers"), FINALIZER);
  if (index >= 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)index);
    sim_vset_key(sim_vobj(&pod, "metadata.annotations"), A_INDEX, buf);
    sim_vset_key(sim_vobj(&pod, "metadata.labels"), A_INDEX, buf);
    snprintf(prefix, sizeof prefix, "%s-%lld", sim_vstr(job, "metadata.name"),
             (long long)index);
    sim_vset_str(&pod, "spec.hostname", prefix);
  }
  sim_pod_create(c->s, job, sim_vstr(job, "metadata.namespace"), &pod,
                 COMPONENT);
  kd_value_clear(&pod);
}

/* The back-off before a new pod after FAILED failures, counted from the
 * last pod that finished failing; 0 when it is over. */
static int64_t backoff_left(const kd_value *pods, int64_t failed, int64_t now)
{
  int64_t ms = BACKOFF_MS, last = -1, left;
  size_t i;
  if (failed <= 0) return 0;
  while (--failed > 0 && ms < BACKOFF_MAX_MS) ms *= 2;
  if (ms > BACKOFF_MAX_MS) ms = BACKOFF_MAX_MS;
  for (i = 0; i < sim_vlen(pods); i++) {
    const kd_value *p = &pods->u.arr.items[i];
    const kd_value *cs = kd_value_path(p, "status.containerStatuses");
    size_t k;
    if (strcmp(phase(p), "Failed")) continue;
    for (k = 0; k < sim_vlen(cs); k++) {
      int64_t t = sim_time_ms(sim_vstr(&cs->u.arr.items[k],
                                       "state.terminated.finishedAt"));
      if (t > last) last = t;
    }
  }
  if (last < 0) return 0;
  left = last + 1000 + ms - now;   /* finishedAt has whole seconds */
  return left > 0 ? left : 0;
}

static int64_t restarts_of_active(const kd_value *pods)
{
  int64_t n = 0;
  size_t i, k;
  for (i = 0; i < sim_vlen(pods); i++) {
    const kd_value *p = &pods->u.arr.items[i];
    const char *ph = phase(p);
    static const char *const lists[] = {"status.containerStatuses",
                                        "status.initContainerStatuses"};
    int l;
    if (strcmp(ph, "Running") && strcmp(ph, "Pending")) continue;
    for (l = 0; l < 2; l++) {
      const kd_value *cs = kd_value_path(p, lists[l]);
      for (k = 0; k < sim_vlen(cs); k++)
        n += sim_vint(&cs->u.arr.items[k], "restartCount", 0);
    }
  }
  return n;
}

/* ---- sync -----------------------------------------------------------------------*/

typedef struct jsync {
  jobc *c;
  kd_value job, pods;       /* the job (written back), its pods (copies) */
  int64_t active, ready, term, succeeded, failed, now;
  char *ts;
} jsync;

static int finished(const kd_value *job)
{
  return sim_cond_true(job, "Complete") || sim_cond_true(job, "Failed");
}

static void set_or_del(kd_value *job, const char *k, int64_t v)
{
  if (v) sim_vset_int(job, k, v);
  else sim_vdel(job, k);
}

/* Counts finished pods into status and frees them of the finalizer. */
static void track(jsync *x, unsigned char *done, int64_t completions)
{
  size_t i;
  for (i = 0; i < x->pods.u.arr.len; i++) {
    const kd_value *p = &x->pods.u.arr.items[i];
    int ok = !strcmp(phase(p), "Succeeded"), bad = !ok && pod_failed(&x->job, p);
    if (!has_finalizer(p)) continue;
    if (!ok && !bad && !kd_value_path(&x->job, "metadata.deletionTimestamp"))
      continue;
    if (ok && done) {
      int64_t ix = index_of(p);
      if (ix >= 0 && ix < completions) done[ix] = 1;
    } else if (ok) {
      x->succeeded++;
    } else if (bad) {
      x->failed++;
    }
    remove_finalizer(x->c, p);
  }
}

static void manage(jsync *x, const unsigned char *done, int64_t completions)
{
  jobc *c = x->c;
  int64_t par = sim_vint(&x->job, "spec.parallelism", 1), want, i;
  const kd_value *comp = kd_value_path(&x->job, "spec.completions");
  size_t k;
  if (sim_vbool(&x->job, "spec.suspend", 0)) want = 0;
  else if (!comp || comp->type != KD_INT) want = x->succeeded > 0 ? x->active : par;
  else {
    want = completions - x->succeeded;
    if (want > par) want = par;
    if (want < 0) want = 0;
  }
  if (x->active > want) {   /* too many: the newest go */
    int64_t rm = x->active - want;
    for (k = x->pods.u.arr.len; k > 0 && rm > 0; k--) {
      const kd_value *p = &x->pods.u.arr.items[k - 1];
      if (!sim_pod_active(p)) continue;
      sim_pod_delete(c->s, &x->job, sim_vstr(p, "metadata.namespace"),
                     sim_vstr(p, "metadata.name"), COMPONENT);
      x->active--;
      x->term++;
      rm--;
    }
    return;
  }
  if (x->active >= want) return;
  {
    int64_t left = backoff_left(&x->pods, sim_vint(&x->job, "status.failed", 0) +
                                              x->failed, x->now);
    if (left > 0) {
      sim_queue_add_after(c->q, sim_vstr(&x->job, "metadata.namespace"),
                          sim_vstr(&x->job, "metadata.name"), left);
      return;
    }
  }
  if (!done) {
    for (i = x->active; i < want; i++) create_pod(c, &x->job, -1);
    x->active = want;
    return;
  }
  for (i = 0; i < completions && x->active < want; i++) {   /* Indexed */
    int busy = done[i] != 0;
    for (k = 0; !busy && k < x->pods.u.arr.len; k++)
      if (sim_pod_active(&x->pods.u.arr.items[k]) &&
          index_of(&x->pods.u.arr.items[k]) == i)
        busy = 1;
    if (busy) continue;
    create_pod(c, &x->job, i);
    x->active++;
  }
}

static void finish_events(jsync *x, const char *type)
{
  const kd_value *cond = sim_cond_get(&x->job, type);
  if (!strcmp(type, "Complete"))
    sim_record(x->c->s, &x->job, "Normal", "Completed", COMPONENT, NULL, NULL,
               "Job completed");
  else
    sim_record(x->c->s, &x->job, "Warning", sim_vstr(cond, "reason"),
               COMPONENT, NULL, NULL, "%s", sim_vstr(cond, "message"));
}

/* ttlSecondsAfterFinished: the job goes (Foreground) TTL after it ended. */
static void ttl(jsync *x)
{
  const kd_value *t = kd_value_path(&x->job, "spec.ttlSecondsAfterFinished");
  const kd_value *cond = sim_cond_true(&x->job, "Complete")
                             ? sim_cond_get(&x->job, "Complete")
                             : sim_cond_get(&x->job, "Failed");
  int64_t at, left;
  kd_error err;
  if (!t || t->type != KD_INT || !cond ||
      kd_value_path(&x->job, "metadata.deletionTimestamp"))
    return;
  at = sim_time_ms(sim_vstr(cond, "lastTransitionTime"));
  left = at + t->u.i * 1000 - x->now;
  if (left > 0) {
    sim_queue_add_after(x->c->q, sim_vstr(&x->job, "metadata.namespace"),
                        sim_vstr(&x->job, "metadata.name"), left + 1000);
    return;
  }
  sim_obj_delete(x->c->s, x->c->jobs, sim_vstr(&x->job, "metadata.namespace"),
                 sim_vstr(&x->job, "metadata.name"), "Foreground", &err);
}

static void decide(jsync *x, const char **type, const char **reason,
                   const char **msg, int64_t completions)
{
  const kd_value *comp = kd_value_path(&x->job, "spec.completions");
  int64_t limit = sim_vint(&x->job, "spec.backoffLimit", 6);
  const kd_value *ads = kd_value_path(&x->job, "spec.activeDeadlineSeconds");
  const char *rp = sim_vstr(&x->job, "spec.template.spec.restartPolicy");
  const kd_value *ft = sim_cond_get(&x->job, "FailureTarget");
  *type = NULL;
  if (sim_cond_true(&x->job, "SuccessCriteriaMet")) {
    *type = "SuccessCriteriaMet";
  } else if (ft && sim_cond_true(&x->job, "FailureTarget")) {
    *type = "FailureTarget";
    *reason = sim_vstr(ft, "reason");
    *msg = sim_vstr(ft, "message");
  } else if (x->failed > limit ||
             (rp && !strcmp(rp, "OnFailure") &&
              (limit == 0 ? restarts_of_active(&x->pods) > 0
                          : restarts_of_active(&x->pods) >= limit))) {
    *type = "FailureTarget";
    *reason = "BackoffLimitExceeded";
    *msg = "Job has reached the specified backoff limit";
  } else if (ads && ads->type == KD_INT && !sim_vbool(&x->job, "spec.suspend", 0) &&
             sim_vstr(&x->job, "status.startTime")) {
    int64_t start = sim_time_ms(sim_vstr(&x->job, "status.startTime"));
    int64_t left = start + ads->u.i * 1000 - x->now;
    if (left <= 0) {
      *type = "FailureTarget";
      *reason = "DeadlineExceeded";
      *msg = "Job was active longer than specified deadline";
    } else {
      sim_queue_add_after(x->c->q, sim_vstr(&x->job, "metadata.namespace"),
                          sim_vstr(&x->job, "metadata.name"), left + 1000);
    }
  }
  if (!*type && x->active == 0 && x->succeeded > 0 &&
      (!comp || comp->type != KD_INT || x->succeeded >= completions)) {
    *type = "SuccessCriteriaMet";
  }
  if (*type && !strcmp(*type, "SuccessCriteriaMet")) {
    *reason = "CompletionsReached";
    *msg = "Reached expected number of succeeded pods";
  }
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  jobc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->jobs, ns, name);
  jsync x;
  kd_value before;
  kd_buf ixs = {0};
  unsigned char *done = NULL;
  const char *type, *reason = NULL, *msg = NULL;
  int64_t completions;
  kd_error err;
  size_t i;
  if (!stored) return;
  memset(&x, 0, sizeof x);
  x.c = c;
  kd_value_copy(&x.job, stored);
  kd_value_copy(&before, stored);
  x.ts = sim_timestamp(s);
  x.now = sim_time_ms(x.ts);
  sim_list(s, c->pods, ns, sim_filter_owned,
           (void *)sim_vstr(&x.job, "metadata.uid"), &x.pods);
  if (finished(&x.job)) {   /* nothing more to run; only the TTL */
    for (i = 0; i < x.pods.u.arr.len; i++)
      if (has_finalizer(&x.pods.u.arr.items[i]))
        remove_finalizer(c, &x.pods.u.arr.items[i]);
    ttl(&x);
    goto done;
  }
  completions = sim_vint(&x.job, "spec.completions", 0);
  if (indexed(&x.job) && completions > 0 && (done = calloc((size_t)completions, 1)))
    indexes_parse(sim_vstr(&x.job, "status.completedIndexes"), done, completions);
  x.succeeded = sim_vint(&x.job, "status.succeeded", 0);
  x.failed = sim_vint(&x.job, "status.failed", 0);
  track(&x, done, completions);
  if (done) {
    x.succeeded = 0;
    for (i = 0; i < (size_t)completions; i++) x.succeeded += done[i];
  }
  for (i = 0; i < x.pods.u.arr.len; i++) {
    const kd_value *p = &x.pods.u.arr.items[i];
    if (sim_pod_active(p)) {
      x.active++;
      if (sim_pod_ready(p)) x.ready++;
    } else if (terminating(p)) {
      x.term++;
    }
  }
  if (!sim_vstr(&x.job, "status.startTime") && !sim_vbool(&x.job, "spec.suspend", 0))
    sim_vset_str(&x.job, "status.startTime", x.ts);
  decide(&x, &type, &reason, &msg, completions);
  if (type) {   /* finishing: stop what runs, then the terminal condition */
    for (i = 0; i < x.pods.u.arr.len; i++) {
      const kd_value *p = &x.pods.u.arr.items[i];
      if (!sim_pod_active(p)) continue;
      sim_pod_delete(s, &x.job, ns, sim_vstr(p, "metadata.name"), COMPONENT);
      x.active--;
      x.term++;
      if (sim_pod_ready(p)) x.ready--;
    }
    sim_cond_set(&x.job, type, "True", reason, msg, SIM_COND_PROBE_TIME | SIM_COND_IN_PLACE, x.ts);
    if (x.term == 0) {
      const char *final = !strcmp(type, "SuccessCriteriaMet") ? "Complete" : "Failed";
      sim_cond_set(&x.job, final, "True", reason, msg, SIM_COND_PROBE_TIME, x.ts);
      if (!strcmp(final, "Complete"))
        sim_vset_str(&x.job, "status.completionTime", x.ts);
      finish_events(&x, final);
    }
  } else if (!kd_value_path(&x.job, "metadata.deletionTimestamp")) {
    int suspended = sim_vbool(&x.job, "spec.suspend", 0);
    manage(&x, done, completions);
    if (suspended) {
      if (sim_cond_set(&x.job, "Suspended", "True", "JobSuspended",
                       "Job suspended", SIM_COND_PROBE_TIME | SIM_COND_IN_PLACE, x.ts))
        sim_record(s, &x.job, "Normal", "Suspended", COMPONENT, NULL, NULL,
                   "Job suspended");
    } else if (sim_cond_get(&x.job, "Suspended") &&
               sim_cond_set(&x.job, "Suspended", "False", "JobResumed",
                            "Job resumed", SIM_COND_PROBE_TIME | SIM_COND_IN_PLACE, x.ts)) {
      sim_record(s, &x.job, "Normal", "Resumed", COMPONENT, NULL, NULL,
                 "Job resumed");
      sim_vset_str(&x.job, "status.startTime", x.ts);
    }
  }
  set_or_del(&x.job, "status.active", x.active);
  sim_vset_int(&x.job, "status.ready", x.ready);
  sim_vset_int(&x.job, "status.terminating", x.term);
  set_or_del(&x.job, "status.succeeded", x.succeeded);
  set_or_del(&x.job, "status.failed", x.failed);
  sim_vobj(&x.job, "status.uncountedTerminatedPods");
  if (done) {
    indexes_format(&ixs, done, completions);
    if (ixs.len) sim_vset_str(&x.job, "status.completedIndexes", ixs.data);
    else sim_vdel(&x.job, "status.completedIndexes");
  }
  if (!kd_value_equal(&before, &x.job))
    sim_obj_update_status(s, c->jobs, &x.job, NULL, &err);
  if (finished(&x.job)) ttl(&x);
done:
  free(done);
  kd_buf_free(&ixs);
  free(x.ts);
  kd_value_clear(&before);
  kd_value_clear(&x.job);
  kd_value_clear(&x.pods);
}

/* ---- events ------------------------------------------------------------------*/

static void on_pod(jobc *c, const kd_value *pod)
{
  const kd_value *ref = sim_controller_ref(pod);
  const char *kind = sim_vstr(ref, "kind");
  const char *ns = sim_vstr(pod, "metadata.namespace");
  const kd_value *job;
  if (!kind || strcmp(kind, "Job")) return;
  job = sim_obj_get(c->s, c->jobs, ns, sim_vstr(ref, "name"));
  if (job && sim_controlled_by(pod, sim_vstr(job, "metadata.uid"))) {
    sim_queue_add(c->q, ns, sim_vstr(ref, "name"));
  } else if (has_finalizer(pod)) {   /* its job is gone: let the pod go */
    kd_value copy;
    kd_value_copy(&copy, pod);
    remove_finalizer(c, &copy);
    kd_value_clear(&copy);
  }
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  jobc *c = ctx;
  (void)s;
  if (ev->res == c->jobs && ev->type != SIM_DELETED)
    sim_queue_add_obj(c->q, ev->obj);
  else if (ev->res == c->pods)
    on_pod(c, ev->obj);
}

static int start_pod(void *ctx, const kd_value *pod)
{
  jobc *c = ctx;
  if (has_finalizer(pod)) sim_queue_add_owner(c->q, pod, "Job");
  return 0;
}

int sim_job_start(sim *s, void **state, kd_error *err)
{
  jobc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->jobs = sim_res(s, "batch", "jobs");
  c->pods = sim_res(s, "", "pods");
  if (sim_ctrl_begin(s, c, sync, on_event, c->jobs, &c->q, &c->sub, err)) {
    free(c);
    return KD_ENOMEM;
  }
  sim_obj_each(s, c->pods, NULL, start_pod, c);
  *state = c;
  return KD_OK;
}

void sim_job_stop(sim *s, void *state)
{
  jobc *c = state;
  if (!c) return;
  sim_ctrl_end(s, c->q, c->sub);
  free(c);
}
