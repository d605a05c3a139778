/* engine/curl_lazy.c: libcurl loaded on first use. Linking libcurl makes
 * every start of the binary map and relocate it and the two dozen
 * libraries it pulls in (TLS, Kerberos, LDAP, SSH, HTTP/2, IDN, ...):
 * about 12 ms of CPU before main, which is most of the time of a
 * `kdeploy render` that never talks to a cluster. So the binary is not
 * linked against libcurl; these definitions of the curl functions the
 * engine uses open libcurl.so.4 with dlopen the first time one of them is
 * called and forward to it. When the library cannot be loaded they fail
 * the way curl reports failures (NULL handles, CURLE_FAILED_INIT,
 * CURLM_INTERNAL_ERROR) and the strerror functions say why. */
#define _GNU_SOURCE
#define CURL_DISABLE_TYPECHECK   /* no setopt macros: we define the functions */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#define CURL_SONAME "libcurl.so.4"

/* The functions, by name, in one table of pointers. */
#define CURL_FUNCS(X)                                                        \
  X(CURLcode, curl_global_init, (long))                                      \
  X(void, curl_global_cleanup, (void))                                       \
  X(CURL *, curl_easy_init, (void))                                          \
  X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))                   \
  X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))                    \
  X(void, curl_easy_cleanup, (CURL *))                                       \
  X(void, curl_easy_reset, (CURL *))                                         \
  X(const char *, curl_easy_strerror, (CURLcode))                            \
  X(struct curl_slist *, curl_slist_append, (struct curl_slist *, const char *)) \
  X(void, curl_slist_free_all, (struct curl_slist *))                        \
  X(CURLM *, curl_multi_init, (void))                                        \
  X(CURLMcode, curl_multi_setopt, (CURLM *, CURLMoption, ...))               \
  X(CURLMcode, curl_multi_add_handle, (CURLM *, CURL *))                     \
  X(CURLMcode, curl_multi_remove_handle, (CURLM *, CURL *))                  \
  X(CURLMcode, curl_multi_socket_action, (CURLM *, curl_socket_t, int, int *)) \
  X(CURLMcode, curl_multi_assign, (CURLM *, curl_socket_t, void *))          \
  X(CURLMsg *, curl_multi_info_read, (CURLM *, int *))                       \
  X(CURLMcode, curl_multi_cleanup, (CURLM *))                                \
  X(const char *, curl_multi_strerror, (CURLMcode))                          \
  X(CURLU *, curl_url, (void))                                               \
  X(CURLU *, curl_url_dup, (CURLU *))                                        \
  X(CURLUcode, curl_url_set, (CURLU *, CURLUPart, const char *, unsigned int)) \
  X(void, curl_url_cleanup, (CURLU *))

#define DECLARE(ret, name, args) ret(*name) args;
static struct { CURL_FUNCS(DECLARE) } fn;
static int loaded;                 /* 1: every function resolved */
static char why[256] = "libcurl was not loaded";
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
  void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    snprintf(why, sizeof why, "cannot load %s: %s", CURL_SONAME, e ? e : "?");
    return;
  }
#define RESOLVE(ret, name, args)                                             \
  if (!(*(void **)&fn.name = dlsym(h, #name))) {                             \
    snprintf(why, sizeof why, "%s has no %s", CURL_SONAME, #name);           \
    return;                                                                  \
  }
  CURL_FUNCS(RESOLVE)
  __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

/* Once loaded, a load of the flag instead of a call of pthread_once: a
 * request makes a dozen and a half calls. */
static int ready(void)
{
  if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) return 1;
  pthread_once(&once, load);
  return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE);
}

CURLcode curl_global_init(long flags)
{
  return ready() ? fn.curl_global_init(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void)
{
  if (ready()) fn.curl_global_cleanup();
}

CURL *curl_easy_init(void) { return ready() ? fn.curl_easy_init() : NULL; }

/* An option's one argument, by the type its number range encodes. */
#define FORWARD_OPTION(call, handle, opt, ap)                                \
  do {                                                                       \
    if ((opt) < CURLOPTTYPE_OBJECTPOINT)                                     \
      rc = call(handle, opt, va_arg(ap, long));                              \
    else if ((opt) < CURLOPTTYPE_FUNCTIONPOINT)                              \
      rc = call(handle, opt, va_arg(ap, void *));                            \
    else if ((opt) < CURLOPTTYPE_OFF_T)                                      \
      rc = call(handle, opt, va_arg(ap, void (*)(void)));                    \
    else if ((opt) < CURLOPTTYPE_BLOB)                                       \
      rc = call(handle, opt, va_arg(ap, curl_off_t));                        \
    else                                                                     \
      rc = call(handle, opt, va_arg(ap, void *));                            \
  } while (0)

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
  CURLcode rc;
  va_list ap;
  if (!ready()) return CURLE_FAILED_INIT;
  va_start(ap, opt);
  FORWARD_OPTION(fn.curl_easy_setopt, h, opt, ap);
  va_end(ap);
  return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
  CURLcode rc;
  va_list ap;
  if (!ready()) return CURLE_FAILED_INIT;
  va_start(ap, info);
  rc = fn.curl_easy_getinfo(h, info, va_arg(ap, void *));   /* always a pointer */
  va_end(ap);
  return rc;
}

void curl_easy_cleanup(CURL *h)
{
  if (h && ready()) fn.curl_easy_cleanup(h);
}

void curl_easy_reset(CURL *h)
{
  if (h && ready()) fn.curl_easy_reset(h);
}

const char *curl_easy_strerror(CURLcode c)
{
  return ready() ? fn.curl_easy_strerror(c) : why;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
  return ready() ? fn.curl_slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
  if (l && ready()) fn.curl_slist_free_all(l);
}

CURLM *curl_multi_init(void) { return ready() ? fn.curl_multi_init() : NULL; }

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
  CURLMcode rc;
  va_list ap;
  if (!ready()) return CURLM_INTERNAL_ERROR;
  va_start(ap, opt);
  FORWARD_OPTION(fn.curl_multi_setopt, m, opt, ap);
  va_end(ap);
  return rc;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
  return ready() ? fn.curl_multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
  return ready() ? fn.curl_multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int mask, int *running)
{
  return ready() ? fn.curl_multi_socket_action(m, s, mask, running)
                 : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
  return ready() ? fn.curl_multi_assign(m, s, p) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
  if (!ready()) {
    if (left) *left = 0;
    return NULL;
  }
  return fn.curl_multi_info_read(m, left);
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
  return m && ready() ? fn.curl_multi_cleanup(m) : CURLM_OK;
}

const char *curl_multi_strerror(CURLMcode c)
{
  return ready() ? fn.curl_multi_strerror(c) : why;
}

CURLU *curl_url(void) { return ready() ? fn.curl_url() : NULL; }

CURLU *curl_url_dup(CURLU *u) { return u && ready() ? fn.curl_url_dup(u) : NULL; }

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
  return ready() ? fn.curl_url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

void curl_url_cleanup(CURLU *u)
{
  if (u && ready()) fn.curl_url_cleanup(u);
}
