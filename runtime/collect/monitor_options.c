/*
 * monitor_options.c - the monitor's options: the defaults ({0}), the
 * environment's settings on top (GCPROF_MONITOR_INTERVAL, _FORMAT,
 * GCPROF_MONITOR_OUT, GCPROF_TRACE: doc/environment.md), and the check
 * gcp_monitor_start makes.
 */
#include "collect.h"
#include "env.h"
#include "monitor.h"

#include <math.h>
#include <string.h>

int gcp_monitor_options_init(gcp_monitor_options *o)
{
    if (!o)
        return gcp__fail(GCP_EINVAL, "gcp_monitor_options_init: opts is NULL");
    memset(o, 0, sizeof *o); /* {0}: interval 0 is the default, 0.01 s */
    return 0;
}

/* The environment's settings on top of *o, through env.c's readers (kinds
 * and ranges: env_table.c). Stops at the first bad one, *o half-set. */
static int read_env(gcp_monitor_options *o)
{
    const char *path = gcp__env_text("GCPROF_MONITOR_OUT");
    double interval;
    int format, trace, rc;

    if (path)
        o->path = path;
    if ((rc = gcp__env_number("GCPROF_MONITOR_INTERVAL", &interval)) < 0)
        return rc;
    if (rc > 0)
        o->interval = interval;
    if ((rc = gcp__env_enum("GCPROF_MONITOR_FORMAT", &format)) < 0)
        return rc;
    if (rc > 0)
        o->format = format == 1 ? GCP_MONITOR_JSONL : GCP_MONITOR_DAT; /* "dat|jsonl" */
    if ((rc = gcp__env_bool("GCPROF_TRACE", &trace)) < 0)
        return rc;
    if (rc > 0)
        o->trace = trace;
    return 0;
}

int gcp_monitor_options_init_env(gcp_monitor_options *o)
{
    gcp_monitor_options env;
    int rc;

    if (!o)
        return gcp__fail(GCP_EINVAL, "gcp_monitor_options_init_env: opts is NULL");
    gcp_monitor_options_init(o);
    env = *o;
    rc = read_env(&env);
    if (rc < 0)
        return rc; /* *o: the defaults */
    *o = env;
    return 0;
}

int gcp__monitor_options_check(const gcp_monitor_options *o)
{
    if (!o)
        return gcp__fail(GCP_EINVAL, "gcp_monitor_start: opts is NULL");
    if (o->interval != 0 && (!isfinite(o->interval) || o->interval < GCP__MONITOR_MIN_INTERVAL ||
                             o->interval > GCP__MONITOR_MAX_INTERVAL))
        return gcp__fail(GCP_EINVAL,
                         "gcp_monitor_start: interval must be 0 (the default, %g s) or from %g "
                         "to %g s, got %g",
                         GCP__MONITOR_DEFAULT_INTERVAL, GCP__MONITOR_MIN_INTERVAL,
                         GCP__MONITOR_MAX_INTERVAL, o->interval);
    if (!gcp__zero(o->reserved_, sizeof o->reserved_))
        return gcp__fail(GCP_EINVAL, "gcp_monitor_start: opts->reserved_ is not zero (start "
                                     "from {0})");
    if (o->format != GCP_MONITOR_DAT && o->format != GCP_MONITOR_JSONL)
        return gcp__fail(GCP_EINVAL, "gcp_monitor_start: format %d is not DAT or JSONL",
                         (int)o->format);
    if (!o->path && !o->fp && !o->trace)
        return gcp__fail(GCP_EINVAL, "gcp_monitor_start: nothing to record (no path, fp or trace)");
    return 0;
}
