/*
 * bench_batch - the always mode's collections per profiled call: a loop of
 * gcp_profile against one gcp_profile_many over the same tasks, with and
 * without heap_only, rounds interleaved.
 *
 * Each task allocates 40,000 small objects (about 2 MiB), drops most and
 * keeps every 20th in a window of the last 8 tasks' results (a live set
 * that changes), as a stage of demos/pipeline does. Figures per variant
 * (medians over the rounds): wall time per call, collections per call
 * (GC_get_gc_no), and the objects collected per task summed (they must
 * agree between the variants: the same work, the same deaths).
 * Target: a heap_only batch runs <= 1.1 collections per call (a baseline
 * reused from the previous task: N+1 for N tasks).
 *
 *     bench_batch [--rounds N] [--tasks N]
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include "gcprof.h"
#include "benchutil.h"

#define OBJECTS    40000
#define KEEP_EVERY 20
#define WINDOW     8
#define MAX_TASKS  256

static void **window[WINDOW];
static long task_no;

static int task(void *env)
{
    void **kept = NULL;

    (void)env;
    for (long i = 0; i < OBJECTS; i++) {
        void **o = gcp_alloc(32);
        if (!o)
            return 1;
        o[1] = o; /* a cycle of one */
        if (i % KEEP_EVERY == 0) {
            o[0] = kept;
            kept = o;
        }
    }
    window[task_no++ % WINDOW] = kept;
    return 0;
}

enum { LOOP, BATCH, LOOP_HEAP_ONLY, BATCH_HEAP_ONLY, VARIANTS };
static const char *const names[VARIANTS] = {"gcp_profile loop", "gcp_profile_many",
                                            "gcp_profile loop, heap_only",
                                            "gcp_profile_many, heap_only"};

static gcp_task tasks[MAX_TASKS];
static gcp_report reports[MAX_TASKS];

typedef struct figures {
    bench_series ms_per_call, collections_per_call, collected;
} figures;

static BENCH_NOINLINE void run(int v, int n, figures *fig)
{
    gcp_config cfg;

    gcp_config_init(&cfg);
    cfg.auto_gc = GCP_AUTO_GC_ALWAYS;
    cfg.heap_only = v == LOOP_HEAP_ONLY || v == BATCH_HEAP_ONLY;
    uint64_t gc0 = GC_get_gc_no(), t0 = bench_now_ns();
    if (v == BATCH || v == BATCH_HEAP_ONLY) {
        if (gcp_profile_many(tasks, (size_t)n, &cfg, reports) != 0)
            exit(2);
    } else {
        for (int i = 0; i < n; i++)
            if (gcp_profile("task", task, NULL, &cfg, &reports[i]) < 0 || reports[i].status)
                exit(2);
    }
    double ns = (double)(bench_now_ns() - t0);
    double collected = 0;
    for (int i = 0; i < n; i++)
        collected += (double)reports[i].gc_objects_collected;
    bench_add(&fig->ms_per_call, ns / 1e6 / n);
    bench_add(&fig->collections_per_call, (double)(GC_get_gc_no() - gc0) / n);
    bench_add(&fig->collected, collected);
}

int main(int argc, char **argv)
{
    int rounds = 7, n = 48;
    figures fig[VARIANTS];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--tasks") == 0)
            n = atoi(argv[i + 1]);
    }
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || n < 1 || n > MAX_TASKS) {
        fprintf(stderr, "usage: bench_batch [--rounds 1..%d] [--tasks 1..%d]\n", BENCH_MAX_ROUNDS,
                MAX_TASKS);
        return 2;
    }
    gcp_init();
    memset(fig, 0, sizeof fig);
    for (int i = 0; i < n; i++)
        tasks[i] = (gcp_task){"task", task, NULL, {NULL, NULL}};
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < VARIANTS; i++) {
            int v = (int)bench_order((size_t)r, (size_t)i, VARIANTS);
            run(v, n, &fig[v]);
        }

    printf("bench_batch: %d tasks of %d objects, always mode, %d rounds (medians)\n\n", n, OBJECTS,
           rounds);
    printf("%-30s %10s %14s %12s\n", "variant", "ms/call", "collections", "collected");
    for (int v = 0; v < VARIANTS; v++)
        printf("%-30s %10.3f %14.3f %12.0f\n", names[v], bench_median(&fig[v].ms_per_call),
               bench_median(&fig[v].collections_per_call), bench_median(&fig[v].collected));
    double per_call = bench_median(&fig[BATCH_HEAP_ONLY].collections_per_call);
    int pass = per_call <= 1.1;
    printf("\nheap_only batch: %.3f collections per call (target <= 1.1): ", per_call);
    int rc = bench_verdict(pass);
    putchar('\n');

    bench_json_begin("bench_batch");
    for (int v = 0; v < VARIANTS; v++) {
        char name[96];
        snprintf(name, sizeof name, "%s: ms per call", names[v]);
        bench_json_result(name, bench_median(&fig[v].ms_per_call), "ms", NULL, -1);
        snprintf(name, sizeof name, "%s: collections per call", names[v]);
        bench_json_result(name, bench_median(&fig[v].collections_per_call), "collections",
                          v == BATCH_HEAP_ONLY ? "<= 1.1" : NULL, pass);
    }
    bench_json_end();
    return rc;
}
