/*
 * config_resolve.c - the settings one profile or gc point runs with
 * (config_internal.h): the caller's config checked in a few comparisons
 * (a profiled call costs tens of nanoseconds), or the environment's, read
 * once per process; and what a resolved config asks of the collection
 * policy. Parsing and validation proper are config.c's.
 */
#include <pthread.h>

#include "config_internal.h"
#include "heap.h"
#include "units.h"

/* The environment's config, once per process. */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static gcp_config env_cfg;
static int env_bad;
static char env_msg[GCP__CONFIG_MSG_MAX];

static void env_load_once(void)
{
    env_bad = gcp__config_load_env(&env_cfg, env_msg, sizeof env_msg) != 0;
    if (env_bad)
        gcp_config_init(&env_cfg);
}

/* The common case in a few comparisons (a profiled call's budget is tens
 * of nanoseconds); anything unusual goes through gcp_config_validate. */
static int plainly_valid(const gcp_config *c)
{
    return (unsigned)c->auto_gc <= GCP_AUTO_GC_OFF && (unsigned)c->detailed_stats <= 1 &&
           (unsigned)c->track_peak <= 1 && (unsigned)c->heap_only <= 1 &&
           (c->threshold_mb == 0 ||
            (!c->heap_only && c->threshold_mb > 0 && c->threshold_mb <= GCP__CONFIG_MAX_MIB)) &&
           c->hold_limit_mb >= 0 && c->hold_limit_mb <= GCP__CONFIG_MAX_MIB && c->gc_budget >= 0 &&
           c->gc_budget <= 1 &&
           (c->memory_limit_mb == 0 ||
            (!c->heap_only && c->memory_limit_mb > 0 && c->memory_limit_mb <= GCP__CONFIG_MAX_MIB)) &&
           gcp__zero(c->reserved_, sizeof c->reserved_);
}

int gcp__config_may_collect(const gcp_config *cfg)
{
    if (cfg)
        return cfg->auto_gc != GCP_AUTO_GC_OFF;
    pthread_once(&env_once, env_load_once);
    return env_bad || env_cfg.auto_gc != GCP_AUTO_GC_OFF;
}

int gcp__config_resolve(const gcp_config *cfg, gcp_config *out)
{
    int rc;

    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp__config_resolve: out is NULL");
    if (cfg && plainly_valid(cfg)) {
        *out = *cfg;
        gcp__config_apply_defaults(out);
        return 0;
    }
    if (cfg) {
        rc = gcp_config_validate(cfg);
        if (rc == 0) {
            *out = *cfg;
            gcp__config_apply_defaults(out);
        }
        return rc;
    }
    pthread_once(&env_once, env_load_once);
    if (env_bad)
        return gcp__fail(GCP_EINVAL, "%s", env_msg);
    *out = env_cfg;
    gcp__config_apply_defaults(out);
    return 0;
}

uint64_t gcp__mib_bytes(double mb)
{
    double b = mb * (double)GCP__MIB;

    return b >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)b;
}

void gcp__config_goals(const gcp_config *c, gcp__gc_goals *g)
{
    g->threshold = gcp__mib_bytes(c->threshold_mb);
    g->limit = gcp__mib_bytes(c->memory_limit_mb);
    g->budget = c->gc_budget;
}
