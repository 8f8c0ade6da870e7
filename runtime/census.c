/*
 * census.c - exact counts of live runtime objects after a collection.
 *
 * The collector's mark bits say which objects survived the latest
 * collection (sweeping is lazy and skips nearly full blocks, so counting at
 * sweep time would miss objects). We walk the marked objects, keep those of
 * the runtime's kinds, and subtract the ones parked in free lists, which
 * are marked too but were never handed out.
 */
#include "internal.h"

#include <gc/gc_mark.h>
#include <string.h>

typedef struct census {
    gcp__counts live;
    uintptr_t page; /* 4 KiB page of the previous object, and its kind: */
    int page_ours;  /* objects come block by block, and a block (at least
                       a page, page-aligned) holds one kind */
} census;

static void GC_CALLBACK count_one(void *obj, size_t bytes, void *data)
{
    census *c = data;
    uintptr_t page = (uintptr_t)obj & ~(uintptr_t)4095;

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
    /* Read parked counts while no collection can run. */
    gcp__heap_totals(NULL, &parked);
    c->live.objects -= parked.objects;
    c->live.bytes -= parked.bytes;
    return NULL;
}

void gcp__census(gcp__counts *live)
{
    census c = {{0, 0}, 0, 0};

    GC_call_with_alloc_lock(census_locked, &c);
    *live = c.live;
}

/* 64 KiB covers the frames of any ordinary closure. A word it misses keeps
 * its garbage alive: the collector then frees less, and the census still
 * counts exactly what it freed. noinline keeps the buffer below our caller. */
/* no_sanitize_address: ASan's redzone around buf would stay unzeroed. */
__attribute__((noinline, no_sanitize_address)) void gcp__clear_dead_stack(void)
{
    char buf[64 * 1024];

    memset(buf, 0, sizeof buf);
    /* The buffer "escapes", so the compiler cannot drop the memset. */
    __asm__ volatile("" : : "r"(buf) : "memory");
}
