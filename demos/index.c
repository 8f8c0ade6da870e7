/*
 * index - an in-memory search index that grows, under each auto_gc mode
 * (issue 18's third workload).
 *
 *     index [compare] [--rounds N] [--ops N] [--scale X] [--seed N]
 *           [--json FILE] [--check]
 *     index run off|always|adaptive [--ops N] [--scale X] [--seed N]
 *           [--verbose]
 *
 * `run` runs the ops (1,500 by default; index_work.c: 3 of every 4 ingest a 20-200 KiB
 * document into an inverted index that only grows, the 4th is a query;
 * each a profiled call) under one auto_gc mode, with the config
 * gcp_config_init_env makes (GCPROF_* apply) and the mode's auto_gc;
 * adaptive calls gcp_gc_point between ops. It prints one line of figures
 * (demos/requests' keys, then ops=, failed=, mib= allocated, live_mib= the
 * index at the end by gcp_sizeof, checksum=).
 * --verbose: each decision on stderr.
 * `compare` (the default) runs each variant as a child, rounds interleaved
 * (compare.c): off, always, adaptive, then compare.h's knob and budget
 * variants, and prints the table and issue 18's targets for adaptive at
 * the default budget (compare_targets.c). --check: exit 1 when one is
 * missed. --json FILE.
 */
#include <stdio.h>

#include "compare.h"
#include "index.h"
#include "loop_demo.h"

static int run_one(const loop_opts *o)
{
    index_totals t;
    char extra[160];

    if (index_run(o, &t) < 0) {
        fprintf(stderr, "index: %s\n", gcp_last_error());
        return 2;
    }
    snprintf(extra, sizeof extra, "ops=%ld failed=%ld mib=%.1f live_mib=%.2f checksum=%llu",
             t.loop.units, t.loop.failed, (double)t.loop.bytes / 1048576.0,
             (double)t.live / 1048576.0, (unsigned long long)t.loop.checksum);
    if (o->verbose)
        fprintf(stderr,
                "index: %ld ingests, %ld queries, %llu terms, %llu postings, %.2f MiB asked\n",
                t.ingests, t.queries, (unsigned long long)t.terms, (unsigned long long)t.postings,
                (double)t.asked / 1048576.0);
    return loop_print(&t.loop, extra);
}

int main(int argc, char **argv)
{
    /* 1,500 ops: off runs ~1.8 s here, always ~20 s (every collection
     * marks the whole index, so always's time grows with the square of
     * the ops: 3,000 took 60-100 s, too long for make bench's rounds). */
    static const loop_demo demo = {"index", "ops", "ops, documents of 20-200 KiB",
                                   {1500, 1.0, GCP_AUTO_GC_OFF, 0, 0, 18}, run_one};

    return loop_demo_main(argc, argv, &demo);
}
