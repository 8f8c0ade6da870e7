/*
 * plot_alloc.c - the allocation lane of `gcprof plot`: how fast the program
 * allocated, in MiB/s, from the collector's running total of bytes
 * allocated (GC_get_total_bytes, in each heap sample). A bar spans the time
 * between two consecutive heap samples; spans narrower than a pixel join,
 * so a bar's area is still the bytes allocated under it.
 */
#include "plot.h"
#include "units.h"

#include <stdlib.h>


typedef struct mark {
    double t;
    uint64_t bytes, gc_no;
} mark;

static int cmp_mark(const void *a, const void *b)
{
    const mark *x = a, *y = b;

    return (x->t > y->t) - (x->t < y->t);
}

/* The heap samples' totals, in time order; *n of them. NULL: none or no
 * memory (then *n is not 0). */
static mark *marks(const tool_tl *tl, long pid, size_t *n)
{
    mark *m;
    size_t k = 0;

    *n = 0;
    for (size_t i = 0; i < tl->nsamples; i++) /* one process's: totals do not mix */
        *n += tl->samples[i].has_heap && tool_tl_pid_of(tl, tl->samples[i].pid) == pid;
    if (*n == 0 || !(m = malloc(*n * sizeof *m)))
        return NULL;
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *sa = &tl->samples[i];
        if (sa->has_heap && tool_tl_pid_of(tl, sa->pid) == pid)
            m[k++] = (mark){sa->t - tl->origin, sa->bytes_allocated, sa->gc_no};
    }
    qsort(m, *n, sizeof *m, cmp_mark);
    return m;
}

/* From one heap sample to a later one; a total that goes down counts 0. */
static tool_span span(const mark *a, const mark *b)
{
    return (tool_span){a->t, b->t, b->bytes > a->bytes ? (double)(b->bytes - a->bytes) : 0,
                       b->gc_no > a->gc_no ? b->gc_no - a->gc_no : 0};
}

/* Samples at the same time make no span: the next span starts at the
 * first of them, so no byte is lost. */
int tool_alloc_make(const tool_tl *tl, tool_plot *p)
{
    size_t n, from = 0;
    mark *m = marks(tl, p->heap_pid, &n);

    p->nalloc = 0;
    if (!m)
        return n ? -1 : 0;
    p->allocated = (double)m[n - 1].bytes / GCP__MIB_F;
    if (n > 1 && !(p->alloc = malloc((n - 1) * sizeof *p->alloc))) {
        free(m);
        return -1;
    }
    for (size_t i = 1; i < n; i++) {
        if (!(m[i].t > m[from].t))
            continue;
        p->alloc[p->nalloc++] = span(&m[from], &m[i]);
        from = i;
    }
    free(m);
    return 0;
}

/* The next bar, from span *i on: spans join until it is a pixel wide. */
static tool_span next_bar(const tool_plot *p, size_t *i)
{
    tool_span b = p->alloc[(*i)++];

    while (*i < p->nalloc && tool_px_x(&p->f, b.t1) - tool_px_x(&p->f, b.t0) < 1) {
        b.t1 = p->alloc[*i].t1;
        b.bytes += p->alloc[*i].bytes;
        b.gcs += p->alloc[(*i)++].gcs;
    }
    return b;
}

/* Capped: a span of 1e-300 s (the file's times are any decimals) would
 * make it infinite, and the lane's scale with it. */
static double rate(const tool_span *b)
{
    double r = b->bytes / (b->t1 - b->t0) / GCP__MIB_F;

    return r < 1e300 ? r : 1e300;
}

static void bar(FILE *fp, const tool_plot *p, const tool_lane *l, const tool_span *b)
{
    double x0 = tool_px_x(&p->f, b->t0), x1 = tool_px_x(&p->f, b->t1);
    double y = tool_lane_y(l, rate(b));

    if (b->bytes <= 0)
        return;
    fprintf(fp,
            "<rect class=\"alloc\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
            "<title>%.4g MiB/s from %.3f s to %.3f s: %.3f MiB allocated, %llu collection%s"
            "</title></rect>\n",
            x0, y, x1 - x0, l->bottom - y, rate(b), b->t0, b->t1, b->bytes / GCP__MIB_F,
            (unsigned long long)b->gcs, b->gcs == 1 ? "" : "s");
}

void tool_alloc_draw(FILE *fp, const tool_plot *p)
{
    tool_lane l = p->f.alloc;
    double max = 0;
    char note[80];

    if (p->nalloc == 0)
        return;
    for (size_t i = 0; i < p->nalloc;) {
        tool_span b = next_bar(p, &i);
        max = rate(&b) > max ? rate(&b) : max;
    }
    snprintf(note, sizeof note, "%.1f MiB allocated in all", p->allocated);
    fputs("<g id=\"allocation\">\n", fp);
    tool_plot_lane(fp, &p->f, &l, max,
                   "allocation rate, MiB/s (bytes allocated between heap samples / time)", note);
    for (size_t i = 0; i < p->nalloc;) {
        tool_span b = next_bar(p, &i);
        bar(fp, p, &l, &b);
    }
    fputs("</g>\n", fp);
}
