/*
 * heap_profile.h - what the runtime's own features (the line table by
 * caller) do with a heap profile they started themselves.
 */
#ifndef GCP_HEAP_PROFILE_H
#define GCP_HEAP_PROFILE_H

#include "pprof_module.h"

/* After gcp_heap_profile_stop of a profile the caller started: its samples
 * symbolised through the pprof module, fn called for each stack (as
 * gcp__pprof_each_sample), and the profile forgotten, so that a later
 * gcp_heap_profile_write says none was started. who names the caller in
 * messages. Returns 0, fn's non-zero return, GCP_ESTATE (no stopped
 * profile), or as gcp__pprof_each_sample. */
int gcp__heap_profile_take(const char *who, gcp__pprof_sample_fn *fn, void *ctx);

#endif
