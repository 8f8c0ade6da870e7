/*
 * leak_verdict_cases - how often gcp_leak_check calls each scenario of
 * leak_scenarios.c a leak, over many runs in fresh conditions: a new seed
 * per run, everything the scenario held dropped and collected, and 0-3
 * extra calls before the check so every phase of an alternation is met.
 * Default options (30 iterations, threshold 16 B), the scenario's warm-up.
 *
 *     tests/leak_verdict_cases [--runs N]      (default 200)
 *
 * Prints a Markdown table: runs, leaks reported by the verdict and by the
 * old rule (least-squares slope > 16 B), the wrong rate, and runs whose
 * census did not match the scenario's own GC_size tally exactly.
 * Exit status 1 when a promised verdict was wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leak_scenarios.h"

#define ITERATIONS 30

typedef struct tally {
    int leaks, old_leaks, inexact;
} tally;

/* The census against the scenario's tally: live bytes must move exactly
 * as the bytes it holds. */
static int exact(const uint64_t *live, const lks_state *st, size_t first_call)
{
    for (size_t i = 1; i < ITERATIONS; i++)
        if (live[i] - live[0] != st->kept_after[first_call + i] - st->kept_after[first_call])
            return 0;
    return 1;
}

static int run_one(const lks_scenario *sc, unsigned run, tally *t)
{
    lks_state st;
    gcp_leak_options opt;
    gcp_leak_report r;
    uint64_t live[ITERATIONS] = {0};
    size_t phase = run % 4;

    lks_reset(&st, run + 1);
    for (size_t i = 0; i < phase; i++)
        sc->fn(&st);
    gcp_leak_options_init(&opt);
    opt.iterations = ITERATIONS;
    opt.warmup = sc->warmup ? sc->warmup : GCP_LEAK_NO_WARMUP; /* 0: the default */
    memset(&r, 0, sizeof r);
    r.live_bytes = live;
    if (gcp_leak_check(sc->name, sc->fn, &st, &opt, &r) < 0 || r.status != 0) {
        fprintf(stderr, "%s: run %u failed: %s\n", sc->name, run, gcp_last_error());
        return -1;
    }
    t->leaks += r.has_leak;
    t->old_leaks += r.bytes_per_iteration > opt.threshold_bytes;
    t->inexact += !exact(live, &st, phase + sc->warmup);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned runs = 200;
    int bad = 0;

    if (argc == 3 && strcmp(argv[1], "--runs") == 0 && atoi(argv[2]) > 0)
        runs = (unsigned)atoi(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: leak_verdict_cases [--runs N]\n");
        return 2;
    }
    gcp_init();
    printf("| scenario | live set | should be | runs | leaks reported | wrong | old rule "
           "(slope > 16 B) | census off |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t s = 0; s < lks_count; s++) {
        const lks_scenario *sc = &lks_scenarios[s];
        tally t = {0, 0, 0};
        for (unsigned run = 0; run < runs; run++)
            if (run_one(sc, run, &t) < 0)
                return 1;
        int wrong = sc->leaks ? (int)runs - t.leaks : t.leaks;
        int old_wrong = sc->leaks ? (int)runs - t.old_leaks : t.old_leaks;
        printf("| %s | %s | %s%s | %u | %d | %d (%.1f%%) | %d wrong (%.1f%%) | %d |\n", sc->name,
               sc->what, sc->leaks ? "leak" : "no leak", sc->promised ? "" : " (limit)", runs,
               t.leaks, wrong, 100.0 * wrong / runs, old_wrong, 100.0 * old_wrong / runs,
               t.inexact);
        fflush(stdout);
        if (sc->promised && wrong)
            bad = 1;
    }
    return bad;
}
