/* engine/sim/sim_patch.h: the PATCH logic of `kdeploy sim` as pure
 * functions over kd_value, behaving like kube-apiserver 1.33: JSON merge
 * patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch, and
 * server-side apply with managedFields, plus the managedFields bookkeeping
 * every other write needs. No I/O, no clock, no Lua, no mutable globals.
 *
 * How the server uses it (PATCH handler):
 *   type = sim_patch_type_of(content_type)   -> SIM_PATCH_UNSUPPORTED: 415
 *   sim_patch_decode(type, body, len, &patch, &status, &err)   -> 400
 *   sim_patch_apply(&ctx, type, live_or_NULL, &patch, &out, &status, &err)
 *   for types other than APPLY, after defaulting the result:
 *   sim_patch_track_update(&ctx, live, &out, &err)
 * and on every create/update (PUT/POST): sim_patch_track_update(&ctx,
 * old_or_NULL, &obj, &err) after defaulting, before storing.
 * On failure every function returning int sets err->http_status and, when
 * STATUS is not NULL, fills *STATUS with an owned `kind: Status` object
 * (apiVersion v1, metadata {}, status Failure, message, reason, details,
 * code) worded as kube-apiserver words it; send it as the body.
 *
 * The server keeps what is not patch logic: preconditions (a patched
 * metadata.resourceVersion that differs from the live one is a 409,
 * a changed name is a 400), defaulting, validation (422), generation,
 * status/spec reset on the main resource vs /status, dryRun. */
#ifndef SIM_PATCH_H
#define SIM_PATCH_H

#include "value.h"

typedef enum sim_patch_type {
  SIM_PATCH_UNSUPPORTED = 0,
  SIM_PATCH_JSON,        /* application/json-patch+json (RFC 6902) */
  SIM_PATCH_MERGE,       /* application/merge-patch+json (RFC 7386) */
  SIM_PATCH_STRATEGIC,   /* application/strategic-merge-patch+json */
  SIM_PATCH_APPLY        /* application/apply-patch+yaml (server-side apply) */
} sim_patch_type;

/* The patch type of a Content-Type header value (case-insensitive,
 * parameters such as "; charset=utf-8" ignored); SIM_PATCH_UNSUPPORTED
 * for anything else (NULL too). */
sim_patch_type sim_patch_type_of(const char *content_type);

/* Go's name of a JSON value's type in encoding/json's "cannot unmarshal
 * X into ..." messages: "array", "object", "string", "bool", "null",
 * "number". */
const char *sim_patch_go_type(const kd_value *v);

/* The 415 message kube-apiserver sends for an unsupported patch type, e.g.
 * strategic merge patch on a custom resource. */
const char *sim_patch_unsupported_message(int custom);

/* What a request is about. Every string is borrowed for the call. */
typedef struct sim_patch_ctx {
  const char *api_version; /* of the endpoint: "v1", "apps/v1", "ex.com/v1" */
  const char *kind;        /* "Deployment"; selects the schema */
  int custom;              /* 1: a CRD-served kind (no strategic merge patch;
                              server-side apply: maps merge, lists atomic) */
  int custom_status;       /* custom kinds: the CRD declares /status */
  const kd_value *crd_schema; /* custom kinds: the served version's
                              openAPIV3Schema (x-kubernetes-list-type,
                              -list-map-keys, -map-type), or NULL */
  const char *subresource; /* NULL or "" for the main resource; "status"
                              (tracks status only), "scale" (recorded as
                              the entries' subresource) */
  const char *manager;     /* ?fieldManager=, else the User-Agent prefix
                              (sim_patch_default_manager); required for
                              apply (422 when missing) */
  int force;               /* ?force=true; only allowed with apply */
  const char *now;         /* "2006-01-02T15:04:05Z": managedFields time */
} sim_patch_ctx;

/* Decodes a PATCH body for TYPE into *PATCH (owned by the caller, cleared
 * with kd_value_clear): JSON for JSON/merge/strategic patches (a JSON patch
 * must be an array, the others objects), YAML (a single document, an
 * object) for apply. Malformed bodies give 400 BadRequest. */
int sim_patch_decode(sim_patch_type type, const char *body, size_t len,
                     kd_value *patch, kd_value *status, kd_error *err);

/* Applies PATCH (borrowed) of TYPE to LIVE (borrowed; NULL: the object does
 * not exist, which only apply accepts: it creates), writing the result to
 * *OUT (overwritten, owned by the caller; null on failure).
 * - JSON/MERGE/STRATEGIC: OUT is the patched object; managedFields are not
 *   touched here (call sim_patch_track_update after defaulting).
 * - APPLY: OUT is LIVE merged with the applied configuration by the
 *   schema of ctx->kind, fields this manager applied before and no longer
 *   applies removed unless another manager owns them, and
 *   metadata.managedFields updated (operation Apply, time ctx->now when the
 *   object changed). Conflicts with other managers give 409 Conflict with
 *   one cause per field unless ctx->force.
 * Failures and their HTTP statuses as kube-apiserver sends them: 400
 * (malformed patch, bad directive, apiVersion mismatch, managedFields in an
 * applied config), 409 (apply conflicts), 413 (over 10000 JSON patch
 * operations), 415 (strategic merge patch on a custom resource), 422 (a
 * JSON patch operation that does not apply, missing fieldManager for
 * apply, force without apply), 500 (what the real server answers with an
 * internal error, e.g. a list item without its merge key).
 * Returns KD_OK, KD_EINVAL (the patch failed), KD_EPARSE (malformed) or
 * KD_ENOMEM. */
int sim_patch_apply(const sim_patch_ctx *ctx, sim_patch_type type,
                    const kd_value *live, const kd_value *patch,
                    kd_value *out, kd_value *status, kd_error *err);

/* Records a non-apply write (create: OLD NULL; update; patch) by
 * ctx->manager as an `Update` managedFields entry in OBJ (modified in
 * place): the fields that changed from OLD to OBJ become this manager's
 * and leave other managers' sets, removed fields leave every set, empty
 * entries disappear, entries are sorted as the real server sorts them.
 * managedFields sent in OBJ replace the live ones (not on a subresource);
 * `[{}]` resets them; `[]` or none keeps OLD's. No conflicts: 409 never
 * comes from here. Returns KD_OK or KD_ENOMEM. */
int sim_patch_track_update(const sim_patch_ctx *ctx, const kd_value *old,
                           kd_value *obj, kd_error *err);

/* The default field manager for a request without ?fieldManager=: the
 * User-Agent up to its first '/', printable characters only, at most 128
 * bytes ("kubectl/v1.33.0 (linux/amd64) ..." -> "kubectl"). Writes it to
 * OUT (cleared first); returns OUT->data ("" for a NULL agent) or NULL when
 * out of memory. */
const char *sim_patch_default_manager(const char *user_agent, kd_buf *out);

#endif
