/*
 * summary.h - a timeline's key numbers: peaks, collections and pauses,
 * closures by name. Times are seconds from the timeline's origin.
 */
#ifndef GCP_SUMMARY_H
#define GCP_SUMMARY_H

#include "timeline_read.h"

/* All calls of one closure name. */
typedef struct gcp_closure {
    const char *name;
    size_t calls, unfinished;
    double total, max_rise; /* s; MiB, over finished calls */
    int has_rise;
} gcp_closure;

typedef struct gcp_summary {
    double duration;    /* origin to the end record (or the last record) */
    size_t nrss, nheap; /* samples carrying RSS, the GC heap */
    int has_rss, has_heap;
    double peak_rss, peak_rss_t, peak_heap, peak_heap_t; /* MiB; s from origin */
    /* peak_rss is the highest RSS in any record: samples, and the enter and
     * exit records of closures. When no sample reached it, it came from a
     * closure (peak_rss_closure) and sampled_rss is the samples' own peak
     * (what `gcprof peak` and `mprof peak` print), if any. */
    int peak_rss_closure, has_sampled_rss;
    double sampled_rss;
    size_t nforced;
    double pause_total, pause_max, pause_p99; /* s */
    double gc_share;                          /* collections' time (start to end) / duration */
    gcp_closure *closures;                    /* longest total first */
    size_t nclosures;
} gcp_summary;

/* Fill *sm from tl (which must outlive it: names point into tl).
 * Returns 0, or -1 when out of memory. */
int gcp__summary_make(const gcp_tlr *tl, gcp_summary *sm);

/* Free what *sm owns; safe on a zeroed or failed one. */
void gcp__summary_free(gcp_summary *sm);

#endif /* GCP_SUMMARY_H */
