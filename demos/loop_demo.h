/*
 * loop_demo.h - the driver of demos whose workload is a loop of units of
 * work, each a profiled call (demos/requests, demos/index; loop_demo.c):
 * the modes, the command line, and the comparison with bdwgc's knob and
 * the GC-time budget (compare.h). A demo gives its unit's name and
 * defaults, and how to run one mode in this process.
 *
 *     NAME [compare] [--rounds N] [--UNITS N] [--scale X] [--seed N]
 *          [--json FILE] [--check]
 *     NAME run off|always|adaptive [--UNITS N] [--scale X] [--seed N]
 *          [--verbose]
 */
#ifndef GCP_DEMO_LOOP_DEMO_H
#define GCP_DEMO_LOOP_DEMO_H

#include <stdint.h>

#include "gcprof.h"

/* How to run the loop. */
typedef struct loop_opts {
    int count;     /* units of work */
    double scale;  /* each unit's size, times this */
    int auto_gc;   /* gcp_auto_gc for every unit */
    int gc_points; /* call gcp_gc_point between units */
    int verbose;   /* each decision on stderr */
    uint64_t seed; /* the PRNG's: the same seed, the same run */
} loop_opts;

/* What every loop demo counts (a demo's own totals start with it). */
typedef struct loop_totals {
    long units;             /* profiled calls */
    long failed;            /* of which the closure failed (out of memory) */
    long collected_after;   /* reports with gc_collected */
    long point_collections; /* gcp_gc_point calls that collected */
    double profiler_gc_s;   /* the profiler's and the gc points' collections */
    double memory_saved;    /* MiB, summed */
    uint64_t bytes;         /* the workload's own count of what it allocated */
    uint64_t checksum;      /* of the work: it is not optimised away */
} loop_totals;

/* The config every unit runs with: GCPROF and GCPROF_<KEY> (the
 * comparison's budget variants set them), then o's mode. 0 or -1. */
int loop_config(const loop_opts *o, gcp_config *cfg);
/* One unit's report into t. */
void loop_add_report(loop_totals *t, const gcp_report *r);
/* The gc point after unit i (named unit in --verbose's line). */
void loop_gc_point(const gcp_config *cfg, const char *unit, long i, int verbose, loop_totals *t);
/* compare.h's line of figures from t, then extra; the exit status. */
int loop_print(const loop_totals *t, const char *extra);

typedef struct loop_demo {
    const char *name;  /* the program: messages, the title, JSON's "benchmark" */
    const char *units; /* "requests", "ops": the flag (--UNITS) and the JSON key */
    const char *what;  /* the title after the count, e.g. "requests of 50-500 KiB" */
    loop_opts defaults;
    /* Run the loop under o in this process and print compare.h's line of
     * figures (cmp_print_figures); the exit status. */
    int (*run)(const loop_opts *o);
} loop_demo;

/* The whole program: `run` one mode, or `compare` them all. */
int loop_demo_main(int argc, char **argv, const loop_demo *d);

#endif /* GCP_DEMO_LOOP_DEMO_H */
