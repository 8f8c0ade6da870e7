/*
 * hold.c - holding automatic collection off while a closure runs, bounded.
 *
 * GC_disable() would also make GC_gcollect() a no-op and cannot be told
 * apart from the application's own GC_disable(), so we use the
 * automatic-collection flag instead. It is a flag, not a counter: the
 * nesting is ours to keep. The bound is checked on the runtime's
 * allocation slow path (the collector's own hooks run under its lock,
 * where the flag's setter would deadlock).
 */
#include <pthread.h>

#include "heap.h"

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned holds;
/* This thread's share of holds: all a forked child keeps (its other
 * threads, and the profiles that took their holds, are not there). */
static _Thread_local unsigned holds_mine;
static int saved_setting;
static _Atomic uint64_t limit_now; /* 0: nothing to enforce */
static _Atomic uint64_t min_free_now; /* 0: no floor on free space */
static _Atomic unsigned releases;
static int quiet_release; /* adaptive holds expect to give way: no warning */

void gcp__hold_acquire(uint64_t limit_bytes, uint64_t min_free, int quiet)
{
    pthread_mutex_lock(&hold_lock);
    holds_mine++;
    if (holds++ == 0) {
        saved_setting = GC_get_disable_automatic_collection();
        /* Already off by the application's choice: leave it, and never
         * switch it back on through the bound. */
        if (!saved_setting) {
            GC_set_disable_automatic_collection(1);
            quiet_release = quiet;
            atomic_store(&min_free_now, min_free);
            atomic_store(&limit_now, limit_bytes);
        }
    }
    pthread_mutex_unlock(&hold_lock);
}

void gcp__hold_release(void)
{
    pthread_mutex_lock(&hold_lock);
    if (holds_mine > 0)
        holds_mine--;
    if (holds > 0 && --holds == 0) {
        atomic_store(&limit_now, 0);
        GC_set_disable_automatic_collection(saved_setting);
    }
    pthread_mutex_unlock(&hold_lock);
}

void gcp__hold_after_fork(void)
{
    pthread_mutex_init(&hold_lock, NULL); /* a parent's thread may have held it */
    if (holds == holds_mine)
        return;
    holds = holds_mine;
    /* The setter takes bdwgc's lock: free in the child, as bdwgc's own
     * fork handlers (registered at GC_INIT, before this one: start.c runs
     * after the collector's set-up) run first and release it. */
    if (holds == 0) { /* every hold was another thread's: as before the first */
        atomic_store(&limit_now, 0);
        GC_set_disable_automatic_collection(saved_setting);
    }
}

unsigned gcp__hold_releases(void)
{
    return atomic_load(&releases);
}

/* The heap grew past the limit, or is about to grow: with automatic
 * collection off, bdwgc grows the heap (by a third of it at a time) when
 * it runs out of free blocks, so a floor on free space must give way
 * before that happens. */
static int bound_reached(uint64_t limit)
{
    uint64_t min_free = atomic_load_explicit(&min_free_now, memory_order_relaxed);

    return (uint64_t)GC_get_heap_size() > limit ||
           (min_free > 0 && (uint64_t)GC_get_free_bytes() < min_free);
}

void gcp__hold_check(void)
{
    uint64_t limit = atomic_load_explicit(&limit_now, memory_order_relaxed);

    if (limit == 0 || !bound_reached(limit))
        return;
    pthread_mutex_lock(&hold_lock);
    if (atomic_load(&limit_now) != 0) {
        atomic_store(&limit_now, 0);
        GC_set_disable_automatic_collection(0);
        atomic_fetch_add(&releases, 1);
        if (!quiet_release)
            gcp__log(GCP_LOG_WARN,
                     "GC heap passed hold_limit_mb (%.1f MiB): automatic "
                     "collection allowed again",
                     (double)limit / 1048576.0);
    }
    pthread_mutex_unlock(&hold_lock);
}
