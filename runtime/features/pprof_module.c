/*
 * pprof_module.c - the loader of the pprof module (pprof_module.h): finds
 * libgcprof-pprof.so, dlopens it for one conversion, checks its ABI
 * number, calls it and closes it again (common/pprof_module_abi.h).
 *
 * Why a module and not a link: the symboliser and the encoder need libdw,
 * protobuf-c and zlib, megabytes of code and data the collector would scan
 * as roots in every program linked with libgcprof, for a call most never
 * make. Loaded RTLD_LOCAL, none of its symbols can stand in for the
 * program's; closed after, its data stop being roots, and the data of what
 * it leaves loaded are excluded from them (loaded_roots.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "env.h"
#include "heap.h"
#include "loaded_roots.h"
#include "pprof_module.h"
#include "pprof_module_abi.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The real dlopen: the collector's GC_dlopen (gc.h's redirect) may run a
 * bit of collection first, which needs this thread registered with it, and
 * the module holds no collected pointer that a collection while it loads
 * could miss. */
#undef dlopen

#ifndef GCPROF_PKGLIBDIR
#error "define GCPROF_PKGLIBDIR, the directory libgcprof-pprof.so is installed in (Makefile.am)"
#endif

/* Last in every message: gcp_last_error() keeps 255 bytes, and the path
 * comes first. */
#define ADVICE "; write the raw format instead and convert it with `gcprof pprof`"

/* One conversion at a time: dlopen and dlclose of the same module from two
 * threads would race on whether it is loaded, and libdwfl is best kept to
 * one thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* $GCPROF_PPROF_MODULE, else the installed one. A name without '/' is a
 * file in the current directory, as any path: dlopen would look for it
 * along the library path instead. NULL when too long (said). */
static const char *module_path(char *buf, size_t size)
{
    const char *env = gcp__env_text("GCPROF_PPROF_MODULE");

    if (!env)
        return GCPROF_PKGLIBDIR "/" GCP_PPROF_MODULE_FILE;
    if (strchr(env, '/'))
        return env;
    if ((size_t)snprintf(buf, size, "./%s", env) < size)
        return buf;
    gcp__fail(GCP_EINVAL, "GCPROF_PPROF_MODULE: '%.40s...' is too long", env);
    return NULL;
}

/* Loads path and finds the convert function; the handle into *out. 0, or
 * GCP_ENOTFOUND said (nothing left open). */
static int load(const char *path, void **out, gcp_pprof_module_convert_fn **convert)
{
    struct stat st;
    const unsigned *abi;
    void *h;

    if (stat(path, &st) != 0)
        return gcp__fail(GCP_ENOTFOUND, "heap profile: pprof module %s: %s" ADVICE, path,
                         strerror(errno));
    if (!(h = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
        const char *why = dlerror();
        size_t n = strlen(path);
        if (!why)
            why = "dlopen failed";
        else if (strncmp(why, path, n) == 0 && strncmp(why + n, ": ", 2) == 0)
            why += n + 2; /* "PATH: what": the path once is enough in 255 bytes */
        return gcp__fail(GCP_ENOTFOUND, "heap profile: pprof module %s cannot be loaded: %s" ADVICE,
                         path, why);
    }
    abi = dlsym(h, GCP_PPROF_MODULE_ABI_SYMBOL);
    *convert = (gcp_pprof_module_convert_fn *)dlsym(h, GCP_PPROF_MODULE_CONVERT_SYMBOL);
    if (!abi || !*convert) {
        dlclose(h);
        return gcp__fail(GCP_ENOTFOUND,
                         "heap profile: %s is not the pprof module (no " GCP_PPROF_MODULE_ABI_SYMBOL
                         " or " GCP_PPROF_MODULE_CONVERT_SYMBOL ")" ADVICE,
                         path);
    }
    if (*abi != GCP_PPROF_MODULE_ABI) {
        unsigned theirs = *abi;
        dlclose(h);
        return gcp__fail(GCP_ENOTFOUND,
                         "heap profile: pprof module %s: ABI %u, this libgcprof wants %d (another "
                         "release's)" ADVICE,
                         path, theirs, GCP_PPROF_MODULE_ABI);
    }
    *out = h;
    return 0;
}

int gcp__pprof_convert(int raw_fd, const char *out_path)
{
    char buf[PATH_MAX], err[1024] = "";
    gcp_pprof_module_convert_fn *convert = NULL;
    const char *path;
    void *h = NULL;
    int rc;

    GCP__REFUSE_IN_HOOK("heap profile");
    if (raw_fd < 0)
        return gcp__fail(GCP_EINVAL, "heap profile: bad descriptor %d for the raw dump", raw_fd);
    if (!out_path || !*out_path)
        return gcp__fail(GCP_EINVAL, "heap profile: no output file");
    if (!(path = module_path(buf, sizeof buf)))
        return GCP_EINVAL;
    pthread_mutex_lock(&lock);
    gcp__loaded *before = gcp__loaded_now();
    rc = load(path, &h, &convert);
    gcp__loaded *came = gcp__loaded_since(before); /* the module, its libraries, what they load */
    if (rc == 0) {
        rc = convert(raw_fd, out_path, err, sizeof err);
        err[sizeof err - 1] = '\0';
        dlclose(h);
        if (rc != 0)
            rc = gcp__fail(GCP_EIO, "heap profile: %s", *err ? err : "the pprof module failed");
    }
    /* libdw's constructor loads libdebuginfod (and 25 more) for good. What
     * appears while the module converts is left alone: it could be the
     * program's (loaded_roots.h). */
    gcp__loaded_exclude_stayed(came);
    pthread_mutex_unlock(&lock);
    return rc;
}
