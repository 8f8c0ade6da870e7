/*
 * leak_sites.h - what a leak grows from, for the leak check: least-squares
 * slopes of many series over its iterations (leak_sites.c), by site here
 * and by call stack in leak_stacks.h.
 */
#ifndef GCP_LEAK_SITES_H
#define GCP_LEAK_SITES_H

#include "gcprof.h"

/* The x values (iteration numbers) are the same for every series, so each
 * needs only its sums of y and x*y; a series first seen late simply had
 * y = 0 before, which adds nothing to either sum. Zero-initialised is
 * empty. */
typedef struct gcp__slopes {
    long double *sy, *sxy; /* per series */
    size_t cap, n, samples;
    long double sx, sxx;
} gcp__slopes;

void gcp__slopes_free(gcp__slopes *s);
/* y[0..n) at x. 0, or -1 out of memory (nothing added). */
int gcp__slopes_add(gcp__slopes *s, size_t x, const double *y, size_t n);
/* The series whose slope is above threshold, fastest first, at most room:
 * their indices into idx and slopes into slope. Returns how many. */
size_t gcp__slopes_top(const gcp__slopes *s, double threshold, size_t *idx, double *slope,
                       size_t room);

typedef struct gcp__site_growth {
    gcp__slopes slopes;
    gcp_site_stats *last; /* the latest census, for names */
    double *y;            /* scratch: live bytes per site */
    size_t cap;
} gcp__site_growth;

void gcp__site_growth_init(gcp__site_growth *g);
void gcp__site_growth_free(gcp__site_growth *g);
/* Take a census by site (right after a full collection) as sample x.
 * Returns 0, or -1 out of memory (the check then names no sites). */
int gcp__site_growth_add(gcp__site_growth *g, size_t x);
/* The sites growing faster than threshold bytes per iteration, into out. */
void gcp__site_growth_result(const gcp__site_growth *g, double threshold, gcp_leak_report *out);

#endif
