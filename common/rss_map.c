/*
 * rss_map.c - resident memory by where it lies (rss_map.h).
 *
 * smaps gives each mapping's Rss, which the kernel counts exactly; that
 * is the ground truth every row is cut from, so the rows add up to RSS.
 * A mapping of anonymous memory can hold several things at once (the
 * kernel merges neighbouring anonymous mappings: GC heap sections, the
 * collector's own tables, malloc's large chunks), so those are cut page
 * by page with pagemap: a page that is present and mapped exactly once
 * (bit 56) is certainly counted in Rss. A present page mapped more than
 * once is either the shared zero page (which Rss does not count: a read
 * of untouched memory maps it) or a page shared with a forked child
 * (which it does), so the rest of the mapping's Rss is shared out over
 * those pages by class. mincore cannot tell the two apart.
 *
 * Stacks are told by shape: glibc puts a guard page below every thread's
 * stack, so a writable anonymous mapping right above an inaccessible one
 * is a stack, unless the inaccessible one is a GC block the collector
 * unmapped (bdwgc maps those PROT_NONE). malloc's arenas other than the
 * main one are heaps glibc maps at 64 MiB alignment (HEAP_MAX_SIZE on
 * 64-bit systems), writable at the start, inaccessible up to the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rss_map.h"
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_ALIGN   ((uintptr_t)64 << 20)
#define PAGEMAP_BATCH 512
#define PM_PRESENT    (UINT64_C(1) << 63)
#define PM_EXCLUSIVE  (UINT64_C(1) << 56)

typedef enum { V_ANON, V_HEAP, V_STACK, V_SPECIAL, V_FILE } vma_kind;

typedef struct vma {
    uintptr_t start, end;
    uint64_t rss;
    char r, w, x, shared;
    vma_kind kind;
} vma;

/* ---- reading smaps ------------------------------------------------------ */

static vma_kind kind_of(unsigned long inode, const char *name)
{
    if (strncmp(name, "[heap]", 6) == 0)
        return V_HEAP;
    if (strncmp(name, "[stack", 6) == 0)
        return V_STACK;
    if (strncmp(name, "[anon", 5) == 0 || name[0] == '\0')
        return inode ? V_FILE : V_ANON;
    if (name[0] == '[')
        return V_SPECIAL; /* [vdso], [vvar], [vsyscall], [uprobes] */
    return V_FILE;
}

/* A mapping's first line: "start-end perms offset dev inode   name". */
static int parse_head(const char *line, vma *v)
{
    unsigned long start, end, inode;
    char perms[5];
    int name_at = 0;

    if (sscanf(line, "%lx-%lx %4s %*x %*x:%*x %lu %n", &start, &end, perms, &inode, &name_at) < 4)
        return 0;
    memset(v, 0, sizeof *v);
    v->start = start;
    v->end = end;
    v->r = perms[0] == 'r';
    v->w = perms[1] == 'w';
    v->x = perms[2] == 'x';
    v->shared = perms[3] == 's';
    v->kind = kind_of(inode, name_at > 0 ? line + name_at : "");
    return 1;
}

/* ---- what an anonymous mapping is, besides GC pages ---------------------- */

static int is_guard(const vma *g)
{
    return g->kind == V_ANON && !g->r && !g->w && !g->x;
}

/* The walk: the mapping being placed, with its neighbours. */
typedef struct walk {
    gcp__rss_map *m;
    int fd; /* pagemap, -1 if unreadable */
    long psize;
    gcp__page_class_fn pc;
    void *data;
    uintptr_t lo, hi; /* the collector's pages lie in [lo, hi) */
    vma win[3]; /* previous, current, next (the next's first line only) */
    int n;      /* mappings in win */
} walk;

static uint64_t *shape_of(gcp__rss_map *m, const vma *prev, const vma *v, const vma *next,
                          gcp__page_class_fn pc, void *data)
{
    if (v->kind == V_HEAP)
        return &m->brk;
    if (v->kind == V_STACK)
        return &m->stacks;
    if (prev && prev->end == v->start && is_guard(prev) &&
        pc(prev->start, data) == GCP__PAGE_OTHER && pc(v->start, data) == GCP__PAGE_OTHER)
        return &m->stacks;
    if (v->start % ARENA_ALIGN == 0 &&
        (v->end % ARENA_ALIGN == 0 ||
         (next && next->start == v->end && is_guard(next) && next->end % ARENA_ALIGN == 0)))
        return &m->arenas;
    return &m->anon_other;
}

/* ---- cutting an anonymous mapping page by page ---------------------------- */

typedef struct pages {
    uint64_t once[3];  /* pages mapped once, by GCP__PAGE_* */
    uint64_t multi[3]; /* pages mapped more than once */
} pages;

/* Classifies every page of [start, end), in address order (the
 * collector's free blocks are known by their first page only), and counts
 * the resident ones from pagemap (fd < 0: none). 0, or -1 when pagemap
 * failed. */
static int count_pages(int fd, uintptr_t start, uintptr_t end, long psize, gcp__page_class_fn pc,
                       void *data, pages *p)
{
    uint64_t ent[PAGEMAP_BATCH];

    for (uintptr_t a = start; a < end;) {
        size_t want = (size_t)((end - a) / (uintptr_t)psize), got = want;
        if (want > PAGEMAP_BATCH)
            want = got = PAGEMAP_BATCH;
        if (fd >= 0) {
            ssize_t r = pread(fd, ent, want * sizeof ent[0], (off_t)(a / (uintptr_t)psize * 8));
            if (r <= 0 || r % 8 != 0)
                return -1;
            got = (size_t)r / 8;
        }
        for (size_t k = 0; k < got; k++, a += (uintptr_t)psize) {
            int c = pc(a, data);
            if (fd < 0 || !(ent[k] & PM_PRESENT))
                continue;
            if (c < 0 || c > 2)
                c = GCP__PAGE_OTHER;
            if (ent[k] & PM_EXCLUSIVE)
                p->once[c]++;
            else
                p->multi[c]++;
        }
    }
    return 0;
}

/* Gives v's Rss to the classes: exact for pages mapped once, the rest in
 * proportion to the pages mapped more than once; when only part of v was
 * walked (clipped), the rest is not known to be shared and goes to
 * `other`, the collector's pages mapped more than once being taken for
 * the zero page. Before: 
 * proportion to the pages mapped more than once (to `other` if none). The
 * GC classes are served first; `other` takes what is left, so nothing is
 * lost to rounding. */
static void share_out(gcp__rss_map *m, const vma *v, const pages *p, long psize, uint64_t *other,
                      int clipped)
{
    uint64_t exact = 0, multi = 0, rest, left = v->rss;
    uint64_t *gc[3] = {NULL, &m->gc_used, &m->gc_free};

    for (int c = 0; c < 3; c++) {
        exact += p->once[c] * (uint64_t)psize;
        multi += p->multi[c];
    }
    rest = exact < v->rss ? v->rss - exact : 0;
    if (clipped)
        multi = 0;
    m->shared += multi ? rest : 0;
    for (int c = 1; c < 3; c++) {
        uint64_t mine = p->once[c] * (uint64_t)psize;
        if (multi)
            mine += (uint64_t)((double)rest * (double)p->multi[c] / (double)multi);
        if (mine > left) /* pages faulted in between the two reads */
            mine = left;
        *gc[c] += mine;
        left -= mine;
    }
    *other += left;
}

static void place_anon(walk *w, const vma *prev, const vma *v, const vma *next)
{
    gcp__rss_map *m = w->m;
    gcp__page_class_fn pc = w->pc;
    void *data = w->data;
    int fd = w->fd;
    long psize = w->psize;
    uint64_t *other = shape_of(m, prev, v, next, pc, data);
    pages p;

    /* Only the collector's address range is walked: a sanitizer's shadow
     * is terabytes of one mapping (a page-by-page walk of it never ended). */
    uintptr_t start = v->start > w->lo ? v->start : w->lo;
    uintptr_t end = v->end < w->hi ? v->end : w->hi;
    memset(&p, 0, sizeof p);
    if (start >= end) {
        *other += v->rss;
        return;
    }
    if (v->rss == 0 || fd < 0) { /* walked for the classes' sake only */
        count_pages(-1, start, end, psize, pc, data, &p);
        *other += v->rss;
        return;
    }
    if (count_pages(fd, start, end, psize, pc, data, &p) == 0) {
        share_out(m, v, &p, psize, other, start > v->start || end < v->end);
        return;
    }
    m->by_page = 0; /* then the whole mapping is `other`: no page told */
    *other += v->rss;
}

static void place_file(gcp__rss_map *m, const vma *v)
{
    if (v->x || v->kind == V_SPECIAL)
        m->code += v->rss;
    else if (v->w && !v->shared)
        m->file_data += v->rss;
    else
        m->file_other += v->rss;
}

/* Places v, whose neighbours are known now. */
static void place(walk *w, const vma *prev, const vma *v, const vma *next)
{
    w->m->total += v->rss;
    w->m->mappings++;
    if (v->kind == V_FILE || v->kind == V_SPECIAL || v->shared)
        place_file(w->m, v);
    else if (v->r || v->w)
        place_anon(w, prev, v, next);
}

/* A mapping's first line: the one before it is complete, and placed. */
static void on_head(walk *w, const vma *v)
{
    if (w->n == 3) {
        w->win[0] = w->win[1];
        w->win[1] = w->win[2];
        w->n = 2;
    }
    w->win[w->n++] = *v;
    if (w->n >= 2)
        place(w, w->n == 3 ? &w->win[0] : NULL, &w->win[w->n - 2], &w->win[w->n - 1]);
}

static void on_line(walk *w, const char *line)
{
    unsigned long kib;
    vma v;

    if (sscanf(line, "Rss: %lu kB", &kib) == 1) {
        if (w->n > 0)
            w->win[w->n - 1].rss = (uint64_t)kib * 1024;
    } else if (strchr("0123456789abcdef", line[0]) && parse_head(line, &v)) {
        on_head(w, &v);
    }
}

/* smaps, line by line through a buffer of ours (lines.c): no stdio, no
 * malloc (the preload library reads it under the collector's lock, where
 * a malloc that is the collector's would deadlock). A longer line is cut. */
static int smaps_line(char *line, void *w)
{
    on_line(w, line);
    return 0;
}

static int read_smaps(walk *w)
{
    return gcp__each_line("/proc/self/smaps", smaps_line, w);
}

int gcp__rss_map_read(gcp__rss_map *m, gcp__page_class_fn page_class, void *data, uintptr_t lo,
                      uintptr_t hi)
{
    walk w;
    long psize = sysconf(_SC_PAGESIZE);
    int rc;

    memset(m, 0, sizeof *m);
    memset(&w, 0, sizeof w);
    w.m = m;
    w.psize = psize > 0 ? psize : 4096;
    w.pc = page_class;
    w.lo = lo & ~(uintptr_t)(w.psize - 1);
    w.hi = hi;
    w.data = data;
    w.fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    m->by_page = w.fd >= 0;
    rc = read_smaps(&w);
    if (rc == 0 && w.n > 0) /* the last mapping has no next */
        place(&w, w.n >= 2 ? &w.win[w.n - 2] : NULL, &w.win[w.n - 1], NULL);
    if (w.fd >= 0)
        close(w.fd);
    if (rc < 0)
        memset(m, 0, sizeof *m);
    return rc;
}

uint64_t gcp__rss_statm(void)
{
    char buf[128];
    unsigned long size, resident;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    long psize = sysconf(_SC_PAGESIZE);

    if (fd >= 0)
        close(fd);
    if (got <= 0)
        return 0;
    buf[got] = '\0';
    if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
        return 0;
    return (uint64_t)resident * (uint64_t)(psize > 0 ? psize : 4096);
}
