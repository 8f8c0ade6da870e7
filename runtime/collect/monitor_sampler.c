/*
 * monitor_sampler.c - the monitor's thread: every interval it samples RSS
 * and the GC heap and writes the collections the event hook recorded
 * (monitor.c starts and stops it). Its state lives here, gcp__mon.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll */
#endif
#include "collect.h"
#include "monitor_state.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

gcp__monitor_state gcp__mon = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1, .still = PTHREAD_COND_INITIALIZER};
_Thread_local int gcp__monitor_on_sampler;

/* ---- writing (caller holds gcp__mon.lock) ---------------------------------- */

/* Read before taking gcp__mon.lock: the collector's getters take its lock, and
 * gcp__mon.lock must nest no other lock (fork_prepare takes it). */
void gcp__monitor_read_sample(gcp_tl_sample *s)
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
        if (gcp__mon.fp)
            gcp__tl_gc(gcp__mon.fp, gcp__mon.format, &gc);
        if (gcp__mon.trace_fp)
            gcp__tl_gctrace(gcp__mon.trace_fp, &gc, &fig);
    }
}

/* One interval's work: the sample, the collections since the last, flush. */
void gcp__monitor_write_interval(const gcp_tl_sample *s)
{
    errno = 0; /* what a failed write below sets */
    if (gcp__mon.fp)
        gcp__tl_sample(gcp__mon.fp, gcp__mon.format, s);
    write_collections();
    if (gcp__mon.fp && !gcp__flushed(gcp__mon.fp) && !gcp__mon.write_error) {
        gcp__mon.write_error = 1;
        gcp__mon.write_errno = errno;
    }
    if (gcp__mon.trace_fp)
        fflush(gcp__mon.trace_fp);
}

/* Sleep until the next sample is due or stop() writes the eventfd: one
 * ppoll a wake-up, nothing held while sleeping. */
static int sleep_interval(struct timespec *next)
{
    struct timespec now, left;
    struct pollfd pfd = {gcp__mon.wake_fd, POLLIN, 0};

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

void gcp__monitor_set_moving(int moving)
{
    pthread_mutex_lock(&gcp__mon.lock);
    gcp__mon.moving = moving;
    if (!moving)
        pthread_cond_broadcast(&gcp__mon.still);
    pthread_mutex_unlock(&gcp__mon.lock);
}

void *gcp__monitor_sampler(void *arg)
{
    struct timespec next;

    (void)arg;
    gcp__monitor_on_sampler = 1;
    gcp__monitor_set_moving(0); /* running: the thread's start-up is over */
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        gcp_tl_sample s = {0};
        advance(&next, gcp__mon.interval);
        if (sleep_interval(&next))
            break;
        if (gcp__mon.fp)
            gcp__monitor_read_sample(&s);
        pthread_mutex_lock(&gcp__mon.lock);
        gcp__monitor_write_interval(&s);
        int say = gcp__mon.write_error && !gcp__mon.said_write_error, err = gcp__mon.write_errno;
        gcp__mon.said_write_error |= say;
        pthread_mutex_unlock(&gcp__mon.lock);
        /* No caller is there to be told now: the log hook is (once; and
         * gcp_monitor_stop returns GCP_EIO). Not under gcp__mon.lock: the hook
         * may call gcp_monitor_label. */
        if (say)
            gcp__log(GCP_LOG_ERROR,
                     "monitor: cannot write the timeline: %s; it goes on, and "
                     "gcp_monitor_stop will return GCP_EIO",
                     err ? strerror(err) : "write error");
    }
    return NULL;
}

