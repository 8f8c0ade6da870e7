/*
 * config_internal.h - how the profiler turns "a config or NULL" into the
 * settings of one profile (config.c).
 */
#ifndef GCP_CONFIG_INTERNAL_H
#define GCP_CONFIG_INTERNAL_H

#include "gcprof.h"
#include "policy.h"

/* The settings to profile with. cfg non-NULL: validate it and copy it to
 * *out (cheap: no getenv, no parsing). cfg NULL: the environment's config
 * (GCPROF, GCPROF_<KEY>), read once per process and cached. Returns 0, or
 * GCP_EINVAL with the message re-recorded as this thread's last error
 * (not logged); *out is then untouched. Thread-safe. */
int gcp__config_resolve(const gcp_config *cfg, gcp_config *out);

/* Whether a profile under cfg (NULL: the environment's) may run the
 * profiler's collections: auto_gc is not off, or cfg is not yet known to
 * be valid. Cheaper than resolving (no copy, no validation). */
int gcp__config_may_collect(const gcp_config *cfg);

/* MiB as bytes, saturating rather than wrapping for huge limits. */
uint64_t gcp__mib_bytes(double mb);

/* What a resolved config asks of the collection policy (policy.h): its
 * RSS bounds (which the policy applies only with an RSS reading) and its
 * GC-time budget. */
void gcp__config_goals(const gcp_config *c, gcp__gc_goals *g);

#endif /* GCP_CONFIG_INTERNAL_H */
