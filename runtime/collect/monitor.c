/*
 * monitor.c - the timeline monitor: a thread of its own samples RSS and the
 * GC heap every interval and writes the collections the event hook
 * recorded; profiled closures and labels are written as they happen.
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
#define _GNU_SOURCE /* ppoll */
#endif
#include "collect.h"
#include "monitor.h"
#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The real ones (see above): the collector's pthread_join crashes on a
 * thread it did not create (bdwgc 8.2.2). */
#undef pthread_create
#undef pthread_join

typedef struct monitor {
    pthread_mutex_t lock; /* the stream and the fields below */
    int wake_fd;          /* eventfd: stop wakes the sampler */
    pthread_t thread;
    FILE *fp;      /* timeline, or NULL for trace only */
    gcp__file out; /* the file fp writes, when it opened one */
    pid_t owner;   /* the process that started it */
    gcp_tl_format format;
    FILE *trace_fp; /* or NULL */
    double interval;
    double start_real; /* Unix seconds */
    int write_error;
    int write_errno;      /* of the first write error */
    int said_write_error; /* the sampler logged it */
    int said_no_rss;      /* the "closures not marked" label is written */
    int from_env;         /* the environment started it: nobody reads its return codes */
    int moving;           /* the thread is being created or is ending (fork_prepare) */
    pthread_cond_t still; /* moving went back to 0 */
} monitor;

static monitor mon = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1, .still = PTHREAD_COND_INITIALIZER};
static _Thread_local int on_sampler; /* this thread is the sampler */
_Atomic int gcp__monitor_on; /* a monitor runs: monitor.h */
static pthread_mutex_t start_stop = PTHREAD_MUTEX_INITIALIZER;
static pid_t inherited_from; /* in a forked child: the owner's pid */

/* ---- writing (caller holds mon.lock) ---------------------------------- */

/* Read before taking mon.lock: the collector's getters take its lock, and
 * mon.lock must nest no other lock (fork_prepare takes it). */
static void read_sample(gcp_tl_sample *s)
{
    gcp__counts allocated;

    gcp__heap_totals(&allocated, NULL);
    s->t = gcp__tl_now();
    s->rss = gcp__rss_bytes();
    s->has_rss = s->rss != 0; /* 0: unknown (no /proc), never written as a figure */
    s->has_heap = 1;
    s->heap_size = GC_get_heap_size();
    s->free_bytes = GC_get_free_bytes();
    s->unmapped_bytes = GC_get_unmapped_bytes();
    s->gc_no = GC_get_gc_no();
    s->bytes_allocated = allocated.bytes;
    s->pid = (long)getpid();
}

static void write_collections(void)
{
    gcp_tl_gc gc;
    gcp__gc_trace_figures fig;

    /* The figures were taken by the hook when each collection ended: a
     * drain pops many collections at once, and its own now is none of
     * theirs. */
    while (gcp__events_pop(&gc, &fig)) {
        gc.pid = (long)getpid();
        if (mon.fp)
            gcp__tl_gc(mon.fp, mon.format, &gc);
        if (mon.trace_fp)
            gcp__tl_gctrace(mon.trace_fp, &gc, &fig);
    }
}

/* One interval's work: the sample, the collections since the last, flush. */
static void write_interval(const gcp_tl_sample *s)
{
    errno = 0; /* what a failed write below sets */
    if (mon.fp)
        gcp__tl_sample(mon.fp, mon.format, s);
    write_collections();
    if (mon.fp && !gcp__flushed(mon.fp) && !mon.write_error) {
        mon.write_error = 1;
        mon.write_errno = errno;
    }
    if (mon.trace_fp)
        fflush(mon.trace_fp);
}

/* Sleep until the next sample is due or stop() writes the eventfd: one
 * ppoll a wake-up, nothing held while sleeping. */
static int sleep_interval(struct timespec *next)
{
    struct timespec now, left;
    struct pollfd pfd = {mon.wake_fd, POLLIN, 0};

    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns =
        (long long)(next->tv_sec - now.tv_sec) * 1000000000LL + (next->tv_nsec - now.tv_nsec);
    if (ns < 0)
        ns = 0;
    left.tv_sec = (time_t)(ns / 1000000000LL);
    left.tv_nsec = (long)(ns % 1000000000LL);
    return ppoll(&pfd, 1, &left, NULL) > 0; /* 1: asked to stop */
}

static void advance(struct timespec *t, double seconds)
{
    double s = (double)t->tv_sec + (double)t->tv_nsec / 1e9 + seconds;

    t->tv_sec = (time_t)s;
    t->tv_nsec = (long)((s - (double)t->tv_sec) * 1e9);
}

/* The thread is created, or has ended (0), or is about to be asked to
 * end (1): fork_prepare waits while it is in between. */
static void set_moving(int moving)
{
    pthread_mutex_lock(&mon.lock);
    mon.moving = moving;
    if (!moving)
        pthread_cond_broadcast(&mon.still);
    pthread_mutex_unlock(&mon.lock);
}

static void *sampler(void *arg)
{
    struct timespec next;

    (void)arg;
    on_sampler = 1;
    set_moving(0); /* running: the thread's start-up is over */
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        gcp_tl_sample s = {0};
        advance(&next, mon.interval);
        if (sleep_interval(&next))
            break;
        if (mon.fp)
            read_sample(&s);
        pthread_mutex_lock(&mon.lock);
        write_interval(&s);
        int say = mon.write_error && !mon.said_write_error, err = mon.write_errno;
        mon.said_write_error |= say;
        pthread_mutex_unlock(&mon.lock);
        /* No caller is there to be told now: the log hook is (once; and
         * gcp_monitor_stop returns GCP_EIO). Not under mon.lock: the hook
         * may call gcp_monitor_label. */
        if (say)
            gcp__log(GCP_LOG_ERROR,
                     "monitor: cannot write the timeline: %s; it goes on, and "
                     "gcp_monitor_stop will return GCP_EIO",
                     err ? strerror(err) : "write error");
    }
    return NULL;
}

/* ---- fork ------------------------------------------------------------- */

/* The child of a fork has no sampler thread, and shares the file and the
 * eventfd with its parent: a write or a stop there would land in the
 * parent's file or stop the parent's sampler. So the child's copy is made
 * inert: not running, its descriptors closed without a write. Buffers are
 * flushed before the fork, so that the child's exit() cannot write the
 * parent's records a second time. mon.lock nests no lock, so taking it
 * here cannot deadlock with the collector's own fork handlers.
 *
 * Nor does the fork happen while the sampler thread is being created or
 * is ending (mon.moving): that code, the C library's and a sanitizer
 * runtime's, allocates, and takes locks a fork does not reset. GCC 12's
 * AddressSanitizer has no fork handler: a fork while the new thread
 * refilled its allocator cache (calloc in pthread_getattr_np, from ASan's
 * thread start) left that size class's lock held in the child for good,
 * and the child's own sampler hung at its start (6 of 300 runs of
 * tests/check_monitor_fork under ASan). The wait needs nothing the forking thread
 * holds: creation and the way out of the loop take mon.lock only, which
 * the wait lets go. The sampler itself (a log hook that forks) does not
 * wait for its own end. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&mon.lock);
    while (mon.moving && !on_sampler)
        pthread_cond_wait(&mon.still, &mon.lock);
    if (mon.fp)
        fflush(mon.fp);
    if (mon.trace_fp)
        fflush(mon.trace_fp);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&mon.lock);
}

static void fork_child(void)
{
    /* Nobody else is here to wait on it (a parent's thread may have been). */
    pthread_cond_init(&mon.still, NULL);
    mon.moving = 0;
    pthread_mutex_unlock(&mon.lock); /* the forking thread took it */
    /* A thread of the parent may have been starting or stopping. */
    pthread_mutex_init(&start_stop, NULL);
    if (atomic_load(&gcp__monitor_on) || mon.fp)
        inherited_from = mon.owner;
    atomic_store(&gcp__monitor_on, 0);
    gcp__events_record(0);
    if (mon.wake_fd >= 0)
        close(mon.wake_fd);
    mon.wake_fd = -1;
    if (mon.out.fp)
        gcp__file_forget(&mon.out);
    mon.fp = NULL;
    mon.trace_fp = NULL;
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
    mon.fp = o->fp;
    if (o->path && !o->fp) {
        const char *why = gcp__file_open(&mon.out, o->path);
        if (why)
            return gcp__fail(GCP_EIO, "gcp_monitor_start: cannot write '%s': %s", o->path, why);
        mon.fp = mon.out.fp;
    }
    return 0;
}

/* Drops the file start opened (start failed): the target is untouched. */
static void close_stream(void)
{
    if (mon.out.fp)
        gcp__file_discard(&mon.out);
    mon.fp = NULL;
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
    mon.format = o->format == GCP_MONITOR_JSONL ? GCP_TL_JSONL : GCP_TL_DAT;
    mon.trace_fp = o->trace ? (o->trace_fp ? o->trace_fp : stderr) : NULL;
    mon.interval = o->interval != 0 ? o->interval : GCP__MONITOR_DEFAULT_INTERVAL;
    mon.write_error = 0;
    mon.write_errno = 0;
    mon.said_write_error = 0;
    mon.said_no_rss = 0;
    mon.from_env = from_env;
    mon.owner = getpid();
    inherited_from = 0;
    if (mon.fp && !o->cmdline)
        read_cmdline(cmdline, sizeof cmdline);
    mon.wake_fd = eventfd(0, EFD_CLOEXEC);
    if (mon.wake_fd < 0) {
        close_stream();
        pthread_mutex_unlock(&start_stop);
        return gcp__fail(GCP_EIO, "gcp_monitor_start: no eventfd: %s", strerror(errno));
    }
    gcp__events_acquire();
    /* The trace's origin and the file's start, read together: the share of
     * time in collections is over the time since the start in the file. */
    gcp__events_begin();
    mon.start_real = gcp__tl_now();
    if (mon.fp)
        gcp__tl_meta(mon.fp, mon.format, o->cmdline ? o->cmdline : cmdline, (long)getpid(),
                     mon.start_real, mon.interval);
    gcp__events_record(1);
    atomic_store(&gcp__monitor_on, 1);
    set_moving(1);
    if (pthread_create(&mon.thread, NULL, sampler, NULL) != 0) {
        set_moving(0);
        atomic_store(&gcp__monitor_on, 0);
        gcp__events_record(0);
        gcp__events_release();
        close_stream();
        close(mon.wake_fd);
        pthread_mutex_unlock(&start_stop);
        return gcp__fail(GCP_ENOMEM, "gcp_monitor_start: cannot start its thread");
    }
    /* Returned with the thread running: the caller's next fork() does not
     * wait in fork_prepare. */
    pthread_mutex_lock(&mon.lock);
    while (mon.moving)
        pthread_cond_wait(&mon.still, &mon.lock);
    pthread_mutex_unlock(&mon.lock);
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
    if (atomic_load(&gcp__monitor_on) && mon.owner == getpid())
        return 0;
    if (inherited_from || atomic_load(&gcp__monitor_on))
        return gcp__fail(GCP_ESTATE, "%s: the monitor belongs to process %ld, not this child", fn,
                         (long)(inherited_from ? inherited_from : mon.owner));
    return gcp__fail(GCP_ESTATE, "%s: no monitor is running", fn);
}

/* The end record, then the file closed (and renamed into place when the
 * monitor created it). 1 when anything failed. */
static int finish_stream(const char **why)
{
    int failed = mon.write_error;

    *why = NULL;
    if (!mon.fp)
        return failed;
    gcp__tl_end(mon.fp, mon.format, gcp__tl_now());
    if (mon.out.fp) {
        *why = gcp__file_commit(&mon.out);
        failed |= *why != NULL;
    } else {
        failed |= !gcp__flushed(mon.fp);
    }
    mon.fp = NULL;
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
    set_moving(1); /* until joined: the thread's way out frees its memory */
    if (write(mon.wake_fd, &one, sizeof one) != sizeof one)
        gcp__log(GCP_LOG_WARN, "gcp_monitor_stop: cannot wake the sampler; waiting for it");
    pthread_join(mon.thread, NULL);
    set_moving(0);
    close(mon.wake_fd);
    mon.wake_fd = -1;

    /* Nothing is recorded any more: the final interval and the end mark. */
    gcp__events_record(0);
    gcp__events_release();
    if (mon.fp)
        read_sample(&s);
    pthread_mutex_lock(&mon.lock);
    atomic_store(&gcp__monitor_on, 0);
    write_interval(&s);
    int failed = finish_stream(&why), from_env = mon.from_env;
    pthread_mutex_unlock(&mon.lock);
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

    if (!atomic_load(&gcp__monitor_on) || pthread_getcpuclockid(mon.thread, &clock) != 0 ||
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
    pthread_mutex_lock(&mon.lock);
    *format = mon.format;
    if (said_no_rss)
        *said_no_rss = &mon.said_no_rss;
    return mon.fp;
}

void gcp__monitor_unlock(void)
{
    pthread_mutex_unlock(&mon.lock);
}
