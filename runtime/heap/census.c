/*
 * census.c - exact counts of live runtime objects after a collection.
 *
 * The collector's mark bits say which objects survived the latest
 * collection (sweeping is lazy and skips nearly full blocks, so counting at
 * sweep time would miss objects). We walk the marked objects, keep those of
 * the runtime's kinds, and subtract the ones parked in free lists, which
 * are marked too but were never handed out.
 *
 * That is exact only until a thread refills a free list: the objects of a
 * refill are unmarked, live or parked. With other threads allocating, the
 * profiler therefore asks for the census inside its own collection: the
 * event hook takes it at the collection's end, still under the
 * allocation lock, before any refill can happen.
 */
#include "heap.h"

#include <gc/gc_mark.h>

typedef struct census {
    gcp__counts live;
    gcp__counts allocated; /* read with the parked counts */
    uint64_t marked;       /* bytes of every marked object, any kind */
    uintptr_t page; /* 4 KiB page of the previous object, and its kind: */
    int page_ours;  /* objects come block by block, and a block (at least
                       a page, page-aligned) holds one kind */
} census;

static void GC_CALLBACK count_one(void *obj, size_t bytes, void *data)
{
    census *c = data;
    uintptr_t page = (uintptr_t)obj & ~(uintptr_t)4095;

    c->marked += bytes;
    if (page != c->page) {
        int kind = GC_get_kind_and_size(obj, NULL);
        c->page = page;
        c->page_ours = gcp__kind_index(kind) >= 0;
    }
    if (c->page_ours) {
        c->live.objects++;
        c->live.bytes += bytes;
    }
}

static void *GC_CALLBACK census_locked(void *data)
{
    census *c = data;
    gcp__counts parked;

    GC_enumerate_reachable_objects_inner(count_one, c);
    /* Read parked counts while no collection can run, and the allocation
     * totals with them: a thread that hands out a parked object meanwhile
     * moves it from one to the other, and the pair stays consistent. */
    gcp__heap_totals(&c->allocated, &parked);
    c->live.objects -= parked.objects;
    c->live.bytes -= parked.bytes;
    return NULL;
}

/* ---- the census taken by the event hook ----------------------------- */

static _Atomic int requests;
/* Written by the hook and read by taken_locked, both under the lock. */
static uint64_t taken_gc_no;
static gcp__counts taken_live, taken_allocated;
static uint64_t taken_marked;
static int taken_finalizers; /* finalizers were due after that collection */

void gcp__census_request(int on)
{
    atomic_fetch_add(&requests, on ? 1 : -1);
}

void gcp__census_in_hook(void)
{
    census c = {{0, 0}, {0, 0}, 0, 0, 0};

    if (atomic_load_explicit(&requests, memory_order_relaxed) == 0)
        return;
    census_locked(&c);
    taken_live = c.live;
    taken_allocated = c.allocated;
    taken_marked = c.marked;
    /* Lock-free (an atomic load): objects this collection found
     * finalizable, whose finalizers run right after it, program code. */
    taken_finalizers = GC_should_invoke_finalizers();
    taken_gc_no = GC_get_gc_no();
}

typedef struct taken {
    uint64_t min_gc_no;
    gcp__counts live, allocated;
    int found;
    uint64_t gc_no, marked;
    int finalizers;
} taken;

static void *GC_CALLBACK taken_locked(void *data)
{
    taken *t = data;

    t->found = taken_gc_no >= t->min_gc_no && taken_gc_no != 0;
    t->live = taken_live;
    t->allocated = taken_allocated;
    t->gc_no = taken_gc_no;
    t->marked = taken_marked;
    t->finalizers = taken_finalizers;
    return NULL;
}

int gcp__census_taken(uint64_t min_gc_no, gcp__counts *live, gcp__counts *allocated)
{
    taken t = {min_gc_no, {0, 0}, {0, 0}, 0, 0, 0, 0};

    GC_call_with_alloc_lock(taken_locked, &t);
    if (t.found) {
        *live = t.live;
        *allocated = t.allocated;
    }
    return t.found;
}

void gcp__census(gcp__counts *live, gcp__counts *allocated)
{
    census c = {{0, 0}, {0, 0}, 0, 0, 0};

    GC_call_with_alloc_lock(census_locked, &c);
    *live = c.live;
    if (allocated)
        *allocated = c.allocated;
}

int gcp__census_latest(uint64_t *gc_no, gcp__counts *live, uint64_t *marked)
{
    taken t = {1, {0, 0}, {0, 0}, 0, 0, 0, 0};

    GC_call_with_alloc_lock(taken_locked, &t);
    /* only the latest collection's: an older one is stale */
    if (t.found && t.gc_no == GC_get_gc_no()) {
        *gc_no = t.gc_no;
        *live = t.live;
        *marked = t.marked;
        return 1;
    }
    return 0;
}

int gcp__census_latest_whole(uint64_t *gc_no, gcp__counts *live, gcp__counts *allocated)
{
    taken t = {1, {0, 0}, {0, 0}, 0, 0, 0, 0};

    GC_call_with_alloc_lock(taken_locked, &t);
    if (!t.found || t.gc_no != GC_get_gc_no() || t.finalizers)
        return 0;
    *gc_no = t.gc_no;
    *live = t.live;
    *allocated = t.allocated;
    return 1;
}
