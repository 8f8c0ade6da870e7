/*
 * profile_api.c - gcp_profile and gcp_profile_many: the arguments checked
 * and the dead stack cleared where the profile's frames go, then the
 * profile proper (gcp__profile_run, profile.c).
 */
#include <string.h>

#include "config_internal.h"
#include "profile_frame.h"

/* gcp_profile once its arguments are checked; carry as gcp__profile_run's.
 * Inlined into its two callers, so gcp__profile_run's frame goes where
 * each cleared. */
static inline __attribute__((always_inline)) int profile_call(const char *name, gcp_fn fn,
                                                              void *env, const gcp_config *cfg,
                                                              gcp_report *out, gcp__carry *carry)
{
    /* Where the profiler's frames are about to go, an earlier closure ran
     * (or the trampoline, above): words left in slots our frames never
     * write would keep garbage alive through the baseline (measured: 75
     * nodes of an earlier ring, then counted as collected during this
     * profile). Decided without resolving cfg (gcp__profile_run does that, once)
     * and without a struct in this frame. */
    if (gcp__config_may_collect(cfg))
        gcp__clear_own_frames();
    int rc = gcp__profile_run(name, fn, env, cfg, out, carry);
    __asm__ volatile("" : : : "memory"); /* a call, not a jump into our frame */
    return rc;
}

int gcp_profile(const char *name, gcp_fn fn, void *env, const gcp_config *cfg, gcp_report *out)
{
    GCP__REFUSE_IN_HOOK("gcp_profile");
    if (!fn)
        return gcp__fail(GCP_EINVAL, "gcp_profile: fn is NULL");
    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_profile: out is NULL");
    return profile_call(name, fn, env, cfg, out, NULL);
}

int gcp_profile_many(const gcp_task *tasks, size_t n, const gcp_config *cfg, gcp_report *reports)
{
    gcp_config resolved;
    int failed = 0;

    GCP__REFUSE_IN_HOOK("gcp_profile_many");
    if (n > 0 && (!tasks || !reports))
        return gcp__fail(GCP_EINVAL, "gcp_profile_many: %s is NULL", tasks ? "reports" : "tasks");
    for (size_t i = 0; i < n; i++) {
        if (!tasks[i].fn)
            return gcp__fail(GCP_EINVAL, "gcp_profile_many: tasks[%zu].fn is NULL", i);
        if (!gcp__zero(tasks[i].reserved_, sizeof tasks[i].reserved_))
            return gcp__fail(GCP_EINVAL, "gcp_profile_many: tasks[%zu].reserved_ is not NULL", i);
    }
    int rc = gcp__config_resolve(cfg, &resolved);
    if (rc < 0)
        return rc;
    /* The reports still to be written hold whatever the caller's stack
     * held: no stale word there may keep an earlier task's garbage. */
    if (resolved.auto_gc != GCP_AUTO_GC_OFF && n > 0)
        memset(reports, 0, n * sizeof *reports);
    /* Between tasks only the library runs: the previous task's last census
     * may stand for the next one's baseline (profile_carry.c). */
    gcp__carry carry = {0};
    for (size_t i = 0; i < n; i++) {
        rc = profile_call(tasks[i].name, tasks[i].fn, tasks[i].env, &resolved, &reports[i], &carry);
        if (rc < 0)
            return rc;
        failed += reports[i].status != 0;
    }
    return failed;
}
