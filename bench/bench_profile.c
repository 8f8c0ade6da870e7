/*
 * bench_profile.c - what profiling one call costs, next to its floor.
 *
 * An empty closure is profiled (auto_gc off, detailed_stats off) in three
 * modes: heap-only (no /proc reads), with RSS (two statm reads), and with
 * the RSS peak (track_peak: clear_refs reset, ru_maxrss read). Each is
 * timed next to its floor, measured in the same run: two clock reads,
 * plus the same /proc reads done raw (pread of a kept-open statm, one
 * descriptor per thread: one shared descriptor serialises its readers in
 * the kernel, which is no floor; and for the peak a clear_refs write and
 * getrusage). Single-threaded, then with THREADS threads profiling at once
 * (each times its own calls).
 *
 * Targets (medians of interleaved rounds): heap-only within 1.5x its floor
 * on one thread and 2x with THREADS threads; with RSS at most 2500 ns over
 * the bare call, also with THREADS threads. A statm read costs what
 * the kernel makes it cost (1.5-1.7 us here, 0.9 where the budget was
 * set), so when the floor alone exceeds 2500 ns the bench says so and
 * judges what the library adds above the floor against the budget's
 * allowance (2500 - 1800 ns). The peak mode is for information.
 * For information too: auto_gc=1 (full collections) with 1 and 10 MiB of
 * live runtime objects.
 *
 * Exit status 1 when a target is missed (every line is printed first).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pread, clock_gettime under -std=c99 */
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchutil.h"
#include "gcprof.h"

#define ROUNDS            15
#define CALLS             20000
#define THREADS           2
#define TARGET_NS         2500.0
#define FLOOR_BUDGETED_NS 1800.0 /* the floor the 2500 ns target was set against */
#define HEAP_ONLY_RATIO_1 1.5    /* one thread */
#define HEAP_ONLY_RATIO_N 2.0    /* THREADS threads */

static int empty_closure(void *env)
{
    (void)env;
    return 0;
}

/* Called through a volatile pointer, as gcp_profile calls it. */
static gcp_fn volatile closure = empty_closure;
static _Thread_local volatile uint64_t sink;
static gcp_config cfg_heap, cfg_rss, cfg_peak, cfg_gc;
static _Thread_local gcp_report report;
static int clear_refs_fd = -1;
static _Thread_local int statm_fd = -1; /* each thread's own (run_variant) */

/* ---- the timed calls ---------------------------------------------------- */

static void call_bare(void)
{
    sink += (uint64_t)closure(NULL);
}

static void profile_with(const gcp_config *cfg)
{
    if (gcp_profile("empty", closure, NULL, cfg, &report) != 0)
        exit(2); /* the library has logged why */
}

static void call_heap_only(void)
{
    profile_with(&cfg_heap);
}

static void call_rss(void)
{
    profile_with(&cfg_rss);
}

static void call_peak(void)
{
    profile_with(&cfg_peak);
}


/* The floors: what each mode must do in any case, done raw. */
static void floor_heap_only(void)
{
    sink += bench_now_ns() + bench_now_ns();
}

static void floor_rss(void)
{
    sink += bench_now_ns() + bench_statm_pages(statm_fd) + bench_now_ns() + bench_statm_pages(statm_fd);
}

static void floor_peak(void)
{
    struct rusage ru;

    floor_rss();
    if (pwrite(clear_refs_fd, "5", 1, 0) != 1)
        sink++;
    getrusage(RUSAGE_SELF, &ru);
    sink += (uint64_t)ru.ru_maxrss;
}

/* Plain computation (an LCG and a small memset), for what running threads
 * side by side costs this machine by itself. */
static void compute(void)
{
    char buf[512];
    uint64_t x = sink;

    for (int i = 0; i < 64; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    memset(buf, (int)x, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
    sink = x;
}

enum { V_BARE, V_HEAP, V_RSS, V_PEAK, F_HEAP, F_RSS, F_PEAK, V_COMPUTE, N_V };

static const bench_call variant_fn[N_V] = {call_bare,       call_heap_only, call_rss,   call_peak,
                                           floor_heap_only, floor_rss,      floor_peak, compute};
static const char *const variant_name[N_V] = {
    "bare call of the empty closure (fn pointer)",
    "gcp_profile, heap_only=1",
    "gcp_profile (RSS before and after)",
    "gcp_profile, track_peak=1",
    "floor: 2 clock reads",
    "floor: 2 clock reads + 2 statm preads (own fd)",
    "floor: that + clear_refs write + getrusage",
    "(info) plain computation, no library",
};

/* ---- several threads at once ------------------------------------------ */

typedef struct runner {
    pthread_t thread;
    bench_call fn;
    double ns;
} runner;

static pthread_barrier_t start_line;

static void *run_variant(void *arg)
{
    runner *r = arg;

    statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (statm_fd < 0)
        exit(2);
    pthread_barrier_wait(&start_line);
    r->ns = bench_time_calls(r->fn, CALLS);
    close(statm_fd);
    return NULL;
}

/* ns per call of fn with `threads` threads calling it at once: their mean. */
static double time_parallel(bench_call fn, int threads)
{
    runner r[THREADS];
    double sum = 0;

    if (threads == 1)
        return bench_time_calls(fn, CALLS);
    pthread_barrier_init(&start_line, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        r[i].fn = fn;
        if (pthread_create(&r[i].thread, NULL, run_variant, &r[i]) != 0)
            exit(2);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(r[i].thread, NULL);
        sum += r[i].ns;
    }
    pthread_barrier_destroy(&start_line);
    return sum / threads;
}

/* ---- the table --------------------------------------------------------- */

static void row(const char *what, const bench_series *s)
{
    printf("  %-48s %9.1f  [%7.1f..%7.1f]\n", what, bench_median(s), bench_quantile(s, 0.25),
           bench_quantile(s, 0.75));
}

static void json_figure(const char *what, int threads, double v, const char *target, int pass)
{
    char name[96];

    snprintf(name, sizeof name, "%s, %d thread%s", what, threads, threads == 1 ? "" : "s");
    bench_json_result(name, v, "ns", target, pass);
}

/* Judge the heap-only and RSS modes; 1 per missed target. */
static int verdicts(const bench_series *s, int threads)
{
    double bare = bench_median(&s[V_BARE]);
    double heap = bench_median(&s[V_HEAP]) - bare, heap_floor = bench_median(&s[F_HEAP]);
    double rss = bench_median(&s[V_RSS]) - bare, rss_floor = bench_median(&s[F_RSS]);
    double peak = bench_median(&s[V_PEAK]) - bare;
    double ratio = threads == 1 ? HEAP_ONLY_RATIO_1 : HEAP_ONLY_RATIO_N;
    int failed = 0;

    printf("  heap-only: %.1f ns over the bare call = %.2fx its floor; target <= %.1fx: ", heap,
           heap / heap_floor, ratio);
    int heap_ok = heap <= ratio * heap_floor;
    failed += bench_verdict(heap_ok);
    printf("\n  with RSS: %.1f ns over the bare call; target <= %.0f ns: ", rss, TARGET_NS);
    int rss_ok = rss <= TARGET_NS;
    if (!rss_ok && rss_floor > TARGET_NS) {
        /* The kernel's reads alone exceed the budget: judge our share. */
        rss_ok = rss - rss_floor <= TARGET_NS - FLOOR_BUDGETED_NS;
        printf("the floor alone is %.0f ns here, so judged: the library adds %.0f ns above it, "
               "allowance %.0f: ",
               rss_floor, rss - rss_floor, TARGET_NS - FLOOR_BUDGETED_NS);
    }
    failed += bench_verdict(rss_ok);
    printf("\n  with the peak (info): %.1f ns over the bare call, floor %.1f\n\n", peak,
           bench_median(&s[F_PEAK]));
    json_figure("heap-only profile overhead", threads, heap,
                threads == 1 ? "<= 1.5x floor" : "<= 2x floor", heap_ok);
    json_figure("heap-only floor", threads, heap_floor, NULL, -1);
    json_figure("RSS profile overhead", threads, rss, "<= 2500 ns (or library share <= 700 ns)",
                rss_ok);
    json_figure("RSS floor", threads, rss_floor, NULL, -1);
    json_figure("peak profile overhead", threads, peak, NULL, -1);
    json_figure("peak floor", threads, bench_median(&s[F_PEAK]), NULL, -1);
    return failed;
}

static double compute_alone; /* ns per compute() call, one thread */

static int bench_calls(int threads)
{
    bench_series s[N_V];

    memset(s, 0, sizeof s);
    for (size_t v = 0; v < N_V; v++)
        time_parallel(variant_fn[v], threads); /* warm-up */
    for (size_t r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < N_V; i++) {
            size_t v = bench_order(r, i, N_V);
            bench_add(&s[v], time_parallel(variant_fn[v], threads));
        }
    printf("%d thread%s profiling at once (auto_gc=0): ns per call, median [q1..q3] of %d "
           "interleaved rounds of %d calls\n",
           threads, threads == 1 ? "" : "s", ROUNDS, CALLS);
    for (size_t v = 0; v < N_V; v++)
        row(variant_name[v], &s[v]);
    if (threads == 1)
        compute_alone = bench_median(&s[V_COMPUTE]);
    else
        printf("  (this machine runs plain computation %.2fx slower per thread with %d threads)\n",
               bench_median(&s[V_COMPUTE]) / compute_alone, threads);
    return verdicts(s, threads);
}

/* ---- with collections (auto_gc=1), for information ------------------ */

typedef struct node {
    struct node *next;
    char payload[40];
} node;

static node *live; /* a static root: keeps the live set reachable */

/* Grow the live set of runtime objects to about mib MiB (collector sizes). */
static double grow_live(double mib)
{
    static uint64_t bytes;

    while ((double)bytes < mib * 1048576.0) {
        node *n = GCP_NEW(node);
        if (!n)
            exit(2);
        n->next = live;
        live = n;
        bytes += gcp_sizeof(n);
    }
    return (double)bytes / 1048576.0;
}

/* Profiles with auto_gc=1 interleaved with bare GC_gcollect calls. */
static void bench_auto_gc(double mib, int rounds, long calls)
{
    bench_series prof = {.n = 0}, coll = {.n = 0}, gcs = {.n = 0}, pgc = {.n = 0};
    double got = grow_live(mib);

    gcp_collect();
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < 2; i++) {
            if (bench_order((size_t)r, i, 2) == 0) {
                bench_add(&coll, bench_time_calls(GC_gcollect, calls) / 1000.0);
                continue;
            }
            uint64_t gc0 = GC_get_gc_no(), t0 = bench_now_ns();
            double pgc_sum = 0;
            for (long k = 0; k < calls; k++) {
                profile_with(&cfg_gc);
                pgc_sum += report.profiler_gc_time;
            }
            bench_add(&prof, (double)(bench_now_ns() - t0) / (double)calls / 1000.0);
            bench_add(&gcs, (double)(GC_get_gc_no() - gc0) / (double)calls);
            bench_add(&pgc, pgc_sum / (double)calls * 1e6);
        }
    }
    double p = bench_median(&prof), g = bench_median(&pgc);
    printf("  %5.1f MiB live %11.1f %9.1f %11.1f %11.1f %12.1f   (heap %.1f MiB)\n", got, p,
           bench_median(&gcs), g, p - g, bench_median(&coll),
           (double)GC_get_heap_size() / 1048576.0);
}

int main(void)
{
    gcp_init();
    statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (statm_fd < 0 || clear_refs_fd < 0)
        return 2;
    gcp_config_init(&cfg_rss);
    cfg_rss.auto_gc = GCP_AUTO_GC_OFF;
    cfg_heap = cfg_peak = cfg_gc = cfg_rss;
    cfg_heap.heap_only = 1;
    cfg_peak.track_peak = 1;
    cfg_gc.auto_gc = GCP_AUTO_GC_ALWAYS;

    bench_json_begin("bench_profile");
    printf("bench_profile: cost of profiling an empty closure\n\n");
    int failed = bench_calls(1) + bench_calls(THREADS);

    printf("(info) auto_gc=1, track_peak=0, empty closure, live set of runtime objects: us per\n"
           "call, median of interleaved rounds; in GCs = profiler_gc_time (its collections),\n"
           "rest = census, stack clearing, RSS reads; GC_gcollect alone for scale\n");
    printf("  %-14s %11s %9s %11s %11s %12s\n", "", "profile", "GCs/call", "in GCs", "rest",
           "GC_gcollect");
    bench_auto_gc(1.0, 15, 40);
    bench_auto_gc(10.0, 11, 5);

    bench_json_end();
    printf("\nbench_profile: %s (%d target%s missed)\n", failed ? "FAIL" : "PASS", failed,
           failed == 1 ? "" : "s");
    return failed ? 1 : 0;
}
