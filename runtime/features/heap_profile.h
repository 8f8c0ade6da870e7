/*
 * heap_profile.h - what the runtime's own features (the line table by
 * caller) do with a heap profile they started themselves.
 */
#ifndef GCP_HEAP_PROFILE_H
#define GCP_HEAP_PROFILE_H

#include "pprof_module.h"

/* Starts a heap profile of every allocation that belongs to the feature
 * named who (a string that outlives it): the program's
 * gcp_heap_profile_stop and _write refuse it (GCP_ESTATE) until
 * gcp__heap_profile_release. Returns 0, GCP_ESTATE (one already samples,
 * or in the collector's hook), GCP_ENOTFOUND (no libunwind, or no pprof
 * module file: checked first, before the work it would end), GCP_ENOMEM;
 * said. A stopped profile the program had not written is dropped. */
int gcp__heap_profile_own(const char *who);

/* Stops who's profile; with fn, symbolises its samples through the pprof
 * module and calls fn for each stack (as gcp__pprof_each_sample), under
 * the same lock, so no other profile comes between; then forgets it, so
 * that a later gcp_heap_profile_write says none was started. Every path
 * of the feature ends here (fn NULL when it has nothing to read). Returns
 * 0, fn's non-zero return, GCP_ESTATE (not who's), or as
 * gcp__pprof_each_sample. */
int gcp__heap_profile_release(const char *who, gcp__pprof_sample_fn *fn, void *ctx);

/* The program's heap profile (running or stopped) in pprof's format, in
 * a malloc'd buffer, for the metrics endpoint's /debug/pprof/heap.
 * Returns 0; GCP_ESTATE, not said, when the program has none (none
 * started, or the runtime's own); else as gcp_heap_profile_write. */
int gcp__heap_profile_pprof(char **body, size_t *len);

#endif
