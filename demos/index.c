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
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "index.h"

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
    index_opts opts;
} args;

/* ---- run: one mode, in this process -------------------------------- */

static int run_one(const index_opts *o)
{
    index_totals t;
    char extra[160];

    cmp_child_start();
    if (index_run(o, &t) < 0) {
        fprintf(stderr, "index: %s\n", gcp_last_error());
        return 2;
    }
    cmp_figures f = {.profiler_gc_s = t.profiler_gc_s,
                     .memory_saved = t.memory_saved,
                     .collected_after = t.collected_after,
                     .points = t.point_collections};
    snprintf(extra, sizeof extra, "ops=%ld failed=%ld mib=%.1f live_mib=%.2f checksum=%llu", t.ops,
             t.failed, (double)t.bytes / 1048576.0, (double)t.live / 1048576.0,
             (unsigned long long)t.checksum);
    cmp_print_figures(&f, extra);
    if (o->verbose)
        fprintf(stderr,
                "index: %ld ingests, %ld queries, %llu terms, %llu postings, %.2f MiB asked\n",
                t.ingests, t.queries, (unsigned long long)t.terms, (unsigned long long)t.postings,
                (double)t.asked / 1048576.0);
    return t.failed ? 1 : 0;
}

/* ---- compare ------------------------------------------------------------- */

static int compare(const args *a, const char *prog)
{
    char n[32], scale[32], seed[32], title[128], head[128];
    const char *run_args[] = {"--ops", n, "--scale", scale, "--seed", seed, NULL};

    snprintf(n, sizeof n, "%d", a->opts.ops);
    snprintf(scale, sizeof scale, "%g", a->opts.scale);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->opts.seed);
    snprintf(title, sizeof title, "index: %d ops, documents of 20-200 KiB x %g, seed %s",
             a->opts.ops, a->opts.scale, seed);
    snprintf(head, sizeof head, "\"benchmark\": \"index\", \"ops\": %d, \"scale\": %g", a->opts.ops,
             a->opts.scale);
    cmp_spec s = {prog, all_variants, ALL_VARIANTS, run_args, a->rounds};
    return cmp_compare(&s, DEFAULT_BUDGET, title, a->json, head, a->check);
}

/* ---- arguments ---------------------------------------------------------- */

static int usage(void)
{
    fputs("usage: index [compare] [--rounds N] [--ops N] [--scale X] [--seed N] "
          "[--json FILE] [--check]\n       index run off|always|adaptive [--ops N] "
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

/* --ops N and --seed N, the index's own flags. */
static int own_flag(const char *flag, const char *value, void *ctx)
{
    index_opts *o = ctx;

    if (strcmp(flag, "--ops") == 0) {
        o->ops = atoi(value);
        return o->ops >= 1 ? 1 : -1;
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
    /* 1,500 ops: off runs ~1.8 s here, always ~20 s (every collection
     * marks the whole index, so always's time grows with the square of
     * the ops: 3,000 took 60-100 s, too long for make bench's rounds). */
    args a = {5, 0, -1, NULL, {1500, 1.0, GCP_AUTO_GC_OFF, 0, 0, 18}};

    if (parse_args(argc, argv, &a) != 0)
        return usage();
    if (a.mode < 0)
        return compare(&a, argv[0]);
    a.opts.auto_gc = modes[a.mode].auto_gc;
    a.opts.gc_points = modes[a.mode].gc_points;
    return run_one(&a.opts);
}
