/* engine/sim/sim_status.c: errors as kube-apiserver sends them: a
 * metav1.Status with reason, code, details and causes. */
#include "sim_int.h"

#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sim_reason_for(int http)
{
  switch (http) {
  case 400: return "BadRequest";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "NotFound";
  case 405: return "MethodNotAllowed";
  case 406: return "NotAcceptable";
  case 409: return "Conflict";
  case 410: return "Expired";
  case 413: return "RequestEntityTooLarge";
  case 415: return "UnsupportedMediaType";
  case 422: return "Invalid";
  case 429: return "TooManyRequests";
  case 500: return "InternalError";
  case 503: return "ServiceUnavailable";
  case 504: return "Timeout";
  default: return "";
  }
}

void sim_errd_reset(sim *s)
{
  s->errd_reason[0] = 0;
  kd_value_clear(&s->errd_details);
}

static kd_value *details(sim *s)
{
  if (s->errd_details.type != KD_OBJ) kd_value_obj(&s->errd_details);
  return &s->errd_details;
}

int sim_fail(sim *s, kd_error *err, int http, const char *reason,
             const char *fmt, ...)
{
  va_list ap;
  kd_error tmp;
  if (!err) err = &tmp;
  err->code = KD_EHTTP;
  err->http_status = http;
  err->line = err->col = 0;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  snprintf(s->errd_reason, sizeof s->errd_reason, "%s",
           reason ? reason : sim_reason_for(http));
  return KD_EHTTP;
}

void sim_errd_set(sim *s, const char *name, const sim_resource *r)
{
  kd_value *d = details(s);
  if (name) sim_set_str(d, "name", name);
  if (r && r->group[0]) sim_set_str(d, "group", r->group);
  if (r) sim_set_str(d, "kind", r->plural);
}

static const char *qualified(const sim_resource *r, char *buf, size_t n)
{
  if (r->group[0]) snprintf(buf, n, "%s.%s", r->plural, r->group);
  else snprintf(buf, n, "%s", r->plural);
  return buf;
}

/* The details of an error about object NAME of R (name, group, kind, as
 * the errors of k8s.io/apimachinery/pkg/api/errors have); returns R's
 * qualified name ("deployments.apps") for the message, in BUF. */
static const char *about(sim *s, const sim_resource *r, const char *name,
                         char *buf, size_t n)
{
  sim_errd_reset(s);
  sim_errd_set(s, name, r);
  return qualified(r, buf, n);
}

int sim_err_notfound(sim *s, kd_error *err, const sim_resource *r,
                     const char *name)
{
  char q[300];
  return sim_fail(s, err, 404, "NotFound", "%s \"%s\" not found",
                  about(s, r, name, q, sizeof q), name);
}

int sim_err_exists(sim *s, kd_error *err, const sim_resource *r,
                   const char *name)
{
  char q[300];
  return sim_fail(s, err, 409, "AlreadyExists", "%s \"%s\" already exists",
                  about(s, r, name, q, sizeof q), name);
}

int sim_err_conflict(sim *s, kd_error *err, const sim_resource *r,
                     const char *name, const char *why)
{
  char q[300];
  return sim_fail(s, err, 409, "Conflict",
                  "Operation cannot be fulfilled on %s \"%s\": %s",
                  about(s, r, name, q, sizeof q), name, why);
}

int sim_err_bad(sim *s, kd_error *err, const char *msg)
{
  sim_errd_reset(s);
  return sim_fail(s, err, 400, "BadRequest", "%s", msg);
}

/* ---- field errors (422 Invalid) ---------------------------------------- */

void sim_verr_add(sim_verr *v, const char *reason, const char *field,
                  const char *fmt, ...)
{
  kd_buf msg = {0};   /* messages quote user values: no fixed size */
  va_list ap, ap2;
  kd_value *c;
  int n;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap);
  if (n >= 0 && kd_buf_reserve(&msg, (size_t)n) == KD_OK) {
    vsnprintf(msg.data, (size_t)n + 1, fmt, ap2);
    msg.len = (size_t)n;
  }
  va_end(ap2);
  va_end(ap);
  if (v->causes.type != KD_ARR) kd_value_arr(&v->causes);
  if (msg.data && (c = kd_arr_push(&v->causes))) {
    kd_value_obj(c);
    sim_set_str(c, "reason", reason);
    sim_set_str(c, "message", msg.data);
    sim_set_str(c, "field", field);
  }
  kd_buf_free(&msg);
}

int sim_verr_finish(sim *s, sim_verr *v, const sim_resource *r,
                    const char *name, kd_error *err)
{
  kd_buf m = {0};
  size_t i, n;
  kd_value *d;
  if (v->causes.type != KD_ARR || v->causes.u.arr.len == 0) {
    kd_value_clear(&v->causes);
    return KD_OK;
  }
  n = v->causes.u.arr.len;
  kd_buf_printf(&m, "%s%s%s \"%s\" is invalid: %s", r->kind,
                r->group[0] ? "." : "", r->group, name ? name : "",
                n > 1 ? "[" : "");
  for (i = 0; i < n; i++) {
    const kd_value *c = &v->causes.u.arr.items[i];
    kd_buf_printf(&m, "%s%s: %s", i ? ", " : "", sim_str(c, "field"),
                  sim_str(c, "message"));
  }
  if (n > 1) kd_buf_addc(&m, ']');
  sim_errd_reset(s);
  d = details(s);
  sim_set_str(d, "name", name ? name : "");
  if (r->group[0]) sim_set_str(d, "group", r->group);
  sim_set_str(d, "kind", r->kind);
  {
    kd_value *slot = kd_obj_add(d, "causes", 6);
    if (slot) *slot = v->causes;
    else kd_value_clear(&v->causes);
    kd_value_null(&v->causes);
  }
  sim_fail(s, err, 422, "Invalid", "%s", m.data ? m.data : "invalid");
  kd_buf_free(&m);
  return KD_EHTTP;
}

/* ---- sending ------------------------------------------------------------ */

void sim_status_json(kd_buf *b, int http, const char *reason,
                     const char *message, const kd_value *det)
{
  kd_buf_adds(b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                 "\"status\":\"Failure\",\"message\":");
  json_encode_string(message, strlen(message), 0, b);
  if (reason && reason[0]) {
    kd_buf_adds(b, ",\"reason\":");
    json_encode_string(reason, strlen(reason), 0, b);
  }
  if (det && det->type == KD_OBJ && det->u.obj.len) {
    kd_buf_adds(b, ",\"details\":");
    json_encode(det, 0, b, NULL);
  }
  kd_buf_printf(b, ",\"code\":%d}", http);
}

void sim_send_status(sim *s, sim_conn *c, int http, const char *reason,
                     const char *message, const kd_value *det)
{
  kd_buf b = {0};
  sim_status_json(&b, http, reason, message, det);
  kd_buf_addc(&b, '\n');
  sim_respond(s, c, http, "application/json", NULL, b.data ? b.data : "",
              b.len);
  kd_buf_free(&b);
}

void sim_send_error(sim *s, sim_conn *c, const kd_error *err)
{
  int http = err->http_status ? err->http_status : 500;
  const char *reason = s->errd_reason[0] ? s->errd_reason
                                         : sim_reason_for(http);
  sim_send_status(s, c, http, reason, err->msg, &s->errd_details);
  sim_errd_reset(s);
}
