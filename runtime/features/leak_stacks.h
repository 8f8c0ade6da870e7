/*
 * leak_stacks.h - the leak check by call stack (GCP_LEAK_BY_STACK): a
 * heap profile of every allocation during the check, in-use bytes per
 * stack after each measured collection, the slopes of those (leak_sites.h),
 * and the fastest growing stacks symbolised into the report.
 */
#ifndef GCP_LEAK_STACKS_H
#define GCP_LEAK_STACKS_H

#include "leak_sites.h"

typedef struct gcp__stack_growth {
    gcp__slopes slopes;
    double *bytes, *objects; /* scratch: in use per stack */
    size_t cap;
} gcp__stack_growth;

/* Starts the check's heap profile. 0, or an error said (GCP_ESTATE when a
 * heap profile already samples). */
int gcp__stack_growth_start(gcp__stack_growth *g);
/* After a measured collection: in use per stack as sample x, and the
 * totals (everything allocated since the start that the collection
 * marked) into *bytes and *objects. 0, or -1 out of memory. */
int gcp__stack_growth_add(gcp__stack_growth *g, size_t x, uint64_t *bytes, uint64_t *objects);
/* Stops the profile; with out, the stacks growing faster than threshold
 * bytes per iteration go into out's sites, symbolised, their storage the
 * report's (out->stacks_). Frees g. 0, or an error said. */
int gcp__stack_growth_finish(gcp__stack_growth *g, double threshold, gcp_leak_report *out);

#endif
