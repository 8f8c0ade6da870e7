/*
 * compare_limit.c - issue 18's memory-limit target, the same for every
 * demo: under a memory_limit_mb that auto_gc off exceeds, adaptive (at its
 * default budget, which it may then exceed) stays under it.
 *
 * The limit is set halfway between the lowest peaks of always (the
 * profiler collecting after every closure: about the least this workload
 * can peak at) and off, so that off exceeds it and staying under it is
 * possible. The row "adaptive+limit" runs as many rounds as the others;
 * its target is its highest peak RSS (ru_maxrss, every round: "never
 * exceeded") at most the limit. The policy reads RSS at gc points and
 * collects, over budget if it must, once RSS is at 90% of the limit
 * (policy_model.c), so what the program allocates between two points must
 * fit in the last 10%.
 */
#include <math.h>
#include <stdio.h>

#include "compare.h"

double cmp_limit_mib(const cmp_summary *off, const cmp_summary *always)
{
    double gap = off->lowest_peak_mib - always->lowest_peak_mib;

    if (!(gap > 0.2)) /* no room between them at the 0.1 MiB the variable takes */
        return 0;
    return round(10.0 * (always->lowest_peak_mib + gap / 2)) / 10.0;
}

int cmp_limit_run(const cmp_spec *s, double limit_mib, cmp_variant *v, cmp_summary *m)
{
    static char env[64]; /* the child's putenv keeps the pointer: static */
    cmp_spec one = *s;

    snprintf(env, sizeof env, "GCPROF_MEMORY_LIMIT_MB=%.1f", limit_mib);
    *v = (cmp_variant){"adaptive+limit", "adaptive", {env, NULL}};
    one.variants = v;
    one.n = 1;
    return cmp_run(&one, m);
}

size_t cmp_limit_judge(const cmp_summary *limited, const cmp_summary *off, double limit_mib,
                       cmp_target *t)
{
    *t = (cmp_target){"", limited->highest_peak_mib / limit_mib, "x", "<= 1.00x", 0};
    snprintf(t->name, sizeof t->name, "highest peak vs limit %.1f MiB (off: %.1f)", limit_mib,
             off->lowest_peak_mib);
    t->met = limited->highest_peak_mib <= limit_mib && off->lowest_peak_mib > limit_mib;
    return 1;
}
