/*
 * breakdown_take.c - reading the inputs of a breakdown (breakdown.h) through
 * the collector's functions, which the caller supplies: the library links
 * them, the preload library finds them with dlsym. Everything the two
 * would otherwise each do: malloc's figures, the census of marked objects,
 * the collector's figures, the maps.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <string.h>

#include "breakdown.h"

void gcp__breakdown_begin(gcp__breakdown *b, gcp__bd_census *c)
{
    struct mallinfo2 mi = mallinfo2(); /* glibc's arena locks, never the collector's */

    memset(b, 0, sizeof *b);
    memset(c, 0, sizeof *c);
    b->malloc.known = 1;
    b->malloc.arena = mi.arena;
    b->malloc.hblkhd = mi.hblkhd;
    b->malloc.in_use = mi.uordblks + mi.hblkhd;
    b->malloc.free = mi.fordblks;
}

typedef struct counting {
    gcp__bd_census *census;
    int (*kind_and_size)(const void *, size_t *);
} counting;

static void count_object(void *obj, size_t bytes, void *data)
{
    counting *k = data;

    gcp__bd_census_add(k->census, k->kind_and_size(obj, NULL), bytes, (uintptr_t)obj);
}

int gcp__breakdown_read_locked(gcp__breakdown *b, gcp__bd_census *c, const gcp__bd_collector *gc)
{
    counting k = {c, gc->kind_and_size};
    gcp__bd_pages pages = {gc->is_heap, gc->base, gc->kind_and_size, 0};

    gc->enumerate_marked(count_object, &k);
    b->gc.heap_size = gc->heap_size();
    b->gc.free = gc->free_bytes();
    b->gc.unmapped = gc->unmapped_bytes();
    b->gc.obtained = gc->obtained();
    b->gc.gc_no = gc->gc_no();
    return gcp__rss_map_read(&b->map, gcp__bd_page_class, &pages, gc->heap_lo, gc->heap_hi);
}

void gcp__breakdown_end(gcp__breakdown *b, gcp__bd_census *c, int collected, int unmap_threshold)
{
    b->gc.collected = collected;
    b->gc.unmap_threshold = unmap_threshold;
    b->vm_rss = gcp__rss_statm(); /* right after the maps */
    gcp__breakdown_set_classes(b, c);
    gcp__breakdown_finish(b);
}
