/* engine/sim/sim_openapi2.c: the /openapi/v2 document, as JSON or as the
 * gnostic OpenAPIv2 protobuf (openapi.v2.Document) that kubectl asks for.
 *
 * kubectl only reads it when a kind is missing from /openapi/v3 (e.g. a
 * custom resource whose CRD is not installed): it looks for the kind's
 * PATCH operation (x-kubernetes-group-version-kind) and its fieldValidation
 * query parameter, and builds client-side validation models from the
 * definitions. The sim serves one PATCH operation per resource with the
 * parameters it honours and no definitions, the same content as its v3
 * documents. */
#include "sim_int.h"

#include <stdint.h>
#include <string.h>

static const char *const patch_params[] = {
  "dryRun", "fieldManager", "fieldValidation", "force", NULL
};

/* ---- protobuf writer (wire types 0 and 2 only) ------------------------- */

static void pb_varint(kd_buf *b, uint64_t v)
{
  while (v >= 0x80) {
    kd_buf_addc(b, (char)((v & 0x7f) | 0x80));
    v >>= 7;
  }
  kd_buf_addc(b, (char)v);
}

static void pb_bytes(kd_buf *b, unsigned field, const char *p, size_t n)
{
  pb_varint(b, (uint64_t)field << 3 | 2);
  pb_varint(b, n);
  kd_buf_add(b, p, n);
}

static void pb_str(kd_buf *b, unsigned field, const char *s)
{
  pb_bytes(b, field, s, strlen(s));
}

/* Appends SUB as embedded message FIELD and frees SUB. */
static void pb_msg(kd_buf *b, unsigned field, kd_buf *sub)
{
  pb_bytes(b, field, sub->data ? sub->data : "", sub->len);
  kd_buf_free(sub);
}

/* NamedAny{name, Any{yaml}} as field FIELD of B. */
static void pb_named_yaml(kd_buf *b, unsigned field, const char *name,
                          const char *yaml)
{
  kd_buf any = {0}, named = {0};
  pb_str(&any, 2, yaml);
  pb_str(&named, 1, name);
  pb_msg(&named, 2, &any);
  pb_msg(b, field, &named);
}

/* ParametersItem{Parameter{NonBodyParameter{QueryParameterSubSchema}}}. */
static void pb_query_param(kd_buf *op, const char *name, const char *type)
{
  kd_buf q = {0}, nb = {0}, p = {0}, item = {0};
  pb_str(&q, 2, "query");
  pb_str(&q, 4, name);
  pb_str(&q, 6, type);
  pb_msg(&nb, 3, &q);
  pb_msg(&p, 2, &nb);
  pb_msg(&item, 1, &p);
  pb_msg(op, 8, &item);
}

/* Responses{NamedResponseValue{"200", ResponseValue{Response{"OK"}}}}. */
static void pb_ok_response(kd_buf *op)
{
  kd_buf resp = {0}, val = {0}, named = {0}, all = {0};
  pb_str(&resp, 1, "OK");
  pb_msg(&val, 1, &resp);
  pb_str(&named, 1, "200");
  pb_msg(&named, 2, &val);
  pb_msg(&all, 1, &named);
  pb_msg(op, 9, &all);
}

/* ---- one PATCH operation per resource ------------------------------------ */

static void res_path(kd_buf *b, const sim_resource *r)
{
  kd_buf_printf(b, "/%s%s/%s%s/%s/{name}", r->group[0] ? "apis/" : "api",
                r->group, r->version,
                r->namespaced ? "/namespaces/{namespace}" : "", r->plural);
}

static void pb_path(kd_buf *paths, const sim_resource *r)
{
  kd_buf op = {0}, item = {0}, named = {0}, name = {0}, gvk = {0}, id = {0};
  int i;
  kd_buf_printf(&id, "patch%s", r->kind);
  pb_str(&op, 5, id.data ? id.data : "");
  kd_buf_free(&id);
  pb_str(&op, 6, "application/json");
  pb_str(&op, 7, "application/apply-patch+yaml");
  pb_str(&op, 7, "application/json-patch+json");
  pb_str(&op, 7, "application/merge-patch+json");
  pb_str(&op, 7, "application/strategic-merge-patch+json");
  for (i = 0; patch_params[i]; i++)
    pb_query_param(&op, patch_params[i],
                   strcmp(patch_params[i], "force") ? "string" : "boolean");
  pb_ok_response(&op);
  pb_named_yaml(&op, 13, "x-kubernetes-action", "patch\n");
  kd_buf_printf(&gvk, "group: \"%s\"\nkind: %s\nversion: %s\n", r->group,
                r->kind, r->version);
  pb_named_yaml(&op, 13, "x-kubernetes-group-version-kind",
                gvk.data ? gvk.data : "");
  kd_buf_free(&gvk);
  pb_msg(&item, 8, &op);              /* PathItem.patch */
  res_path(&name, r);
  pb_bytes(&named, 1, name.data ? name.data : "", name.len);
  kd_buf_free(&name);
  pb_msg(&named, 2, &item);
  pb_msg(paths, 2, &named);           /* Paths.path */
}

static void json_path(kd_buf *b, const sim_resource *r, int first)
{
  int i;
  if (!first) kd_buf_addc(b, ',');
  kd_buf_addc(b, '"');
  res_path(b, r);
  kd_buf_printf(b, "\":{\"patch\":{\"operationId\":\"patch%s\","
                "\"consumes\":[\"application/apply-patch+yaml\","
                "\"application/json-patch+json\","
                "\"application/merge-patch+json\","
                "\"application/strategic-merge-patch+json\"],"
                "\"produces\":[\"application/json\"],\"parameters\":[",
                r->kind);
  for (i = 0; patch_params[i]; i++)
    kd_buf_printf(b, "%s{\"name\":\"%s\",\"in\":\"query\",\"type\":\"%s\"}",
                  i ? "," : "", patch_params[i],
                  strcmp(patch_params[i], "force") ? "string" : "boolean");
  kd_buf_printf(b, "],\"responses\":{\"200\":{\"description\":\"OK\"}},"
                "\"x-kubernetes-action\":\"patch\","
                "\"x-kubernetes-group-version-kind\":{\"group\":\"%s\","
                "\"kind\":\"%s\",\"version\":\"%s\"}}}", r->group, r->kind,
                r->version);
}

/* ---- documents ------------------------------------------------------------ */

void sim_openapi2_proto(sim *s, kd_buf *out)
{
  kd_buf info = {0}, paths = {0};
  sim_resource *r;
  pb_str(out, 1, "2.0");
  pb_str(&info, 1, "Kubernetes");
  pb_str(&info, 2, "v1.33.0");
  pb_msg(out, 2, &info);
  for (r = s->resources; r; r = r->next) pb_path(&paths, r);
  pb_msg(out, 8, &paths);
}

void sim_openapi2_json(sim *s, kd_buf *out)
{
  sim_resource *r;
  int first = 1;
  kd_buf_adds(out, "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\","
                   "\"version\":\"v1.33.0\"},\"paths\":{");
  for (r = s->resources; r; r = r->next) {
    json_path(out, r, first);
    first = 0;
  }
  kd_buf_adds(out, "},\"definitions\":{}}");
}
