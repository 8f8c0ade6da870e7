/*
 * config_internal.h - how the profiler turns "a config or NULL" into the
 * settings of one profile (config.c).
 */
#ifndef GCP_CONFIG_INTERNAL_H
#define GCP_CONFIG_INTERNAL_H

#include "gcprof.h"
#include "policy.h"

/* A message's room (as long as the last-error buffer), and the largest MiB
 * a key takes. */
#define GCP__CONFIG_MSG_MAX 256
#define GCP__CONFIG_MAX_MIB 1099511627776.0
/* What hold_limit_mb=0 and gc_budget=0 stand for. */
#define GCP__DEFAULT_HOLD_LIMIT_MB 1024.0
#define GCP__DEFAULT_GC_BUDGET     0.10

/* A valid config with its zeros made the defaults they stand for: what
 * the profiler runs with, and what reports show. Inline: every profiled
 * call applies it. */
static inline void gcp__config_apply_defaults(gcp_config *c)
{
    if (c->auto_gc == GCP_AUTO_GC_DEFAULT)
        c->auto_gc = GCP_AUTO_GC_ALWAYS;
    if (c->hold_limit_mb == 0)
        c->hold_limit_mb = GCP__DEFAULT_HOLD_LIMIT_MB;
    if (c->gc_budget == 0)
        c->gc_budget = GCP__DEFAULT_GC_BUDGET;
}

/* The environment's config (GCPROF, GCPROF_<KEY>) into *cfg, read now
 * (config.c); a message in msg and non-zero when it is bad. */
int gcp__config_load_env(gcp_config *cfg, char *msg, size_t n);

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
