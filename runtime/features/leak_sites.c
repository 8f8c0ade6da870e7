/*
 * leak_sites.c - which allocation sites a leak grows from: a least-squares
 * slope of live bytes per site over the leak check's iterations, and the
 * slopes themselves, which leak_stacks.c shares (leak_sites.h).
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

#include "leak_sites.h"

/* ---- slopes of many series ------------------------------------------------ */

void gcp__slopes_free(gcp__slopes *s)
{
    free(s->sy);
    free(s->sxy);
    memset(s, 0, sizeof *s);
}

static int slopes_grow(gcp__slopes *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    long double *sy = realloc(s->sy, n * sizeof *sy);
    if (sy)
        s->sy = sy;
    long double *sxy = sy ? realloc(s->sxy, n * sizeof *sxy) : NULL;
    if (!sxy)
        return -1;
    s->sxy = sxy;
    memset(s->sy + s->cap, 0, (n - s->cap) * sizeof *sy);
    memset(s->sxy + s->cap, 0, (n - s->cap) * sizeof *sxy);
    s->cap = n;
    return 0;
}

int gcp__slopes_add(gcp__slopes *s, size_t x, const double *y, size_t n)
{
    if (slopes_grow(s, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        s->sy[i] += (long double)y[i];
        s->sxy[i] += (long double)x * (long double)y[i];
    }
    if (n > s->n)
        s->n = n;
    s->sx += (long double)x;
    s->sxx += (long double)x * (long double)x;
    s->samples++;
    return 0;
}

size_t gcp__slopes_top(const gcp__slopes *s, double threshold, size_t *idx, double *slope,
                       size_t room)
{
    long double n = (long double)s->samples;
    long double denom = n * s->sxx - s->sx * s->sx;
    size_t kept = 0;

    if (s->samples < 2 || denom <= 0 || room == 0)
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        double v = (double)((n * s->sxy[i] - s->sx * s->sy[i]) / denom);
        if (!(v > threshold) || (kept == room && v <= slope[kept - 1]))
            continue;
        size_t k = kept < room ? kept++ : room - 1; /* the slowest drops off */
        for (; k > 0 && slope[k - 1] < v; k--) {
            slope[k] = slope[k - 1];
            idx[k] = idx[k - 1];
        }
        slope[k] = v;
        idx[k] = i;
    }
    return kept;
}

/* ---- by site ---------------------------------------------------------------- */

void gcp__site_growth_init(gcp__site_growth *g)
{
    memset(g, 0, sizeof *g);
}

void gcp__site_growth_free(gcp__site_growth *g)
{
    gcp__slopes_free(&g->slopes);
    free(g->last);
    free(g->y);
    gcp__site_growth_init(g);
}

int gcp__site_growth_add(gcp__site_growth *g, size_t x)
{
    gcp_site_stats *stats;
    size_t n;

    if (gcp__sites_census(&stats, &n) < 0)
        return -1;
    if (n > g->cap) {
        gcp_site_stats *last = realloc(g->last, n * sizeof *last);
        if (last)
            g->last = last;
        double *y = last ? realloc(g->y, n * sizeof *y) : NULL;
        if (!y) {
            free(stats);
            return -1;
        }
        g->y = y;
        g->cap = n;
    }
    for (size_t i = 0; i < n; i++)
        g->y[i] = (double)stats[i].bytes_live;
    int rc = gcp__slopes_add(&g->slopes, x, g->y, n);
    if (rc == 0 && n > 0) /* with no site, last and stats may be NULL */
        memcpy(g->last, stats, n * sizeof *stats);
    free(stats);
    return rc;
}

void gcp__site_growth_result(const gcp__site_growth *g, double threshold, gcp_leak_report *out)
{
    enum { ROOM = sizeof out->sites / sizeof out->sites[0] };
    size_t idx[ROOM];
    double slope[ROOM];
    size_t kept = gcp__slopes_top(&g->slopes, threshold, idx, slope, ROOM);

    for (size_t k = 0; k < kept; k++) {
        const gcp_site_stats *st = &g->last[idx[k]];
        out->sites[k] = (struct gcp_leak_site){st->file, st->func, st->line, slope[k], st->type};
    }
    out->n_sites = kept;
}
