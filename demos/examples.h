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

/* Profile fn under the environment's config and print its ProfileReport
 * (main's arguments: none, or --verify to check it against the program's
 * own record, verify.h); the exit status for main(): the closure's
 * status, 1 on error or a wrong figure, 2 for bad arguments. */
int example_main(int argc, char **argv, const char *name, gcp_fn fn);

#endif
