/*
 * pipeline - a data-processing pipeline under each auto_gc mode.
 *
 *     pipeline [compare] [--rounds N] [--batches N] [--scale X]
 *              [--json FILE] [--check]
 *     pipeline run off|always|adaptive|adaptive-no-points [--batches N]
 *              [--scale X] [--verbose]
 *
 * `run` processes the batches (parse -> transform -> aggregate, each stage
 * a profiled call; pipeline_work.c) under one auto_gc mode and prints one
 * line of figures; adaptive also calls gcp_gc_point after each batch
 * (adaptive-no-points does not), and the line ends with the cgroup memory
 * limit the last one reported (cgroup_limit=, bytes; 0: none known) and
 * that cgroup's working set then (cgroup_usage=).
 * --verbose: each decision on stderr.
 * The profiles' config is gcp_config_init_env's (GCPROF_* apply), then the
 * mode's auto_gc.
 * `compare` (the default) runs each variant as a child process, rounds
 * interleaved (compare.c): the four modes, auto_gc off under bdwgc's
 * GC_FREE_SPACE_DIVISOR=2, 4, 8, and adaptive under GCPROF_GC_BUDGET=0.05,
 * 0.10, 0.20, 0.40.
 * The table: wall time (the parent's clock), peak RSS (the kernel's
 * ru_maxrss of the child), collections, bdwgc's time in all of them (GC s,
 * and its share of wall time), the profiler's collection time and the gc
 * points that collected, with ratios to off (time) and always (peak).
 * Medians over the rounds; then issue 18's targets for adaptive at the
 * default budget (compare_targets.c: wall time, the share of it in
 * collections, the lowest peak against bdwgc's settings that spend no
 * more time collecting). --check: exit 1 when one is
 * missed. --json FILE writes the figures and targets as JSON.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "pipeline.h"

#define MODES 4 /* the `run` words: auto_gc modes, and adaptive without gc points */

static const char *const mode_names[MODES] = {"off", "always", "adaptive", "adaptive-no-points"};
static const int mode_auto_gc[MODES] = {GCP_AUTO_GC_OFF, GCP_AUTO_GC_ALWAYS, GCP_AUTO_GC_ADAPTIVE,
                                        GCP_AUTO_GC_ADAPTIVE};
#define ADAPTIVE 2 /* the mode with gc points */
/* The comparison's rows: the modes, bdwgc's own knob under auto_gc off
 * (its default divisor is 3), and the GC-time budget under adaptive
 * (0.10 is the default) -- issue 18. */
static const cmp_variant all_variants[] = {{"off", "off", {NULL}},
                                           {"always", "always", {NULL}},
                                           {"adaptive", "adaptive", {NULL}},
                                           {"adaptive-no-points", "adaptive-no-points", {NULL}},
                                           CMP_KNOB_AND_BUDGET_VARIANTS};
#define ALL_VARIANTS (sizeof all_variants / sizeof all_variants[0])
_Static_assert(ALL_VARIANTS <= CMP_MAX_VARIANTS, "compare.h's CMP_MAX_VARIANTS");

typedef struct args {
    int rounds, check, verbose;
    const char *json;
    pipeline_opts opts;
} args;

static int mode_of(const char *name)
{
    for (int m = 0; m < MODES; m++)
        if (strcmp(name, mode_names[m]) == 0)
            return m;
    return -1;
}

/* ---- run: one mode, in this process -------------------------------- */

static int run_one(const pipeline_opts *o)
{
    pipeline_totals t;
    char extra[256];

    cmp_child_start();
    if (pipeline_run(o, &t) < 0) {
        fprintf(stderr, "pipeline: %s\n", gcp_last_error());
        return 2;
    }
    cmp_figures f = {.profiler_gc_s = t.profiler_gc_s,
                     .memory_saved = t.memory_saved,
                     .collected_after = t.collected_after,
                     .points = t.point_collections};
    snprintf(extra, sizeof extra,
             "stages=%ld failed=%ld objects=%llu cgroup_limit=%llu "
             "cgroup_usage=%llu",
             t.stages, t.failed, (unsigned long long)t.objects, (unsigned long long)t.cgroup_limit,
             (unsigned long long)t.cgroup_usage);
    cmp_print_figures(&f, extra);
    return t.failed ? 1 : 0;
}

/* ---- compare: each variant in a child -------------------------------- */

static int compare(const args *a, const char *prog)
{
    char batches[32], scale[32], title[96], head[128];
    const char *run_args[] = {"--batches", batches, "--scale", scale, NULL};
    int records = (int)(20000 * a->opts.scale);

    snprintf(batches, sizeof batches, "%d", a->opts.batches);
    snprintf(scale, sizeof scale, "%g", a->opts.scale);
    snprintf(title, sizeof title, "pipeline: %d batches of %d records", a->opts.batches, records);
    snprintf(head, sizeof head, "\"benchmark\": \"pipeline\", \"batches\": %d, \"records\": %d",
             a->opts.batches, records);
    cmp_spec s = {prog, all_variants, ALL_VARIANTS, run_args, a->rounds};
    return cmp_compare(&s, title, a->json, head, a->check);
}

/* ---- arguments ---------------------------------------------------------- */

static int usage(void)
{
    fputs("usage: pipeline [compare] [--rounds N] [--batches N] [--scale X] [--json FILE] "
          "[--check]\n       pipeline run off|always|adaptive|adaptive-no-points [--batches N] "
          "[--scale X] [--verbose]\n",
          stderr);
    return 2;
}

/* --batches N, the pipeline's own flag. */
static int own_flag(const char *flag, const char *value, void *ctx)
{
    pipeline_opts *o = ctx;

    if (strcmp(flag, "--batches") != 0)
        return 0;
    o->batches = atoi(value);
    return o->batches >= 1 ? 1 : -1;
}

static int parse_args(int argc, char **argv, args *a, int *run_mode)
{
    cmp_args c = {NULL, a->rounds, 0, 0, a->opts.scale, NULL};

    if (cmp_parse_args(argc, argv, &c, own_flag, &a->opts) != 0)
        return -1;
    *run_mode = c.run ? mode_of(c.run) : -1;
    if (c.run && *run_mode < 0)
        return -1;
    a->rounds = c.rounds;
    a->check = c.check;
    a->json = c.json;
    a->opts.verbose = c.verbose;
    a->opts.scale = c.scale;
    return 0;
}

int main(int argc, char **argv)
{
    args a = {5, 0, 0, NULL, {48, 1.0, GCP_AUTO_GC_OFF, 0, 0}};
    int run_mode;

    if (parse_args(argc, argv, &a, &run_mode) != 0)
        return usage();
    if (run_mode < 0)
        return compare(&a, argv[0]);
    a.opts.auto_gc = mode_auto_gc[run_mode];
    a.opts.gc_points = run_mode == ADAPTIVE;
    return run_one(&a.opts);
}
