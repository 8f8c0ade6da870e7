/*
 * profile_gc.c - the profiler's own collections, by auto_gc mode.
 *
 * always: clear the dead stack, full collection, census of live runtime
 * objects (the baseline), hold automatic collection off (bounded by
 * hold_limit_mb), run, then a forced collection and a second census. To
 * measure memory given back, unmapping collections follow until every
 * free block has aged enough to be returned (unmap.c). Objects
 * collected = live before + allocated between - live after, exact across
 * any number of collections in between.
 *
 * adaptive: the same steps, each only when the policy (collect/policy_model.c) says it
 * pays; a hold only after a baseline, giving way once the heap has grown
 * by about its live size; one collection after (unmapping blocks that stayed free for a
 * whole cycle when RSS nears threshold_mb or the program was idle).
 */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "policy.h"
#include "units.h"
#include "profile_frame.h"
#include "unmap.h"


/* A full collection the profiler itself runs, timed apart from the
 * closure's, with the census (unmap: also return free blocks to the OS). */
static void collect_with_census_(gcp__frame *f, int unmap, gcp__counts *live,
                                 gcp__counts *allocated)
{
    gcp__collection c = gcp__collect(unmap, 1);

    f->profiler_gc_ns += c.ns;
    *live = c.live;
    if (allocated)
        *allocated = c.allocated;
}

/* The frame of collect_with_census_ is live while the collector scans the
 * stack, so it is made on stack cleared just before: the calls made since
 * the last clearing leave return addresses there, and a 32-bit store into
 * such a slot leaves the address's upper half beside it, a pointer to
 * 0x7fXX'00000000 (measured with the monitor on: a dead 1000 MiB block kept
 * in 8 of 30 runs). */
#define collect_with_census(f, unmap, live, allocated)                                             \
    (gcp__clear_own_frames(), collect_with_census_((f), (unmap), (live), (allocated)))

static void take_baseline(gcp__frame *f)
{
    if (GC_is_disabled()) {
        f->notes |= GCP_NOTE_BASELINE_SKIPPED;
        return;
    }
    /* A batch's task: the previous task's last census, when a collection
     * now would find the same (profile_carry.c). */
    if (!gcp__carry_take(f->carry, &f->live_before, &f->allocated_at_census))
        collect_with_census(f, 0, &f->live_before, &f->allocated_at_census);
    f->baseline_ran = 1;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static void read_signals(const gcp__frame *f, gcp__gc_signals *s, uint64_t rss)
{
    gcp__gc_goals g;

    gcp__config_goals(&f->cfg, &g);
    gcp__gc_signals_read(s, rss, &g, 0);
}

static void adaptive_begin(gcp__frame *f)
{
    gcp__gc_signals s;
    char why[96];

    read_signals(f, &s, f->cfg.heap_only ? 0 : gcp__rss_bytes());
    if (gcp__gc_decide(&s, why, sizeof why)) {
        take_baseline(f);
        read_signals(f, &s, s.rss ? gcp__rss_bytes() : 0); /* the live heap it left */
    } else {
        /* No census to count from, so nothing a hold would make exact:
         * holding would only let the heap grow (measured on
         * demos/pipeline with the budget spent: peak 68 MiB held, 62
         * not, as with auto_gc off). */
        f->notes |= GCP_NOTE_NO_BASELINE;
        return;
    }
    /* Held only while the heap has room: the hold gives way before bdwgc
     * would grow the heap, and in any case past the allowed growth. */
    uint64_t heap = (uint64_t)GC_get_heap_size();
    uint64_t growth = gcp__gc_hold_growth(&s, gcp__mib_bytes(f->cfg.hold_limit_mb));
    uint64_t min_free = heap / 64 > GCP__MIB ? heap / 64 : GCP__MIB;
    gcp__hold_acquire(add_sat(heap, growth), min_free, 1);
    f->held = 1;
}

void gcp__profile_gc_begin(gcp__frame *f)
{
    if (f->cfg.auto_gc == GCP_AUTO_GC_ALWAYS) {
        take_baseline(f);
        gcp__hold_acquire(
            add_sat((uint64_t)GC_get_heap_size(), gcp__mib_bytes(f->cfg.hold_limit_mb)), 0, 0);
        f->held = 1;
    } else if (f->cfg.auto_gc == GCP_AUTO_GC_ADAPTIVE) {
        adaptive_begin(f);
    }
}

/* After the last collection: an object it freed counts as collected.
 * Each census reads the allocation totals at its own instant, so objects
 * other threads allocate meanwhile are counted exactly once. */
static void count_collected(const gcp__frame *f, const gcp__counts *census_live,
                            const gcp__counts *census_allocated, gcp_report *r)
{
    gcp__counts live_after = *census_live, allocated = *census_allocated;

    r->gc_objects_collected =
        (int64_t)(f->live_before.objects + (allocated.objects - f->allocated_at_census.objects) -
                  live_after.objects);
    r->bytes_reclaimed =
        (int64_t)(f->live_before.bytes + (allocated.bytes - f->allocated_at_census.bytes) -
                  live_after.bytes);
}

/* Did the collection that took census (live, allocated) free anything
 * that was still there at the census before it (live0, allocated0) and
 * at heap_in_use0? Heap blocks freed, or runtime objects dead. */
static int freed_since(uint64_t heap_in_use0, const gcp__counts *live0,
                       const gcp__counts *allocated0, const gcp__counts *live,
                       const gcp__counts *allocated)
{
    uint64_t expected = live0->objects + (allocated->objects - allocated0->objects);

    return gcp__heap_in_use() < heap_in_use0 || live->objects < expected;
}

typedef struct census_round {
    gcp__frame *f;
    gcp__counts *live, *allocated;
} census_round;

/* One unmapping round of the profiler's: its census, and whether it
 * freed anything the previous collection had kept. */
static int census_unmap_round(void *ctx)
{
    census_round *c = ctx;
    gcp__counts live0 = *c->live, allocated0 = *c->allocated;
    uint64_t heap_in_use0 = gcp__heap_in_use();

    collect_with_census(c->f, 1, c->live, c->allocated);
    return freed_since(heap_in_use0, &live0, &allocated0, c->live, c->allocated);
}

/* always: the forced collection, then unmapping ones; each takes the
 * census, and the last one's counts. */
static int collect_always(gcp__frame *f, gcp__counts *live, gcp__counts *allocated,
                          gcp_report *r)
{
    if (GC_is_disabled()) {
        r->notes |= GCP_NOTE_FORCED_GC_SKIPPED;
        snprintf(r->gc_reason, sizeof r->gc_reason, "%s", GCP__REASON_DISABLED);
        return 0;
    }
    snprintf(r->gc_reason, sizeof r->gc_reason,
             "collected: auto_gc=always collects after every closure");
    uint64_t heap_in_use0 = gcp__heap_in_use();
    /* heap_only: no figure is of RSS (memory_saved is 0 by definition), so
     * neither the unmapping nor the rounds that age free blocks for it run.
     * Nothing else reported needs them: heap_after is the heap in use
     * after the forced collection (unmapping changes free space, not use);
     * gc_objects_collected is what the profiler's collections freed, and
     * garbage the forced one kept (GCP_NOTE_RETAINED) is caught by the
     * rounds only incidentally, not when under GCP__UNMAP_WORTH_BYTES was
     * freed; detailed stats are a snapshot of the collector as it is. */
    collect_with_census(f, !f->cfg.heap_only, live, allocated);
    if (f->cfg.heap_only)
        return 1;
    /* Only blocks freed during the profile are this closure's to return:
     * free space the heap had before (an initial heap never touched,
     * what earlier work left) is no figure of ours, and not worth a
     * collection. */
    census_round c = {f, live, allocated};
    if ((heap_in_use0 >= gcp__heap_in_use() + GCP__UNMAP_WORTH_BYTES || r->gc_count > 0 ||
         (r->notes & GCP_NOTE_EXPLICIT_FREES)) &&
        gcp__unmap_until_quiet(census_unmap_round, &c) > 0)
        r->notes |= GCP_NOTE_RETAINED; /* garbage outlived the forced collection */
    return 1;
}

static int collect_adaptive(gcp__frame *f, gcp__counts *live, gcp__counts *allocated,
                            gcp_report *r)
{
    gcp__gc_signals s;

    if (f->rss_before && f->rss_at_end)
        gcp__gc_policy_growth(f->rss_before, f->rss_at_end); /* what the next may add */
    read_signals(f, &s, f->rss_at_end);
    int how = gcp__gc_decide(&s, r->gc_reason, sizeof r->gc_reason);
    if (how == GCP__SKIP)
        return 0;
    collect_with_census(f, how == GCP__COLLECT_AND_UNMAP, live, allocated);
    return 1;
}

int gcp__profile_gc_end(gcp__frame *f, gcp_report *r)
{
    gcp__counts live = {0, 0}, allocated = {0, 0};
    int collected = 0;

    if (f->cfg.auto_gc == GCP_AUTO_GC_OFF) { /* no hold, no collection: as the light copy */
        if (f->carry)
            f->carry->armed = 0;
        gcp__profile_gc_end_off(r);
        return 0;
    }
    if (f->held) {
        gcp__hold_release();
        if (gcp__hold_releases() != f->releases_at_start)
            r->notes |= GCP_NOTE_HOLD_RELEASED;
    }
    if (f->cfg.auto_gc == GCP_AUTO_GC_ALWAYS)
        collected = collect_always(f, &live, &allocated, r);
    else
        collected = collect_adaptive(f, &live, &allocated, r);
    r->gc_collected = collected;
    /* The next task's baseline, if it stays valid; never a census from
     * before this closure ran (without a collection after it, disarmed). */
    if (f->carry && collected)
        gcp__carry_arm(f->carry);
    else if (f->carry)
        f->carry->armed = 0;

    if (collected && f->baseline_ran)
        count_collected(f, &live, &allocated, r);
    else if (f->cfg.auto_gc == GCP_AUTO_GC_ADAPTIVE && GC_get_gc_no() == f->gc_no_before)
        r->gc_objects_collected = r->bytes_reclaimed = 0; /* nothing ran that could collect */
    /* A thread between a free-list refill and counting it (no lock covers
     * both) holds marked objects of ours that no count knows yet: with
     * other threads allocating, the count can be off by such a batch. A
     * negative count is the sure sign: unknown rather than wrong. */
    if (r->gc_objects_collected < 0 || r->bytes_reclaimed < 0)
        r->gc_objects_collected = r->bytes_reclaimed = -1;
    if (r->gc_objects_collected < 0)
        r->notes |= GCP_NOTE_COLLECTED_UNKNOWN;
    return collected;
}
