/*
 * examples.h - the design's two example closures, shared by the demos.
 */
#ifndef GCP_DEMO_EXAMPLES_H
#define GCP_DEMO_EXAMPLES_H

#include "gcprof.h"

/* Builds a 1000 x 1000 matrix (row i, column j holds i * j), sums it and
 * drops it. env: NULL. Returns 0. */
int example_process_data(void *env);

/* 100 records {'id': i, 'refs': shared}, where the shared list refers to
 * every record: a cycle only a tracing collector reclaims. env: NULL. */
int example_circular_refs(void *env);

/* The config the demos use: defaults, then GCPROF / GCPROF_<KEY>. Exits
 * with status 2 and a message when the environment is invalid. */
void example_config(gcp_config *cfg);

/* Profile fn under the environment's config and print its ProfileReport;
 * the exit status for main(): the closure's status, or 1 on error. */
int example_main(const char *name, gcp_fn fn);

#endif
