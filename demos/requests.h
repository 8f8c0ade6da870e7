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
    loop_totals loop; /* first: what every loop demo counts */
    uint64_t kept;          /* bytes in the cache at the end */
} requests_totals;

/* Serve o->requests requests; 0, or -1 when a profile could not run. */
int requests_run(const loop_opts *o, requests_totals *t);

#endif /* GCP_DEMO_REQUESTS_H */
