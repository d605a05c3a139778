/* engine/sim/sim_ctrl_cron.c: the CronJob controller in the shape of kube
 * 1.33's cronjob-controller (v2): at the most recent schedule time since
 * status.lastScheduleTime (or the creation), within
 * startingDeadlineSeconds, it creates the Job NAME-<minutes since the
 * epoch> from spec.jobTemplate (controller reference, the
 * batch.kubernetes.io/cronjob-scheduled-timestamp annotation), honouring
 * suspend and concurrencyPolicy (Allow, Forbid, Replace); it keeps
 * status.active, lastScheduleTime and lastSuccessfulTime, records
 * SuccessfulCreate / SawCompletedJob / SuccessfulDelete Events, and deletes
 * finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit.
 * Schedules run in spec.timeZone (an IANA zone of the system tz database;
 * UTC without one), or in a zone a legacy TZ= prefix of the schedule
 * names, which wins as in kube's formatSchedule. */
#include "sim_ctrl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMPONENT "cronjob-controller"
#define A_SCHEDULED "batch.kubernetes.io/cronjob-scheduled-timestamp"

typedef struct cronc {
  sim *s;
  int sub;
  sim_queue *q;
  const sim_resource *cronjobs, *jobs;
} cronc;

/* "Complete" or "Failed" once the Job has finished, else NULL */
static const char *finished(const kd_value *job)
{
  if (sim_cond_true(job, "Complete")) return "Complete";
  if (sim_cond_true(job, "Failed")) return "Failed";
  return NULL;
}

static int in_active(const kd_value *active, const char *uid)
{
  size_t i;
  for (i = 0; i < sim_vlen(active); i++) {
    const char *u = sim_vstr(&active->u.arr.items[i], "uid");
    if (u && uid && strcmp(u, uid) == 0) return 1;
  }
  return 0;
}

static void push_ref(kd_value *active, const kd_value *job)
{
  kd_value *r = kd_arr_push(active);
  if (!r) return;
  kd_value_obj(r);
  sim_vset_str(r, "kind", "Job");
  sim_vset_str(r, "namespace", sim_vstr(job, "metadata.namespace"));
  sim_vset_str(r, "name", sim_vstr(job, "metadata.name"));
  sim_vset_str(r, "uid", sim_vstr(job, "metadata.uid"));
  sim_vset_str(r, "apiVersion", "batch/v1");
  sim_vset_str(r, "resourceVersion", sim_vstr(job, "metadata.resourceVersion"));
}

static int64_t started_ms(const kd_value *job)
{
  const char *t = sim_vstr(job, "status.startTime");
  int64_t ms = t ? sim_time_ms(t) : -1;
  return ms < 0 ? INT64_MAX : ms;   /* not started: sorted last, as kube */
}

/* Deletes the finished Jobs of OUTCOME beyond LIMIT, earliest started
 * first (kube's byJobStartTime). */
static void trim_history(cronc *c, const kd_value *cj, kd_value *jobs,
                         const char *outcome, int64_t limit)
{
  size_t i, n = 0, len = sim_vlen(jobs);
  kd_error err;
  for (i = 0; i < len; i++) {
    const char *f = finished(&jobs->u.arr.items[i]);
    if (f && strcmp(f, outcome) == 0) n++;
  }
  while ((int64_t)n > limit) {
    size_t pick = len;
    const char *name;
    for (i = 0; i < len; i++) {
      const kd_value *j = &jobs->u.arr.items[i];
      const char *f = finished(j);
      if (f && !strcmp(f, outcome) &&
          (pick == len || started_ms(j) < started_ms(&jobs->u.arr.items[pick])))
        pick = i;
    }
    if (pick == len) break;
    name = sim_vstr(&jobs->u.arr.items[pick], "metadata.name");
    if (!kd_value_path(&jobs->u.arr.items[pick], "metadata.deletionTimestamp") &&
        sim_obj_delete(c->s, c->jobs, sim_vstr(cj, "metadata.namespace"), name,
                       "Background", &err) == KD_OK)
      sim_record(c->s, cj, "Normal", "SuccessfulDelete", COMPONENT, NULL,
                 NULL, "Deleted job %s", name);
    sim_vdel(&jobs->u.arr.items[pick], "status.conditions"); /* done with */
    n--;
  }
}

/* The most recent activation in (EARLIEST, NOW], or -1; *NEXT gets the
 * first one after NOW. */
static int64_t most_recent(const sim_cron *cr, int64_t earliest, int64_t now,
                           int64_t *next)
{
  int64_t t = sim_cron_next(cr, earliest), last = -1, guard = 0;
  while (t >= 0 && t <= now && guard++ < 1000000) {
    last = t;
    t = sim_cron_next(cr, t);
  }
  *next = t;
  return last;
}

/* RFC 3339 of instant T in zone Z, as Go's time.Format(RFC3339) prints
 * it: "Z" for offset 0, else +hh:mm */
static void rfc3339_in(const sim_tz *z, int64_t t, char *out, size_t n)
{
  int32_t off = sim_tz_offset(z, t);
  time_t lt = (time_t)(t + off);
  struct tm tm;
  int a = off < 0 ? -off : off;
  gmtime_r(&lt, &tm);
  if (!off)
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  else
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', a / 3600,
             a / 60 % 60);
}

static int create_job(cronc *c, const kd_value *cj, const char *ns,
                      int64_t when, const sim_tz *zone, kd_value *active)
{
  kd_value job, out;
  const kd_value *tmpl = kd_value_path(cj, "spec.jobTemplate");
  char name[320], ts[64];
  kd_error err = {0};
  int rc;
  /* the annotation is in the CronJob's spec.timeZone (kube's
   * getJobFromTemplate2), UTC without one */
  rfc3339_in(zone, when, ts, sizeof ts);
  snprintf(name, sizeof name, "%s-%lld", sim_vstr(cj, "metadata.name"),
           (long long)(when / 60));
  kd_value_obj(&job);
  sim_vset_str(&job, "apiVersion", "batch/v1");
  sim_vset_str(&job, "kind", "Job");
  sim_vset_str(&job, "metadata.name", name);
  sim_vset_str(&job, "metadata.namespace", ns);
  if (kd_value_path(tmpl, "metadata.labels"))
    kd_value_copy(sim_vobj(&job, "metadata.labels"),
                  kd_value_path(tmpl, "metadata.labels"));
  if (kd_value_path(tmpl, "metadata.annotations"))
    kd_value_copy(sim_vobj(&job, "metadata.annotations"),
                  kd_value_path(tmpl, "metadata.annotations"));
  sim_vset_key(sim_vobj(&job, "metadata.annotations"), A_SCHEDULED, ts);
  sim_set_controller(&job, cj);
  if (kd_value_path(tmpl, "spec"))
    kd_value_copy(sim_vobj(&job, "spec"), kd_value_path(tmpl, "spec"));
  kd_value_null(&out);
  rc = sim_obj_create(c->s, c->jobs, ns, &job, &out, &err);
  if (rc == KD_OK) {
    sim_record(c->s, cj, "Normal", "SuccessfulCreate", COMPONENT, NULL, NULL,
               "Created job %s", name);
    push_ref(active, &out);
  } else if (err.http_status == 409) {
    rc = KD_OK;          /* made at this time already (a lost status write) */
  } else {
    sim_record(c->s, cj, "Warning", "FailedCreate", COMPONENT, NULL, NULL,
               "Error creating job: %s", err.msg);
  }
  kd_value_clear(&job);
  kd_value_clear(&out);
  return rc;
}

/* Replace: the active Jobs go before the new one comes */
static void delete_active(cronc *c, const kd_value *cj, kd_value *active)
{
  size_t i;
  kd_error err;
  for (i = 0; i < sim_vlen(active); i++) {
    const kd_value *r = &active->u.arr.items[i];
    if (sim_obj_delete(c->s, c->jobs, sim_vstr(r, "namespace"),
                       sim_vstr(r, "name"), "Background", &err) == KD_OK)
      sim_record(c->s, cj, "Normal", "SuccessfulDelete", COMPONENT, NULL,
                 NULL, "Deleted job %s", sim_vstr(r, "name"));
  }
  kd_value_clear(active);
  kd_value_arr(active);
}

/* status.active from the owned Jobs: finished ones leave it (with an
 * Event), running ones this controller does not know yet join it. */
static void reconcile_active(cronc *c, kd_value *cj, const kd_value *jobs,
                             kd_value *active)
{
  const kd_value *old = kd_value_path(cj, "status.active");
  const char *last_ok = sim_vstr(cj, "status.lastSuccessfulTime");
  size_t i;
  for (i = 0; i < sim_vlen(jobs); i++) {
    const kd_value *j = &jobs->u.arr.items[i];
    const char *f = finished(j), *uid = sim_vstr(j, "metadata.uid");
    const char *done = sim_vstr(j, "status.completionTime");
    if (!f) {
      push_ref(active, j);
      continue;
    }
    if (in_active(old, uid))
      sim_record(c->s, cj, "Normal", "SawCompletedJob", COMPONENT, NULL, NULL,
                 "Saw completed job: %s, condition: %s",
                 sim_vstr(j, "metadata.name"), f);
    if (!strcmp(f, "Complete") && done &&
        (!last_ok || sim_time_ms(done) > sim_time_ms(last_ok))) {
      sim_vset_str(cj, "status.lastSuccessfulTime", done);
      last_ok = sim_vstr(cj, "status.lastSuccessfulTime");
    }
  }
}

/* The schedule kube's controller runs: spec.timeZone must load (else an
 * UnknownTimeZone Warning and nothing runs); a TZ= prefix in the schedule
 * wins over it (formatSchedule, with an UnsupportedSchedule Warning); an
 * unparseable schedule gets UnparseableSchedule. 0 with *CR ready (free
 * it with sim_cron_free) and *ZONE the zone of spec.timeZone (owned,
 * NULL for UTC); -1 when nothing runs. */
static int load_schedule(cronc *c, const kd_value *cj, sim_cron *cr,
                         sim_tz **zone)
{
  /* both passed validation (a zone name's characters, a parsed schedule),
   * so "%s" in quotes is what Go's %q prints for them */
  const char *sched = sim_vstr(cj, "spec.schedule");
  const char *tz = sim_vstr(cj, "spec.timeZone");
  kd_buf why = {0};
  int rc = -1;
  memset(cr, 0, sizeof *cr);
  *zone = NULL;
  if (!sched) sched = "";
  if (tz && !(*zone = sim_tz_load(tz, &why))) {
    sim_record(c->s, cj, "Warning", "UnknownTimeZone", COMPONENT, NULL, NULL,
               "invalid timeZone: \"%s\": %s", tz, why.data ? why.data : "");
    goto done;
  }
  if (strstr(sched, "TZ"))
    sim_record(c->s, cj, "Warning", "UnsupportedSchedule", COMPONENT, NULL,
               NULL, "CRON_TZ or TZ used in schedule \"%s\" is not "
               "officially supported, see https://kubernetes.io/docs/"
               "concepts/workloads/controllers/cron-jobs/ for more details",
               sched);
  if (sim_cron_parse(sched, cr, &why)) {
    sim_record(c->s, cj, "Warning", "UnparseableSchedule", COMPONENT, NULL,
               NULL, "unparseable schedule: \"%s\" : %s", sched,
               why.data ? why.data : "");
    sim_cron_free(cr);
    goto done;
  }
  if (!cr->tz && *zone && !(cr->tz = sim_tz_load(tz, &why)))
    goto done;                    /* TZ=<timeZone> <schedule> */
  rc = 0;
done:
  if (rc) {
    sim_tz_free(*zone);
    *zone = NULL;
  }
  kd_buf_free(&why);
  return rc;
}

static void sync(sim *s, void *ctx, const char *ns, const char *name)
{
  cronc *c = ctx;
  const kd_value *stored = sim_obj_get(s, c->cronjobs, ns, name);
  kd_value cj, before, jobs, active;
  sim_cron cr;
  sim_tz *zone = NULL;
  char *ts;
  int64_t now, earliest, due, next, deadline;
  kd_error err;
  if (!stored || kd_value_path(stored, "metadata.deletionTimestamp")) return;
  kd_value_copy(&cj, stored);
  kd_value_copy(&before, stored);
  sim_list(s, c->jobs, ns, sim_filter_owned,
           (void *)sim_vstr(&cj, "metadata.uid"), &jobs);
  kd_value_arr(&active);
  reconcile_active(c, &cj, &jobs, &active);
  trim_history(c, &cj, &jobs, "Complete",
               sim_vint(&cj, "spec.successfulJobsHistoryLimit", 3));
  trim_history(c, &cj, &jobs, "Failed",
               sim_vint(&cj, "spec.failedJobsHistoryLimit", 1));
  ts = sim_timestamp(s);
  now = sim_time_ms(ts) / 1000;
  memset(&cr, 0, sizeof cr);
  if (!sim_vbool(&cj, "spec.suspend", 0) &&
      load_schedule(c, &cj, &cr, &zone) == 0) {
    const char *last = sim_vstr(&cj, "status.lastScheduleTime");
    earliest = sim_time_ms(last ? last : sim_vstr(&cj, "metadata.creationTimestamp")) / 1000;
    deadline = sim_vint(&cj, "spec.startingDeadlineSeconds", -1);
    if (deadline >= 0 && now - deadline > earliest) earliest = now - deadline;
    due = most_recent(&cr, earliest, now, &next);
    if (due >= 0) {
      const char *policy = sim_vstr(&cj, "spec.concurrencyPolicy");
      if (policy && !strcmp(policy, "Forbid") && sim_vlen(&active)) {
        /* kube waits for the next time: this one is skipped */
      } else {
        char *dts = sim_time_str(due * 1000);
        if (policy && !strcmp(policy, "Replace")) delete_active(c, &cj, &active);
        if (create_job(c, &cj, ns, due, zone, &active) == KD_OK && dts)
          sim_vset_str(&cj, "status.lastScheduleTime", dts);
        free(dts);
      }
    }
    if (next >= 0)
      sim_queue_add_after(c->q, ns, name, (next - now) * 1000 + 50);
  }
  kd_value_clear(sim_varr(&cj, "status.active"));
  if (sim_vlen(&active))
    kd_value_copy(sim_varr(&cj, "status.active"), &active);
  else
    sim_vdel(&cj, "status.active");
  {
    const kd_value *now_st = kd_value_path(&cj, "status");
    const kd_value *was_st = kd_value_path(&before, "status");
    int empty = now_st && now_st->type == KD_OBJ && !now_st->u.obj.len;
    if (now_st && was_st ? !kd_value_equal(now_st, was_st)
                         : now_st != was_st && !empty)
      sim_obj_update_status(s, c->cronjobs, &cj, NULL, &err);
  }
  free(ts);
  sim_cron_free(&cr);
  sim_tz_free(zone);
  kd_value_clear(&active);
  kd_value_clear(&jobs);
  kd_value_clear(&before);
  kd_value_clear(&cj);
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  cronc *c = ctx;
  (void)s;
  if (ev->res == c->cronjobs && ev->type != SIM_DELETED) {
    sim_queue_add_obj(c->q, ev->obj);
  } else if (ev->res == c->jobs) {
    sim_queue_add_owner(c->q, ev->obj, "CronJob");
  }
}

int sim_cronjob_start(sim *s, void **state, kd_error *err)
{
  cronc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->cronjobs = sim_res(s, "batch", "cronjobs");
  c->jobs = sim_res(s, "batch", "jobs");
  if (sim_ctrl_begin(s, c, sync, on_event, c->cronjobs, &c->q, &c->sub, err)) {
    free(c);
    return KD_ENOMEM;
  }
  *state = c;
  return KD_OK;
}

void sim_cronjob_stop(sim *s, void *state)
{
  cronc *c = state;
  if (!c) return;
  sim_ctrl_end(s, c->q, c->sub);
  free(c);
}
