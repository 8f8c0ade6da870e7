/*
 * pipeline.h - the pipeline demo's workload (pipeline_work.c), shared with
 * its driver (pipeline.c).
 */
#ifndef GCP_DEMO_PIPELINE_H
#define GCP_DEMO_PIPELINE_H

#include <stdint.h>

#include "gcprof.h"

typedef struct pipeline_opts {
    int batches;
    double scale;   /* records per batch: 20000 x scale */
    int auto_gc;    /* gcp_auto_gc for every stage */
    int gc_points;  /* call gcp_gc_point between batches */
    int verbose;    /* each stage's decision on stderr */
} pipeline_opts;

/* What the run's reports and gc points add up to. */
typedef struct pipeline_totals {
    long stages;            /* profiled calls */
    long failed;            /* stages that ran out of memory */
    long collected_after;   /* reports with gc_collected */
    long point_collections; /* gcp_gc_point calls that collected */
    double profiler_gc_s;   /* the profiler's and the gc points' collections */
    double memory_saved;    /* MiB, summed */
    uint64_t objects;       /* allocated by the stages */
    uint64_t cgroup_limit;  /* bytes, the last gc point's (0: none known) */
    uint64_t cgroup_usage;  /* bytes, that cgroup's working set then */
    char last_reason[96];   /* the last report's gc_reason */
} pipeline_totals;

/* Run o->batches batches; 0, or -1 when a profile could not run. */
int pipeline_run(const pipeline_opts *o, pipeline_totals *t);

#endif /* GCP_DEMO_PIPELINE_H */
