/*
 * loop_demo.c - the driver of demos/requests and demos/index
 * (loop_demo.h): three modes (adaptive with a gc point between units),
 * their variants under bdwgc's divisor and the GC-time budget, and the
 * command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "gcprof.h"
#include "loop_demo.h"

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
    loop_opts opts;
} args;

static int compare(const loop_demo *d, const args *a, const char *prog)
{
    char flag[32], n[32], scale[32], seed[32], title[160], head[160];
    const char *run_args[] = {flag, n, "--scale", scale, "--seed", seed, NULL};

    snprintf(flag, sizeof flag, "--%s", d->units);
    snprintf(n, sizeof n, "%d", a->opts.count);
    snprintf(scale, sizeof scale, "%g", a->opts.scale);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->opts.seed);
    snprintf(title, sizeof title, "%s: %d %s x %g, seed %s", d->name, a->opts.count, d->what,
             a->opts.scale, seed);
    snprintf(head, sizeof head, "\"benchmark\": \"%s\", \"%s\": %d, \"scale\": %g", d->name,
             d->units, a->opts.count, a->opts.scale);
    cmp_spec s = {prog, all_variants, ALL_VARIANTS, run_args, a->rounds};
    return cmp_compare(&s, title, a->json, head, a->check);
}

static int usage(const loop_demo *d)
{
    fprintf(stderr,
            "usage: %s [compare] [--rounds N] [--%s N] [--scale X] [--seed N] [--json FILE] "
            "[--check]\n       %s run off|always|adaptive [--%s N] [--scale X] [--seed N] "
            "[--verbose]\n",
            d->name, d->units, d->name, d->units);
    return 2;
}

static int mode_of(const char *word)
{
    for (size_t m = 0; word && m < MODES; m++)
        if (strcmp(word, modes[m].word) == 0)
            return (int)m;
    return -1;
}

/* The demo's own flags: --UNITS N and --seed N. */
typedef struct own_ctx {
    const loop_demo *d;
    loop_opts *o;
} own_ctx;

static int own_flag(const char *flag, const char *value, void *ctx)
{
    own_ctx *c = ctx;

    if (strncmp(flag, "--", 2) == 0 && strcmp(flag + 2, c->d->units) == 0) {
        c->o->count = atoi(value);
        return c->o->count >= 1 ? 1 : -1;
    }
    if (strcmp(flag, "--seed") == 0) {
        c->o->seed = strtoull(value, NULL, 10);
        return 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, const loop_demo *d, args *a)
{
    cmp_args c = {NULL, a->rounds, 0, 0, a->opts.scale, NULL};
    own_ctx own = {d, &a->opts};

    if (cmp_parse_args(argc, argv, &c, own_flag, &own) != 0)
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

int loop_config(const loop_opts *o, gcp_config *cfg)
{
    if (gcp_config_init_env(cfg, NULL, 0) != 0)
        return -1;
    cfg->auto_gc = o->auto_gc; /* the variant's mode wins over GCPROF_AUTO_GC */
    return 0;
}

void loop_add_report(loop_totals *t, const gcp_report *r)
{
    t->units++;
    t->failed += r->status != 0;
    t->collected_after += r->gc_collected;
    t->profiler_gc_s += r->profiler_gc_time;
    t->memory_saved += r->memory_saved;
}

void loop_gc_point(const gcp_config *cfg, const char *unit, long i, int verbose, loop_totals *t)
{
    gcp_gc_decision d = {0}; /* read even when the point fails */

    t->point_collections += gcp_gc_point(cfg, &d) == 1;
    t->profiler_gc_s += d.cost;
    t->memory_saved += d.memory_saved;
    if (verbose)
        fprintf(stderr, "%s %4ld gc point: %s\n", unit, i, d.reason);
}

int loop_print(const loop_totals *t, const char *extra)
{
    cmp_figures f = {.profiler_gc_s = t->profiler_gc_s,
                     .memory_saved = t->memory_saved,
                     .collected_after = t->collected_after,
                     .points = t->point_collections};

    cmp_print_figures(&f, extra);
    return t->failed ? 1 : 0;
}

int loop_demo_main(int argc, char **argv, const loop_demo *d)
{
    args a = {5, 0, -1, NULL, d->defaults};

    if (parse_args(argc, argv, d, &a) != 0)
        return usage(d);
    if (a.mode < 0)
        return compare(d, &a, argv[0]);
    a.opts.auto_gc = modes[a.mode].auto_gc;
    a.opts.gc_points = modes[a.mode].gc_points;
    cmp_child_start();
    return d->run(&a.opts);
}
