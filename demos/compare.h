/*
 * compare.h - the demos' comparison harness (compare.c): each variant of a
 * workload runs as a child of the demo's own binary (`PROG run MODE ...`,
 * with the variant's environment), rounds interleaved, and the medians go
 * into one table and one JSON object. demos/pipeline and demos/requests
 * share it, so their tables have the same columns.
 *
 * A child prints one line of KEY=VALUE figures (cmp_print_figures); the
 * parent adds wall time (its own clock, fork to reap) and peak RSS (the
 * child's ru_maxrss).
 */
#ifndef GCP_DEMO_COMPARE_H
#define GCP_DEMO_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#define CMP_MAX_ROUNDS   15
#define CMP_MAX_VARIANTS 16
#define CMP_MAX_ENV      2

/* One row of the table: a mode word for `run` and the environment set in
 * the child before exec (bdwgc reads GC_* at GC_init, the library GCPROF_*
 * at gcp_config_init_env). */
typedef struct cmp_variant {
    const char *name;             /* the row, and the JSON key */
    const char *mode;             /* `PROG run MODE` */
    const char *env[CMP_MAX_ENV]; /* "NAME=VALUE", NULL-terminated */
} cmp_variant;

/* The rows both demos compare after their modes: bdwgc's own knob under
 * auto_gc off (its default divisor is 3), and the GC-time budget under
 * adaptive (0.10 is the default) -- issue 18. */
#define CMP_KNOB_AND_BUDGET_VARIANTS                                                               \
    {"off+divisor=2", "off", {"GC_FREE_SPACE_DIVISOR=2"}},                                         \
        {"off+divisor=4", "off", {"GC_FREE_SPACE_DIVISOR=4"}},                                     \
        {"off+divisor=8", "off", {"GC_FREE_SPACE_DIVISOR=8"}},                                     \
        {"adaptive+budget=0.05", "adaptive", {"GCPROF_GC_BUDGET=0.05"}},                           \
        {"adaptive+budget=0.10", "adaptive", {"GCPROF_GC_BUDGET=0.10"}},                           \
        {"adaptive+budget=0.20", "adaptive", {"GCPROF_GC_BUDGET=0.20"}},                           \
        {"adaptive+budget=0.40", "adaptive", {"GCPROF_GC_BUDGET=0.40"}},

/* What one child reported, with the parent's measurements. */
typedef struct cmp_figures {
    double wall_s, peak_mib;
    double gc_s;          /* bdwgc: all full collections (GC_get_full_gc_total_time) */
    double profiler_gc_s; /* the reports' profiler_gc_time and the gc points' cost */
    double memory_saved;
    double divisor; /* bdwgc's free-space divisor at the end (the pacer's) */
    long collections, collected_after, points;
} cmp_figures;

/* The rounds of one variant: medians, the fastest wall time, the least
 * share of it in collections and the lowest peak (the same work each
 * round; a slower run, or one with more of its time in collections, is the
 * machine's load: bdwgc's parallel marker waits for a busy core, so off's
 * share on demos/pipeline read 22-43% from one pass to the next; a higher
 * peak is where ASLR put the stacks and data that the collector scans
 * conservatively: the pipeline peaks at 61 or 68-70 MiB from one run to
 * the next under any mode). */
typedef struct cmp_summary {
    cmp_figures med;
    double fastest_s, least_gc_share, lowest_peak_mib;
    double highest_peak_mib; /* for the limit's "never exceeded" */
} cmp_summary;

typedef struct cmp_spec {
    const char *prog; /* argv[0] of the children, and messages' prefix */
    const cmp_variant *variants;
    size_t n;
    const char *const *run_args; /* after `run MODE`, NULL-terminated */
    int rounds;
} cmp_spec;

/* ---- the child's side ---- */

/* Call first in `run`: bdwgc times every full collection from here on. */
void cmp_child_start(void);
/* The line the parent reads (figures of f; wall_s and peak_mib unused),
 * then extra (may be NULL or empty), then a newline, on stdout. */
void cmp_print_figures(const cmp_figures *f, const char *extra);

/* ---- the parent's side ---- */

/* The variant named name in s, or -1. */
int cmp_find(const cmp_spec *s, const char *name);
/* Every variant s->rounds times, rotating the order each round; m gets one
 * summary per variant. 0, or -1 (a message on stderr) when a child failed. */
int cmp_run(const cmp_spec *s, cmp_summary *m);
/* The table: ratios to the variants at index off (time) and always (peak). */
void cmp_print_table(const cmp_spec *s, const cmp_summary *m, int off, int always);
/* Each variant as `, "NAME": {...}` (to go inside the demo's object). */
void cmp_json_variants(FILE *fp, const cmp_spec *s, const cmp_summary *m);

/* ---- the command line both demos take ---- */

/* `PROG [compare] [--rounds N] [--scale X] [--json FILE] [--check] ...` or
 * `PROG run WORD [--scale X] [--verbose] ...`. */
typedef struct cmp_args {
    const char *run; /* the word after `run`; NULL: compare */
    int rounds, check, verbose;
    double scale;
    const char *json;
} cmp_args;

/* A demo's own flags, each with a value: 1 when flag is one, 0 if not,
 * -1 when its value is bad. */
typedef int (*cmp_flag_fn)(const char *flag, const char *value, void *ctx);

/* Parse argv into a (whose fields hold the defaults), own's flags into
 * ctx. 0, or -1 for a usage error. */
int cmp_parse_args(int argc, char **argv, cmp_args *a, cmp_flag_fn own, void *ctx);

/* ---- issue 18's targets (compare_targets.c) ---- */

typedef struct cmp_target {
    char name[64];
    double value;
    const char *unit; /* "x" or "%" */
    char target[16];
    int met;
} cmp_target;

/* The targets of the variant named "adaptive" (run at the default budget,
 * budget) against "off" and bdwgc's settings, into t[0..3); their count
 * (0 without those variants). */
size_t cmp_judge(const cmp_spec *s, const cmp_summary *m, double budget, cmp_target *t);
void cmp_print_targets(const cmp_target *t, size_t n, double budget);
/* As `, "results": [...]` (bench/summary.py's rows) inside the demo's object. */
void cmp_json_targets(FILE *fp, const cmp_target *t, size_t n);
/* Every target met (and there was one). */
int cmp_all_met(const cmp_target *t, size_t n);

/* ---- issue 18's memory limit (compare_limit.c) ---- */

/* The limit the row "adaptive+limit" runs under: halfway between the
 * lowest peaks of always and off (MiB, to 0.1); 0 when off's is not above
 * always's (no room: no row). */
double cmp_limit_mib(const cmp_summary *off, const cmp_summary *always);
/* Run "adaptive+limit" (adaptive, GCPROF_MEMORY_LIMIT_MB=limit_mib) as
 * many rounds as s into *v (its row) and *m. 0, or -1 (said on stderr). */
int cmp_limit_run(const cmp_spec *s, double limit_mib, cmp_variant *v, cmp_summary *m);
/* Its target into *t: its highest peak at most the limit, off's lowest
 * above it. Returns 1 (one target). */
size_t cmp_limit_judge(const cmp_summary *limited, const cmp_summary *off, double limit_mib,
                       cmp_target *t);

/* The runtime's default gc_budget, at which issue 18's targets judge
 * adaptive (the variants' GCPROF_GC_BUDGET=0.10 row is the same). */
#define CMP_DEFAULT_BUDGET 0.10

/* The whole comparison: run s and the limit's row, print "TITLE, N rounds
 * per variant", the table and the targets at CMP_DEFAULT_BUDGET, and write
 * json (NULL: none) as one object of json_head's fields, the rounds, the
 * limit, the variants and the targets. 0; 1 when check and a target was
 * missed; 2 when a child or the file failed (said on stderr). Rows 0 and 1
 * must be off and always. */
int cmp_compare(const cmp_spec *s, const char *title, const char *json,
                const char *json_head, int check);

#endif /* GCP_DEMO_COMPARE_H */
