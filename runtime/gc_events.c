/*
 * gc_events.c - the collector's event hook: collection count, pauses,
 * time in collections, and the heap high-water mark at each collection.
 *
 * The hook runs with the allocation lock held and sometimes with the
 * world stopped: no allocation, no stdio, no locks, no locking getters.
 * It only reads the clock and lock-free getters and stores to statics.
 * There is one hook slot: we chain to the hook found at install time and
 * put it back on uninstall.
 */
#include <pthread.h>

#include "internal.h"

#define RELAXED memory_order_relaxed

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned users;
static GC_on_collection_event_proc chained;

/* Written only inside the hook (under the collector's lock). */
static uint64_t gc_started_ns, world_stopped_ns;
static int in_hook;
static _Atomic uint64_t total_collections, total_pause_ns, total_gc_ns;

static void add(_Atomic uint64_t *v, uint64_t by)
{
    atomic_store_explicit(v, atomic_load_explicit(v, RELAXED) + by, RELAXED);
}

static void GC_CALLBACK on_event(GC_EventType event)
{
    GC_on_collection_event_proc next = chained;

    if (in_hook) /* a replaced hook chaining back to us: stop the loop */
        return;
    in_hook = 1;
    switch (event) {
    case GC_EVENT_START:
        gc_started_ns = gcp__now_ns();
        gcp__marks_note_heap(gcp__heap_in_use());
        break;
    case GC_EVENT_PRE_STOP_WORLD:
        world_stopped_ns = gcp__now_ns();
        break;
    case GC_EVENT_POST_START_WORLD:
        if (world_stopped_ns) {
            uint64_t pause = gcp__now_ns() - world_stopped_ns;
            add(&total_pause_ns, pause);
            gcp__marks_note_pause(pause);
            world_stopped_ns = 0;
        }
        break;
    case GC_EVENT_END:
        if (gc_started_ns)
            add(&total_gc_ns, gcp__now_ns() - gc_started_ns);
        gc_started_ns = 0;
        add(&total_collections, 1);
        break;
    default:
        break;
    }
    if (next)
        next(event);
    in_hook = 0;
}

void gcp__events_acquire(void)
{
    pthread_mutex_lock(&install_lock);
    if (users++ == 0) {
        GC_on_collection_event_proc current = GC_get_on_collection_event();
        if (current != on_event) {
            chained = current;
            GC_set_on_collection_event(on_event);
        }
    }
    pthread_mutex_unlock(&install_lock);
}

void gcp__events_release(void)
{
    pthread_mutex_lock(&install_lock);
    if (users > 0 && --users == 0) {
        /* If someone installed a hook over ours meanwhile, theirs stays:
         * ours then only forwards when they chain to it. */
        if (GC_get_on_collection_event() == on_event)
            GC_set_on_collection_event(chained);
    }
    pthread_mutex_unlock(&install_lock);
}

void gcp__events_totals(gcp__gc_totals *out)
{
    out->collections = atomic_load_explicit(&total_collections, RELAXED);
    out->pause_ns = atomic_load_explicit(&total_pause_ns, RELAXED);
    out->gc_ns = atomic_load_explicit(&total_gc_ns, RELAXED);
}
