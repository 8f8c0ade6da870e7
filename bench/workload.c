/*
 * workload.c - the whole-program workload of bench_workload.
 *
 * ITERATIONS times, allocate ARRAYS arrays of WORDS 8-byte words with
 * gcp_alloc, held by one managed array of pointers; each iteration's
 * arrays become garbage when the next iteration starts. (Python twin:
 * workload_twin.py.)
 *
 *     workload plain|stats|gc|adaptive [iterations]
 *
 * plain: no profiling; stats: each iteration in gcp_profile with auto_gc=0
 * (no collections by the profiler), track_peak=0, detailed_stats=0; gc: the
 * default config (auto_gc always: a full collection before and after each
 * call); adaptive: auto_gc=adaptive. Prints one line for the driver:
 *     workload: mode=stats iterations=100 bytes_min=... bytes_total=...
 *               profiler_ns=... first_call_ns=...
 * bytes_min is the smallest bytes_allocated of one report (plain: of the
 * heap counters, averaged per iteration). profiler_ns (profiled modes):
 * the time the calls to gcp_profile took outside the closure, on this
 * program's own clock (what profiling adds, set-up included);
 * first_call_ns: the first call's share of it (the library's set-up).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "gcprof.h"

#define ITERATIONS 100
#define ARRAYS     1000
#define WORDS      1000

/* What keeps the current iteration's arrays alive; volatile so the
 * stores cannot be dropped. */
static void **volatile current;

static int iteration(void *env)
{
    (void)env;
    current = NULL; /* last iteration's arrays are garbage from here */
    void **holder = gcp_alloc(ARRAYS * sizeof(void *));
    if (holder == NULL)
        return 1;
    for (int i = 0; i < ARRAYS; i++) {
        holder[i] = gcp_alloc(WORDS * sizeof(uint64_t));
        if (holder[i] == NULL)
            return 1;
    }
    current = holder;
    return 0;
}

static int run_plain(long iterations, uint64_t *bytes_min, uint64_t *bytes_total)
{
    gcp_heap_counters before, after;

    gcp_heap_counters_get(&before);
    for (long i = 0; i < iterations; i++)
        if (iteration(NULL) != 0)
            return 1;
    gcp_heap_counters_get(&after);
    *bytes_total = after.bytes_allocated - before.bytes_allocated;
    *bytes_min = *bytes_total / (uint64_t)iterations;
    return 0;
}

enum { DEFAULT_MODE, STATS_MODE, ADAPTIVE_MODE };

/* STATS_MODE: the profiler's cheapest config; DEFAULT_MODE: the default;
 * ADAPTIVE_MODE: auto_gc=adaptive. */
/* The closure, timed: its own time goes to *env. */
static int timed_iteration(void *env)
{
    uint64_t t0 = bench_now_ns();
    int rc = iteration(NULL);

    *(uint64_t *)env += bench_now_ns() - t0;
    return rc;
}

/* What the profiled calls took outside their closures. */
typedef struct profiler_time {
    uint64_t total_ns, first_ns;
} profiler_time;

static int run_profiled(long iterations, int which, uint64_t *bytes_min, uint64_t *bytes_total,
                        profiler_time *own)
{
    gcp_config cfg;
    gcp_report r;

    gcp_config_init(&cfg);
    if (which == STATS_MODE) {
        cfg.auto_gc = GCP_AUTO_GC_OFF; /* no collections by the profiler */
        cfg.track_peak = 0;
        cfg.detailed_stats = 0;
    }
    if (which == ADAPTIVE_MODE)
        cfg.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    *bytes_min = UINT64_MAX;
    *bytes_total = 0;
    for (long i = 0; i < iterations; i++) {
        uint64_t closure_ns = 0, t0 = bench_now_ns();
        if (gcp_profile("iteration", timed_iteration, &closure_ns, &cfg, &r) != 0) {
            fprintf(stderr, "workload: %s\n", gcp_last_error());
            return 1;
        }
        uint64_t outside = bench_now_ns() - t0 - closure_ns;
        own->total_ns += outside;
        if (i == 0)
            own->first_ns = outside;
        if (r.status != 0)
            return 1;
        if (r.bytes_allocated < *bytes_min)
            *bytes_min = r.bytes_allocated;
        *bytes_total += r.bytes_allocated;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "plain";
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : ITERATIONS;
    uint64_t bytes_min = 0, bytes_total = 0;
    profiler_time own = {0, 0};
    int rc;

    if (iterations < 1) {
        fprintf(stderr, "workload: iterations must be >= 1\n");
        return 2;
    }
    if (strcmp(mode, "plain") == 0)
        rc = run_plain(iterations, &bytes_min, &bytes_total);
    else if (strcmp(mode, "stats") == 0)
        rc = run_profiled(iterations, STATS_MODE, &bytes_min, &bytes_total, &own);
    else if (strcmp(mode, "gc") == 0)
        rc = run_profiled(iterations, DEFAULT_MODE, &bytes_min, &bytes_total, &own);
    else if (strcmp(mode, "adaptive") == 0)
        rc = run_profiled(iterations, ADAPTIVE_MODE, &bytes_min, &bytes_total, &own);
    else {
        fprintf(stderr, "usage: workload plain|stats|gc|adaptive [iterations]\n");
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, "workload: %s: an allocation or profile failed\n", mode);
        return 1;
    }
    printf("workload: mode=%s iterations=%ld bytes_min=%" PRIu64 " bytes_total=%" PRIu64
           " profiler_ns=%" PRIu64 " first_call_ns=%" PRIu64 "\n",
           mode, iterations, bytes_min, bytes_total, own.total_ns, own.first_ns);
    return 0;
}
