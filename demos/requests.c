/*
 * requests - a request-serving loop under each auto_gc mode (issue 18).
 *
 *     requests [compare] [--rounds N] [--requests N] [--scale X] [--seed N]
 *              [--json FILE] [--check]
 *     requests run off|always|adaptive [--requests N] [--scale X] [--seed N]
 *              [--verbose]
 *
 * `run` serves the requests (requests_work.c: each a profiled call that
 * builds 50-500 KiB of short-lived objects and keeps ~1% in a bounded
 * cache) under one auto_gc mode, with the config gcp_config_init_env
 * makes (GCPROF_* apply) and the mode's auto_gc; adaptive calls
 * gcp_gc_point between requests. It prints one line of figures (the same
 * keys as demos/pipeline's, then requests=, failed=, mib=, kept_mib=).
 * --verbose: each decision on stderr.
 * `compare` (the default) runs each variant as a child, rounds interleaved
 * (compare.c): off, always, adaptive; off under bdwgc's
 * GC_FREE_SPACE_DIVISOR=2, 4, 8; adaptive under GCPROF_GC_BUDGET=0.05,
 * 0.10, 0.20, 0.40.
 * It prints demos/pipeline's table and issue 18's targets for adaptive at
 * the default budget (compare_targets.c). --check: exit 1 when one is
 * missed. --json FILE.
 */
#include <stdio.h>

#include "compare.h"
#include "loop_demo.h"
#include "requests.h"

static int run_one(const loop_opts *o)
{
    requests_totals t;
    char extra[160];

    if (requests_run(o, &t) < 0) {
        fprintf(stderr, "requests: %s\n", gcp_last_error());
        return 2;
    }
    snprintf(extra, sizeof extra, "requests=%ld failed=%ld mib=%.1f kept_mib=%.2f checksum=%llu",
             t.loop.units, t.loop.failed, (double)t.loop.bytes / 1048576.0,
             (double)t.kept / 1048576.0, (unsigned long long)t.loop.checksum);
    return loop_print(&t.loop, extra);
}

int main(int argc, char **argv)
{
    static const loop_demo demo = {"requests", "requests", "requests of 50-500 KiB",
                                   {2000, 1.0, GCP_AUTO_GC_OFF, 0, 0, 18}, run_one};

    return loop_demo_main(argc, argv, &demo);
}
