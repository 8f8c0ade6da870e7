/*
 * gc_events.c - the collector's event hook: collection count, pauses,
 * time in collections, the heap high-water mark at each collection, and
 * each collection's cost and the heap it left for the GC policy.
 *
 * The hook runs with the allocation lock held and sometimes with the
 * world stopped: no allocation, no stdio, no locks, no locking getters.
 * It only reads the clock and lock-free getters and stores to statics.
 * There is one hook slot: we chain to the hook found at install time and
 * put it back on uninstall. While the monitor records, each event also
 * feeds a per-collection record (gc_record.c) that its thread drains.
 */
#include <gc/gc_mark.h> /* GC_enumerate_reachable_objects_inner */
#include <pthread.h>

#include "gc_record.h"
#include "collect.h"
#include "policy.h"
#include "heap_sample.h"
#include "scrub.h"

#define RELAXED memory_order_relaxed

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned users; /* changes 0 <-> 1 only under install_lock */
static GC_on_collection_event_proc chained;

/* Written only inside the hook (under the collector's lock). */
static uint64_t gc_started_ns, world_stopped_ns;
static int in_hook;
static _Atomic uint64_t total_collections, total_pause_ns, total_gc_ns;

static _Atomic int recording;        /* the monitor wants records */
static _Atomic int forcing;          /* gcp__forced_begin/end depth */
static int start_forced;             /* the START being fed was asked for (hook only) */
static gcp__gc_recorder recorder;    /* hook writes, monitor reads */
static uint64_t live_count_ns;       /* hook only: this collection's live count */

static void add(_Atomic uint64_t *v, uint64_t by)
{
    atomic_store_explicit(v, atomic_load_explicit(v, RELAXED) + by, RELAXED);
}

/* Events whose time anything uses: the totals need START,
 * PRE_STOP_WORLD, POST_START_WORLD and END; records also the mark and
 * reclaim bounds. One clock read per such event. */
static int timed(GC_EventType event, int rec)
{
    switch (event) {
    case GC_EVENT_START:
    case GC_EVENT_PRE_STOP_WORLD:
    case GC_EVENT_POST_START_WORLD:
    case GC_EVENT_END:
        return 1;
    case GC_EVENT_MARK_START:
    case GC_EVENT_MARK_END:
    case GC_EVENT_RECLAIM_START:
    case GC_EVENT_RECLAIM_END:
        return rec;
    default:
        return 0;
    }
}

static void GC_CALLBACK add_marked(void *obj, size_t bytes, void *sum)
{
    (void)obj;
    *(uint64_t *)sum += bytes;
}

static void record(GC_EventType event, uint64_t now, uint64_t heap_in_use)
{
    gcp__gc_event ev;

    /* Field by field: an initializer clears the whole struct first with
     * `rep stos`, whose start-up made a fifth of the recorder's time
     * (bench_monitor, live count aside: 212 ns with the initializer, 170
     * without). */
    ev.type = (int)event;
    ev.mono_ns = now;
    ev.heap_in_use = heap_in_use;
    ev.real = event == GC_EVENT_START ? gcp__fast_to_real(now) : 0;
    ev.forced = event == GC_EVENT_START ? start_forced : 0;
    ev.has_live = 0;
    ev.live = ev.own_ns = ev.gc_no = ev.heap_size = 0;
    ev.markers = 0;
    if (gcp__gc_event_wants_live((int)event)) {
        /* the bytes in marked objects: one pass over the mark bits, its
         * time taken out of the collection's (gc_record.h) */
        GC_enumerate_reachable_objects_inner(add_marked, &ev.live);
        ev.has_live = 1;
        ev.own_ns = gcp__fast_ns() - now;
        live_count_ns += ev.own_ns;
    }
    if (event == GC_EVENT_END) {
        ev.gc_no = GC_get_gc_no();
        ev.heap_size = GC_get_heap_size();
        ev.markers = GC_get_parallel() + 1;
    }
    gcp__gc_record_event(&recorder, &ev);
}

/* The totals, the shared high-water marks and, while the monitor records,
 * the per-collection record: everything the hook does for one event. */
void gcp__events_feed(int type)
{
    GC_EventType event = (GC_EventType)type;
    int rec = atomic_load_explicit(&recording, RELAXED);
    uint64_t now = timed(event, rec) ? gcp__fast_ns() : 0;
    uint64_t heap = 0;

    switch (event) {
    case GC_EVENT_START:
        gc_started_ns = now;
        heap = gcp__heap_in_use();
        gcp__marks_note_heap(heap);
        break;
    case GC_EVENT_PRE_STOP_WORLD:
        world_stopped_ns = now;
        break;
    case GC_EVENT_POST_START_WORLD:
        if (world_stopped_ns) {
            uint64_t pause = now - world_stopped_ns;
            add(&total_pause_ns, pause);
            gcp__marks_note_pause(pause);
            gcp__meter_pause(pause);
            world_stopped_ns = 0;
        }
        break;
    case GC_EVENT_END: {
        /* the collector's own time: without the record's live count */
        uint64_t spent = gc_started_ns && now - gc_started_ns > live_count_ns
                             ? now - gc_started_ns - live_count_ns
                             : 0;
        gcp__census_in_hook();
        heap = gcp__heap_in_use(); /* the policy's and the record's */
        gcp__gc_policy_note(GC_get_gc_no(), now, spent, heap);
        if (gc_started_ns) {
            add(&total_gc_ns, spent);
            gcp__meter_collection(spent, start_forced);
        }
        gc_started_ns = 0;
        live_count_ns = 0;
        add(&total_collections, 1);
        break;
    }
    case GC_EVENT_RECLAIM_END:
        /* mark bits final, and still there until the next collection */
        if (atomic_load_explicit(&gcp__heap_sampling, RELAXED))
            gcp__heap_sample_sweep();
        break;
    default:
        break;
    }
    if (rec)
        record(event, now, heap);
}

/* Events the collector sends before it scans the stack. */
static int before_stack_scan(GC_EventType event)
{
    return event == GC_EVENT_START || event == GC_EVENT_PRE_STOP_WORLD ||
           event == GC_EVENT_POST_STOP_WORLD || event == GC_EVENT_MARK_START;
}

/* Whether the program asked for the collection starting now: only records
 * and metrics carry it, so only while recording or metering. Where the call came from tells
 * (explicit_gc.c: one walk of a few frames). Without that, the profiler's
 * own collections are known by its bracket, which also catches another
 * thread's collection in the meantime. */
static int asked_for(const void *hook_return, int *walked)
{
    if (!atomic_load_explicit(&recording, RELAXED) && !gcp__metering())
        return 0;
    if (gcp__explicit_learnt()) {
        *walked = 1;
        return gcp__explicit_collection(hook_return);
    }
    return atomic_load_explicit(&forcing, RELAXED) > 0;
}

static void GC_CALLBACK on_event(GC_EventType event)
{
    GC_on_collection_event_proc next = chained;

    if (in_hook) /* a replaced hook chaining back to us: stop the loop */
        return;
    in_hook = 1;
    gcp__hook_here = 1;
    int walked = 0;
    if (event == GC_EVENT_START)
        start_forced = asked_for(__builtin_return_address(0), &walked);
    gcp__events_feed((int)event);
    if (next)
        next(event);
    gcp__hook_here = 0;
    in_hook = 0;
    /* Before the collector scans the stack, take back what our calls
     * left on it (scrub.h). */
    if (walked)
        gcp__wipe_below_sp(GCP__HOOK_UNWIND_STACK_BYTES);
    else if (before_stack_scan(event))
        gcp__wipe_below_sp(GCP__HOOK_STACK_BYTES);
}

/* Add one user when there already is one, without the lock. */
static int join_users(unsigned at_least)
{
    unsigned u = atomic_load(&users);

    while (u >= at_least)
        if (atomic_compare_exchange_weak(&users, &u, u + 1))
            return 1;
    return 0;
}

static int leave_users(void)
{
    unsigned u = atomic_load(&users);

    while (u > 1)
        if (atomic_compare_exchange_weak(&users, &u, u - 1))
            return 1;
    return 0;
}

void gcp__events_after_fork(void)
{
    pthread_mutex_init(&install_lock, NULL);
}

void gcp__events_acquire(void)
{
    gcp__fast_clock_init();
    if (join_users(1)) /* nested or concurrent: installed already */
        return;
    pthread_mutex_lock(&install_lock);
    if (atomic_fetch_add(&users, 1) == 0) {
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
    if (leave_users())
        return;
    pthread_mutex_lock(&install_lock);
    if (atomic_load(&users) > 0 && atomic_fetch_sub(&users, 1) == 1) {
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

void gcp__events_record(int on)
{
    atomic_store(&recording, on);
}

static void *GC_CALLBACK begin_locked(void *origin)
{
    gcp__gc_record_begin(&recorder, *(const uint64_t *)origin);
    return NULL;
}

uint64_t gcp__events_begin(void)
{
    uint64_t origin = gcp__fast_ns(); /* the hook's clock */

    /* under the collector's lock: no hook of an earlier recording is
     * still writing the recorder */
    GC_call_with_alloc_lock(begin_locked, &origin);
    return origin;
}

int gcp__events_pop(gcp_tl_gc *out, gcp__gc_trace_figures *figures)
{
    return gcp__gc_record_pop(&recorder, out, figures);
}

void gcp__events_record_counts(uint64_t *recorded, uint64_t *dropped, double *gc_seconds)
{
    if (recorded)
        *recorded = atomic_load(&recorder.recorded);
    if (dropped)
        *dropped = atomic_load(&recorder.dropped);
    if (gc_seconds)
        *gc_seconds = atomic_load(&recorder.gc_seconds);
}

void gcp__forced_begin(void)
{
    atomic_fetch_add(&forcing, 1);
}

void gcp__forced_end(void)
{
    atomic_fetch_sub(&forcing, 1);
}
