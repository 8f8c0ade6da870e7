/*
 * plot_series.c - the lines of `gcprof plot` (RSS; the GC heap's builds on
 * them in plot_heap.c), thinned so huge files stay small and their spikes
 * stay visible.
 */
#include "plot.h"

#include <stdlib.h>

/* By time; at the same time the higher value first, so a collection that
 * took no measurable time still draws its drop from before to after. */
static int cmp_pt(const void *a, const void *b)
{
    const tool_pt *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->v < y->v) - (x->v > y->v);
}

void tool_series_sort(tool_series *s)
{
    for (size_t i = 1; i < s->n; i++) {
        if (cmp_pt(&s->pts[i - 1], &s->pts[i]) > 0) {
            qsort(s->pts, s->n, sizeof *s->pts, cmp_pt);
            return;
        }
    }
}

int tool_series_room(tool_series *s, size_t n)
{
    s->n = 0;
    s->pts = n ? malloc(n * sizeof *s->pts) : NULL;
    return n && !s->pts ? -1 : 0;
}

int tool_series_rss(const tool_tl *tl, tool_series *s)
{
    size_t n = 0;

    for (size_t i = 0; i < tl->nsamples; i++)
        n += tl->samples[i].has_rss != 0;
    if (tool_series_room(s, n) < 0)
        return -1;
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *sa = &tl->samples[i];
        if (sa->has_rss)
            s->pts[s->n++] = (tool_pt){sa->t - tl->origin, sa->rss_mib};
    }
    tool_series_sort(s);
    return 0;
}

static size_t bucket_of(double t, double t0, double span, size_t buckets)
{
    size_t b = span > 0 ? (size_t)((t - t0) / span * (double)buckets) : 0;

    return b < buckets ? b : buckets - 1;
}

void tool_series_thin(tool_series *s, size_t max_points)
{
    size_t buckets = max_points / 2, out = 0, i = 0;
    double t0, span;

    if (s->n <= max_points || buckets == 0)
        return;
    t0 = s->pts[0].t;
    span = s->pts[s->n - 1].t - t0;
    /* in place: each bucket writes at most as many points as it read */
    while (i < s->n) {
        size_t b = bucket_of(s->pts[i].t, t0, span, buckets);
        size_t lo = i, hi = i, j = i;
        for (; j < s->n && bucket_of(s->pts[j].t, t0, span, buckets) == b; j++) {
            lo = s->pts[j].v < s->pts[lo].v ? j : lo;
            hi = s->pts[j].v > s->pts[hi].v ? j : hi;
        }
        s->pts[out++] = s->pts[lo < hi ? lo : hi];
        if (lo != hi)
            s->pts[out++] = s->pts[lo < hi ? hi : lo];
        i = j;
    }
    s->n = out;
}

void tool_series_draw(FILE *fp, const tool_frame *f, const tool_series *s, const char *cls,
                      int area)
{
    if (s->n == 0)
        return;
    if (s->n == 1) {
        fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" class=\"%s-dot\"/>\n",
                tool_px_x(f, s->pts[0].t), tool_px_y(f, s->pts[0].v), cls);
        return;
    }
    if (area) {
        fprintf(fp, "<polygon class=\"%s-area\" points=\"%.1f,%.1f", cls, tool_px_x(f, s->pts[0].t),
                f->chart_bottom);
        for (size_t i = 0; i < s->n; i++)
            fprintf(fp, " %.1f,%.1f", tool_px_x(f, s->pts[i].t), tool_px_y(f, s->pts[i].v));
        fprintf(fp, " %.1f,%.1f\"/>\n", tool_px_x(f, s->pts[s->n - 1].t), f->chart_bottom);
    }
    fprintf(fp, "<polyline class=\"%s\" points=\"", cls);
    for (size_t i = 0; i < s->n; i++)
        fprintf(fp, "%s%.1f,%.1f", i ? " " : "", tool_px_x(f, s->pts[i].t),
                tool_px_y(f, s->pts[i].v));
    fputs("\"/>\n", fp);
}

void tool_series_free(tool_series *s)
{
    free(s->pts);
    s->pts = NULL;
    s->n = 0;
}
