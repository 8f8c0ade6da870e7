/*
 * requests.h - the request-loop demo's workload (requests_work.c), shared
 * with its driver (requests.c).
 */
#ifndef GCP_DEMO_REQUESTS_H
#define GCP_DEMO_REQUESTS_H

#include <stdint.h>

#include "gcprof.h"
#include "loop_demo.h"

/* What the run's reports and gc points add up to. */
typedef struct requests_totals {
    long requests;          /* profiled calls */
    long failed;            /* requests that ran out of memory */
    long collected_after;   /* reports with gc_collected */
    long point_collections; /* gcp_gc_point calls that collected */
    double profiler_gc_s;   /* the profiler's and the gc points' collections */
    double memory_saved;    /* MiB, summed */
    uint64_t bytes;         /* the workload's own count of what it allocated */
    uint64_t kept;          /* bytes in the cache at the end */
    uint64_t checksum;      /* of every response: the work is not optimised away */
} requests_totals;

/* Serve o->requests requests; 0, or -1 when a profile could not run. */
int requests_run(const loop_opts *o, requests_totals *t);

#endif /* GCP_DEMO_REQUESTS_H */
