/*
 * gc_record.h - turning the collector's event stream into one record per
 * collection, and handing records from the event hook to a reader thread.
 *
 * Shared by the library's hook (gc_events.c) and the preload library, so
 * it calls no collector function: the caller passes the clock and heap
 * readings in. gcp__gc_record_event runs inside the hook: it takes no
 * lock, allocates nothing and does no I/O. One writer (the hook, under the
 * collector's lock) and one reader (gcp__gc_record_pop) at a time.
 */
#ifndef GCP_GC_RECORD_H
#define GCP_GC_RECORD_H

#include <stdatomic.h>
#include <stdint.h>

#include "timeline.h"

#define GCP_GC_RING 1024 /* collections buffered between two drains */

/* The Go-style trace's figures for one record (gcp_tl_trace), computed in
 * the hook when the collection ends, all on the hook's own clock: since is
 * from the recorder's origin to the collection's start; share is the time
 * spent in collections that started after the origin (each from START to
 * END), this one included, over the time from the origin to its END.
 * Collections hold the allocation lock, so their intervals never overlap
 * and lie in [origin, END]: share is within [0, 1] for any number of
 * collections between two drains. The three phases add up to its total. */
typedef gcp_tl_trace gcp__gc_trace_figures;

typedef struct gcp__gc_recorder {
    /* the collection in progress (hook only) */
    uint64_t t_start, t_stopped, t_mark, t_reclaim; /* monotonic ns */
    uint64_t t_mark_first, t_mark_last;              /* first MARK_START, last MARK_END */
    uint64_t own_ns;                                 /* the hook's own measuring */
    double real_start;                               /* Unix seconds */
    double pause, mark, reclaim;                     /* seconds */
    uint64_t heap_before, live;
    int forced, has_live;
    /* since gcp__gc_record_begin (hook only, once begun) */
    uint64_t origin_ns; /* 0: not begun, no trace figures */
    double session_gc;  /* seconds in collections since the origin */
    /* completed collections */
    gcp_tl_gc ring[GCP_GC_RING];
    gcp__gc_trace_figures figures[GCP_GC_RING];
    _Atomic uint64_t head, tail; /* written by hook / reader */
    _Atomic uint64_t recorded, dropped;
    _Atomic double gc_seconds;   /* sum of totals, ever */
} gcp__gc_recorder;

/* What the hook passes with each event. heap_in_use is read at START and
 * END only; gc_no, heap_size and markers at END; forced at START (the
 * program asked for it). At RECLAIM_END, the hook may add the bytes in
 * marked objects (live), and the time it spent counting them (own_ns),
 * which is taken out of the collection's reclaim and total times: mono_ns
 * is read before the count. */
typedef struct gcp__gc_event {
    int type;            /* GC_EventType */
    uint64_t mono_ns;    /* CLOCK_MONOTONIC */
    double real;         /* CLOCK_REALTIME seconds, at START only */
    uint64_t heap_in_use;
    uint64_t gc_no;
    int forced;
    int has_live;
    uint64_t live, own_ns;
    uint64_t heap_size;
    int markers;
} gcp__gc_event;

/* Which events need heap readings (START and END) or the wall clock
 * (START): the hook reads only what is needed. */
int gcp__gc_event_wants_heap(int type);
int gcp__gc_event_wants_real(int type);
/* ... or the live bytes (RECLAIM_END: marks final, free lists cleared). */
int gcp__gc_event_wants_live(int type);
/* 1 when the event stops the world (PRE_STOP_WORLD: the thread sending
 * it is about to stop every other), -1 when it restarts it
 * (POST_START_WORLD), else 0. */
int gcp__gc_event_world(int type);

void gcp__gc_record_event(gcp__gc_recorder *r, const gcp__gc_event *ev);

/* Start the trace figures' count at origin_ns (a reading of the clock the
 * hook passes in mono_ns): collections that started before it are left
 * out. Call it when the hook cannot run on r at the same time (before
 * recording is switched on, or holding the collector's lock). */
void gcp__gc_record_begin(gcp__gc_recorder *r, uint64_t origin_ns);

/* Take the oldest completed record: 1, or 0 when there is none. figures
 * (may be NULL) gets its trace figures, zero when not begun. */
int gcp__gc_record_pop(gcp__gc_recorder *r, gcp_tl_gc *out, gcp__gc_trace_figures *figures);

#endif /* GCP_GC_RECORD_H */
