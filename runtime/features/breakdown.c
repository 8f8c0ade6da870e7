/*
 * breakdown.c - gcp_heap_breakdown(): what the process's RSS is made of
 * (common/breakdown.c cuts the rows, common/rss_map.c reads the maps).
 *
 * Right after a full collection every block without a marked object is
 * free (bdwgc frees empty blocks at once, and sweeps only the others
 * lazily), so the marks say which blocks are used and how full. The count
 * by class, the collector's figures and the maps are all read under the
 * collector's lock: no block changes hands meanwhile.
 *
 * Which pages are the collector's: common/breakdown.c (gcp__bd_page_class).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "breakdown.h"
#include "collect.h"

#include <gc/gc_mark.h>

struct gcp_breakdown {
    gcp__breakdown b;
    gcp__bd_census census; /* the classes' storage */
};

typedef struct taking {
    gcp__breakdown *b;
    gcp__bd_census *census;
    gcp__bd_pages pages;
    int rc;
} taking;

static void GC_CALLBACK count_object(void *obj, size_t bytes, void *data)
{
    gcp__bd_census *c = data;

    gcp__bd_census_add(c, GC_get_kind_and_size(obj, NULL), bytes, (uintptr_t)obj);
}

static void *GC_CALLBACK take_locked(void *data)
{
    taking *t = data;
    gcp__breakdown *b = t->b;

    GC_enumerate_reachable_objects_inner(count_object, t->census);
    b->gc.heap_size = GC_get_heap_size();
    b->gc.free = GC_get_free_bytes();
    b->gc.unmapped = GC_get_unmapped_bytes();
    b->gc.obtained = GC_get_obtained_from_os_bytes();
    b->gc.gc_no = GC_get_gc_no();
    t->pages.is_heap = GC_is_heap_ptr;
    t->pages.base = GC_base;
    t->pages.kind_and_size = GC_get_kind_and_size;
    t->rc = gcp__rss_map_read(&b->map, gcp__bd_page_class, &t->pages,
                              (uintptr_t)GC_least_plausible_heap_addr,
                              (uintptr_t)GC_greatest_plausible_heap_addr + 1);
    return NULL;
}

static void read_malloc(gcp__breakdown *b, const struct mallinfo2 *m)
{
    const struct mallinfo2 mi = *m;

    b->malloc.known = 1;
    b->malloc.arena = mi.arena;
    b->malloc.hblkhd = mi.hblkhd;
    b->malloc.in_use = mi.uordblks + mi.hblkhd;
    b->malloc.free = mi.fordblks;
}

static int check_options(const gcp_breakdown_options *opt)
{
    if (!opt)
        return 0;
    if (opt->reserved32_ || !gcp__zero(opt->reserved_, sizeof opt->reserved_))
        return gcp__fail(GCP_EINVAL, "gcp_heap_breakdown: opt->reserved_ must be zero");
    if (opt->flags & ~(unsigned)GCP_BREAKDOWN_NO_COLLECT)
        return gcp__fail(GCP_EINVAL, "gcp_heap_breakdown: unknown flags 0x%x", opt->flags);
    return 0;
}

int gcp_heap_breakdown(const gcp_breakdown_options *opt, gcp_breakdown **out)
{
    gcp_breakdown *bd;
    taking t;
    int rc;

    GCP__REFUSE_IN_HOOK("gcp_heap_breakdown");
    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_heap_breakdown: out is NULL");
    *out = NULL;
    if ((rc = check_options(opt)) < 0)
        return rc;
    gcp_init();
    struct mallinfo2 mi = mallinfo2(); /* the program's, before our buffers */
    bd = calloc(1, sizeof *bd);
    if (!bd)
        return gcp__fail(GCP_ENOMEM, "gcp_heap_breakdown: no memory for the census");
    read_malloc(&bd->b, &mi);
    memset(&t, 0, sizeof t);
    t.b = &bd->b;
    t.census = &bd->census;
    if (!(opt && (opt->flags & GCP_BREAKDOWN_NO_COLLECT)) && !GC_is_disabled()) {
        gcp__collect(0, 0);
        bd->b.gc.collected = 1;
    }
    GC_call_with_alloc_lock(take_locked, &t);
    bd->b.vm_rss = gcp__rss_bytes();
    bd->b.gc.unmap_threshold = gcp__bd_unmap_threshold(getenv("GC_UNMAP_THRESHOLD"));
    if (t.rc < 0) {
        free(bd);
        return gcp__fail(GCP_EIO, "gcp_heap_breakdown: /proc/self/smaps: %s", strerror(-t.rc));
    }
    gcp__breakdown_set_classes(&bd->b, t.census);
    gcp__breakdown_finish(&bd->b);
    *out = bd;
    return 0;
}

/* ---- reading it ------------------------------------------------------------ */

int gcp_breakdown_summary_get(const gcp_breakdown *bd, gcp_breakdown_summary *out, size_t size)
{
    gcp_breakdown_summary s;

    if (!bd || !out)
        return gcp__fail(GCP_EINVAL, "gcp_breakdown_summary_get: %s is NULL", bd ? "s" : "b");
    const gcp__breakdown *b = &bd->b;
    memset(&s, 0, sizeof s);
    s.rss = b->sum;
    s.vm_rss = b->vm_rss;
    s.gc_live = b->row[GCP__ROW_GC_LIVE];
    s.gc_fragmentation = b->row[GCP__ROW_GC_FRAG];
    s.gc_free_mapped = b->row[GCP__ROW_GC_FREE];
    s.gc_internal = b->row[GCP__ROW_GC_INTERNAL];
    s.malloc = b->row[GCP__ROW_MALLOC];
    s.stacks = b->row[GCP__ROW_STACKS];
    s.code = b->row[GCP__ROW_CODE];
    s.file_data = b->row[GCP__ROW_FILE_DATA];
    s.file_other = b->row[GCP__ROW_FILE_OTHER];
    s.anon_other = b->row[GCP__ROW_ANON_OTHER];
    s.heap_size = b->gc.heap_size;
    s.heap_free = b->gc.free;
    s.heap_unmapped = b->gc.unmapped;
    s.heap_marked = b->gc.marked;
    s.malloc_in_use = b->malloc.in_use;
    s.malloc_free = b->malloc.free;
    s.gc_no = b->gc.gc_no;
    s.collected = b->gc.collected;
    s.unmap_threshold = b->gc.unmap_threshold;
    memcpy(out, &s, size < sizeof s ? size : sizeof s);
    return 0;
}

size_t gcp_breakdown_class_count(const gcp_breakdown *bd)
{
    return bd ? bd->b.nclasses : 0;
}

int gcp_breakdown_class_get(const gcp_breakdown *bd, size_t i, gcp_breakdown_class *out,
                            size_t size)
{
    gcp_breakdown_class c;

    if (!bd || !out)
        return gcp__fail(GCP_EINVAL, "gcp_breakdown_class_get: %s is NULL", bd ? "c" : "b");
    if (i >= bd->b.nclasses)
        return gcp__fail(GCP_ERANGE, "gcp_breakdown_class_get: class %zu of %zu", i,
                         bd->b.nclasses);
    const gcp__bd_class *k = &bd->b.classes[i];
    memset(&c, 0, sizeof c);
    c.kind = (int)k->kind;
    c.size = k->size;
    c.objects = k->objects;
    c.bytes = k->bytes;
    c.blocks = k->blocks;
    c.free_bytes = gcp__bd_class_free(k);
    memcpy(out, &c, size < sizeof c ? size : sizeof c);
    return 0;
}

const char *gcp_breakdown_verdict(const gcp_breakdown *bd)
{
    return bd ? bd->b.verdict : "";
}

int gcp_breakdown_print(FILE *fp, const gcp_breakdown *bd)
{
    if (!fp || !bd)
        return gcp__fail(GCP_EINVAL, "gcp_breakdown_print: %s is NULL", fp ? "b" : "fp");
    return gcp__breakdown_print(fp, &bd->b, 10) < 0
               ? gcp__fail(GCP_EIO, "gcp_breakdown_print: write failed")
               : 0;
}

int gcp_breakdown_write_json(FILE *fp, const gcp_breakdown *bd)
{
    if (!fp || !bd)
        return gcp__fail(GCP_EINVAL, "gcp_breakdown_write_json: %s is NULL", fp ? "b" : "fp");
    int rc = gcp__breakdown_json(fp, &bd->b, 0);
    if (rc == 0 && (fputc('\n', fp) == EOF || fflush(fp) != 0))
        rc = -5;
    return rc < 0 ? gcp__fail(GCP_EIO, "gcp_breakdown_write_json: write failed") : 0;
}

void gcp_breakdown_free(gcp_breakdown *bd)
{
    free(bd);
}
