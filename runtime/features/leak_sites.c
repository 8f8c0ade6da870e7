/*
 * leak_sites.c - which allocation sites a leak grows from: a least-squares
 * slope of live bytes per site over the leak check's iterations.
 *
 * The x values (iteration numbers) are the same for every site, so each
 * site needs only its sums of y and x*y; a site first seen late simply
 * had y = 0 before, which adds nothing to either sum.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

#include "leak_sites.h"

void gcp__site_growth_init(gcp__site_growth *g)
{
    memset(g, 0, sizeof *g);
}

void gcp__site_growth_free(gcp__site_growth *g)
{
    free(g->sy);
    free(g->sxy);
    free(g->last);
    gcp__site_growth_init(g);
}

static int grow(gcp__site_growth *g, size_t n)
{
    if (n <= g->cap)
        return 0;
    long double *sy = realloc(g->sy, n * sizeof *sy);
    long double *sxy = sy ? realloc(g->sxy, n * sizeof *sxy) : NULL;
    gcp_site_stats *last = sxy ? realloc(g->last, n * sizeof *last) : NULL;
    if (sy)
        g->sy = sy;
    if (sxy)
        g->sxy = sxy;
    if (last)
        g->last = last;
    if (!last)
        return -1;
    memset(g->sy + g->cap, 0, (n - g->cap) * sizeof *sy);
    memset(g->sxy + g->cap, 0, (n - g->cap) * sizeof *sxy);
    g->cap = n;
    return 0;
}

int gcp__site_growth_add(gcp__site_growth *g, size_t x)
{
    gcp_site_stats *stats;
    size_t n;

    if (gcp__sites_census(&stats, &n) < 0)
        return -1;
    if (grow(g, n) < 0) {
        free(stats);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        g->sy[i] += (long double)stats[i].bytes_live;
        g->sxy[i] += (long double)x * (long double)stats[i].bytes_live;
    }
    memcpy(g->last, stats, n * sizeof *stats);
    g->n_sites = n;
    g->sx += (long double)x;
    g->sxx += (long double)x * (long double)x;
    g->samples++;
    free(stats);
    return 0;
}

static int by_slope_desc(const void *a, const void *b)
{
    const struct gcp_leak_site *x = a, *y = b;

    return (x->bytes_per_iteration < y->bytes_per_iteration) -
           (x->bytes_per_iteration > y->bytes_per_iteration);
}

void gcp__site_growth_result(const gcp__site_growth *g, double threshold, gcp_leak_report *out)
{
    long double n = (long double)g->samples;
    long double denom = n * g->sxx - g->sx * g->sx;
    struct gcp_leak_site top[sizeof out->sites / sizeof out->sites[0] + 1];
    size_t kept = 0, room = sizeof out->sites / sizeof out->sites[0];

    out->n_sites = 0;
    if (g->samples < 2 || denom <= 0)
        return;
    for (size_t i = 0; i < g->n_sites; i++) {
        double slope = (double)((n * g->sxy[i] - g->sx * g->sy[i]) / denom);
        if (!(slope > threshold))
            continue;
        top[kept].file = g->last[i].file;
        top[kept].func = g->last[i].func;
        top[kept].line = g->last[i].line;
        top[kept].type = g->last[i].type;
        top[kept].bytes_per_iteration = slope;
        kept++;
        qsort(top, kept, sizeof top[0], by_slope_desc);
        if (kept > room)
            kept = room; /* the slowest drops off */
    }
    memcpy(out->sites, top, kept * sizeof top[0]);
    out->n_sites = kept;
}
