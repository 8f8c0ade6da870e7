/*
 * plot_heap.c - the GC heap in `gcprof plot`. Heap in use climbs as the
 * program allocates and drops at each collection: a sawtooth. With
 * collections a few pixels apart the sawtooth fills its whole range, so
 * then each pixel column shows that range (highest before a collection to
 * lowest after one) as a light band. Either way one line follows the heap
 * in use after the collections: what they could not free, the floor that
 * grows when something leaks.
 */
#include "plot.h"
#include "units.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>


/* Heap in use at each sample, and before and after each collection: the
 * samples miss the peaks, as the heap is fullest just before a collection. */
static int make_curve(const tool_tl *tl, long pid, tool_series *s)
{
    size_t n = 2 * tl->ngcs;

    for (size_t i = 0; i < tl->nsamples; i++)
        n += tl->samples[i].has_heap != 0;
    if (tool_series_room(s, n) < 0)
        return -1;
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *sa = &tl->samples[i];
        if (!sa->has_heap || tool_tl_pid_of(tl, sa->pid) != pid)
            continue;
        s->pts[s->n++] =
            (tool_pt){sa->t - tl->origin, (double)tool_tl_heap_in_use(sa) / GCP__MIB_F};
    }
    for (size_t i = 0; i < tl->ngcs; i++) {
        const gcp_tl_gc *g = &tl->gcs[i];
        if (tool_tl_pid_of(tl, g->pid) != pid)
            continue;
        s->pts[s->n++] = (tool_pt){g->t - tl->origin, (double)g->heap_before / GCP__MIB_F};
        s->pts[s->n++] = (tool_pt){g->t + g->total - tl->origin, (double)g->heap_after / GCP__MIB_F};
    }
    tool_series_sort(s);
    return 0;
}

/* Heap in use after each collection, from its end (timeline-formats.md). */
static int make_floor(const tool_tl *tl, long pid, tool_series *s)
{
    if (tool_series_room(s, tl->ngcs) < 0)
        return -1;
    for (size_t i = 0; i < tl->ngcs; i++) {
        const gcp_tl_gc *g = &tl->gcs[i];
        if (tool_tl_pid_of(tl, g->pid) == pid)
            s->pts[s->n++] = (tool_pt){g->t + g->total - tl->origin, (double)g->heap_after / GCP__MIB_F};
    }
    tool_series_sort(s);
    return 0;
}

int tool_heap_make(const tool_tl *tl, tool_plot *p)
{
    return make_curve(tl, p->heap_pid, &p->heap) < 0 || make_floor(tl, p->heap_pid, &p->floor) < 0
               ? -1
               : 0;
}

/* ---- fitting to the pixels -------------------------------------------- */

/* Are many collections closer to the one before than a tooth's width? A
 * few such (a burst of forced collections) leave the sawtooth readable. */
static int crowded(const tool_frame *f, const tool_series *ends)
{
    size_t close = 0;

    for (size_t i = 1; i < ends->n; i++) {
        double gap = tool_px_x(f, ends->pts[i].t) - tool_px_x(f, ends->pts[i - 1].t);
        close += gap < TOOL_PLOT_TOOTH_PX;
    }
    return close >= TOOL_PLOT_CROWDED;
}

/* One point per pixel column, the lowest: a floor line, not a band of its
 * own. In place; s is in time order, so a column's points are adjacent. */
static void lowest_per_column(const tool_frame *f, tool_series *s)
{
    size_t out = 0;
    long last = LONG_MIN;

    for (size_t i = 0; i < s->n; i++) {
        long col = (long)floor(tool_px_x(f, s->pts[i].t));
        if (out > 0 && col == last) {
            if (s->pts[i].v < s->pts[out - 1].v)
                s->pts[out - 1] = s->pts[i];
            continue;
        }
        s->pts[out++] = s->pts[i];
        last = col;
    }
    s->n = out;
}

void tool_heap_fit(tool_plot *p)
{
    p->heap_band = crowded(&p->f, &p->floor);
    lowest_per_column(&p->f, &p->floor);
    /* the band reads the whole curve; a line is thinned like RSS */
    if (!p->heap_band)
        tool_series_thin(&p->heap, TOOL_PLOT_MAX_POINTS);
}

/* ---- the band --------------------------------------------------------- */

typedef struct range {
    double lo, hi; /* MiB */
    int set;
} range;

static void range_add(range *r, double v)
{
    if (!r->set || v < r->lo)
        r->lo = v;
    if (!r->set || v > r->hi)
        r->hi = v;
    r->set = 1;
}

static size_t column_of(double x, size_t ncols)
{
    return x <= 0 ? 0 : x >= (double)(ncols - 1) ? ncols - 1 : (size_t)x;
}

/* The straight line from a to b over the columns it crosses: each gets its
 * values where the line enters and leaves it. */
static void band_segment(const tool_frame *f, tool_pt a, tool_pt b, range *cols, size_t ncols)
{
    double xa = tool_px_x(f, a.t) - f->left, xb = tool_px_x(f, b.t) - f->left;
    size_t ca = column_of(xa, ncols), cb = column_of(xb, ncols);

    range_add(&cols[ca], a.v);
    for (size_t c = ca + 1; c <= cb; c++) {
        double v = xb > xa ? a.v + (b.v - a.v) * ((double)c - xa) / (xb - xa) : b.v;
        range_add(&cols[c - 1], v);
        range_add(&cols[c], v);
    }
    range_add(&cols[cb], b.v);
}

/* One edge of the band, its columns left to right or back. */
static void band_edge(FILE *fp, const tool_frame *f, const range *cols, size_t ncols, int top)
{
    for (size_t k = 0; k < ncols; k++) {
        size_t c = top ? k : ncols - 1 - k;
        double x = f->left + (double)c + 0.5;
        if (cols[c].set)
            fprintf(fp, " %.1f,%.1f", x < f->right ? x : f->right,
                    tool_px_y(f, top ? cols[c].hi : cols[c].lo));
    }
}

static int draw_band(FILE *fp, const tool_plot *p)
{
    const tool_frame *f = &p->f;
    const tool_series *s = &p->heap;
    size_t ncols = (size_t)(f->right - f->left) + 1;
    range *cols = calloc(ncols, sizeof *cols);

    if (!cols)
        return -1;
    range_add(&cols[column_of(tool_px_x(f, s->pts[0].t) - f->left, ncols)], s->pts[0].v);
    for (size_t i = 1; i < s->n; i++)
        band_segment(f, s->pts[i - 1], s->pts[i], cols, ncols);
    /* the curve is continuous: its columns are one run, one polygon */
    fputs("<polygon class=\"heap-band\" points=\"", fp);
    band_edge(fp, f, cols, ncols, 1);
    band_edge(fp, f, cols, ncols, 0);
    fprintf(fp,
            "\"><title>GC heap in use: lowest to highest in each pixel column "
            "(%zu collections, too close together to draw one by one)</title></polygon>\n",
            p->tl->ngcs);
    free(cols);
    return 0;
}

int tool_heap_draw(FILE *fp, const tool_plot *p)
{
    if (p->heap.n == 0)
        return 0;
    fputs("<g id=\"heap\">\n", fp);
    if (!p->heap_band)
        tool_series_draw(fp, &p->f, &p->heap, "heap", 0);
    else if (draw_band(fp, p) < 0)
        return -1;
    tool_series_draw(fp, &p->f, &p->floor, "heap-floor", 0);
    fputs("</g>\n", fp);
    return 0;
}
