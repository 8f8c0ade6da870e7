/*
 * bench_breakdown.c - what gcp_heap_breakdown costs, next to a full
 * collection of the same heap.
 *
 * A heap of LIVE_MIB in small objects (the worst case: one census call
 * per object) is built once; then, interleaved, ROUNDS times each: a
 * breakdown from the latest marks (GCP_BREAKDOWN_NO_COLLECT: the walk of
 * the marks and of the maps, all of it under the collector's lock) and a
 * full collection (GC_gcollect). Target: the breakdown's median is at most
 * the collection's (the walk visits what marking visits, once, without
 * tracing); medians and spread printed.
 */
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>

#include "benchutil.h"
#include "gcprof.h"

#define LIVE_MIB 256
#define OBJ      48
#define ROUNDS   9

static void **roots; /* one per 16 objects, each linking the next 15 */

static void build(void)
{
    size_t n = (size_t)LIVE_MIB * 1048576 / OBJ, groups = n / 16;

    roots = GC_MALLOC(groups * sizeof *roots);
    for (size_t g = 0; g < groups; g++) {
        void **prev = NULL;
        for (int i = 0; i < 16; i++) {
            void **p = GC_MALLOC(OBJ);
            p[0] = prev;
            prev = p;
        }
        roots[g] = prev;
    }
}

static double time_breakdown(void)
{
    gcp_breakdown_options o = {.flags = GCP_BREAKDOWN_NO_COLLECT};
    gcp_breakdown *b;
    uint64_t t = bench_now_ns();

    if (gcp_heap_breakdown(&o, &b) != 0) {
        fprintf(stderr, "bench_breakdown: %s\n", gcp_last_error());
        exit(1);
    }
    t = bench_now_ns() - t;
    gcp_breakdown_free(b);
    return (double)t / 1e6;
}

static double time_collection(void)
{
    uint64_t t = bench_now_ns();

    GC_gcollect();
    return (double)(bench_now_ns() - t) / 1e6;
}

int main(void)
{
    bench_series bd = {0}, gc = {0};
    gcp_breakdown *b;
    gcp_breakdown_summary s;

    GC_INIT();
    build();
    GC_gcollect();
    for (size_t r = 0; r < ROUNDS; r++) {
        if (bench_order(r, 0, 2) == 0) {
            bench_add(&bd, time_breakdown());
            bench_add(&gc, time_collection());
        } else {
            bench_add(&gc, time_collection());
            bench_add(&bd, time_breakdown());
        }
    }
    gcp_heap_breakdown(&(gcp_breakdown_options){.flags = GCP_BREAKDOWN_NO_COLLECT}, &b);
    gcp_breakdown_summary_get(b, &s, sizeof s);
    gcp_breakdown_free(b);
    double mb = bench_median(&bd), mg = bench_median(&gc);
    printf("heap %.0f MiB (%.0f MiB marked, %d-byte requests), RSS %.0f MiB, %d rounds\n",
           (double)s.heap_size / 1048576, (double)s.heap_marked / 1048576, OBJ,
           (double)s.rss / 1048576, ROUNDS);
    printf("  breakdown (no collection)  median %7.1f ms  [%.1f .. %.1f]\n", mb,
           bench_quantile(&bd, 0), bench_quantile(&bd, 1));
    printf("  full collection            median %7.1f ms  [%.1f .. %.1f]\n", mg,
           bench_quantile(&gc, 0), bench_quantile(&gc, 1));
    printf("  ratio %.2f (target <= 1.00)  ", mb / mg);
    int failed = bench_verdict(mb <= mg);
    putchar('\n');
    bench_json_begin("bench_breakdown");
    bench_json_result("breakdown_ms", mb, "ms", NULL, -1);
    bench_json_result("collection_ms", mg, "ms", NULL, -1);
    bench_json_result("breakdown_to_collection", mb / mg, "ratio", "<= 1.00", !failed);
    bench_json_end();
    return failed;
}
