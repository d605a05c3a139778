/* engine/kube_disco.h: API discovery documents (aggregated
 * APIGroupDiscoveryList, or the legacy APIGroupList and APIResourceList),
 * REST mapping from apiVersion + kind to resource paths, and an on-disk
 * cache per server with a TTL, like kubectl's. No Lua, no I/O to the
 * cluster: the caller fetches the documents. */
#ifndef KD_KUBE_DISCO_H
#define KD_KUBE_DISCO_H

#include "value.h"

typedef struct kube_resource {
  char *group, *version, *kind, *name, *singular;   /* name: plural */
  char **verbs, **short_names;
  size_t nverbs, nshort;
  int namespaced;
  int preferred;              /* version is its group's preferred one */
} kube_resource;

typedef struct kube_disco kube_disco;

/* An empty mapping. Returns owned or NULL + ERR. */
kube_disco *kube_disco_new(kd_error *err);
void kube_disco_free(kube_disco *d);

/* Adds a discovery document (DOC borrowed; a copy is kept for the cache):
 * APIGroupDiscoveryList (v2 or v2beta1), APIResourceList (its groupVersion
 * replaces what was known for it) or APIGroupList (preferred versions).
 * KD_EPARSE + ERR when DOC is none of these. */
int kube_disco_add(kube_disco *d, const kd_value *doc, kd_error *err);

/* The resource of KIND in API_VERSION ("v1", "apps/v1"); NULL if unknown. */
const kube_resource *kube_disco_find(const kube_disco *d, const char *api_version,
                                     const char *kind);
/* A kubectl-style resource name: plural, singular, short name or kind,
 * case-insensitive, optionally ".group" or ".version.group" qualified
 * ("deploy", "deployments.apps", "Deployment"). Preferred versions and the
 * core group win. NULL if unknown. */
const kube_resource *kube_disco_lookup(const kube_disco *d, const char *name);
size_t kube_disco_count(const kube_disco *d);
const kube_resource *kube_disco_at(const kube_disco *d, size_t i);

/* Appends the path of R: the collection when NAME is NULL, the object
 * otherwise, then "/SUB" when SUB is set. NS is used only when R is
 * namespaced (NULL: across all namespaces). */
int kube_disco_path(const kube_resource *r, const char *ns, const char *name,
                    const char *sub, kd_buf *out);

/* Cache file for SERVER under CACHE_DIR: CACHE_DIR/discovery/HOST_PORT/
 * kdeploy.json (HOST_PORT as kubectl names it). Returns owned. */
char *kube_disco_cache_path(const char *cache_dir, const char *server);
/* Writes every document added so far (atomically; dirs created). */
int kube_disco_save(const kube_disco *d, const char *path, kd_error *err);
/* Reads a cache file written less than TTL seconds ago. NULL + KD_ENOTFOUND
 * when missing or stale, NULL + another code when unreadable. */
kube_disco *kube_disco_load(const char *path, double ttl, kd_error *err);

#endif
