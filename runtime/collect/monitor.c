/*
 * monitor.c - the timeline monitor's start, stop and fork handling: a
 * thread of its own (monitor_sampler.c) samples RSS and the GC heap every
 * interval and writes the collections the event hook recorded; profiled
 * closures and labels are written as they happen (monitor_marks.c).
 *
 * The thread is created with the real pthread_create, not the collector's
 * wrapper: it never touches collected memory and only calls lock-free
 * getters, so the collector need not stop or scan it. One mutex guards
 * the stream; the hook never takes it (it hands records over through a
 * lock-free ring, gc_record.c).
 *
 * The file is written as a new temporary file beside the target and
 * renamed over it at stop (safe_file.c). The monitor belongs to the
 * process that started it: a forked child gets an inert copy (no thread,
 * no writes; see fork_child), and a fork never happens while the thread
 * is being created or is ending (see fork_prepare).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "collect.h"
#include "monitor.h"
#include "monitor_state.h"
#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The real ones (see above): the collector's pthread_join crashes on a
 * thread it did not create (bdwgc 8.2.2). */
#undef pthread_create
#undef pthread_join

_Atomic int gcp__monitor_on; /* a monitor runs: monitor.h */
static pthread_mutex_t start_stop = PTHREAD_MUTEX_INITIALIZER;
static pid_t inherited_from; /* in a forked child: the owner's pid */

/* ---- fork ------------------------------------------------------------- */

/* The child of a fork has no sampler thread, and shares the file and the
 * eventfd with its parent: a write or a stop there would land in the
 * parent's file or stop the parent's sampler. So the child's copy is made
 * inert: not running, its descriptors closed without a write. Buffers are
 * flushed before the fork, so that the child's exit() cannot write the
 * parent's records a second time. gcp__mon.lock nests no lock, so taking it
 * here cannot deadlock with the collector's own fork handlers.
 *
 * Nor does the fork happen while the sampler thread is being created or
 * is ending (gcp__mon.moving): that code, the C library's and a sanitizer
 * runtime's, allocates, and takes locks a fork does not reset. GCC 12's
 * AddressSanitizer has no fork handler: a fork while the new thread
 * refilled its allocator cache (calloc in pthread_getattr_np, from ASan's
 * thread start) left that size class's lock held in the child for good,
 * and the child's own sampler hung at its start (6 of 300 runs of
 * tests/check_monitor_fork under ASan). The wait needs nothing the forking thread
 * holds: creation and the way out of the loop take gcp__mon.lock only, which
 * the wait lets go. The sampler itself (a log hook that forks) does not
 * wait for its own end. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&gcp__mon.lock);
    while (gcp__mon.moving && !gcp__monitor_on_sampler)
        pthread_cond_wait(&gcp__mon.still, &gcp__mon.lock);
    if (gcp__mon.fp)
        fflush(gcp__mon.fp);
    if (gcp__mon.trace_fp)
        fflush(gcp__mon.trace_fp);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&gcp__mon.lock);
}

static void fork_child(void)
{
    /* Nobody else is here to wait on it (a parent's thread may have been). */
    pthread_cond_init(&gcp__mon.still, NULL);
    gcp__mon.moving = 0;
    pthread_mutex_unlock(&gcp__mon.lock); /* the forking thread took it */
    /* A thread of the parent may have been starting or stopping. */
    pthread_mutex_init(&start_stop, NULL);
    if (atomic_load(&gcp__monitor_on) || gcp__mon.fp)
        inherited_from = gcp__mon.owner;
    atomic_store(&gcp__monitor_on, 0);
    gcp__events_record(0);
    if (gcp__mon.wake_fd >= 0)
        close(gcp__mon.wake_fd);
    gcp__mon.wake_fd = -1;
    if (gcp__mon.out.fp)
        gcp__file_forget(&gcp__mon.out);
    gcp__mon.fp = NULL;
    gcp__mon.trace_fp = NULL;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void register_atfork(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        gcp__log(GCP_LOG_WARN, "pthread_atfork failed: a forked child may disturb the monitor");
}

/* ---- start / stop ---------------------------------------------------- */

static int open_stream(const gcp_monitor_options *o)
{
    gcp__mon.fp = o->fp;
    if (o->path && !o->fp) {
        const char *why = gcp__file_open(&gcp__mon.out, o->path);
        if (why)
            return gcp__fail(GCP_EIO, "gcp_monitor_start: cannot write '%s': %s", o->path, why);
        gcp__mon.fp = gcp__mon.out.fp;
    }
    return 0;
}

/* Drops the file start opened (start failed): the target is untouched. */
static void close_stream(void)
{
    if (gcp__mon.out.fp)
        gcp__file_discard(&gcp__mon.out);
    gcp__mon.fp = NULL;
}

static void read_cmdline(char *buf, size_t len)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        n = 0;
    buf[n] = '\0';
    for (ssize_t i = 0; i + 1 < n; i++) /* arguments are NUL-separated */
        if (buf[i] == '\0')
            buf[i] = ' ';
}

static int start(const gcp_monitor_options *o, int from_env)
{
    char cmdline[1024];

    GCP__REFUSE_IN_HOOK("gcp_monitor_start"); /* learning collects */
    int rc = gcp__monitor_options_check(o);

    if (rc < 0)
        return rc;
    gcp__init_collector();
    /* Learning runs GC_try_to_collect, which runs pending finalizers: not
     * under our lock, where a finalizer that starts or stops the monitor
     * would wait for itself. */
    gcp__explicit_learn(); /* GC_gcollect & co from the records' START */
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&start_stop);
    if (atomic_load(&gcp__monitor_on)) {
        pthread_mutex_unlock(&start_stop);
        return gcp__fail(GCP_ESTATE, "gcp_monitor_start: a monitor is already running");
    }
    rc = open_stream(o);
    if (rc < 0) {
        pthread_mutex_unlock(&start_stop);
        return rc;
    }
    gcp__mon.format = o->format == GCP_MONITOR_JSONL ? GCP_TL_JSONL : GCP_TL_DAT;
    gcp__mon.trace_fp = o->trace ? (o->trace_fp ? o->trace_fp : stderr) : NULL;
    gcp__mon.interval = o->interval != 0 ? o->interval : GCP__MONITOR_DEFAULT_INTERVAL;
    gcp__mon.write_error = 0;
    gcp__mon.write_errno = 0;
    gcp__mon.said_write_error = 0;
    gcp__mon.said_no_rss = 0;
    gcp__mon.from_env = from_env;
    gcp__mon.owner = getpid();
    inherited_from = 0;
    if (gcp__mon.fp && !o->cmdline)
        read_cmdline(cmdline, sizeof cmdline);
    gcp__mon.wake_fd = eventfd(0, EFD_CLOEXEC);
    if (gcp__mon.wake_fd < 0) {
        close_stream();
        pthread_mutex_unlock(&start_stop);
        return gcp__fail(GCP_EIO, "gcp_monitor_start: no eventfd: %s", strerror(errno));
    }
    gcp__events_acquire();
    /* The file's start is the trace's origin, on the clock the records'
     * times are on: the share of time in collections is over the time since
     * the start in the file. (Read apart, the wait for the collector's lock
     * in between came out as a start up to ms later: check_monitor saw a
     * share of 18% where the file's figures gave 19.2%.) */
    gcp__mon.start_real = gcp__fast_to_real(gcp__events_begin());
    if (gcp__mon.fp)
        gcp__tl_meta(gcp__mon.fp, gcp__mon.format, o->cmdline ? o->cmdline : cmdline, (long)getpid(),
                     gcp__mon.start_real, gcp__mon.interval);
    gcp__events_record(1);
    atomic_store(&gcp__monitor_on, 1);
    gcp__monitor_set_moving(1);
    if (pthread_create(&gcp__mon.thread, NULL, gcp__monitor_sampler, NULL) != 0) {
        gcp__monitor_set_moving(0);
        atomic_store(&gcp__monitor_on, 0);
        gcp__events_record(0);
        gcp__events_release();
        close_stream();
        close(gcp__mon.wake_fd);
        gcp__mon.wake_fd = -1; /* a later fork's child must not close another's */
        pthread_mutex_unlock(&start_stop);
        return gcp__fail(GCP_ENOMEM, "gcp_monitor_start: cannot start its thread");
    }
    /* Returned with the thread running: the caller's next fork() does not
     * wait in fork_prepare. */
    pthread_mutex_lock(&gcp__mon.lock);
    while (gcp__mon.moving)
        pthread_cond_wait(&gcp__mon.still, &gcp__mon.lock);
    pthread_mutex_unlock(&gcp__mon.lock);
    pthread_mutex_unlock(&start_stop);
    return 0;
}

int gcp_monitor_start(const gcp_monitor_options *o)
{
    int from_env = gcp__env_starting();
    int rc = start(o, from_env);

    /* Asked for by GCPROF_MONITOR_OUT at gcp_init: no caller reads rc. */
    if (rc < 0 && from_env)
        gcp__log(GCP_LOG_ERROR, "%s", gcp_last_error());
    return rc;
}

/* GCP_ESTATE unless this process runs a monitor; the message says when
 * the one seen is a parent's (a forked child's copy is inert). */
int gcp__monitor_not_running(const char *fn)
{
    if (atomic_load(&gcp__monitor_on) && gcp__mon.owner == getpid())
        return 0;
    if (inherited_from || atomic_load(&gcp__monitor_on))
        return gcp__fail(GCP_ESTATE, "%s: the monitor belongs to process %ld, not this child", fn,
                         (long)(inherited_from ? inherited_from : gcp__mon.owner));
    return gcp__fail(GCP_ESTATE, "%s: no monitor is running", fn);
}

/* The end record, then the file closed (and renamed into place when the
 * monitor created it). 1 when anything failed. */
static int finish_stream(const char **why)
{
    int failed = gcp__mon.write_error;

    *why = NULL;
    if (!gcp__mon.fp)
        return failed;
    gcp__tl_end(gcp__mon.fp, gcp__mon.format, gcp__tl_now());
    if (gcp__mon.out.fp) {
        *why = gcp__file_commit(&gcp__mon.out);
        failed |= *why != NULL;
    } else {
        failed |= !gcp__flushed(gcp__mon.fp);
    }
    gcp__mon.fp = NULL;
    return failed;
}

int gcp_monitor_stop(void)
{
    const char *why;
    gcp_tl_sample s = {0};

    pthread_mutex_lock(&start_stop);
    if (gcp__monitor_not_running("gcp_monitor_stop") < 0) {
        pthread_mutex_unlock(&start_stop);
        return GCP_ESTATE;
    }
    uint64_t one = 1;
    /* Logged before the fork handler is made to wait: a log hook that
     * forks would otherwise wait for this very thread. */
    int woke = write(gcp__mon.wake_fd, &one, sizeof one) == sizeof one;
    if (!woke)
        gcp__log(GCP_LOG_WARN, "gcp_monitor_stop: cannot wake the sampler; waiting for it");
    gcp__monitor_set_moving(1); /* until joined: the thread's way out frees its memory */
    pthread_join(gcp__mon.thread, NULL);
    gcp__monitor_set_moving(0);
    close(gcp__mon.wake_fd);
    gcp__mon.wake_fd = -1;

    /* Nothing is recorded any more: the final interval and the end mark. */
    gcp__events_record(0);
    gcp__events_release();
    if (gcp__mon.fp)
        gcp__monitor_read_sample(&s);
    pthread_mutex_lock(&gcp__mon.lock);
    atomic_store(&gcp__monitor_on, 0);
    gcp__monitor_write_interval(&s);
    int failed = finish_stream(&why), from_env = gcp__mon.from_env;
    pthread_mutex_unlock(&gcp__mon.lock);
    pthread_mutex_unlock(&start_stop);
    if (!failed)
        return 0;
    int rc = gcp__fail(GCP_EIO, "gcp_monitor_stop: writing the timeline failed%s%s",
                       why ? ": " : "", why ? why : "");
    /* The environment's monitor is stopped at exit, where no one reads rc. */
    if (from_env)
        gcp__log(GCP_LOG_ERROR, "%s", gcp_last_error());
    return rc;
}

int gcp_monitor_running(void)
{
    return atomic_load(&gcp__monitor_on);
}

double gcp__monitor_thread_cpu(void)
{
    clockid_t clock;
    struct timespec ts;

    if (!atomic_load(&gcp__monitor_on) || pthread_getcpuclockid(gcp__mon.thread, &clock) != 0 ||
        clock_gettime(clock, &ts) != 0)
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gcp_monitor_counts(uint64_t *collections, uint64_t *dropped)
{
    gcp__events_record_counts(collections, dropped, NULL);
}

/* ---- the stream, for the markers (monitor_marks.c) -------------------- */

FILE *gcp__monitor_lock(gcp_tl_format *format, int **said_no_rss)
{
    pthread_mutex_lock(&gcp__mon.lock);
    *format = gcp__mon.format;
    if (said_no_rss)
        *said_no_rss = &gcp__mon.said_no_rss;
    return gcp__mon.fp;
}

void gcp__monitor_unlock(void)
{
    pthread_mutex_unlock(&gcp__mon.lock);
}
