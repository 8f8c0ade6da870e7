/*
 * gc_point.c - gcp_gc_point(): at the end of a unit of work, collect when
 * the policy's model (collect/policy_model.c) says a collection pays, and
 * unmap when memory is short or the program idle.
 */
#include <string.h>

#include "collect.h"
#include "units.h"
#include "config_internal.h"
#include "policy.h"
#include "unmap.h"

/* An unmapping round after the point's collection: did it free blocks? */
static int point_unmap_round(void *unused)
{
    uint64_t heap_in_use0 = gcp__heap_in_use();

    (void)unused;
    gcp__collect(1, 0);
    return gcp__heap_in_use() < heap_in_use0;
}

/* A point that unmaps (memory is short, or the program idle) returns
 * what it can, not just the blocks that happen to have aged (unmap.c). */
static void point_collect(gcp_gc_decision *d, int how, int read_rss)
{
    uint64_t rss_before = read_rss ? gcp__rss_bytes() : 0, t;

    gcp__events_acquire();
    t = gcp__now_ns();
    gcp__collect(how == GCP__COLLECT_AND_UNMAP, 0);
    if (how == GCP__COLLECT_AND_UNMAP)
        gcp__unmap_until_quiet(point_unmap_round, NULL);
    t = gcp__now_ns() - t;
    d->cost = (double)t / 1e9;
    gcp__events_release();
    if (read_rss) {
        uint64_t rss_after = gcp__rss_bytes();
        d->memory_saved =
            rss_before > rss_after ? (double)(rss_before - rss_after) / (double)GCP__MIB : 0;
    }
}

int gcp_gc_point(const gcp_config *cfg, gcp_gc_decision *out)
{
    gcp_config c;
    gcp__gc_signals s;
    gcp_gc_decision d;

    GCP__REFUSE_IN_HOOK("gcp_gc_point");
    int rc = gcp__config_resolve(cfg, &c);
    if (rc < 0)
        return rc;
    gcp_init();
    memset(&d, 0, sizeof d);
    int read_rss = !c.heap_only && gcp__rss_available();
    gcp__gc_goals goals;
    gcp__config_goals(&c, &goals);
    gcp__gc_signals_read(&s, read_rss ? gcp__rss_bytes() : 0, &goals, 1);
    int how = gcp__gc_decide(&s, d.reason, sizeof d.reason);
    d.collected = how != GCP__SKIP;
    d.allocated = s.allocated;
    d.live = s.live;
    d.predicted_cost = s.predicted_s;
    d.since_last = s.since_s;
    d.cgroup_limit = s.cgroup_limit;
    d.cgroup_usage = s.cgroup_usage;
    if (d.collected)
        point_collect(&d, how, read_rss);
    if (out)
        *out = d;
    return d.collected;
}
