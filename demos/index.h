/*
 * index.h - the search-index demo's workload (index_work.c), shared with
 * its driver (index.c).
 */
#ifndef GCP_DEMO_INDEX_H
#define GCP_DEMO_INDEX_H

#include <stdint.h>

#include "gcprof.h"
#include "loop_demo.h"

/* What the run's reports and gc points add up to. */
typedef struct index_totals {
    loop_totals loop; /* first: what every loop demo counts */
    long ingests, queries;  /* of which */
    uint64_t live;          /* bytes the index holds at the end (the collector's sizes) */
    uint64_t asked;         /* ... what it asked for them */
    uint64_t terms, postings;
} index_totals;

/* Run o->ops ops; 0, or -1 when a profile could not run. */
int index_run(const loop_opts *o, index_totals *t);

#endif /* GCP_DEMO_INDEX_H */
