/*
 * breakdown.c - the rows RSS is cut into, and the verdict (breakdown.h).
 *
 * Every row is a share of smaps' Rss (rss_map.c), so they add up to it.
 * Where two things share anonymous pages no address tells apart (malloc's
 * large chunks and the collector's own tables, both plain mmaps), the
 * figures each one reports (mallinfo2's hblkhd, the collector's bytes
 * obtained from the OS beyond its heap) cap what the row takes, malloc's
 * first; whatever is left is shown as anonymous memory no row claims.
 * Pages of GC blocks holding objects are cut into the bytes of marked
 * objects and the rest (free slots); a large object the program never
 * wrote may not be resident, so live is capped by the resident pages.
 */
#include "breakdown.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

const char *const gcp__row_name[GCP__ROWS] = {
    "gc_live", "gc_fragmentation", "gc_free_mapped", "gc_internal", "malloc", "stacks",
    "code",    "file_data",        "file_other",     "anon_other",
};

const char *const gcp__row_label[GCP__ROWS] = {
    "GC heap: live objects",
    "GC heap: free slots in used blocks",
    "GC heap: free blocks still mapped",
    "collector's own tables",
    "malloc (glibc)",
    "thread stacks",
    "code (program, libraries)",
    "file-backed data",
    "other file mappings",
    "other anonymous memory",
};

/* ---- the census by class ------------------------------------------------- */

void gcp__bd_census_add(gcp__bd_census *c, int kind, size_t bytes, uintptr_t addr)
{
    size_t slot = 0;
    gcp__bd_class *k;

    if (kind < 0 || kind >= GCP__BD_KINDS)
        kind = GCP__BD_KINDS - 1;
    if (bytes <= (size_t)GCP__BD_SMALL * GCP__BD_GRANULE)
        slot = (bytes + GCP__BD_GRANULE - 1) / GCP__BD_GRANULE;
    k = &c->cls[kind][slot];
    k->kind = (uint32_t)kind;
    k->size = slot ? (uint32_t)(slot * GCP__BD_GRANULE) : 0;
    k->objects++;
    k->bytes += bytes;
    c->marked += bytes;
    if (slot == 0) {
        k->blocks += (bytes + GCP__BD_BLOCK - 1) / GCP__BD_BLOCK;
        return;
    }
    /* Objects come block by block, and a block holds one kind and size. */
    uintptr_t block = addr & ~(uintptr_t)(GCP__BD_BLOCK - 1);
    if (block != c->last_block)
        k->blocks++;
    c->last_block = block;
}

int gcp__bd_page_class(uintptr_t addr, void *data)
{
    gcp__bd_pages *g = data;
    void *p = (void *)addr;
    size_t bytes = 0;

    if (addr < g->free_end)
        return GCP__PAGE_GC_FREE;
    if (!g->is_heap(p))
        return GCP__PAGE_OTHER;
    if (g->base(p))
        return GCP__PAGE_GC_USED;
    (void)g->kind_and_size(p, &bytes); /* a free block's header: its length */
    if (addr + bytes > g->free_end)
        g->free_end = addr + bytes;
    return GCP__PAGE_GC_FREE;
}

uint64_t gcp__bd_class_free(const gcp__bd_class *c)
{
    uint64_t room = c->blocks * GCP__BD_BLOCK;

    return room > c->bytes ? room - c->bytes : 0;
}

static int by_room(const void *a, const void *b)
{
    uint64_t x = ((const gcp__bd_class *)a)->blocks, y = ((const gcp__bd_class *)b)->blocks;

    return x < y ? 1 : x > y ? -1 : 0;
}

void gcp__breakdown_set_classes(gcp__breakdown *b, gcp__bd_census *c)
{
    gcp__bd_class *all = &c->cls[0][0];
    size_t n = 0;

    for (size_t i = 0; i < (size_t)GCP__BD_KINDS * (GCP__BD_SMALL + 1); i++)
        if (all[i].objects > 0)
            all[n++] = all[i]; /* n <= i: packing in place */
    qsort(all, n, sizeof *all, by_room);
    b->classes = all;
    b->nclasses = n;
    b->gc.marked = c->marked;
}

const char *gcp__bd_kind_name(uint32_t kind, char *buf, size_t size)
{
    static const char *const known[] = {"atomic", "normal", "uncollectable",
                                        "atomic-uncollectable"};

    if (kind < sizeof known / sizeof known[0])
        return known[kind];
    snprintf(buf, size, "kind %" PRIu32, kind);
    return buf;
}

int gcp__bd_unmap_threshold(const char *value)
{
    int n;

    if (!value)
        return 6; /* MUNMAP_THRESHOLD, allchblk.c */
    if (strcmp(value, "0") == 0)
        return 0;
    n = atoi(value);
    return n > 0 ? n : 6;
}

/* ---- rows ------------------------------------------------------------------ */

static uint64_t take(uint64_t *pool, uint64_t want)
{
    uint64_t got = want < *pool ? want : *pool;

    *pool -= got;
    return got;
}

static void cut_rows(gcp__breakdown *b)
{
    const gcp__rss_map *m = &b->map;
    uint64_t *r = b->row, pool = m->anon_other;
    uint64_t mapped = b->gc.heap_size + b->gc.unmapped;

    memset(b->row, 0, sizeof b->row);
    r[GCP__ROW_GC_LIVE] = b->gc.marked < m->gc_used ? b->gc.marked : m->gc_used;
    r[GCP__ROW_GC_FRAG] = m->gc_used - r[GCP__ROW_GC_LIVE];
    r[GCP__ROW_GC_FREE] = m->gc_free;
    r[GCP__ROW_MALLOC] = m->brk + m->arenas + (b->malloc.known ? take(&pool, b->malloc.hblkhd) : 0);
    r[GCP__ROW_GC_INTERNAL] = take(&pool, b->gc.obtained > mapped ? b->gc.obtained - mapped : 0);
    r[GCP__ROW_STACKS] = m->stacks;
    r[GCP__ROW_CODE] = m->code;
    r[GCP__ROW_FILE_DATA] = m->file_data;
    r[GCP__ROW_FILE_OTHER] = m->file_other;
    r[GCP__ROW_ANON_OTHER] = pool;
    b->sum = 0;
    for (int i = 0; i < GCP__ROWS; i++)
        b->sum += r[i];
}

/* ---- the verdict ----------------------------------------------------------- */

static double pct(const gcp__breakdown *b, uint64_t x)
{
    return b->sum ? 100.0 * (double)x / (double)b->sum : 0;
}

static double mib(uint64_t x)
{
    return (double)x / (double)GCP__MIB;
}

static int say_free_blocks(const gcp__breakdown *b, char *s, size_t n)
{
    uint64_t x = b->row[GCP__ROW_GC_FREE];

    if (b->gc.unmap_threshold == 0)
        return snprintf(s, n,
                        "%.0f%% of RSS (%.1f MiB) is free GC blocks still mapped, and bdwgc "
                        "keeps them: unmapping is off (GC_UNMAP_THRESHOLD=0); set it (bdwgc's "
                        "default is 6) or call GC_gcollect_and_unmap() when idle.",
                        pct(b, x), mib(x));
    return snprintf(s, n,
                    "%.0f%% of RSS (%.1f MiB) is free GC blocks still mapped; bdwgc returns a "
                    "free block once it has stayed free through %d collections "
                    "(GC_UNMAP_THRESHOLD; merging with a free neighbour restarts the count), "
                    "or at once with GC_gcollect_and_unmap().",
                    pct(b, x), mib(x), b->gc.unmap_threshold);
}

static const gcp__bd_class *worst_class(const gcp__breakdown *b)
{
    const gcp__bd_class *w = NULL;

    for (size_t i = 0; i < b->nclasses; i++)
        if (b->classes[i].size &&
            (!w || gcp__bd_class_free(&b->classes[i]) > gcp__bd_class_free(w)))
            w = &b->classes[i];
    return w;
}

static int say_fragmentation(const gcp__breakdown *b, char *s, size_t n)
{
    uint64_t x = b->row[GCP__ROW_GC_FRAG];
    const gcp__bd_class *w = worst_class(b);
    char kb[32];
    int k = snprintf(s, n,
                     "%.0f%% of RSS (%.1f MiB) is free slots inside GC blocks that still "
                     "hold objects",
                     pct(b, x), mib(x));

    if (w && w->blocks)
        k += snprintf(s + k, n > (size_t)k ? n - (size_t)k : 0,
                      "; the most in %" PRIu32 "-byte %s objects, whose %" PRIu64
                      " blocks are %.0f%% free",
                      w->size, gcp__bd_kind_name(w->kind, kb, sizeof kb), w->blocks,
                      100.0 * (double)gcp__bd_class_free(w) / (double)(w->blocks * GCP__BD_BLOCK));
    return k + snprintf(s + k, n > (size_t)k ? n - (size_t)k : 0,
                        ". bdwgc does not move objects: a block is reused by new objects of "
                        "its size, and given back only once all of its objects died.");
}

/* At most the arenas' resident pages (the [heap] and the other arenas'
 * heaps): free chunks lie nowhere else, never in a chunk mmapped on its
 * own (hblkhd, given back by munmap when freed). Capped by the whole malloc
 * row, a large buffer in use stood for free memory: right after
 * malloc_trim(0) had returned every free page, a 48 MiB buffer read as 93%
 * of RSS that "may be free memory malloc keeps" (check_breakdown). */
static uint64_t malloc_free_resident(const gcp__breakdown *b)
{
    uint64_t arenas = b->map.brk + b->map.arenas;

    if (!b->malloc.known)
        return 0;
    return b->malloc.free < arenas ? b->malloc.free : arenas;
}

static int say_malloc(const gcp__breakdown *b, char *s, size_t n)
{
    uint64_t x = malloc_free_resident(b);

    return snprintf(s, n,
                    "%.0f%% of RSS (%.1f MiB) may be free memory malloc keeps (mallinfo2: "
                    "%.1f MiB free in its arenas); malloc_trim(0) gives it back, and "
                    "MALLOC_ARENA_MAX=2 caps the arenas of a threaded program.",
                    pct(b, x), mib(x), mib(b->malloc.free));
}

static void decide(gcp__breakdown *b)
{
    uint64_t cause[3] = {b->row[GCP__ROW_GC_FREE], b->row[GCP__ROW_GC_FRAG],
                         malloc_free_resident(b)};
    int (*say[3])(const gcp__breakdown *, char *, size_t) = {say_free_blocks, say_fragmentation,
                                                             say_malloc};
    int top = 0, big = 0, k;
    size_t n = sizeof b->verdict;

    for (int i = 1; i < 3; i++)
        top = cause[i] > cause[top] ? i : top;
    for (int i = 1; i < GCP__ROWS; i++)
        big = b->row[i] > b->row[big] ? i : big;
    if (pct(b, cause[top]) >= 10.0)
        k = say[top](b, b->verdict, n);
    else
        k = snprintf(b->verdict, n,
                     "No avoidable cause stands out: free GC blocks, free slots and free "
                     "malloc memory are %.0f%% of RSS together.",
                     pct(b, cause[0] + cause[1] + cause[2]));
    if (k < 0 || (size_t)k >= n)
        return;
    snprintf(b->verdict + k, n - (size_t)k, "\nThe largest row is %s: %.0f%% of RSS (%.1f MiB).",
             gcp__row_label[big], pct(b, b->row[big]), mib(b->row[big]));
}

void gcp__breakdown_finish(gcp__breakdown *b)
{
    cut_rows(b);
    decide(b);
}
