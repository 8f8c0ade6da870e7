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
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include "breakdown.h"
#include "collect.h"

#include <gc/gc_mark.h>

/* Mapped, not malloc'd: malloc's figures (mallinfo2) must be the
 * program's alone, and the census is 74 KiB. */
struct gcp_breakdown {
    gcp__breakdown b;
    gcp__bd_census census; /* the classes' storage */
};

static gcp_breakdown *storage_new(void)
{
    void *p = mmap(NULL, sizeof(gcp_breakdown), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

typedef struct taking {
    gcp__breakdown *b;
    gcp__bd_census *census;
    int rc;
} taking;

static void *GC_CALLBACK take_locked(void *data)
{
    taking *t = data;
    const gcp__bd_collector gc = {GC_enumerate_reachable_objects_inner,
                                  GC_get_heap_size,
                                  GC_get_free_bytes,
                                  GC_get_unmapped_bytes,
                                  GC_get_obtained_from_os_bytes,
                                  GC_get_gc_no,
                                  GC_is_heap_ptr,
                                  GC_base,
                                  GC_get_kind_and_size,
                                  (uintptr_t)GC_least_plausible_heap_addr,
                                  (uintptr_t)GC_greatest_plausible_heap_addr + 1};

    t->rc = gcp__breakdown_read_locked(t->b, t->census, &gc);
    return NULL;
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
    int rc, collected = 0;

    GCP__REFUSE_IN_HOOK("gcp_heap_breakdown");
    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_heap_breakdown: out is NULL");
    *out = NULL;
    if ((rc = check_options(opt)) < 0)
        return rc;
    gcp_init();
    bd = storage_new();
    if (!bd)
        return gcp__fail(GCP_ENOMEM, "gcp_heap_breakdown: no memory for the census");
    gcp__breakdown_begin(&bd->b, &bd->census);
    memset(&t, 0, sizeof t);
    t.b = &bd->b;
    t.census = &bd->census;
    if (!(opt && (opt->flags & GCP_BREAKDOWN_NO_COLLECT)) && !GC_is_disabled()) {
        gcp__collect(0, 0);
        collected = 1;
    }
    GC_call_with_alloc_lock(take_locked, &t);
    if (t.rc < 0) {
        gcp_breakdown_free(bd);
        return gcp__fail(GCP_EIO, "gcp_heap_breakdown: /proc/self/smaps: %s", strerror(-t.rc));
    }
    gcp__breakdown_end(&bd->b, t.census, collected,
                       gcp__bd_unmap_threshold(getenv("GC_UNMAP_THRESHOLD")));
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
    if (bd)
        munmap(bd, sizeof *bd);
}
