/*
 * leak_sites.h - per-site growth for the leak check (leak_sites.c).
 */
#ifndef GCP_LEAK_SITES_H
#define GCP_LEAK_SITES_H

#include "gcprof.h"

typedef struct gcp__site_growth {
    long double *sy, *sxy; /* per site: sums of live bytes, and of x * them */
    gcp_site_stats *last;  /* the latest census, for names */
    size_t cap, n_sites, samples;
    long double sx, sxx;
} gcp__site_growth;

void gcp__site_growth_init(gcp__site_growth *g);
void gcp__site_growth_free(gcp__site_growth *g);
/* Take a census by site (right after a full collection) as sample x.
 * Returns 0, or -1 out of memory (the check then names no sites). */
int gcp__site_growth_add(gcp__site_growth *g, size_t x);
/* The sites growing faster than threshold bytes per iteration, into out. */
void gcp__site_growth_result(const gcp__site_growth *g, double threshold, gcp_leak_report *out);

#endif
