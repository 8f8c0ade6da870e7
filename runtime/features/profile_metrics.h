/*
 * profile_metrics.h - per-name histograms of profiled closures for the
 * metrics endpoint (runtime/serve/): time and bytes allocated.
 */
#ifndef GCP_PROFILE_METRICS_H
#define GCP_PROFILE_METRICS_H

#include "gcprof.h"
#include "prom_text.h"

/* Start (clearing every series) or stop keeping them. At most max_names
 * names get series of their own, in the order they first end; the rest
 * share function="_other". Returns 0 or GCP_ENOMEM. */
int gcp__profile_metrics_on(unsigned max_names);
void gcp__profile_metrics_off(void);
/* In a forked child: the lock made anew (a thread of the parent's may
 * have held it at the fork). */
void gcp__profile_metrics_forked(void);
/* A profile ended (profile.c): one relaxed load when off. */
void gcp__profile_metrics_note(const gcp_report *r);
/* The two families, when on. */
void gcp__profile_metrics_render(gcp__prom *p);

#endif
