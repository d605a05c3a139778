/* engine/sim/sim_api.c: request routing and the REST verbs on resources:
 * get, create, update, patch, delete, deletecollection, the status and
 * scale subresources (every patch type, server-side apply too), faults,
 * auth. The list verb is in sim_list.c. */
#include "sim_int.h"
#include "sim_proto.h"

#include "json.h"
#include "yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct route {
  sim_resource *res;
  const char *ns;      /* "" when not in a namespace path */
  const char *name;    /* NULL: the collection */
  const char *sub;     /* subresource or NULL */
} route;

static int is_true(const char *v)
{
  return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

static void send_json(sim *s, sim_conn *c, int status, const char *p,
                      size_t n)
{
  sim_respond(s, c, status, "application/json", NULL, p, n);
}

static void send_value(sim *s, sim_conn *c, int status, const kd_value *v)
{
  kd_buf b = {0};
  json_encode(v, 0, &b, NULL);
  kd_buf_addc(&b, '\n');
  send_json(s, c, status, b.data ? b.data : "", b.len);
  kd_buf_free(&b);
}

static void not_found_path(sim *s, sim_conn *c)
{
  sim_send_status(s, c, 404, "NotFound",
                  "the server could not find the requested resource", NULL);
}

static void method_not_allowed(sim *s, sim_conn *c)
{
  sim_send_status(s, c, 405, "MethodNotAllowed",
                  "the server does not allow this method on the requested "
                  "resource", NULL);
}

/* The apiVersion an object must carry when served through R (versions of
 * a CRD share storage). Returns the JSON to send (a reference). */
sim_blob *sim_api_json_for(sim *s, sim_resource *r, sim_obj *o)
{
  char gv[300];
  const char *av = sim_str(&o->v, "apiVersion");
  sim_blob *b = sim_obj_json(o);
  kd_value tmp;
  kd_buf out = {0};
  (void)s;
  if (!r->crd || !av || strcmp(av, sim_res_gvstr(r, gv, sizeof gv)) == 0)
    return sim_blob_ref(b);
  if (kd_value_copy(&tmp, &o->v) != KD_OK) return sim_blob_ref(b);
  sim_set_str(&tmp, "apiVersion", gv);
  json_encode(&tmp, 0, &out, NULL);
  kd_value_clear(&tmp);
  b = sim_blob_new(out.data ? out.data : "", out.len);
  kd_buf_free(&out);
  return b;
}

static void send_obj(sim *s, sim_conn *c, int status, sim_resource *r,
                     const char *ns, const char *name, const sim_req *req)
{
  sim_obj *o = sim_table_find(r->table, r->namespaced ? ns : "", name, NULL);
  sim_blob *b;
  if (!o) {
    kd_error err = {0};
    sim_err_notfound(s, &err, r, name);
    sim_send_error(s, c, &err);
    return;
  }
  b = sim_api_json_for(s, r, o);
  if (!b) { sim_send_status(s, c, 500, "InternalError", "encode", NULL); return; }
  if (req && sim_table_wanted(req)) {
    kd_buf t = {0};
    sim_table_begin(s, &t, r, o->rv, NULL);
    sim_table_row(s, &t, r, &o->v, b->data, b->len, sim_table_include(req), 1);
    sim_table_end(&t);
    send_json(s, c, status, t.data, t.len);
    kd_buf_free(&t);
  } else {
    send_json(s, c, status, b->data, b->len);
  }
  sim_blob_unref(b);
}

/* ---- body decoding -------------------------------------------------------*/

static int media_is(const char *ctype, const char *want)
{
  size_t n = strlen(want);
  if (!ctype) return 0;
  while (*ctype == ' ') ctype++;
  return strncasecmp(ctype, want, n) == 0 &&
         (ctype[n] == 0 || ctype[n] == ';' || ctype[n] == ' ');
}

/* Decodes a JSON or YAML request body into OUT. Sends the error itself
 * and returns non-zero on failure. */
static int decode_body(sim *s, sim_conn *c, sim_req *req, int yaml_ok,
                       kd_value *out)
{
  const char *ct = sim_req_header(req, "content-type");
  kd_error err = {0};
  int rc;
  const char *data = req->body.data ? req->body.data : "";
  kd_value_null(out);
  if (!req->body.len) {
    sim_send_status(s, c, 400, "BadRequest", "the request body is empty",
                    NULL);
    return -1;
  }
  if (!ct || media_is(ct, "application/json") || media_is(ct, "*/*"))
    rc = json_decode(data, req->body.len, "body", out, &err);
  else if (yaml_ok && (media_is(ct, "application/yaml") ||
                       media_is(ct, "application/apply-patch+yaml"))) {
    rc = yaml_decode(data, req->body.len, "body", out, &err);
    if (rc == KD_OK) sim_types_yaml_numbers(out);
  }
  else if (media_is(ct, "application/vnd.kubernetes.protobuf")) {
    rc = sim_proto_decode(data, req->body.len, out, &err);
    if (rc == KD_EINVAL) {
      sim_send_status(s, c, 415, "UnsupportedMediaType", err.msg, NULL);
      return -1;
    }
  } else {
    char msg[600];
    snprintf(msg, sizeof msg, "the body of the request was in an unknown "
             "format - accepted media types include: application/json, "
             "application/yaml");
    sim_send_status(s, c, 415, "UnsupportedMediaType", msg, NULL);
    return -1;
  }
  if (rc) {
    char msg[700];
    snprintf(msg, sizeof msg, "the object provided is unrecognized or "
             "malformed: %s", err.msg);
    sim_send_status(s, c, 400, "BadRequest", msg, NULL);
    return -1;
  }
  if (out->type != KD_OBJ) {
    kd_value_clear(out);
    sim_send_status(s, c, 400, "BadRequest", "the object provided is "
                    "unrecognized or malformed: not a JSON object", NULL);
    return -1;
  }
  return 0;
}

/* dryRun: "All" or absent; anything else is a 400 as in kube. */
static int dry_run(sim *s, sim_conn *c, sim_req *req, int *dry)
{
  char *v = sim_query_get(req->query, "dryRun");
  *dry = 0;
  if (v && v[0] && strcmp(v, "All") != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "Invalid dryRun: supported values: \"All\", "
             "got \"%.100s\"", v);
    free(v);
    sim_send_status(s, c, 400, "BadRequest", msg, NULL);
    return -1;
  }
  *dry = v && v[0];
  free(v);
  return 0;
}

/* ---- list ----------------------------------------------------------------*/

/* ---- mutations -----------------------------------------------------------*/

/* The managedFields context of an HTTP write (sim_patch.h). */
typedef struct wctx {
  sim_patch_ctx ctx;
  char gv[300];
  kd_buf mgr;
  char *fm, *ts;
} wctx;

static void wctx_begin(sim *s, sim_req *req, route *rt, int apply, wctx *w)
{
  char *force = sim_query_get(req->query, "force");
  memset(w, 0, sizeof *w);
  w->ctx.api_version = sim_res_gvstr(rt->res, w->gv, sizeof w->gv);
  w->ctx.kind = rt->res->kind;
  w->ctx.custom = rt->res->crd != NULL;
  w->ctx.custom_status = rt->res->has_status;
  w->ctx.crd_schema = sim_crd_schema(s, rt->res);
  w->ctx.subresource = rt->sub;
  w->fm = sim_query_get(req->query, "fieldManager");
  if (w->fm && w->fm[0]) w->ctx.manager = w->fm;
  else if (!apply)   /* apply requires an explicit fieldManager */
    w->ctx.manager = sim_patch_default_manager(sim_req_header(req, "user-agent"),
                                               &w->mgr);
  w->ctx.force = is_true(force);
  free(force);
  w->ts = sim_timestamp(s);
  w->ctx.now = w->ts;
  s->track = &w->ctx;
  s->track_done = 0;
}

static void wctx_end(sim *s, wctx *w)
{
  s->track = NULL;
  s->track_done = 0;
  free(w->fm);
  free(w->ts);
  kd_buf_free(&w->mgr);
}

/* The start of a write with a body: dryRun, fieldValidation (OPTIONS is
 * the options kind its error names), the decoded BODY with unknown fields
 * dealt with. Returns 0 to go on (BODY then owned by the caller), 1 when
 * the request was answered. */
static int begin_write(sim *s, sim_conn *c, sim_req *req, route *rt,
                       const char *options, kd_value *body, int *dry)
{
  int fv;
  if (dry_run(s, c, req, dry) ||
      sim_field_validation(s, c, req, options, &fv) ||
      decode_body(s, c, req, 1, body))
    return 1;
  if (sim_unknown_fields(s, c, rt->res, body, fv, 0)) {
    kd_value_clear(body);
    return 1;
  }
  return 0;
}

static void do_create(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  wctx w;
  kd_value body, out;
  kd_error err = {0};
  int dry;
  if (begin_write(s, c, req, rt, "CreateOptions", &body, &dry)) return;
  kd_value_null(&out);
  wctx_begin(s, req, rt, 0, &w);
  {
    /* the stored object's own encoding is the answer: no copy, no re-encode */
    const char *name = NULL;
    if (sim_store_create(s, rt->res, rt->ns, &body, dry, dry ? &out : NULL,
                         &err))
      sim_send_error(s, c, &err);
    else if (dry)
      send_value(s, c, 201, &out);
    else if ((name = s->last_name))
      send_obj(s, c, 201, rt->res, rt->ns, name, NULL);
  }
  wctx_end(s, &w);
  kd_value_clear(&body);
  kd_value_clear(&out);
}

static int mode_of(const route *rt)
{
  return rt->sub && strcmp(rt->sub, "status") == 0 ? 1 : 0;
}

static void do_update(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  wctx w;
  kd_value body, out;
  kd_error err = {0};
  int dry;
  if (begin_write(s, c, req, rt, "UpdateOptions", &body, &dry)) return;
  kd_value_null(&out);
  wctx_begin(s, req, rt, 0, &w);
  if (sim_store_update(s, rt->res, rt->ns, rt->name, &body, mode_of(rt), dry,
                       &out, &err))
    sim_send_error(s, c, &err);
  else
    send_value(s, c, 200, &out);
  wctx_end(s, &w);
  kd_value_clear(&body);
  kd_value_clear(&out);
}

static void do_patch(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  const char *ct = sim_req_header(req, "content-type");
  sim_patch_type type = sim_patch_type_of(ct);
  const char *ns = rt->res->namespaced ? rt->ns : "";
  kd_value patch, merged, out, status;
  kd_error err = {0};
  sim_obj *o;
  wctx w;
  int dry, fv;
  if (type == SIM_PATCH_UNSUPPORTED ||
      (type == SIM_PATCH_STRATEGIC && rt->res->crd)) {
    sim_send_status(s, c, 415, "UnsupportedMediaType",
                    sim_patch_unsupported_message(rt->res->crd != NULL), NULL);
    return;
  }
  if (dry_run(s, c, req, &dry) ||
      sim_field_validation(s, c, req, "PatchOptions", &fv))
    return;
  kd_value_null(&status);
  if (sim_patch_decode(type, req->body.data ? req->body.data : "",
                       req->body.len, &patch, &status, &err)) {
    if (status.type == KD_OBJ) send_value(s, c, err.http_status ? err.http_status : 400, &status);
    else sim_send_status(s, c, 400, "BadRequest", err.msg, NULL);
    kd_value_clear(&status);
    return;
  }
  o = sim_table_find(rt->res->table, ns, rt->name, NULL);
  kd_value_null(&out);
  kd_value_null(&merged);
  if (!o && type != SIM_PATCH_APPLY) {
    sim_err_notfound(s, &err, rt->res, rt->name);
    sim_send_error(s, c, &err);
    kd_value_clear(&patch);
    return;
  }
  if (type == SIM_PATCH_APPLY &&
      sim_unknown_fields(s, c, rt->res, &patch, fv, 1)) {
    kd_value_clear(&patch);
    return;
  }
  wctx_begin(s, req, rt, type == SIM_PATCH_APPLY, &w);
  if (sim_patch_apply(&w.ctx, type, o ? &o->v : NULL, &patch, &merged,
                      &status, &err)) {
    int code = err.http_status ? err.http_status : 500;
    if (status.type == KD_OBJ) send_value(s, c, code, &status);
    else sim_send_status(s, c, code, sim_reason_for(code), err.msg, NULL);
  } else if (type != SIM_PATCH_APPLY &&
             sim_unknown_fields_patch(s, c, rt->res, &merged, fv,
                                      type == SIM_PATCH_STRATEGIC ? &patch
                                                                  : NULL)) {
    /* answered: the patched object has fields its type has not */
  } else if (!o) {
    /* server-side apply creates what does not exist */
    s->track_done = 1;
    if (!sim_str(&merged, "metadata.name"))
      sim_set_str(&merged, "metadata.name", rt->name);
    if (sim_store_create(s, rt->res, ns, &merged, dry, &out, &err))
      sim_send_error(s, c, &err);
    else
      send_value(s, c, 201, &out);
  } else {
    /* the patched object may not move; an rv in the patch is a precondition */
    const char *prv = type == SIM_PATCH_JSON ? NULL
                      : sim_str(&patch, "metadata.resourceVersion");
    if (!prv) sim_obj_del(kd_value_path(&merged, "metadata"), "resourceVersion");
    s->track_done = type == SIM_PATCH_APPLY;
    if (sim_store_update(s, rt->res, ns, rt->name, &merged, mode_of(rt), dry,
                         &out, &err))
      sim_send_error(s, c, &err);
    else
      send_value(s, c, 200, &out);
  }
  wctx_end(s, &w);
  kd_value_clear(&merged);
  kd_value_clear(&status);
  kd_value_clear(&patch);
  kd_value_clear(&out);
}

/* DeleteOptions come in the body or the query. */
static void delete_opts(sim_req *req, kd_value *opts, char **policy)
{
  char *q = sim_query_get(req->query, "propagationPolicy");
  const char *ct = sim_req_header(req, "content-type");
  kd_error err;
  int rc = -1;
  kd_value_null(opts);
  if (req->body.len && media_is(ct, "application/vnd.kubernetes.protobuf"))
    rc = sim_proto_decode(req->body.data, req->body.len, opts, &err);
  else if (req->body.len)
    rc = json_decode(req->body.data, req->body.len, "body", opts, &err);
  if (rc == KD_OK && opts->type == KD_OBJ) {
    const char *p = sim_str(opts, "propagationPolicy");
    const kd_value *orphan = kd_obj_gets(opts, "orphanDependents");
    if (!q && p) q = sim_strdup(p);
    if (!q && orphan && orphan->type == KD_BOOL)
      q = sim_strdup(orphan->u.b ? "Orphan" : "Background");
  }
  if (!q) {
    char *o = sim_query_get(req->query, "orphanDependents");
    if (o) q = sim_strdup(is_true(o) ? "Orphan" : "Background");
    free(o);
  }
  *policy = q;
}

static void send_deleted(sim *s, sim_conn *c, sim_resource *r,
                         const kd_value *obj)
{
  kd_buf b = {0};
  const char *uid = sim_str(obj, "metadata.uid");
  const char *name = sim_str(obj, "metadata.name");
  kd_buf_adds(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                  "\"status\":\"Success\",\"details\":{\"name\":");
  json_encode_string(name ? name : "", name ? strlen(name) : 0, 0, &b);
  if (r->group[0]) {
    kd_buf_adds(&b, ",\"group\":");
    json_encode_string(r->group, strlen(r->group), 0, &b);
  }
  kd_buf_printf(&b, ",\"kind\":\"%s\",\"uid\":", r->plural);
  json_encode_string(uid ? uid : "", uid ? strlen(uid) : 0, 0, &b);
  kd_buf_adds(&b, "}}\n");
  send_json(s, c, 200, b.data, b.len);
  kd_buf_free(&b);
}

/* Kinds whose DELETE answers with the object, as their kube stores do. */
static int returns_object(const sim_resource *r)
{
  return r->crd || (!r->group[0] && (strcmp(r->plural, "pods") == 0 ||
                                     strcmp(r->plural, "services") == 0 ||
                                     strcmp(r->plural, "namespaces") == 0));
}

/* gracePeriodSeconds from the query or DeleteOptions; -1: default. */
static int64_t grace_of(sim_req *req, const kd_value *opts)
{
  char *q = sim_query_get(req->query, "gracePeriodSeconds");
  const kd_value *b = kd_obj_gets(opts, "gracePeriodSeconds");
  int64_t g = -1;
  if (q && q[0]) g = strtoll(q, NULL, 10);
  else if (b && b->type == KD_INT) g = b->u.i;
  free(q);
  return g < 0 ? -1 : g;
}

static void do_delete(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  sim_delete_opts dopts;
  kd_value opts, out;
  char *policy = NULL;
  kd_error err = {0};
  int dry, deleted = 0;
  if (dry_run(s, c, req, &dry)) return;
  delete_opts(req, &opts, &policy);
  if (!dry) {
    const kd_value *d = kd_obj_gets(&opts, "dryRun");
    dry = d && d->type == KD_ARR && d->u.arr.len > 0;
  }
  kd_value_null(&out);
  dopts.policy = policy;
  dopts.uid = sim_str(&opts, "preconditions.uid");
  dopts.rv = sim_str(&opts, "preconditions.resourceVersion");
  dopts.grace = grace_of(req, &opts);
  dopts.dry = dry;
  if (sim_store_delete(s, rt->res, rt->ns, rt->name, &dopts, &out, &deleted,
                       &err))
    sim_send_error(s, c, &err);
  else if (!deleted || returns_object(rt->res))
    send_value(s, c, 200, &out);
  else
    send_deleted(s, c, rt->res, &out);
  free(policy);
  kd_value_clear(&opts);
  kd_value_clear(&out);
}

static void do_delete_collection(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  char *lsel = sim_query_get(req->query, "labelSelector");
  char *fsel = sim_query_get(req->query, "fieldSelector");
  sim_selector *ls = NULL, *fs = NULL;
  kd_error err = {0};
  kd_value opts, names;
  char *policy = NULL;
  kd_buf b = {0};
  char gv[300];
  size_t i;
  int dry, n = 0;
  const char *ns = rt->res->namespaced ? rt->ns : "";
  kd_value_null(&names);
  kd_value_null(&opts);
  if (dry_run(s, c, req, &dry)) goto done;
  if ((lsel && !(ls = sim_selector_parse(lsel, 0, &err))) ||
      (fsel && !(fs = sim_selector_parse(fsel, 1, &err)))) {
    sim_send_status(s, c, 400, "BadRequest", err.msg, NULL);
    goto done;
  }
  delete_opts(req, &opts, &policy);
  kd_value_arr(&names);
  for (i = 0; i < rt->res->table->len; i++) {   /* collect, then delete */
    sim_obj *o = rt->res->table->items[i];
    kd_value *slot;
    if (ns[0] && strcmp(o->ns, ns) != 0) continue;
    if ((ls && !sim_selector_match(ls, &o->v)) ||
        (fs && !sim_selector_match(fs, &o->v)))
      continue;
    slot = kd_arr_push(&names);
    if (slot) kd_value_copy(slot, &o->v);
  }
  kd_buf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
                "\"resourceVersion\":\"%llu\"},\"items\":[",
                rt->res->list_kind, sim_res_gvstr(rt->res, gv, sizeof gv),
                (unsigned long long)s->rv);
  for (i = 0; i < names.u.arr.len; i++) {
    const kd_value *o = &names.u.arr.items[i];
    kd_value out;
    int deleted;
    kd_value_null(&out);
    sim_delete_opts dopts = {policy, NULL, NULL, -1, 0};
    dopts.grace = grace_of(req, &opts);
    dopts.dry = dry;
    if (sim_store_delete(s, rt->res, sim_str(o, "metadata.namespace")
                         ? sim_str(o, "metadata.namespace") : "",
                         sim_str(o, "metadata.name"), &dopts, &out, &deleted,
                         &err) == KD_OK) {
      if (n++) kd_buf_addc(&b, ',');
      json_encode(&out, 0, &b, NULL);
    }
    sim_errd_reset(s);
    kd_value_clear(&out);
  }
  kd_buf_adds(&b, "]}\n");
  send_json(s, c, 200, b.data, b.len);
done:
  kd_buf_free(&b);
  kd_value_clear(&names);
  kd_value_clear(&opts);
  free(policy);
  sim_selector_free(ls);
  sim_selector_free(fs);
  free(lsel);
  free(fsel);
}

/* ---- /scale ----------------------------------------------------------------*/

/* The autoscaling/v1 Scale of O as JSON onto B. */
static void scale_json(const sim_obj *o, kd_buf *b)
{
  const kd_value *spec = kd_value_path(&o->v, "spec.replicas");
  const kd_value *st = kd_value_path(&o->v, "status.replicas");
  const kd_value *ml = kd_value_path(&o->v, "spec.selector.matchLabels");
  const char *f[] = {"name", "namespace", "uid", "resourceVersion",
                     "creationTimestamp"};
  size_t i;
  kd_buf_adds(b, "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\","
                  "\"metadata\":{");
  for (i = 0; i < 5; i++) {
    char path[64];
    const char *v;
    snprintf(path, sizeof path, "metadata.%s", f[i]);
    v = sim_str(&o->v, path);
    if (!v) continue;
    kd_buf_printf(b, "%s\"%s\":", b->data[b->len - 1] == '{' ? "" : ",", f[i]);
    json_encode_string(v, strlen(v), 0, b);
  }
  kd_buf_printf(b, "},\"spec\":{\"replicas\":%lld},\"status\":{\"replicas\":"
                "%lld", spec && spec->type == KD_INT ? (long long)spec->u.i : 0,
                st && st->type == KD_INT ? (long long)st->u.i : 0);
  if (ml && ml->type == KD_OBJ && ml->u.obj.len) {
    kd_buf sel = {0};
    for (i = 0; i < ml->u.obj.len; i++)
      kd_buf_printf(&sel, "%s%s=%s", i ? "," : "", ml->u.obj.m[i].key,
                    ml->u.obj.m[i].val.type == KD_STR
                        ? ml->u.obj.m[i].val.u.str.s : "");
    kd_buf_adds(b, ",\"selector\":");
    json_encode_string(sel.data, sel.len, 0, b);
    kd_buf_free(&sel);
  }
  kd_buf_adds(b, "}}\n");
}

static void send_scale(sim *s, sim_conn *c, sim_obj *o)
{
  kd_buf b = {0};
  scale_json(o, &b);
  send_json(s, c, 200, b.data, b.len);
  kd_buf_free(&b);
}

/* The spec.replicas a PATCH of /scale asks for: the patch of its type
 * applied to the current Scale (merge, JSON or strategic), or the applied
 * configuration (server-side apply). Returns 0 with *REPLICAS set, 1 when
 * the request was answered with an error. */
static int scale_patch(sim *s, sim_conn *c, sim_req *req, const sim_obj *o,
                       sim_patch_type type, int64_t *replicas)
{
  kd_value patch, cur, out, status;
  kd_error err = {0};
  kd_buf b = {0};
  sim_patch_ctx ctx;
  const kd_value *rep;
  int rc = 1;
  kd_value_null(&status);
  kd_value_null(&cur);
  kd_value_null(&out);
  if (sim_patch_decode(type, req->body.data ? req->body.data : "",
                       req->body.len, &patch, &status, &err)) {
    if (status.type == KD_OBJ) send_value(s, c, 400, &status);
    else sim_send_status(s, c, 400, "BadRequest", err.msg, NULL);
    kd_value_clear(&status);
    return 1;
  }
  if (type == SIM_PATCH_APPLY) {
    kd_value_copy(&out, &patch);
  } else {
    memset(&ctx, 0, sizeof ctx);
    ctx.api_version = "autoscaling/v1";
    ctx.kind = "Scale";
    scale_json(o, &b);
    if (json_decode(b.data, b.len, "scale", &cur, &err) ||
        sim_patch_apply(&ctx, type, &cur, &patch, &out, &status, &err)) {
      int code = err.http_status ? err.http_status : 500;
      if (status.type == KD_OBJ) send_value(s, c, code, &status);
      else sim_send_status(s, c, code, sim_reason_for(code), err.msg, NULL);
      goto done;
    }
  }
  rep = kd_value_path(&out, "spec.replicas");
  if (!rep || rep->type != KD_INT) {
    sim_send_status(s, c, 422, "Invalid", "spec.replicas: Required value",
                    NULL);
    goto done;
  }
  *replicas = rep->u.i;
  rc = 0;
done:
  kd_buf_free(&b);
  kd_value_clear(&patch);
  kd_value_clear(&cur);
  kd_value_clear(&out);
  kd_value_clear(&status);
  return rc;
}

/* Server-side apply through /scale: the Scale's spec.replicas applied to
 * the parent as that manager's entry with subresource "scale" (conflicts
 * with the owner of spec.replicas as on the parent). */
static void scale_apply(sim *s, sim_conn *c, sim_req *req, route *rt,
                        sim_obj *o, int64_t replicas, int dry)
{
  const char *ns = rt->res->namespaced ? rt->ns : "";
  kd_value cfg, merged, status;
  kd_error err = {0};
  wctx w;
  kd_value_obj(&cfg);
  kd_value_null(&merged);
  kd_value_null(&status);
  wctx_begin(s, req, rt, 1, &w);
  sim_set_str(&cfg, "apiVersion", w.ctx.api_version);
  sim_set_str(&cfg, "kind", rt->res->kind);
  sim_set_str(&cfg, "metadata.name", rt->name);
  if (ns[0]) sim_set_str(&cfg, "metadata.namespace", ns);
  sim_set_int(&cfg, "spec.replicas", replicas);
  if (sim_patch_apply(&w.ctx, SIM_PATCH_APPLY, &o->v, &cfg, &merged, &status,
                      &err)) {
    int code = err.http_status ? err.http_status : 500;
    if (status.type == KD_OBJ) send_value(s, c, code, &status);
    else sim_send_status(s, c, code, sim_reason_for(code), err.msg, NULL);
  } else {
    sim_obj_del(kd_value_path(&merged, "metadata"), "resourceVersion");
    s->track_done = 1;
    if (sim_store_update(s, rt->res, ns, rt->name, &merged, 0, dry, NULL,
                         &err))
      sim_send_error(s, c, &err);
    else if ((o = sim_table_find(rt->res->table, ns, rt->name, NULL)))
      send_scale(s, c, o);
  }
  wctx_end(s, &w);
  kd_value_clear(&cfg);
  kd_value_clear(&merged);
  kd_value_clear(&status);
}

static void do_scale(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  const char *ns = rt->res->namespaced ? rt->ns : "";
  sim_obj *o = sim_table_find(rt->res->table, ns, rt->name, NULL);
  kd_error err = {0};
  kd_value upd;
  int64_t replicas = 0;
  int dry, patch = strcmp(req->method, "PATCH") == 0;
  sim_patch_type type = SIM_PATCH_MERGE;
  if (!o) {
    sim_err_notfound(s, &err, rt->res, rt->name);
    sim_send_error(s, c, &err);
    return;
  }
  if (strcmp(req->method, "GET") == 0) { send_scale(s, c, o); return; }
  if (strcmp(req->method, "PUT") != 0 && !patch) {
    method_not_allowed(s, c);
    return;
  }
  if (patch &&
      (type = sim_patch_type_of(sim_req_header(req, "content-type"))) ==
          SIM_PATCH_UNSUPPORTED) {
    sim_send_status(s, c, 415, "UnsupportedMediaType",
                    sim_patch_unsupported_message(0), NULL);
    return;
  }
  if (dry_run(s, c, req, &dry)) return;
  if (patch) {
    if (scale_patch(s, c, req, o, type, &replicas)) return;
    if (type == SIM_PATCH_APPLY) {
      scale_apply(s, c, req, rt, o, replicas, dry);
      return;
    }
  } else {
    /* PUT: a whole Scale */
    const char *data = req->body.data ? req->body.data : "";
    kd_value body;
    const kd_value *rep;
    if (json_decode(data, req->body.len, "body", &body, &err)) {
      sim_send_status(s, c, 400, "BadRequest", err.msg, NULL);
      return;
    }
    rep = kd_value_path(&body, "spec.replicas");
    if (!rep || rep->type != KD_INT) {
      kd_value_clear(&body);
      sim_send_status(s, c, 422, "Invalid", "spec.replicas: Required value",
                      NULL);
      return;
    }
    replicas = rep->u.i;
    kd_value_clear(&body);
  }
  kd_value_copy(&upd, &o->v);
  sim_set_int(&upd, "spec.replicas", replicas);
  sim_obj_del(kd_value_path(&upd, "metadata"), "resourceVersion");
  {
    wctx w;   /* a scale write is an Update of subresource "scale" */
    wctx_begin(s, req, rt, 0, &w);
    if (sim_store_update(s, rt->res, ns, rt->name, &upd, 0, dry, NULL, &err))
      sim_send_error(s, c, &err);
    else if ((o = sim_table_find(rt->res->table, ns, rt->name, NULL)))
      send_scale(s, c, o);
    wctx_end(s, &w);
  }
  kd_value_clear(&upd);
}

/* PUT namespaces/NAME/finalize: only spec.finalizers changes (what the
 * namespace controller uses once the namespace is empty). */
static void do_finalize(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  sim_obj *o = sim_table_find(rt->res->table, "", rt->name, NULL);
  kd_value body, upd, out;
  kd_error err = {0};
  const kd_value *fin;
  kd_value *slot;
  wctx w;
  int dry;
  if (!o) {
    sim_err_notfound(s, &err, rt->res, rt->name);
    sim_send_error(s, c, &err);
    return;
  }
  if (dry_run(s, c, req, &dry) || decode_body(s, c, req, 1, &body)) return;
  kd_value_copy(&upd, &o->v);
  fin = kd_value_path(&body, "spec.finalizers");
  slot = sim_obj_path(&upd, "spec.finalizers", 1);
  if (slot) {
    kd_value_clear(slot);
    if (fin) kd_value_copy(slot, fin);
    else kd_value_arr(slot);
  }
  kd_value_null(&out);
  wctx_begin(s, req, rt, 0, &w);
  if (sim_store_update(s, rt->res, "", rt->name, &upd, 2, dry, &out, &err))
    sim_send_error(s, c, &err);
  else
    send_value(s, c, 200, &out);
  wctx_end(s, &w);
  kd_value_clear(&body);
  kd_value_clear(&upd);
  kd_value_clear(&out);
}

/* ---- routing ---------------------------------------------------------------*/

/* Splits PATH into at most N segments; returns the count (-1: too many). */
static int split(char *path, char **seg, int n)
{
  int k = 0;
  char *p = path;
  while (*p == '/') p++;
  while (*p) {
    char *e = strchr(p, '/');
    if (k == n) return -1;
    seg[k++] = p;
    if (!e) break;
    *e = 0;
    p = e + 1;
  }
  return k;
}

/* Fills RT from the segments after /api/v1 or /apis/G/V. */
static int resolve(sim *s, const char *group, const char *version,
                   char **seg, int n, route *rt)
{
  memset(rt, 0, sizeof *rt);
  rt->ns = "";
  if (n >= 3 && strcmp(seg[0], "namespaces") == 0 &&
      sim_res_find(s, group, version, seg[2]) &&
      sim_res_find(s, group, version, seg[2])->namespaced) {
    rt->ns = seg[1];
    seg += 2;
    n -= 2;
  }
  if (n < 1 || n > 3) return -1;
  rt->res = sim_res_find(s, group, version, seg[0]);
  if (!rt->res) return -1;
  if (n >= 2) rt->name = seg[1];
  if (n == 3) rt->sub = seg[2];
  return 0;
}

/* With TLS: a client certificate of our CA or the bearer token. Over plain
 * HTTP client-go never sends credentials (it refuses to leak them), so
 * there, like kube's old insecure port on loopback, a request without an
 * Authorization header is let in; a wrong token is still refused. */
static int authorized(sim *s, sim_conn *c, sim_req *req)
{
  const char *a = sim_req_header(req, "authorization");
  if (!c->ssl && !a) return 1;
  if (c->ssl && SSL_get_verify_result(c->ssl) == X509_V_OK) {
    X509 *peer = SSL_get1_peer_certificate(c->ssl);
    if (peer) {
      X509_free(peer);
      return 1;
    }
  }
  return a && strncasecmp(a, "Bearer ", 7) == 0 && strcmp(a + 7, s->token) == 0;
}

static int inject_fault(sim *s, sim_conn *c)
{
  const sim_faults *f = &s->cfg.faults;
  double x = (double)(sim_rand(s) >> 11) / 9007199254740992.0;
  if (f->err500_rate > 0 && x < f->err500_rate) {
    kd_buf b = {0};
    s->n_500++;
    kd_buf_adds(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":"
                "{},\"status\":\"Failure\",\"message\":\"Internal error "
                "occurred: injected fault\",\"reason\":\"InternalError\","
                "\"details\":{\"causes\":[{\"message\":\"injected fault\"}]},"
                "\"code\":500}\n");
    send_json(s, c, 500, b.data, b.len);
    kd_buf_free(&b);
    return 1;
  }
  x = (double)(sim_rand(s) >> 11) / 9007199254740992.0;
  if (f->err429_rate > 0 && x < f->err429_rate) {
    static const char body[] =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
      "\"status\":\"Failure\",\"message\":\"Too many requests, please try "
      "again later.\",\"reason\":\"TooManyRequests\",\"details\":{"
      "\"retryAfterSeconds\":1},\"code\":429}\n";
    s->n_429++;
    sim_respond(s, c, 429, "application/json", "Retry-After: 1\r\n", body,
                sizeof body - 1);
    return 1;
  }
  return 0;
}

static void resource_request(sim *s, sim_conn *c, sim_req *req, route *rt)
{
  const char *m = req->method;
  int item = rt->name != NULL;
  if (rt->res->namespaced && !rt->ns[0] && item) {
    not_found_path(s, c);
    return;
  }
  if (!rt->res->namespaced && rt->ns[0]) { not_found_path(s, c); return; }
  if (inject_fault(s, c)) return;
  if (rt->sub) {
    if (strcmp(rt->sub, "status") == 0 && rt->res->has_status) {
      if (strcmp(m, "GET") == 0)
        send_obj(s, c, 200, rt->res, rt->ns, rt->name, NULL);
      else if (strcmp(m, "PUT") == 0) do_update(s, c, req, rt);
      else if (strcmp(m, "PATCH") == 0) do_patch(s, c, req, rt);
      else method_not_allowed(s, c);
    } else if (strcmp(rt->sub, "finalize") == 0 && !rt->res->group[0] &&
               strcmp(rt->res->plural, "namespaces") == 0) {
      if (strcmp(m, "PUT") != 0) method_not_allowed(s, c);
      else do_finalize(s, c, req, rt);
    } else if (strcmp(rt->sub, "scale") == 0 && rt->res->has_scale) {
      do_scale(s, c, req, rt);
    } else if (strcmp(rt->sub, "log") == 0 && !rt->res->group[0] &&
               strcmp(rt->res->plural, "pods") == 0) {
      if (strcmp(m, "GET") != 0) method_not_allowed(s, c);
      else sim_logs_handle(s, c, req, rt->ns, rt->name);
    } else {
      not_found_path(s, c);
    }
    return;
  }
  if (strcmp(m, "GET") == 0) {
    char *w = sim_query_get(req->query, "watch");
    int watch = is_true(w);
    free(w);
    if (watch) sim_watch_start(s, c, req, rt->res, rt->ns);
    else if (item) send_obj(s, c, 200, rt->res, rt->ns, rt->name, req);
    else sim_api_list(s, c, req, rt->res, rt->ns);
  } else if (strcmp(m, "POST") == 0 && !item) {
    do_create(s, c, req, rt);
  } else if (strcmp(m, "PUT") == 0 && item) {
    do_update(s, c, req, rt);
  } else if (strcmp(m, "PATCH") == 0 && item) {
    do_patch(s, c, req, rt);
  } else if (strcmp(m, "DELETE") == 0) {
    if (item) do_delete(s, c, req, rt);
    else do_delete_collection(s, c, req, rt);
  } else {
    method_not_allowed(s, c);
  }
}

static int public_path(const char *p)
{
  return strcmp(p, "/version") == 0 || strcmp(p, "/healthz") == 0 ||
         strcmp(p, "/livez") == 0 || strcmp(p, "/readyz") == 0;
}

void sim_api_handle(sim *s, sim_conn *c, sim_req *req)
{
  char *path, *seg[8];
  int n;
  route rt;
  if (!public_path(req->path) && !authorized(s, c, req)) {
    sim_send_status(s, c, 401, "Unauthorized", "Unauthorized", NULL);
    return;
  }
  if (strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/livez") == 0 ||
      strcmp(req->path, "/readyz") == 0) {
    sim_respond(s, c, 200, "text/plain; charset=utf-8", NULL, "ok", 2);
    return;
  }
  if (sim_discovery_handle(s, c, req) || sim_openapi_handle(s, c, req)) return;
  path = sim_strdup(req->path);
  if (!path) { sim_send_status(s, c, 500, "InternalError", "oom", NULL); return; }
  n = split(path, seg, 8);
  if (n >= 3 && strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0 &&
      resolve(s, "", "v1", seg + 2, n - 2, &rt) == 0)
    resource_request(s, c, req, &rt);
  else if (n >= 4 && strcmp(seg[0], "apis") == 0 &&
           resolve(s, seg[1], seg[2], seg + 3, n - 3, &rt) == 0)
    resource_request(s, c, req, &rt);
  else if (n >= 1 && (strcmp(seg[0], "api") == 0 || strcmp(seg[0], "apis") == 0))
    not_found_path(s, c);
  else
    sim_respond(s, c, 404, "text/plain; charset=utf-8", NULL,
                "404 page not found\n", 19);
  free(path);
}
