/*
 * collect.h - the runtime's collection-control layer (doc/architecture.md):
 * the one routine every caller collects with, the collection-event hook
 * and what it feeds (explicit collections, per-collection records, the
 * policy's cost model, high-water marks), profiles' overlap, and the
 * monitor. Built on heap.h; includes nothing of the layers above.
 */
#ifndef GCP_COLLECT_H
#define GCP_COLLECT_H

#include "heap.h"
#include "gc_record.h" /* and timeline.h */
#include "gc_metrics.h"

/* ---- collection events (gc_events.c) --------------------------------- */

/* Running totals kept by our collection-event hook, which chains to any
 * hook installed before it. */
typedef struct gcp__gc_totals {
    uint64_t collections; /* END events seen */
    uint64_t pause_ns;    /* PRE_STOP_WORLD .. POST_START_WORLD */
    uint64_t gc_ns;       /* START .. END */
} gcp__gc_totals;

/* Install the hook (first call) / uninstall it (matching last call). The
 * previous hook is restored unless someone replaced ours meanwhile. */
void gcp__events_acquire(void);
void gcp__events_release(void);
void gcp__events_totals(gcp__gc_totals *out);
/* In a forked child (fork.c): the install lock afresh. */
void gcp__events_after_fork(void);

/* Per-collection records for the monitor: switch recording on/off, start
 * the trace figures' count now (before switching on; returns its origin,
 * a gcp__fast_ns reading), take the oldest record (1, or 0 when none)
 * with its trace figures (may be NULL), and counts so far. */
void gcp__events_record(int on);
uint64_t gcp__events_begin(void);
/* What the hook does for one event while recording (the bench times it). */
void gcp__events_feed(int event);
int gcp__events_pop(gcp_tl_gc *out, gcp__gc_trace_figures *figures);
void gcp__events_record_counts(uint64_t *recorded, uint64_t *dropped, double *gc_seconds);
/* Metrics (gc_meter.c): while acquired (and the hook installed, by the
 * caller: gcp__events_acquire), the hook fills a histogram of
 * pauses and one of collections (start to end) and counts the
 * collections the program asked for. (The live bytes are the census's,
 * which the caller requests: heap.h.) _read gives the histograms (stable
 * addresses) and that count. */
void gcp__meter_acquire(void);
void gcp__meter_release(void);
void gcp__meter_forked(void); /* in a forked child: the lock made anew */
int gcp__metering(void);
void gcp__meter_pause(uint64_t ns);                     /* the hook */
void gcp__meter_collection(uint64_t ns, int asked_for); /* the hook, at END */
void gcp__meter_read(const gcp__hist **pauses, const gcp__hist **durations, uint64_t *asked_for);
/* Collections the program asked for (explicit_gc.c). _learn: once, from a
 * thread of the program's, not holding the collector's lock (it calls
 * GC_try_to_collect with a stop function that stops it at once); until it
 * has worked, nothing is found explicit. _collection: in the hook at
 * START, given the hook's return address; 1 when GC_gcollect,
 * GC_gcollect_and_unmap or GC_try_to_collect started it. */
void gcp__explicit_learn(void);
int gcp__explicit_learnt(void);
int gcp__explicit_collection(const void *hook_return);
/* Bracket a collection the program asked for (marked "forced"). */
void gcp__forced_begin(void);
void gcp__forced_end(void);

/* The library's own full collection (unmap: GC_gcollect_and_unmap),
 * marked forced for the monitor, with the dead stack cleared right before
 * the call, after our last call of our own. Always inlined: a frame of its
 * own would lie on stack our calls had just used. gcp__collect, below,
 * and the leak check (which takes its census after) use it. */
static inline __attribute__((always_inline)) void gcp__collect_forced(int unmap)
{
    gcp__forced_begin();
    gcp__clear_dead_stack();
    if (unmap)
        GC_gcollect_and_unmap();
    else
        GC_gcollect();
    gcp__forced_end();
}

/* ---- the one collect routine ------------------------------------------ */

/* What one collection took and, with the census, left. */
typedef struct gcp__collection {
    uint64_t ns;                 /* the collection's time */
    gcp__counts live, allocated; /* with census: gcp__census's */
} gcp__collection;

/* One full collection through gcp__collect_forced (unmap: and unmapping),
 * timed; with census, the census is taken inside the collection by the
 * event hook when ours runs (exact while other threads allocate), after
 * it otherwise. gcp_collect, the profiler and gc points collect through
 * it; the leak check calls the step itself (leak.c says why).
 *
 * Inlined into the caller, whose frame is then the one that stays live
 * while the collector scans the stack: callers make it on stack cleared
 * just before (gcp__clear_own_frames), as the profiler does, or on stack
 * their own earlier calls used no deeper. Not a function of its own: its
 * frame would lie on stack the calls since the last clearing left words
 * in. */
static inline __attribute__((always_inline)) gcp__collection gcp__collect(int unmap, int census)
{
    gcp__collection c = {0};
    uint64_t t = gcp__now_ns(), gc_no = GC_get_gc_no();

    if (census)
        gcp__census_request(1);
    gcp__collect_forced(unmap);
    c.ns = gcp__now_ns() - t;
    if (census) {
        gcp__census_request(0);
        /* The latest census: this collection's, or a later one's on
         * another thread. None when the hook is not ours (not installed,
         * or replaced): taken after the fact, under the collector's lock. */
        if (!gcp__census_taken(gc_no + 1, &c.live, &c.allocated))
            gcp__census(&c.live, &c.allocated);
    }
    return c;
}

/* ---- the monitor (monitor.c) ----------------------------------------- */

/* Enter/exit markers from the profiler; no-ops unless a monitor runs.
 * enter returns its Unix time (0 when nothing was written), which exit
 * takes back as start_real, with *rss as rss_start. An RSS of 0 means the
 * caller did not read it: it is read here (enter: into *rss). */
double gcp__monitor_enter(const char *name, int level, uint64_t *rss);
void gcp__monitor_exit(const char *name, int level, uint64_t rss, double start_real,
                       uint64_t rss_start);
/* CPU seconds the running monitor's thread has used, or -1 (the bench
 * measures its cost with it). */
double gcp__monitor_thread_cpu(void);

/* ---- profiles on other threads (overlap.c) ---------------------------- */

typedef struct gcp__overlap {
    int others_at_start;   /* another thread's profile was active */
    int light;             /* only reads the counts (heap_only, auto_gc off) */
    uint64_t others_begun; /* profiles other threads had begun */
} gcp__overlap;

/* Bracket one profile; exit returns 1 when a profile on another thread
 * that reads RSS or may collect was active at any moment in between.
 * light: this profile does neither, so it is not counted (overlap.c). */
void gcp__overlap_enter(gcp__overlap *o, int light);
int gcp__overlap_exit(const gcp__overlap *o);

/* ---- high-water marks shared by nested profiles (watermark.c) -------- */

/* Process-wide high-water marks (RSS, GC heap, single pause) have one
 * reset each; nested and concurrent profiles share them. Each active
 * profile owns a gcp__marks; resetting folds the current marks into all
 * active ones first, so none loses its peak. */
typedef struct gcp__marks {
    uint64_t rss_peak;
    uint64_t heap_peak;
    uint64_t pause_max_ns;
    int track_rss;
    int explicit_frees; /* heap_peak is a bound (watermark.c) */
    struct gcp__marks *next; /* private to watermark.c */
} gcp__marks;

/* Start tracking m (track_rss: also reset the RSS mark, ~1 us); rss_now and
 * heap_now are the caller's fresh readings (the profile's own start
 * figures, so its peak can never be below its start). */
void gcp__marks_begin(gcp__marks *m, int track_rss, uint64_t rss_now, uint64_t heap_now);
/* Fold the current marks into m and stop tracking it. */
void gcp__marks_end(gcp__marks *m);
/* In a forked child (fork.c): the marks' lock afresh. */
void gcp__marks_after_fork(void);

/* Once, before any profile (the start layer, at the collector's set-up):
 * a forked child starts the locks a profile or a collection decision
 * takes afresh (fork.c). */
void gcp__collect_fork_safe(void);

/* The most the heap can have had in use over a stretch that ends with
 * heap_in_use after `freed` bytes were freed explicitly in it (GC_FREE,
 * GC_REALLOC; nothing reports when): as if every free came last, and no
 * more than the heap's size now, which only grows between collections. */
uint64_t gcp__freed_bound(uint64_t heap_in_use, uint64_t freed);

/* Called by the event hook (lock held, no locks or stdio allowed):
 * the heap in use at a collection's start. */
void gcp__marks_note_heap(uint64_t heap_in_use);
void gcp__marks_note_pause(uint64_t pause_ns);

#endif /* GCP_COLLECT_H */
