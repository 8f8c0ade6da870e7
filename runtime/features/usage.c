/*
 * usage.c - gcp_memory_usage: RSS and the GC heap sampled while a closure
 * runs (memory_profiler's memory_usage), kept in memory for the caller.
 *
 * The sampler is a plain thread, made with the real pthread_create as the
 * monitor's is: it never touches collected memory and reads only
 * /proc/self/statm (procfs.c, kept open) and GC_get_heap_size /
 * GC_get_free_bytes, which in bdwgc 8.2.2 are two loads and a subtraction
 * each, no lock (objdump of Debian's libgc.so.1.5.1), so the collector
 * need neither stop nor scan it. Its signals are blocked: a program's
 * handler must not run on a thread the collector does not know.
 *
 * Samples go to a malloc'd array. The sampler holds the mutex while it
 * reads and stores; the end sample is read under the same mutex, with the
 * stop flag set in the same breath, so every kept sample comes before it.
 *
 * Bounded: once max_samples would be exceeded, every second sample is
 * dropped and from then on only every (2 * stride)-th reading is kept.
 * Position p holds reading p * stride (the start is reading 0), so the
 * kept samples stay evenly spaced over the whole call. The maxima are
 * taken over every reading, kept or not.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include "collect.h"
#include "usage.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The real ones (see above): the collector's pthread_join crashes on a
 * thread it did not create (bdwgc 8.2.2). */
#undef pthread_create
#undef pthread_join

#define DEFAULT_INTERVAL    0.01
#define MIN_INTERVAL        0.001 /* as the monitor's */
#define MAX_INTERVAL        3600.0
#define DEFAULT_MAX_SAMPLES 100000
#define MAX_MAX_SAMPLES     10000000
#define FIRST_ALLOC         256

typedef struct reading {
    uint64_t ns;  /* gcp__now_ns() */
    uint64_t rss; /* 0: not read, or unreadable */
    uint64_t in_use, size;
} reading;

struct gcp_usage {
    pthread_mutex_t lock; /* the fields below, while the sampler runs */
    pthread_cond_t wake;  /* the stop flag was set, or the sampler runs */
    int stop;
    int running; /* the sampler has entered its loop */
    int use_rss;
    uint64_t interval_ns;
    reading *s;        /* kept samples; s[0] is the start */
    reading spare[2];  /* a forked child's samples when s may be torn */
    reading first;     /* the start, kept apart for that child */
    size_t n, alloc;   /* kept, and room; alloc >= n + 1 (the end's slot) */
    size_t cap;        /* max_samples */
    uint64_t stride;   /* keep readings whose index is a multiple of it */
    uint64_t readings; /* taken, the start included */
    uint64_t max_rss, max_heap;
    double interval; /* the options', in seconds */
    int status;
    pid_t owner;
};

static _Atomic uint64_t sampler_readings;

uint64_t gcp__usage_sampler_readings(void)
{
    return atomic_load(&sampler_readings);
}

/* ---- readings ----------------------------------------------------------- */

static void take(const gcp_usage *u, reading *r)
{
    r->ns = gcp__now_ns();
    r->rss = u->use_rss ? gcp__rss_bytes() : 0;
    uint64_t size = GC_get_heap_size(), free_bytes = GC_get_free_bytes();
    r->size = size;
    /* Two unlocked loads may straddle a change: never wrap around. */
    r->in_use = size > free_bytes ? size - free_bytes : 0;
}

/* Counts r into the maxima; returns its index (the start's is 0). */
static uint64_t note(gcp_usage *u, const reading *r)
{
    if (r->rss > u->max_rss)
        u->max_rss = r->rss;
    if (r->in_use > u->max_heap)
        u->max_heap = r->in_use;
    return u->readings++;
}

/* Room for one more kept sample besides the end's slot. */
static int has_room(gcp_usage *u)
{
    if (u->n + 1 < u->alloc)
        return 1;
    if (u->alloc >= u->cap)
        return 0;
    size_t want = u->alloc * 2 < u->cap ? u->alloc * 2 : u->cap;
    reading *s = realloc(u->s, want * sizeof *s);
    if (!s)
        return 0; /* out of memory: dropping samples makes room */
    u->s = s;
    u->alloc = want;
    return 1;
}

/* Every second kept sample goes (the start stays); keep half as often. */
static void halve(gcp_usage *u)
{
    size_t k = 0;

    for (size_t p = 0; p < u->n; p += 2)
        u->s[k++] = u->s[p];
    u->n = k;
    u->stride *= 2;
}

static void keep(gcp_usage *u, const reading *r, uint64_t index)
{
    if (index % u->stride != 0)
        return;
    if (!has_room(u)) {
        if (u->n < 2)
            return; /* only the start is kept (max_samples 2): nothing to drop */
        halve(u);
        if (index % u->stride != 0)
            return;
    }
    u->s[u->n++] = *r;
}

/* ---- the sampler thread ----------------------------------------------- */

static void deadline(struct timespec *ts, uint64_t ns)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *sampler(void *arg)
{
    gcp_usage *u = arg;
    uint64_t t0 = u->first.ns, k = 0;

    pthread_setname_np(pthread_self(), "gcprof-usage");
    pthread_mutex_lock(&u->lock);
    u->running = 1;
    pthread_cond_broadcast(&u->wake);
    while (!u->stop) {
        struct timespec ts;
        uint64_t now = gcp__now_ns(), due = t0 + ++k * u->interval_ns;
        if (due <= now) { /* fell behind (a busy machine): no burst to catch up */
            k = (now - t0) / u->interval_ns + 1;
            due = t0 + k * u->interval_ns;
        }
        deadline(&ts, due);
        int rc = 0;
        while (!u->stop && rc == 0)
            rc = pthread_cond_timedwait(&u->wake, &u->lock, &ts);
        if (u->stop)
            break;
        reading r;
        take(u, &r);
        keep(u, &r, note(u, &r));
        atomic_fetch_add(&sampler_readings, 1);
    }
    pthread_mutex_unlock(&u->lock);
    return NULL;
}

/* Started with every signal blocked (the collector's pthread_sigmask keeps
 * its own signals open, which this thread is never sent), and waited for
 * until it runs: fn may fork, and a fork while the new thread is still
 * starting (the C library's and a sanitizer runtime's code, which
 * allocates and takes locks no fork resets) could leave the child a lock
 * held for good (the monitor's thread did, under GCC 12's ASan: monitor.c). */
static int start_sampler(gcp_usage *u, pthread_t *thread)
{
    sigset_t all, old;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(thread, NULL, sampler, u);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) {
        pthread_mutex_lock(&u->lock);
        while (!u->running)
            pthread_cond_wait(&u->wake, &u->lock);
        pthread_mutex_unlock(&u->lock);
    }
    return rc;
}

/* ---- the call ---------------------------------------------------------- */

static int check_options(const gcp_usage_options *o)
{
    if (!isfinite(o->interval) || o->interval < 0 ||
        (o->interval != 0 && (o->interval < MIN_INTERVAL || o->interval > MAX_INTERVAL)))
        return gcp__fail(GCP_EINVAL,
                         "gcp_memory_usage: interval must be 0 (the default, %g s) or from %g "
                         "to %g s, got %g",
                         DEFAULT_INTERVAL, MIN_INTERVAL, MAX_INTERVAL, o->interval);
    if (o->heap_only != 0 && o->heap_only != 1)
        return gcp__fail(GCP_EINVAL, "gcp_memory_usage: heap_only must be 0 or 1, got %d",
                         o->heap_only);
    if (o->max_samples == 1 || o->max_samples > MAX_MAX_SAMPLES)
        return gcp__fail(GCP_EINVAL,
                         "gcp_memory_usage: max_samples must be 0 (the default, %d) or from 2 "
                         "to %d, got %zu",
                         DEFAULT_MAX_SAMPLES, MAX_MAX_SAMPLES, o->max_samples);
    for (size_t i = 0; i < sizeof o->reserved_ / sizeof o->reserved_[0]; i++)
        if (o->reserved_[i] != 0)
            return gcp__fail(GCP_EINVAL,
                             "gcp_memory_usage: reserved_[%zu] must be 0, got %llu (a field "
                             "this version does not know)",
                             i, (unsigned long long)o->reserved_[i]);
    return 0;
}

static gcp_usage *usage_new(const gcp_usage_options *o)
{
    gcp_usage *u = calloc(1, sizeof *u);

    if (!u)
        return NULL;
    u->interval = o->interval != 0 ? o->interval : DEFAULT_INTERVAL;
    u->interval_ns = (uint64_t)llround(u->interval * 1e9);
    u->cap = o->max_samples ? o->max_samples : DEFAULT_MAX_SAMPLES;
    u->alloc = u->cap < FIRST_ALLOC ? u->cap : FIRST_ALLOC;
    u->s = malloc(u->alloc * sizeof *u->s);
    if (!u->s) {
        free(u);
        return NULL;
    }
    u->stride = 1;
    u->owner = getpid();
    /* Without /proc (or with heap_only) the sampler never tries: the open
     * and its warning happen here, on the caller's thread. */
    u->use_rss = !o->heap_only && gcp__rss_available();
    return u;
}

static int sync_init(gcp_usage *u)
{
    pthread_condattr_t attr;

    if (pthread_mutex_init(&u->lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&attr) != 0)
        goto no_cond;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* gcp__now_ns's clock */
    if (rc == 0)
        rc = pthread_cond_init(&u->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc == 0)
        return 0;
no_cond:
    pthread_mutex_destroy(&u->lock);
    return -1;
}

static void sync_destroy(gcp_usage *u)
{
    pthread_cond_destroy(&u->wake);
    pthread_mutex_destroy(&u->lock);
}

/* In a child forked inside fn there is no sampler. Its copy of the samples
 * is whole when the mutex was free at the fork; otherwise the sampler was
 * storing one (the array may be mid-move): keep only the start. */
static void finish_in_child(gcp_usage *u)
{
    reading r;

    if (pthread_mutex_trylock(&u->lock) != 0) {
        u->s = u->spare; /* the old array is the parent's business: not freed */
        u->s[0] = u->first;
        u->n = 1;
        u->alloc = 2;
    }
    take(u, &r);
    note(u, &r);
    u->s[u->n++] = r;
}

static void finish(gcp_usage *u, pthread_t thread)
{
    reading r;

    if (getpid() != u->owner) {
        finish_in_child(u);
        return;
    }
    pthread_mutex_lock(&u->lock);
    take(u, &r); /* after every kept sample: the sampler is not reading now */
    u->stop = 1;
    pthread_cond_signal(&u->wake);
    pthread_mutex_unlock(&u->lock);
    pthread_join(thread, NULL);
    note(u, &r);
    u->s[u->n++] = r; /* alloc >= n + 1 always */
    sync_destroy(u);
}

int gcp_memory_usage(gcp_fn fn, void *env, const gcp_usage_options *opt, gcp_usage **out)
{
    static const gcp_usage_options defaults;
    pthread_t thread;

    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_memory_usage: out is NULL");
    *out = NULL;
    if (!fn)
        return gcp__fail(GCP_EINVAL, "gcp_memory_usage: fn is NULL");
    if (!opt)
        opt = &defaults;
    int rc = check_options(opt);
    if (rc < 0)
        return rc;
    gcp_init();
    gcp_usage *u = usage_new(opt);
    if (!u)
        return gcp__fail(GCP_ENOMEM, "gcp_memory_usage: no memory for the samples");
    if (sync_init(u) < 0) {
        gcp_usage_free(u);
        return gcp__fail(GCP_ENOMEM, "gcp_memory_usage: cannot make the sampler's mutex");
    }
    take(u, &u->first);
    note(u, &u->first);
    u->s[u->n++] = u->first;
    rc = start_sampler(u, &thread);
    if (rc != 0) {
        sync_destroy(u);
        gcp_usage_free(u);
        return gcp__fail(GCP_ENOMEM, "gcp_memory_usage: cannot start the sampler thread: %s",
                         strerror(rc));
    }
    u->status = fn(env);
    finish(u, thread);
    *out = u;
    return 0;
}

/* ---- the result -------------------------------------------------------- */

void gcp_usage_free(gcp_usage *u)
{
    if (!u)
        return;
    if (u->s != u->spare)
        free(u->s);
    free(u);
}

size_t gcp_usage_count(const gcp_usage *u)
{
    return u ? u->n : 0;
}

int gcp_usage_get(const gcp_usage *u, size_t i, gcp_usage_sample *out)
{
    if (!u || !out)
        return gcp__fail(GCP_EINVAL, "gcp_usage_get: %s is NULL", u ? "out" : "usage");
    if (i >= u->n)
        return gcp__fail(GCP_ERANGE, "gcp_usage_get: sample %zu of %zu", i, u->n);
    const reading *r = &u->s[i];
    memset(out, 0, sizeof *out);
    out->t = (double)(r->ns - u->s[0].ns) / 1e9;
    out->rss = r->rss;
    out->has_rss = r->rss != 0;
    out->heap_in_use = r->in_use;
    out->heap_size = r->size;
    return 0;
}

uint64_t gcp_usage_max_rss(const gcp_usage *u)
{
    return u ? u->max_rss : 0;
}

uint64_t gcp_usage_max_heap(const gcp_usage *u)
{
    return u ? u->max_heap : 0;
}

uint64_t gcp_usage_readings(const gcp_usage *u)
{
    return u ? u->readings : 0;
}

double gcp_usage_interval(const gcp_usage *u)
{
    return u ? u->interval * (double)u->stride : 0;
}

int gcp_usage_status(const gcp_usage *u)
{
    return u ? u->status : 0;
}
