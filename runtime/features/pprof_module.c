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

static const char *module_path(char *buf, size_t size)
{
    return gcp__env_module_path("GCPROF_PPROF_MODULE", GCPROF_PKGLIBDIR "/" GCP_PPROF_MODULE_FILE,
                                buf, size);
}

/* A loaded module: its handle and entry points, and what its loading
 * brought (loaded_roots.h). */
typedef struct module {
    void *h;
    gcp_pprof_module_convert_fn *convert;
    gcp_pprof_module_each_sample_fn *each_sample;
    gcp__loaded *came;
} module;

/* 0 when path exists, else GCP_ENOTFOUND said. */
static int module_file(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0)
        return 0;
    return gcp__fail(GCP_ENOTFOUND, "heap profile: pprof module %s: %s" ADVICE, path,
                     strerror(errno));
}

int gcp__pprof_module_check(void)
{
    char buf[PATH_MAX];
    const char *path = module_path(buf, sizeof buf);

    return path ? module_file(path) : GCP_EINVAL;
}

/* A module refused after its dlopen: closed, and what its loading left
 * (a libdw's libdebuginfod, say) out of the roots. */
static void refuse(module *m, void *h)
{
    dlclose(h);
    gcp__loaded_exclude_stayed(m->came);
    m->came = NULL;
}

/* Loads path and finds its entry points into *m, with what its dlopen
 * brought in m->came (listed right after it: loaded_roots.h). 0, or
 * GCP_ENOTFOUND said (nothing left open). */
static int load(const char *path, module *m)
{
    const unsigned *abi;
    void *h;
    int rc;

    if ((rc = module_file(path)) != 0)
        return rc;
    gcp__loaded *before = gcp__loaded_now();
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    /* The module, its libraries and what their constructors load. */
    m->came = gcp__loaded_since(before, h);
    if (!h) {
        gcp__loaded_free(m->came);
        m->came = NULL;
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
    m->convert = (gcp_pprof_module_convert_fn *)dlsym(h, GCP_PPROF_MODULE_CONVERT_SYMBOL);
    if (!abi || !m->convert) {
        refuse(m, h);
        return gcp__fail(GCP_ENOTFOUND,
                         "heap profile: %s is not the pprof module (no " GCP_PPROF_MODULE_ABI_SYMBOL
                         " or " GCP_PPROF_MODULE_CONVERT_SYMBOL ")" ADVICE,
                         path);
    }
    if (*abi != GCP_PPROF_MODULE_ABI) {
        unsigned theirs = *abi;
        refuse(m, h);
        return gcp__fail(GCP_ENOTFOUND,
                         "heap profile: pprof module %s: ABI %u, this libgcprof wants %d (another "
                         "release's)" ADVICE,
                         path, theirs, GCP_PPROF_MODULE_ABI);
    }
    m->each_sample =
        (gcp_pprof_module_each_sample_fn *)dlsym(h, GCP_PPROF_MODULE_EACH_SAMPLE_SYMBOL);
    if (!m->each_sample) { /* the contract's third symbol */
        refuse(m, h);
        return gcp__fail(GCP_ENOTFOUND,
                         "heap profile: %s is not the pprof module (no "
                         GCP_PPROF_MODULE_EACH_SAMPLE_SYMBOL ")" ADVICE,
                         path);
    }
    m->h = h;
    return 0;
}

/* Takes the lock and loads the module: 0 (then close_module), or an error
 * said, the lock given back. */
static int open_module(module *m)
{
    char buf[PATH_MAX];
    const char *path = module_path(buf, sizeof buf);

    memset(m, 0, sizeof *m);
    if (!path)
        return GCP_EINVAL;
    pthread_mutex_lock(&lock);
    int rc = load(path, m);
    if (rc != 0)
        pthread_mutex_unlock(&lock);
    return rc;
}

/* Unloads the module. libdw's constructor loads libdebuginfod (and 25
 * more) for good: their data leave the roots. What appeared while the
 * module worked is left alone: it could be the program's (loaded_roots.h). */
static void close_module(module *m)
{
    dlclose(m->h);
    gcp__loaded_exclude_stayed(m->came);
    pthread_mutex_unlock(&lock);
}

static int module_failed(const char *err)
{
    return gcp__fail(GCP_EIO, "heap profile: %s", *err ? err : "the pprof module failed");
}

int gcp__pprof_convert(int raw_fd, const char *out_path)
{
    char err[1024] = "";
    module m;
    int rc;

    GCP__REFUSE_IN_HOOK("heap profile");
    if (raw_fd < 0)
        return gcp__fail(GCP_EINVAL, "heap profile: bad descriptor %d for the raw dump", raw_fd);
    if (!out_path || !*out_path)
        return gcp__fail(GCP_EINVAL, "heap profile: no output file");
    if ((rc = open_module(&m)) != 0)
        return rc;
    rc = m.convert(raw_fd, out_path, err, sizeof err);
    err[sizeof err - 1] = '\0';
    close_module(&m);
    return rc ? module_failed(err) : 0;
}

typedef struct sample_job {
    gcp__pprof_sample_fn *fn;
    void *ctx;
    int rc; /* fn's */
} sample_job;

static int one_sample(const gcp_pprof_module_sample *s, void *arg)
{
    sample_job *j = arg;

    return j->rc = j->fn(s, j->ctx);
}

int gcp__pprof_each_sample(int raw_fd, gcp__pprof_sample_fn *fn, void *ctx)
{
    char err[1024] = "";
    sample_job job = {fn, ctx, 0};
    module m;
    int rc;

    GCP__REFUSE_IN_HOOK("heap profile");
    if (raw_fd < 0 || !fn)
        return gcp__fail(GCP_EINVAL, "heap profile: %s", fn ? "bad descriptor" : "no function");
    if ((rc = open_module(&m)) != 0)
        return rc;
    rc = m.each_sample(raw_fd, one_sample, &job, err, sizeof err);
    err[sizeof err - 1] = '\0';
    close_module(&m);
    if (rc != 0 && job.rc == rc)
        return rc; /* fn's own, said by fn */
    return rc ? module_failed(err) : 0;
}
