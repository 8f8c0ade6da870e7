/*
 * heap_profile.c - gcp_heap_profile_start/stop/write (gcprof.h): the
 * sampler's life, the program's GC_* calls redirected while it samples,
 * and writing its dump, raw or turned into pprof by the pprof module.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include "collect.h"
#include "heap_profile.h"
#include "heap_sample.h"
#include "pprof_module.h"
#include "raw_alloc.h"
#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RATE    ((uint64_t)1 << 40)
#define KNOWN_FLAGS ((uint64_t)GCP_HEAP_PROFILE_RUNTIME_ONLY)

/* Start, stop and write one at a time: they change what the others read. */
static pthread_mutex_t life = PTHREAD_MUTEX_INITIALIZER;
static int started;    /* a profile exists (samples may be written) */
static int redirected; /* the GOT entries are ours */
static const char *owner; /* the runtime's feature that took it, or NULL: the program's */
static int generation; /* of the latest start (heap_sample.h) */

/* A forked child's profile starts empty (the parent's samples are the
 * parent's), at the same rate; locks another thread may have held at the
 * fork are made anew. */
static void at_fork_child(void)
{
    pthread_mutex_init(&life, NULL);
    if (started)
        gcp__heap_sample_forked();
}

static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, at_fork_child);
}

static int check_options(const gcp_heap_profile_options *o)
{
    if (!gcp__zero(o->reserved_, sizeof o->reserved_))
        return gcp__fail(GCP_EINVAL, "gcp_heap_profile_start: opts->reserved_ must be zero");
    if (o->flags & ~KNOWN_FLAGS)
        return gcp__fail(GCP_EINVAL, "gcp_heap_profile_start: unknown flags 0x%llx",
                         (unsigned long long)(o->flags & ~KNOWN_FLAGS));
    if (o->rate > MAX_RATE)
        return gcp__fail(GCP_EINVAL, "gcp_heap_profile_start: rate %llu is above 2^40",
                         (unsigned long long)o->rate);
    return 0;
}

static int start_locked(const gcp_heap_profile_options *o)
{
    static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
    int rc;

    if (atomic_load(&gcp__heap_sampling))
        return gcp__fail(GCP_ESTATE, "gcp_heap_profile_start: a heap profile already samples");
    if ((rc = gcp__heap_sample_setup()) != 0)
        return rc;
    if (gcp__hs_restart(o->rate ? o->rate : GCP__HS_DEFAULT_RATE) != 0)
        return gcp__fail(GCP_ENOMEM, "gcp_heap_profile_start: no memory for the sampler's tables");
    pthread_once(&fork_once, register_fork_handler);
    gcp__events_acquire();                 /* its hook sweeps at the end of each collection */
    generation = generation % INT_MAX + 1; /* never 0 */
    atomic_store(&gcp__heap_sampling, generation);
    if (!(o->flags & GCP_HEAP_PROFILE_RUNTIME_ONLY)) {
        if ((rc = gcp__raw_alloc_redirect()) < 0) {
            atomic_store(&gcp__heap_sampling, 0);
            gcp__events_release();
            return rc;
        }
        redirected = 1;
    }
    started = 1;
    return 0;
}

int gcp_heap_profile_start(const gcp_heap_profile_options *opts)
{
    static const gcp_heap_profile_options defaults;
    const gcp_heap_profile_options *o = opts ? opts : &defaults;
    int rc;

    GCP__REFUSE_IN_HOOK("gcp_heap_profile_start");
    if ((rc = check_options(o)) != 0)
        return rc;
    if (gcp_init() != 0)
        return GCP_ESTATE;
    pthread_mutex_lock(&life);
    rc = start_locked(o);
    pthread_mutex_unlock(&life);
    return rc;
}

static void stop_locked(void)
{
    if (redirected && gcp__raw_alloc_restore() >= 0)
        redirected = 0;
    atomic_store(&gcp__heap_sampling, 0);
    gcp__events_release();
}

/* GCP_ESTATE said when the runtime's own feature holds the profile. */
static int refuse_owned(const char *fn)
{
    return owner ? gcp__fail(GCP_ESTATE,
                             "%s: the heap profile is libgcprof's own, taken by %s, not yours", fn,
                             owner)
                 : 0;
}

int gcp_heap_profile_stop(void)
{
    int rc = 0;

    GCP__REFUSE_IN_HOOK("gcp_heap_profile_stop");
    pthread_mutex_lock(&life);
    if ((rc = refuse_owned("gcp_heap_profile_stop")) == 0) {
        if (!atomic_load(&gcp__heap_sampling))
            rc = gcp__fail(GCP_ESTATE, "gcp_heap_profile_stop: no heap profile samples");
        else
            stop_locked();
    }
    pthread_mutex_unlock(&life);
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* Beside path, then renamed over it (safe_file.h: what every file the
 * library writes goes through). The dump writes the descriptor itself. */
static int write_raw(const char *path)
{
    gcp__file f;
    const char *why = gcp__file_open(&f, path);

    if (why)
        return gcp__fail(GCP_EIO, "gcp_heap_profile_write: %s: %s", path, why);
    if (gcp__hs_dump(fileno(f.fp), (long)getpid()) != 0) {
        int err = errno;
        gcp__file_discard(&f);
        return gcp__fail(GCP_EIO, "gcp_heap_profile_write: %s: %s", path, strerror(err));
    }
    why = gcp__file_commit(&f);
    return why ? gcp__fail(GCP_EIO, "gcp_heap_profile_write: %s: %s", path, why) : 0;
}

/* The dump in a new memory file: its descriptor, which the caller closes,
 * or a GCP_E* code said. */
static int dump_in_memory(const char *who)
{
    int fd = memfd_create("gcprof-heap-dump", MFD_CLOEXEC);

    if (fd < 0)
        return gcp__fail(GCP_EIO, "%s: no memory file for the dump: %s", who, strerror(errno));
    if (gcp__hs_dump(fd, (long)getpid()) != 0) {
        int err = errno;
        close(fd);
        return gcp__fail(GCP_EIO, "%s: the dump: %s", who, strerror(err));
    }
    return fd;
}

/* The dump in memory, then the module's pprof file at path. */
static int write_pprof(const char *path)
{
    int fd = dump_in_memory("gcp_heap_profile_write");

    if (fd < 0)
        return fd;
    int rc = gcp__pprof_convert(fd, path);
    close(fd);
    return rc;
}

int gcp_heap_profile_write(const char *path, int format)
{
    int rc;

    GCP__REFUSE_IN_HOOK("gcp_heap_profile_write");
    if (!path || !*path)
        return gcp__fail(GCP_EINVAL, "gcp_heap_profile_write: path is %s", path ? "empty" : "NULL");
    if (format != GCP_HEAP_FORMAT_PPROF && format != GCP_HEAP_FORMAT_RAW)
        return gcp__fail(GCP_EINVAL, "gcp_heap_profile_write: unknown format %d", format);
    pthread_mutex_lock(&life);
    rc = refuse_owned("gcp_heap_profile_write");
    if (rc == 0 && !started)
        rc = gcp__fail(GCP_ESTATE, "gcp_heap_profile_write: no heap profile was started");
    else if (rc == 0)
        rc = format == GCP_HEAP_FORMAT_RAW ? write_raw(path) : write_pprof(path);
    pthread_mutex_unlock(&life);
    return rc;
}

/* The pprof file, read back whole: the module writes files only, so it
 * goes to a private directory (mkdtemp: 0700) that is removed after. */
static int pprof_bytes(char **body, size_t *len)
{
    char dir[] = "/tmp/gcprof-heap-XXXXXX", path[sizeof dir + 16];
    struct stat st;
    int rc;

    if (!mkdtemp(dir))
        return gcp__fail(GCP_EIO, "heap profile: no private directory in /tmp: %s",
                         strerror(errno));
    snprintf(path, sizeof path, "%s/heap.pb.gz", dir);
    rc = write_pprof(path);
    int fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (rc == 0 && (fd < 0 || fstat(fd, &st) != 0))
        rc = gcp__fail(GCP_EIO, "heap profile: %s: %s", path, strerror(errno));
    else if (rc == 0 && !(*body = malloc((size_t)st.st_size + 1)))
        rc = gcp__fail(GCP_ENOMEM, "heap profile: no memory for %lld bytes", (long long)st.st_size);
    else if (rc == 0 && read(fd, *body, (size_t)st.st_size) != (ssize_t)st.st_size) {
        free(*body);
        rc = gcp__fail(GCP_EIO, "heap profile: %s: short read", path);
    }
    if (rc == 0)
        *len = (size_t)st.st_size;
    if (fd >= 0)
        close(fd);
    unlink(path);
    rmdir(dir);
    return rc;
}

int gcp__heap_profile_pprof(char **body, size_t *len)
{
    int rc;

    pthread_mutex_lock(&life);
    if (owner || !started)
        rc = GCP_ESTATE; /* nothing of the program's to serve */
    else
        rc = pprof_bytes(body, len);
    pthread_mutex_unlock(&life);
    return rc;
}

/* ---- the runtime's own profiles ------------------------------------------ */

int gcp__heap_profile_own(const char *who)
{
    static const gcp_heap_profile_options every = {.rate = 1};
    int rc;

    GCP__REFUSE_IN_HOOK(who);
    if (gcp_init() != 0)
        return GCP_ESTATE;
    if ((rc = gcp__pprof_module_check()) != 0)
        return rc; /* before the work, not after it */
    pthread_mutex_lock(&life);
    rc = start_locked(&every);
    if (rc == GCP_ESTATE)
        rc = gcp__fail(GCP_ESTATE,
                       "%s: a heap profile already samples; this needs one of its own (every "
                       "allocation): stop it first",
                       who);
    if (rc == 0)
        owner = who;
    pthread_mutex_unlock(&life);
    return rc;
}

int gcp__heap_profile_release(const char *who, gcp__pprof_sample_fn *fn, void *ctx)
{
    int rc = 0;

    pthread_mutex_lock(&life);
    if (!owner || strcmp(owner, who) != 0) {
        rc = gcp__fail(GCP_ESTATE, "%s: the heap profile is not its own", who);
    } else {
        if (atomic_load(&gcp__heap_sampling))
            stop_locked();
        if (fn && (rc = dump_in_memory(who)) >= 0) {
            int fd = rc;
            rc = gcp__pprof_each_sample(fd, fn, ctx);
            close(fd);
        }
        started = 0; /* the samples were the feature's: a later write finds none */
        owner = NULL;
    }
    pthread_mutex_unlock(&life);
    return rc;
}
