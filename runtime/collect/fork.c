/*
 * fork.c - a forked child and the locks a profile takes. fork() copies
 * only the calling thread: a lock another thread held at that moment
 * stays held in the child for ever, and the child's first profile waits
 * on it (check_metrics_life's fork test: 1 child in 20, in an ASan build,
 * waited in gcp__marks_begin). The child, alone, starts each lock afresh,
 * as the metrics (serve/metrics.c), the RSS reader (heap/procfs.c) and the
 * cgroup reader (heap/cgroup_cache.c) do for theirs.
 *
 * One handler, registered once at the collector's set-up (before any
 * profile), not a pthread_once on each profile's path.
 */
#include <pthread.h>

#include "collect.h"
#include "policy.h"

static void child_after_fork(void)
{
    gcp__hold_after_fork();
    gcp__marks_after_fork();
    gcp__events_after_fork();
    gcp__gc_policy_after_fork();
    gcp__gc_budget_after_fork();
}

void gcp__collect_fork_safe(void)
{
    if (pthread_atfork(NULL, NULL, child_after_fork) != 0)
        gcp__log(GCP_LOG_WARN, "pthread_atfork failed: a forked child may wait for a lock its "
                               "parent's other threads held");
}
