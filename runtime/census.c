/*
 * census.c - exact counts of live runtime objects after a collection.
 *
 * The collector's mark bits say which objects survived the latest
 * collection (sweeping is lazy and skips nearly full blocks, so counting at
 * sweep time would miss objects). We walk the marked objects, keep those of
 * the runtime's kinds, and subtract the ones parked in free lists, which
 * are marked too but were never handed out.
 */
#include <gc/gc_mark.h>
#include <string.h>

#include "internal.h"

static void GC_CALLBACK count_one(void *obj, size_t bytes, void *data)
{
    gcp__counts *live = data;
    int kind = GC_get_kind_and_size(obj, NULL);

    if (kind == gcp__kind_normal || kind == gcp__kind_atomic) {
        live->objects++;
        live->bytes += bytes;
    }
}

static void *GC_CALLBACK census_locked(void *data)
{
    gcp__counts *live = data;
    gcp__counts parked;

    GC_enumerate_reachable_objects_inner(count_one, live);
    /* Read parked counts while no collection can run. */
    gcp__heap_totals(NULL, &parked);
    live->objects -= parked.objects;
    live->bytes -= parked.bytes;
    return NULL;
}

void gcp__census(gcp__counts *live)
{
    live->objects = 0;
    live->bytes = 0;
    GC_call_with_alloc_lock(census_locked, live);
}

/* 64 KiB covers the frames of any ordinary closure. A word it misses keeps
 * its garbage alive: the collector then frees less, and the census still
 * counts exactly what it freed. noinline keeps the buffer below our caller. */
__attribute__((noinline)) void gcp__clear_dead_stack(void)
{
    char buf[64 * 1024];

    memset(buf, 0, sizeof buf);
    /* The buffer "escapes", so the compiler cannot drop the memset. */
    __asm__ volatile("" : : "r"(buf) : "memory");
}
