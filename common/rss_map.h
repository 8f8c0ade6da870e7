/*
 * rss_map.h - where a process's resident memory lies, read from
 * /proc/self/smaps (each mapping's Rss) and /proc/self/pagemap (which
 * pages are resident). Knows nothing of the collector: the caller says,
 * page by page, which pages are the collector's heap (a callback), so the
 * library and the preload library share it.
 */
#ifndef GCP_RSS_MAP_H
#define GCP_RSS_MAP_H

#include <stdint.h>

/* What a page of anonymous memory is to the collector. */
enum { GCP__PAGE_OTHER = 0, GCP__PAGE_GC_USED = 1, GCP__PAGE_GC_FREE = 2 };

/* GCP__PAGE_*: the class of the page at addr (page-aligned). Called for
 * every page of the readable or writable anonymous mappings in address
 * order, and out of order for the first page of a mapping below or at
 * the start of a possible stack (an unmapped GC block also looks like a
 * guard page). */
typedef int (*gcp__page_class_fn)(uintptr_t addr, void *data);

/* Resident bytes by where they lie. The fields add up to total. */
typedef struct gcp__rss_map {
    uint64_t total;      /* every mapping's Rss: the process's RSS */
    uint64_t gc_used;    /* pages of GC blocks holding objects */
    uint64_t gc_free;    /* pages of free GC blocks */
    uint64_t brk;        /* the [heap] mapping: malloc's main arena */
    uint64_t arenas;     /* malloc's other arenas (64 MiB-aligned heaps) */
    uint64_t stacks;     /* [stack], and mappings above a guard page */
    uint64_t anon_other; /* any other anonymous memory */
    uint64_t code;       /* executable file mappings, [vdso] and the like */
    uint64_t file_data;  /* writable file mappings (data, bss copies) */
    uint64_t file_other; /* read-only and shared file mappings */
    /* How the anonymous pages were told apart. */
    uint64_t shared;   /* bytes of pages mapped more than once (after a
                          fork): shared out by the classes' page counts */
    uint64_t mappings; /* mappings read */
    int by_page;       /* 1: pagemap was read; 0: it could not be, and
                          the GC classes stay 0 (their pages are in the
                          mappings' shapes: anon_other mostly) */
} gcp__rss_map;

/* Reads the maps of this process into *m. The collector's pages lie in
 * [lo, hi) (its plausible heap bounds, GC_least/greatest_plausible_heap_addr);
 * pages outside are not classified. 0, or a negative errno when smaps
 * cannot be read (then *m is zero). Allocates nothing (open, read, pread
 * and close only), so it may run under the collector's lock. */
int gcp__rss_map_read(gcp__rss_map *m, gcp__page_class_fn page_class, void *data, uintptr_t lo,
                      uintptr_t hi);

/* Resident bytes from /proc/self/statm (open and read only), 0 if it
 * cannot be read. */
uint64_t gcp__rss_statm(void);

#endif /* GCP_RSS_MAP_H */
