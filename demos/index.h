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
    long ops;               /* profiled calls: ingests and queries */
    long ingests, queries;  /* of which */
    long failed;            /* ops that ran out of memory */
    long collected_after;   /* reports with gc_collected */
    long point_collections; /* gcp_gc_point calls that collected */
    double profiler_gc_s;   /* the profiler's and the gc points' collections */
    double memory_saved;    /* MiB, summed */
    uint64_t bytes;         /* the workload's own count of what it allocated */
    uint64_t live;          /* bytes the index holds at the end (the collector's sizes) */
    uint64_t asked;         /* ... what it asked for them */
    uint64_t terms, postings;
    uint64_t checksum; /* of every query's result: the work is not optimised away */
} index_totals;

/* Run o->ops ops; 0, or -1 when a profile could not run. */
int index_run(const loop_opts *o, index_totals *t);

#endif /* GCP_DEMO_INDEX_H */
