/*
 * gc_meter.c - what the event hook adds up for the metrics endpoint
 * (runtime/serve/): a histogram of pauses and one of collections, and
 * the collections the program asked for. Lock-free: the hook observes
 * under the collector's lock, scrapes read relaxed.
 *
 * Only collections that send events are seen: bdwgc 8.2.2 sends none for
 * incremental ones (BDWGC-NOTES.md), so a program in incremental mode
 * shows its collections in bdwgc_collections_total (the collector's own
 * count) but not in the histograms.
 *
 * The hook itself is the caller's to install (gcp__events_acquire): the
 * hook calls in here, so this file does not call it back.
 */
#include "collect.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned meters;      /* under lock */
static _Atomic int metering; /* meters > 0, for the hook */
static gcp__hist pauses, durations;
static _Atomic uint64_t forced;

void gcp__meter_acquire(void)
{
    /* Before the lock: it may run finalizers, which may call us. */
    gcp__explicit_learn(); /* which collections the program asked for */
    pthread_mutex_lock(&lock);
    if (meters++ == 0) {
        /* No hook observes while metering is 0: safe to clear. */
        gcp__hist_init_gc_seconds(&pauses);
        gcp__hist_init_gc_seconds(&durations);
        atomic_store(&forced, 0);
        atomic_store(&metering, 1);
    }
    pthread_mutex_unlock(&lock);
}

void gcp__meter_release(void)
{
    pthread_mutex_lock(&lock);
    if (meters > 0 && --meters == 0) {
        atomic_store(&metering, 0);
    }
    pthread_mutex_unlock(&lock);
}

void gcp__meter_forked(void)
{
    pthread_mutex_init(&lock, NULL); /* another thread may have held it */
}

int gcp__metering(void)
{
    return atomic_load_explicit(&metering, memory_order_relaxed);
}

void gcp__meter_pause(uint64_t ns)
{
    if (gcp__metering())
        gcp__hist_observe(&pauses, ns);
}

void gcp__meter_collection(uint64_t ns, int asked_for)
{
    if (!gcp__metering())
        return;
    gcp__hist_observe(&durations, ns);
    if (asked_for)
        atomic_fetch_add_explicit(&forced, 1, memory_order_relaxed);
}

void gcp__meter_read(const gcp__hist **p, const gcp__hist **d, uint64_t *asked_for)
{
    *p = &pauses;
    *d = &durations;
    *asked_for = atomic_load_explicit(&forced, memory_order_relaxed);
}
