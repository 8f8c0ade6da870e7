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
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "requests.h"

#define DEFAULT_BUDGET 0.10 /* the runtime's default gc_budget (issue 18) */

static const struct {
    const char *word;
    int auto_gc, gc_points;
} modes[] = {
    {"off", GCP_AUTO_GC_OFF, 0},
    {"always", GCP_AUTO_GC_ALWAYS, 0},
    {"adaptive", GCP_AUTO_GC_ADAPTIVE, 1},
};
#define MODES (sizeof modes / sizeof modes[0])

/* The first three rows are the modes: the table's ratios and the targets
 * read them by position. */
static const cmp_variant all_variants[] = {{"off", "off", {NULL}},
                                           {"always", "always", {NULL}},
                                           {"adaptive", "adaptive", {NULL}},
                                           CMP_KNOB_AND_BUDGET_VARIANTS};
#define ALL_VARIANTS (sizeof all_variants / sizeof all_variants[0])
_Static_assert(ALL_VARIANTS <= CMP_MAX_VARIANTS, "compare.h's CMP_MAX_VARIANTS");

typedef struct args {
    int rounds, check, mode;
    const char *json;
    requests_opts opts;
} args;

/* ---- run: one mode, in this process -------------------------------- */

static int run_one(const requests_opts *o)
{
    requests_totals t;
    char extra[160];

    cmp_child_start();
    if (requests_run(o, &t) < 0) {
        fprintf(stderr, "requests: %s\n", gcp_last_error());
        return 2;
    }
    cmp_figures f = {.profiler_gc_s = t.profiler_gc_s,
                     .memory_saved = t.memory_saved,
                     .collected_after = t.collected_after,
                     .points = t.point_collections};
    snprintf(extra, sizeof extra, "requests=%ld failed=%ld mib=%.1f kept_mib=%.2f checksum=%llu",
             t.requests, t.failed, (double)t.bytes / 1048576.0, (double)t.kept / 1048576.0,
             (unsigned long long)t.checksum);
    cmp_print_figures(&f, extra);
    return t.failed ? 1 : 0;
}

/* ---- compare ------------------------------------------------------------- */

static int compare(const args *a, const char *prog)
{
    char n[32], scale[32], seed[32], title[128], head[128];
    const char *run_args[] = {"--requests", n, "--scale", scale, "--seed", seed, NULL};

    snprintf(n, sizeof n, "%d", a->opts.requests);
    snprintf(scale, sizeof scale, "%g", a->opts.scale);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->opts.seed);
    snprintf(title, sizeof title, "requests: %d requests of 50-500 KiB x %g, seed %s",
             a->opts.requests, a->opts.scale, seed);
    snprintf(head, sizeof head, "\"benchmark\": \"requests\", \"requests\": %d, \"scale\": %g",
             a->opts.requests, a->opts.scale);
    cmp_spec s = {prog, all_variants, ALL_VARIANTS, run_args, a->rounds};
    return cmp_compare(&s, DEFAULT_BUDGET, title, a->json, head, a->check);
}

/* ---- arguments ---------------------------------------------------------- */

static int usage(void)
{
    fputs("usage: requests [compare] [--rounds N] [--requests N] [--scale X] [--seed N] "
          "[--json FILE] [--check]\n       requests run off|always|adaptive [--requests N] "
          "[--scale X] [--seed N] [--verbose]\n",
          stderr);
    return 2;
}

static int mode_of(const char *word)
{
    for (size_t m = 0; word && m < MODES; m++)
        if (strcmp(word, modes[m].word) == 0)
            return (int)m;
    return -1;
}

/* --requests N and --seed N, the request loop's own flags. */
static int own_flag(const char *flag, const char *value, void *ctx)
{
    requests_opts *o = ctx;

    if (strcmp(flag, "--requests") == 0) {
        o->requests = atoi(value);
        return o->requests >= 1 ? 1 : -1;
    }
    if (strcmp(flag, "--seed") == 0) {
        o->seed = strtoull(value, NULL, 10);
        return 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, args *a)
{
    cmp_args c = {NULL, a->rounds, 0, 0, a->opts.scale, NULL};

    if (cmp_parse_args(argc, argv, &c, own_flag, &a->opts) != 0)
        return -1;
    a->mode = c.run ? mode_of(c.run) : -1;
    if (c.run && a->mode < 0)
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
    args a = {5, 0, -1, NULL, {2000, 1.0, GCP_AUTO_GC_OFF, 0, 0, 18}};

    if (parse_args(argc, argv, &a) != 0)
        return usage();
    if (a.mode < 0)
        return compare(&a, argv[0]);
    a.opts.auto_gc = modes[a.mode].auto_gc;
    a.opts.gc_points = modes[a.mode].gc_points;
    return run_one(&a.opts);
}
