/*
 * http_module.c - the loader of libgcprof-http.so, the module that
 * serves the metrics endpoint with libmicrohttpd (common/
 * http_module_abi.h).
 *
 * Why a module and not a link: libmicrohttpd brings GnuTLS and eight
 * more libraries whose writable data the collector would scan as roots
 * in every program linked with libgcprof, for an endpoint most never
 * start. Loaded RTLD_LOCAL at the first start, it stays loaded (a server
 * may start again, and bdwgc keeps root exclusions forever): the data
 * of everything its dlopen brought are excluded from the roots at once,
 * as nothing there holds a collected pointer (loaded_roots.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "serve.h"
#include "env.h"
#include "loaded_roots.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#undef dlopen /* the real one: pprof_module.c says why */

#ifndef GCPROF_PKGLIBDIR
#error "define GCPROF_PKGLIBDIR, the directory libgcprof-http.so is installed in (Makefile.am)"
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static gcp_http_module_start_fn *start_fn; /* under lock; set once loaded */
static gcp_http_module_stop_fn *stop_fn;

/* Loads the module once: 0, or GCP_ENOTFOUND / GCP_EINVAL said. */
static int load(void)
{
    char buf[PATH_MAX];
    const char *path = gcp__env_module_path(
        "GCPROF_HTTP_MODULE", GCPROF_PKGLIBDIR "/" GCP_HTTP_MODULE_FILE, buf, sizeof buf);
    struct stat st;

    if (!path)
        return GCP_EINVAL;
    if (stat(path, &st) != 0)
        return gcp__fail(GCP_ENOTFOUND, "metrics: HTTP module %s: %s", path, strerror(errno));
    gcp__loaded *before = gcp__loaded_now();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    gcp__loaded *came = gcp__loaded_since(before, h);
    if (!h) {
        gcp__loaded_free(came);
        const char *why = dlerror();
        return gcp__fail(GCP_ENOTFOUND, "metrics: HTTP module %s cannot be loaded: %s", path,
                         why ? why : "dlopen failed");
    }
    const unsigned *abi = dlsym(h, GCP_HTTP_MODULE_ABI_SYMBOL);
    gcp_http_module_start_fn *start =
        (gcp_http_module_start_fn *)dlsym(h, GCP_HTTP_MODULE_START_SYMBOL);
    gcp_http_module_stop_fn *stop =
        (gcp_http_module_stop_fn *)dlsym(h, GCP_HTTP_MODULE_STOP_SYMBOL);
    if (!abi || !start || !stop || *abi != GCP_HTTP_MODULE_ABI) {
        unsigned theirs = abi ? *abi : 0;
        dlclose(h);
        gcp__loaded_exclude_stayed(came); /* what it left loaded */
        if (!abi || !start || !stop)
            return gcp__fail(GCP_ENOTFOUND, "metrics: %s is not the HTTP module", path);
        return gcp__fail(GCP_ENOTFOUND,
                         "metrics: HTTP module %s: ABI %u, this libgcprof wants %d (another "
                         "release's)",
                         path, theirs, GCP_HTTP_MODULE_ABI);
    }
    gcp__loaded_exclude_stayed(came); /* all of it: it stays */
    start_fn = start;
    stop_fn = stop;
    return 0;
}

int gcp__http_module_start(const char *host, unsigned port, gcp_http_handler_fn *fn, void *ctx,
                           void **server, unsigned *bound)
{
    char err[256] = "";
    int rc = 0;

    pthread_mutex_lock(&lock);
    if (!start_fn)
        rc = load();
    pthread_mutex_unlock(&lock);
    if (rc != 0)
        return rc;
    *server = start_fn(host, port, fn, ctx, bound, err, sizeof err);
    if (!*server)
        return gcp__fail(GCP_EIO, "metrics: %s", err[0] ? err : "the HTTP server did not start");
    return 0;
}

void gcp__http_module_stop(void *server)
{
    if (server && stop_fn)
        stop_fn(server);
}
