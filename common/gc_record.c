/*
 * gc_record.c - one record per collection from the collector's events.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h> /* GC_EventType values only: nothing is called */

#include "gc_record.h"

#define RELAXED memory_order_relaxed

int gcp__gc_event_wants_heap(int type)
{
    return type == GC_EVENT_START || type == GC_EVENT_END;
}

int gcp__gc_event_world(int type)
{
    return type == GC_EVENT_PRE_STOP_WORLD ? 1 : type == GC_EVENT_POST_START_WORLD ? -1 : 0;
}

int gcp__gc_event_wants_live(int type)
{
    return type == GC_EVENT_RECLAIM_END;
}

int gcp__gc_event_wants_real(int type)
{
    return type == GC_EVENT_START;
}

static double seconds(uint64_t from, uint64_t to)
{
    return from && to > from ? (double)(to - from) / 1e9 : 0.0;
}

/* Go's three clock phases, disjoint and adding up to the total: up to the
 * first MARK_START (stopping the world, preparing), marking (the first
 * MARK_START to the last MARK_END), and the rest (restarting the world,
 * finalization, the start of sweeping). */
static void phases(const gcp__gc_recorder *r, uint64_t end_ns, double out[3])
{
    uint64_t m0 = r->t_mark_first ? r->t_mark_first : r->t_start;
    uint64_t m1 = r->t_mark_last > m0 ? r->t_mark_last : m0;

    if (m1 > end_ns)
        m1 = end_ns;
    if (m0 > m1)
        m0 = m1;
    out[0] = seconds(r->t_start, m0);
    out[1] = seconds(m0, m1);
    out[2] = seconds(m1, end_ns);
}

/* The trace figures of the collection ending at end_ns, which lasted total
 * seconds: it is counted (and so are dropped records) whatever happens to
 * its record. */
static gcp__gc_trace_figures figures(gcp__gc_recorder *r, const gcp__gc_event *ev, uint64_t end_ns,
                                     double total)
{
    gcp__gc_trace_figures f = {0};

    if (!r->origin_ns || r->t_start < r->origin_ns)
        return f; /* not begun, or it started before the origin */
    f.heap_size = ev->heap_size;
    f.markers = ev->markers;
    phases(r, end_ns, f.phase);
    r->session_gc += total;
    f.since = seconds(r->origin_ns, r->t_start);
    double elapsed = seconds(r->origin_ns, end_ns);
    f.share = elapsed > 0 ? r->session_gc / elapsed : 0;
    return f;
}

static void finish(gcp__gc_recorder *r, const gcp__gc_event *ev)
{
    uint64_t head = atomic_load_explicit(&r->head, RELAXED);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint64_t end_ns = ev->mono_ns - (r->own_ns < ev->mono_ns ? r->own_ns : 0);
    double total = seconds(r->t_start, end_ns);
    gcp__gc_trace_figures fig = figures(r, ev, end_ns, total);

    atomic_store_explicit(&r->recorded, atomic_load_explicit(&r->recorded, RELAXED) + 1, RELAXED);
    atomic_store_explicit(&r->gc_seconds, atomic_load_explicit(&r->gc_seconds, RELAXED) + total,
                          RELAXED);
    if (head - tail >= GCP_GC_RING) {
        atomic_store_explicit(&r->dropped, atomic_load_explicit(&r->dropped, RELAXED) + 1,
                              RELAXED);
        return;
    }
    gcp_tl_gc *gc = &r->ring[head % GCP_GC_RING];
    gc->n = ev->gc_no;
    gc->t = r->real_start;
    gc->pause = r->pause;
    gc->mark = r->mark;
    gc->reclaim = r->reclaim;
    gc->total = total;
    gc->heap_before = r->heap_before;
    gc->heap_after = ev->heap_in_use;
    gc->forced = r->forced;
    gc->has_live = r->has_live;
    gc->live = r->live;
    gc->pid = 0;
    r->figures[head % GCP_GC_RING] = fig;
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

void gcp__gc_record_event(gcp__gc_recorder *r, const gcp__gc_event *ev)
{
    switch (ev->type) {
    case GC_EVENT_START:
        r->t_start = ev->mono_ns;
        r->real_start = ev->real;
        r->heap_before = ev->heap_in_use;
        r->forced = ev->forced;
        r->pause = r->mark = r->reclaim = 0;
        r->t_stopped = r->t_mark = r->t_reclaim = 0;
        r->t_mark_first = r->t_mark_last = r->own_ns = 0;
        r->has_live = 0;
        r->live = 0;
        break;
    case GC_EVENT_PRE_STOP_WORLD:
        r->t_stopped = ev->mono_ns;
        break;
    case GC_EVENT_POST_START_WORLD:
        r->pause += seconds(r->t_stopped, ev->mono_ns);
        r->t_stopped = 0;
        break;
    case GC_EVENT_MARK_START:
        r->t_mark = ev->mono_ns;
        if (!r->t_mark_first)
            r->t_mark_first = ev->mono_ns;
        break;
    case GC_EVENT_MARK_END:
        r->mark += seconds(r->t_mark, ev->mono_ns);
        r->t_mark_last = ev->mono_ns;
        break;
    case GC_EVENT_RECLAIM_START:
        r->t_reclaim = ev->mono_ns;
        break;
    case GC_EVENT_RECLAIM_END:
        r->reclaim += seconds(r->t_reclaim, ev->mono_ns);
        r->own_ns += ev->own_ns;
        if (ev->has_live) {
            r->has_live = 1;
            r->live = ev->live;
        }
        break;
    case GC_EVENT_END:
        if (r->t_start)
            finish(r, ev);
        r->t_start = 0;
        break;
    default:
        break;
    }
}

void gcp__gc_record_begin(gcp__gc_recorder *r, uint64_t origin_ns)
{
    r->origin_ns = origin_ns;
    r->session_gc = 0;
}

int gcp__gc_record_pop(gcp__gc_recorder *r, gcp_tl_gc *out, gcp__gc_trace_figures *figures)
{
    uint64_t tail = atomic_load_explicit(&r->tail, RELAXED);

    if (tail == atomic_load_explicit(&r->head, memory_order_acquire))
        return 0;
    *out = r->ring[tail % GCP_GC_RING];
    if (figures)
        *figures = r->figures[tail % GCP_GC_RING];
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return 1;
}
