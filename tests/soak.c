/*
 * soak.c - a long run: N profiled calls of every kind under the monitor,
 * while worker threads allocate and profile too, and proof that nothing
 * grows. Every K calls it samples RSS, the GC heap, the heap in use after
 * a full collection, the library's own memory, open fds and threads. At
 * the end it checks that they stayed flat after the warm-up, and that the
 * monitor's timeline is complete and consistent (also read back with
 * `gcprof summary` and `gcprof peak`). Exit 0 when every check passes,
 * 1 when one fails (the message names it), 2 on bad usage.
 *
 *     tests/soak --calls 1000000 --csv soak.csv --gcprof tools/gcprof
 *
 * The library's own memory is isolated from the program's in two parts:
 *   - in the GC heap: the exact live bytes of runtime objects after a full
 *     collection (gcp_leak_check's census) minus the deep size of
 *     everything the soak itself keeps (its ring buffers), so what is left
 *     is what the library keeps in managed memory (plus stray words that a
 *     conservative scan finds);
 *   - outside it: malloc's bytes in use (mallinfo2). The soak mallocs
 *     nothing after it starts and bdwgc does not use malloc, so growth
 *     there is the library's (or libc's on its behalf).
 * Workers are joined before each sample and started again after it: the
 * figures are read with no allocation in flight, and every sample puts a
 * new generation of threads through the library's per-thread state. The
 * library keeps /proc/self/statm and clear_refs open once it has read RSS
 * (by design): they are open before fds are first counted. statm is a pool
 * of up to STATM_POOL_EXTRA more descriptors, opened when threads read RSS
 * at the same moment (procfs.c): that many more may appear, never more.
 *
 * The mix, on the main thread (main_call): empty closures, garbage (small
 * objects, cycles, strings), additions to a bounded working set, nested
 * and recursive profiles, regions, batches, the decorator, auto_gc off,
 * adaptive and heap-only, peak tracking; auto_gc=always with detailed
 * stats every 1000th call, a line report every 1000th and a snapshot every
 * 5000th; a gc point every 100 calls and a label every N/20. Workers mix
 * garbage, their own working sets, adaptive and nested profiles.
 *
 * Uses the public API only, with bdwgc's getters and /proc.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gcprof.h"

#define MIB         1048576.0
#define KIB         1024.0
#define MAX_WORKERS 8

/* Tolerances: issue 6's limits, set against what flat runs measured here
 * (3 runs of 1,000,000 calls and 5 of 20,000, 2 cores shared with
 * builds), end against warm-up. The exact live bytes stayed within
 * +-0.02 MiB; block-level figures wander with fragmentation: */
/* Heap in use after a full collection: 1 MiB or 5%, whichever is more.
 * Measured: -0.11 to +0.34 MiB (three times that is still under 1 MiB). */
#define HEAP_GROWTH_BYTES (1024.0 * 1024.0)
#define HEAP_GROWTH_SHARE 0.05
/* RSS: 2 MiB or 10%. Measured: -0.11 to +0.39 MiB, following the GC
 * heap's blocks; 2 MiB is five times that, and a leak of 2.3 bytes a
 * call in the long run. */
#define RSS_GROWTH_BYTES (2.0 * 1024.0 * 1024.0)
#define RSS_GROWTH_SHARE 0.10
/* The library's own memory, end against warm-up. Measured: +0 bytes in
 * every run (both parts are exact counts). A leak of 16 bytes a call
 * shows as 280 KiB in the short run and 14 MiB in the long one. */
#define LIB_GROWTH_BYTES (64.0 * 1024.0)

/* ---- options ---------------------------------------------------------- */

typedef struct options {
    unsigned long calls;   /* profiled calls on the main thread */
    unsigned long samples; /* across the run (plus one at call 0) */
    unsigned long warmup;  /* calls before the flat part begins */
    int workers;
    double interval; /* the monitor's */
    const char *dat; /* keep the timeline here (else a temporary file) */
    const char *csv;
    const char *gcprof; /* the reader; NULL: next to this program, if built */
    uint64_t seed;
    const char *inject; /* a leak to prove the checks fail: see inject() */
} options;

static void usage(FILE *fp)
{
    fprintf(fp, "usage: soak [--calls N] [--samples S] [--warmup CALLS] [--threads T]\n"
                "            [--interval SECONDS] [--dat FILE] [--csv FILE] [--gcprof PATH]\n"
                "            [--seed N] [--inject managed|malloc|fd|thread]\n"
                "N profiled calls under the monitor (default 1000000, warm-up N/10,\n"
                "50 samples, 2 worker threads, 0.01 s); exit 1 when memory, fds or\n"
                "threads grow or the timeline is inconsistent. --inject adds a leak of\n"
                "that kind, to show that the checks catch it.\n");
}

static int parse_ulong(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || *s == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    unsigned long v;
    int warmup_set = 0;

    *o = (options){1000000, 50, 0, 2, 0.01, NULL, NULL, NULL, 0x50a6c0ffeeULL, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (!arg) {
            fprintf(stderr, "soak: %s: unknown option or missing value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--calls") == 0 && parse_ulong(arg, &o->calls) == 0 && o->calls > 0)
            continue;
        if (strcmp(a, "--samples") == 0 && parse_ulong(arg, &o->samples) == 0 && o->samples >= 2)
            continue;
        if (strcmp(a, "--warmup") == 0 && parse_ulong(arg, &o->warmup) == 0) {
            warmup_set = 1;
            continue;
        }
        if (strcmp(a, "--threads") == 0 && parse_ulong(arg, &v) == 0 && v <= MAX_WORKERS) {
            o->workers = (int)v;
            continue;
        }
        if (strcmp(a, "--seed") == 0 && parse_ulong(arg, &v) == 0) {
            o->seed = v;
            continue;
        }
        if (strcmp(a, "--interval") == 0) {
            char *end;
            o->interval = strtod(arg, &end);
            if (*end == '\0' && o->interval >= 0.001 && o->interval <= 1)
                continue;
        }
        if (strcmp(a, "--dat") == 0) {
            o->dat = arg;
            continue;
        }
        if (strcmp(a, "--csv") == 0) {
            o->csv = arg;
            continue;
        }
        if (strcmp(a, "--gcprof") == 0) {
            o->gcprof = arg;
            continue;
        }
        if (strcmp(a, "--inject") == 0 &&
            (strcmp(arg, "managed") == 0 || strcmp(arg, "malloc") == 0 || strcmp(arg, "fd") == 0 ||
             strcmp(arg, "thread") == 0)) {
            o->inject = arg;
            continue;
        }
        fprintf(stderr, "soak: bad value for %s: '%s'\n", a, arg);
        return -1;
    }
    if (!warmup_set)
        o->warmup = o->calls / 10;
    if (o->warmup >= o->calls) {
        fprintf(stderr, "soak: --warmup must be below --calls\n");
        return -1;
    }
    return 0;
}

/* ---- failures --------------------------------------------------------- */

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;

    fputs("soak: FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    failures++;
}

/* The library's log: errors fail the run; warnings are counted and the
 * first few shown. Called from any thread. */
static atomic_int log_errors, log_warnings;

static void log_hook(gcp_log_level level, const char *msg, void *user)
{
    (void)user;
    int n = level == GCP_LOG_ERROR ? atomic_fetch_add(&log_errors, 1)
                                   : atomic_fetch_add(&log_warnings, 1);
    if (n < 3 && level <= GCP_LOG_WARN)
        fprintf(stderr, "soak: library %s: %s\n", level == GCP_LOG_ERROR ? "error" : "warning",
                msg);
}

/* Profiles that failed to run or whose closure failed, and other calls of
 * the library that failed (snapshots). */
static atomic_ulong bad_profiles;
static atomic_ulong out_of_memory;

/* Every profile begun (closures, nested, regions, batches, workers): the
 * timeline must hold exactly this many enter markers and exits. */
static atomic_ulong profiles_begun;

/* ---- the workload ------------------------------------------------------ */

static uint64_t next_random(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* The bounded working set: ring buffers whose slots are replaced, so
 * their size stays about constant. In static storage: roots. */
#define MAIN_RING   8192
#define WORKER_RING 1024
static void *main_ring[MAIN_RING];
static void *worker_ring[MAX_WORKERS][WORKER_RING];

typedef struct context {
    uint64_t rng;
    void **ring;
    size_t ring_len;
    int depth; /* of nested profiles still to begin */
} context;

/* A node of the working set into slot k (or a random slot when k is
 * SIZE_MAX): a scanned object pointing at an atomic one. */
static void ring_store(context *c, size_t k)
{
    uint64_t r = next_random(&c->rng);
    void **node = gcp_alloc(32 + r % 224);
    void *blob = gcp_alloc_atomic(16 + (r >> 16) % 112);

    if (!node || !blob) {
        atomic_fetch_add(&out_of_memory, 1);
        return;
    }
    node[0] = blob;
    c->ring[k == SIZE_MAX ? (r >> 32) % c->ring_len : k] = node;
}

static void ring_put(context *c)
{
    ring_store(c, SIZE_MAX);
}

/* Every slot full from the start: the working set is at its bound. */
static void ring_fill(context *c)
{
    for (size_t k = 0; k < c->ring_len; k++)
        ring_store(c, k);
}

/* n small objects that die at once: a chain closed into a cycle, pairs
 * pointing at each other, and strings. */
static void make_garbage(context *c, int n)
{
    void **first = NULL, **prev = NULL;

    for (int i = 0; i < n; i++) {
        uint64_t r = next_random(&c->rng);
        void **o = gcp_alloc(16 + r % 240);
        if (!o) {
            atomic_fetch_add(&out_of_memory, 1);
            return;
        }
        o[0] = prev;
        if (!first)
            first = o;
        prev = o;
        if ((i & 7) == 7) {
            void **a = gcp_alloc(2 * sizeof(void *)), **b = gcp_alloc(2 * sizeof(void *));
            char *s = gcp_strdup("a string that is garbage at once");
            if (a && b && s) {
                a[0] = b;
                b[0] = a;
                a[1] = s;
            }
        }
    }
    if (first)
        first[0] = prev; /* the last object: a cycle */
}

static int empty(void *env)
{
    (void)env;
    return 0;
}

static int garbage(void *env)
{
    make_garbage(env, 24);
    return 0;
}

static int more_garbage(void *env)
{
    make_garbage(env, 160);
    return 0;
}

static int keep(void *env)
{
    ring_put(env);
    ring_put(env);
    make_garbage(env, 8);
    return 0;
}

static int profile(const char *name, gcp_fn fn, void *env, const gcp_config *cfg)
{
    gcp_report report;

    atomic_fetch_add(&profiles_begun, 1);
    int rc = gcp_profile(name, fn, env, cfg, &report);
    if (rc < 0 || report.status != 0) {
        if (atomic_fetch_add(&bad_profiles, 1) < 3)
            fprintf(stderr, "soak: profile '%s': rc %d (%s), status %d\n", name, rc,
                    rc < 0 ? gcp_last_error() : "ok", rc < 0 ? 0 : report.status);
        return 1;
    }
    return 0;
}

/* The configurations of the mix. */
static gcp_config cfg_off, cfg_off_heap, cfg_adaptive, cfg_adaptive_heap, cfg_always;
static gcp_config cfg_peak, cfg_peak_heap;

static void configs_init(void)
{
    gcp_config_init(&cfg_off);
    cfg_off.auto_gc = GCP_AUTO_GC_OFF;
    cfg_off_heap = cfg_off;
    cfg_off_heap.heap_only = 1;
    gcp_config_init(&cfg_adaptive);
    cfg_adaptive.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    cfg_adaptive_heap = cfg_adaptive;
    cfg_adaptive_heap.heap_only = 1;
    gcp_config_init(&cfg_always);
    cfg_always.track_peak = 1;
    cfg_always.detailed_stats = 1;
    cfg_peak = cfg_off;
    cfg_peak.track_peak = 1;
    cfg_peak_heap = cfg_off_heap;
    cfg_peak_heap.track_peak = 1;
}

/* Profiles itself again until c->depth is 0, alternating configurations. */
static int nested(void *env)
{
    context *c = env;

    make_garbage(c, 4);
    if (c->depth-- <= 0)
        return 0;
    static const char *const names[] = {"nested_1", "nested_2", "nested_3"};
    const gcp_config *cfgs[] = {&cfg_off, &cfg_adaptive_heap, &cfg_peak_heap};
    int level = c->depth % 3;
    return profile(names[level], nested, c, cfgs[level]);
}

static int always_body(void *env)
{
    context *c = env;

    make_garbage(c, 64);
    ring_put(c);
    return profile("always_inner", garbage, c, &cfg_adaptive);
}

/* A region around code that is not a closure. */
static void region(context *c)
{
    gcp_region r;
    gcp_report report;

    atomic_fetch_add(&profiles_begun, 1);
    if (gcp_profile_begin(&r, "region", &cfg_adaptive_heap) < 0) {
        atomic_fetch_add(&bad_profiles, 1);
        return;
    }
    make_garbage(c, 24);
    if (gcp_profile_end(&r, 0, &report) < 0)
        atomic_fetch_add(&bad_profiles, 1);
}

static void batch(context *c)
{
    gcp_task tasks[3] = {{.name = "batch_empty", .fn = empty, .env = c},
                         {.name = "batch_garbage", .fn = garbage, .env = c},
                         {.name = "batch_keep", .fn = keep, .env = c}};
    gcp_report reports[3];

    atomic_fetch_add(&profiles_begun, 3);
    if (gcp_profile_many(tasks, 3, &cfg_off_heap, reports) != 0)
        atomic_fetch_add(&bad_profiles, 1);
}

/* Decorator-style, with a config of its own. */
GCP_PROFILED_WITH(decorated, env, &cfg_peak)
{
    make_garbage(env, 16);
    return 0;
}

/* A line-by-line report (site tracking on for the call), freed. */
static void lines(context *c)
{
    gcp_report report;
    gcp_line_report *table = NULL;

    atomic_fetch_add(&profiles_begun, 1);
    if (GCP_PROFILE_LINES("lines", garbage, c, &cfg_off_heap, &report, &table) < 0 || !table)
        atomic_fetch_add(&bad_profiles, 1);
    gcp_line_report_free(table);
}

/* A snapshot of the live heap by site (a full collection), freed. */
static void snapshot(void)
{
    gcp_snapshot *snap = gcp_snapshot_take("soak");

    if (!snap)
        atomic_fetch_add(&bad_profiles, 1);
    gcp_snapshot_free(snap);
}

/* One call of the mix on the main thread; call i. */
static void main_call(context *c, unsigned long i)
{
    if (i % 1000 == 999) {
        profile("always", always_body, c, &cfg_always);
        return;
    }
    if (i % 5000 == 2499) {
        snapshot();
        return;
    }
    if (i % 1000 == 499) {
        lines(c);
        return;
    }
    switch (i % 10) {
    case 0:
        profile("empty_heap_only", empty, c, &cfg_off_heap);
        break;
    case 1:
        profile("empty", empty, c, &cfg_off);
        break;
    case 2:
        profile("garbage", garbage, c, &cfg_off_heap);
        break;
    case 3:
        profile("keep", keep, c, &cfg_off);
        break;
    case 4:
        c->depth = 1 + (int)(i / 10 % 3);
        profile("nested", nested, c, &cfg_off_heap);
        break;
    case 5:
        profile("adaptive", more_garbage, c, &cfg_adaptive);
        break;
    case 6:
        profile("peak_heap_only", garbage, c, &cfg_peak_heap);
        break;
    case 7:
        atomic_fetch_add(&profiles_begun, 1);
        if (decorated(c) != 0)
            atomic_fetch_add(&bad_profiles, 1);
        break;
    case 8:
        if (i % 20 == 8)
            batch(c);
        else
            profile("keep_peak", keep, c, &cfg_peak);
        break;
    default:
        region(c);
        break;
    }
}

/* ---- worker threads ----------------------------------------------------- */

typedef struct worker {
    pthread_t thread;
    atomic_int stop;
    context ctx;
    char step[32], outer[32], inner[32]; /* names of its own: pairing */
    unsigned long calls;
} worker;

static worker workers[MAX_WORKERS];
static int workers_running;

static int worker_nested(void *env)
{
    worker *w = env;

    make_garbage(&w->ctx, 8);
    return profile(w->inner, garbage, &w->ctx, &cfg_off_heap);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    struct timespec rest = {0, 500 * 1000}; /* 2000 calls/s at most */

    while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
        switch (w->calls++ % 4) {
        case 0:
            profile(w->step, garbage, &w->ctx, &cfg_off_heap);
            break;
        case 1:
            profile(w->step, keep, &w->ctx, &cfg_off);
            break;
        case 2:
            profile(w->step, more_garbage, &w->ctx, &cfg_adaptive_heap);
            break;
        default:
            profile(w->outer, worker_nested, w, &cfg_off_heap);
            break;
        }
        nanosleep(&rest, NULL);
    }
    return NULL;
}

/* Through the collector's wrapper (GC_THREADS): the threads are known to
 * it from their first instruction. */
static void workers_start(int n)
{
    for (workers_running = 0; workers_running < n; workers_running++) {
        worker *w = &workers[workers_running];
        atomic_store(&w->stop, 0);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            fail("cannot start worker %d", workers_running);
            return;
        }
    }
}

static void workers_stop(void)
{
    for (int i = 0; i < workers_running; i++)
        atomic_store(&workers[i].stop, 1);
    for (int i = 0; i < workers_running; i++)
        pthread_join(workers[i].thread, NULL);
    workers_running = 0;
}

static void workers_init(int n, uint64_t seed)
{
    for (int i = 0; i < n; i++) {
        worker *w = &workers[i];
        w->ctx = (context){seed + 7919 * (uint64_t)(i + 1), worker_ring[i], WORKER_RING, 0};
        snprintf(w->step, sizeof w->step, "worker%d_step", i);
        snprintf(w->outer, sizeof w->outer, "worker%d_outer", i);
        snprintf(w->inner, sizeof w->inner, "worker%d_inner", i);
        ring_fill(&w->ctx);
    }
}

/* ---- injected leaks ------------------------------------------------------ */

/* What a leaking library would do, after call i: keep 64 managed bytes
 * (where the soak's working set does not reach), malloc 64 bytes, open an
 * fd every 500 calls, or start a thread that never ends, at mid-run. The
 * checks must then fail; tests/check_soak.sh makes sure they do. */
static void *leaked_managed;
/* A chain, not one overwritten pointer: still growth the soak must see,
 * but reachable, so LeakSanitizer does not report the planted leak. */
static void *volatile leaked_malloc;
static atomic_int leaked_thread_started;

static void *hang(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void inject(const char *kind, unsigned long i, unsigned long calls)
{
    if (strcmp(kind, "managed") == 0) {
        void **o = gcp_alloc(64);
        if (o) {
            o[0] = leaked_managed;
            leaked_managed = o;
        }
    } else if (strcmp(kind, "malloc") == 0) {
        void **m = malloc(64);
        if (m) {
            m[0] = leaked_malloc;
            leaked_malloc = m;
        }
    } else if (strcmp(kind, "fd") == 0 && i % 500 == 0) {
        if (dup(0) < 0)
            perror("soak: dup");
    } else if (strcmp(kind, "thread") == 0 && i == calls / 2 &&
               !atomic_exchange(&leaked_thread_started, 1)) {
        pthread_t t;
        if (pthread_create(&t, NULL, hang, NULL) == 0)
            pthread_detach(t);
    }
}

/* ---- measurements (our own /proc reads) ---------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *fp = fopen("/proc/self/statm", "re");

    if (!fp)
        return 0;
    if (fscanf(fp, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(fp);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* procfs.c's statm pool: up to four descriptors, the first open from the
 * first RSS read, the others opened when readers meet. */
#define STATM_POOL_EXTRA 3

/* fds, counted after base was: the same, or the pool's extra ones. */
static int pool_fds(int base, int fds)
{
    return fds >= base && fds <= base + STATM_POOL_EXTRA;
}

/* Entries of a /proc directory, not counting "." and "..", nor the
 * directory's own fd. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    char self[32];
    snprintf(self, sizeof self, "%d", dirfd(d));
    int is_fd_dir = strcmp(path, "/proc/self/fd") == 0;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' && !(is_fd_dir && strcmp(e->d_name, self) == 0);
    closedir(d);
    return n;
}

#if defined(__SANITIZE_ADDRESS__)
/* From <sanitizer/allocator_interface.h>, which GCC does not install. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static uint64_t malloc_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
    /* ASan's allocator replaces glibc's: mallinfo2 would stay flat. */
    return (uint64_t)__sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();

    return (uint64_t)(mi.uordblks + mi.hblkhd);
#endif
}

static uint64_t heap_in_use(void)
{
    return (uint64_t)(GC_get_heap_size() - GC_get_free_bytes());
}

typedef struct sample {
    unsigned long calls;
    double t;               /* s since the loop began */
    uint64_t rss;           /* before the sample's collections */
    uint64_t heap_size;     /* GC_get_heap_size */
    uint64_t in_use;        /* heap size - free, before collecting */
    uint64_t in_use_after;  /* ... after a full collection */
    uint64_t live;          /* exact live runtime bytes (census) */
    uint64_t working_set;   /* deep size of the soak's rings */
    uint64_t malloc_in_use; /* mallinfo2 */
    uint64_t lib;           /* live - working set + malloc in use */
    int fds, threads;       /* while the workers and the monitor run */
} sample;

static uint64_t working_set_bytes(int n_workers)
{
    uint64_t sum = 0;

    for (size_t k = 0; k < MAIN_RING; k++)
        sum += gcp_deep_sizeof(main_ring[k]);
    for (int i = 0; i < n_workers; i++)
        for (size_t k = 0; k < WORKER_RING; k++)
            sum += gcp_deep_sizeof(worker_ring[i][k]);
    return sum;
}

/* Counts fds and threads while everything runs, then stops the workers
 * (the caller starts them again) and reads the memory figures. */
static void take_sample(sample *s, unsigned long calls, double t0, int n_workers)
{
    gcp_leak_options lo;
    gcp_leak_report lr;
    uint64_t live[3];

    s->calls = calls;
    s->t = now_s() - t0;
    s->threads = count_entries("/proc/self/task");
    s->fds = count_entries("/proc/self/fd");
    workers_stop();
    s->rss = rss_bytes();
    s->heap_size = GC_get_heap_size();
    s->in_use = heap_in_use();
    gcp_collect();
    s->in_use_after = heap_in_use();
    /* The census counts the live runtime objects exactly: three runs of
     * nothing, the least of them (a stray stack word may hold some
     * garbage in one). */
    gcp_leak_options_init(&lo);
    lo.iterations = 3;
    lo.warmup = GCP_LEAK_NO_WARMUP;
    lr.live_bytes = live;
    if (gcp_leak_check("soak sample", empty, NULL, &lo, &lr) < 0) {
        fail("census: %s", gcp_last_error());
        live[0] = live[1] = live[2] = 0;
    }
    s->live = live[0] < live[1] ? live[0] : live[1];
    s->live = s->live < live[2] ? s->live : live[2];
    s->working_set = working_set_bytes(n_workers);
    s->malloc_in_use = malloc_in_use();
    if (s->working_set > s->live)
        fail("sample at %lu calls: working set %" PRIu64 " > live %" PRIu64, calls, s->working_set,
             s->live);
    s->lib = s->live - (s->working_set < s->live ? s->working_set : s->live) + s->malloc_in_use;
}

/* ---- the table and the CSV ---------------------------------------------- */

static void print_header(void)
{
    printf("%4s %9s %7s %8s %8s %8s %9s %8s %8s %4s %4s\n", "#", "calls", "t s", "RSS MiB",
           "heap MiB", "use MiB", "afterGC", "live MiB", "lib KiB", "fds", "thr");
}

static void print_sample(size_t i, const sample *s, int warm)
{
    printf("%4zu %9lu %7.2f %8.2f %8.2f %8.2f %9.3f %8.3f %8.1f %4d %4d%s\n", i, s->calls, s->t,
           s->rss / MIB, s->heap_size / MIB, s->in_use / MIB, s->in_use_after / MIB, s->live / MIB,
           s->lib / KIB, s->fds, s->threads, warm ? "  <- warm-up ends" : "");
    fflush(stdout);
}

static void write_csv(const char *path, const sample *s, size_t n)
{
    FILE *fp = fopen(path, "w");

    if (!fp) {
        fail("cannot write %s: %s", path, strerror(errno));
        return;
    }
    fprintf(fp, "sample,calls,t_s,rss_bytes,heap_size_bytes,heap_in_use_bytes,"
                "heap_in_use_after_gc_bytes,live_bytes,working_set_bytes,malloc_in_use_bytes,"
                "lib_bytes,fds,threads\n");
    for (size_t i = 0; i < n; i++)
        fprintf(fp,
                "%zu,%lu,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 ",%d,%d\n",
                i, s[i].calls, s[i].t, s[i].rss, s[i].heap_size, s[i].in_use, s[i].in_use_after,
                s[i].live, s[i].working_set, s[i].malloc_in_use, s[i].lib, s[i].fds, s[i].threads);
    if (fclose(fp) != 0)
        fail("cannot write %s", path);
}

/* ---- checks on the curves ------------------------------------------------ */

static double grown(uint64_t from, uint64_t to)
{
    return (double)to - (double)from;
}

static void check_curves(const sample *s, size_t n, size_t warm)
{
    const sample *w = &s[warm], *last = &s[n - 1];

    double heap = grown(w->in_use_after, last->in_use_after);
    double heap_limit = fmax(HEAP_GROWTH_BYTES, HEAP_GROWTH_SHARE * (double)w->in_use_after);
    if (heap > heap_limit)
        fail("heap in use after a full collection grew by %.3f MiB (%.3f -> %.3f MiB), "
             "limit %.3f MiB",
             heap / MIB, w->in_use_after / MIB, last->in_use_after / MIB, heap_limit / MIB);
    double rss = grown(w->rss, last->rss);
    double rss_limit = fmax(RSS_GROWTH_BYTES, RSS_GROWTH_SHARE * (double)w->rss);
    if (rss > rss_limit)
        fail("RSS grew by %.2f MiB (%.2f -> %.2f MiB), limit %.2f MiB", rss / MIB, w->rss / MIB,
             last->rss / MIB, rss_limit / MIB);
    double lib = grown(w->lib, last->lib);
    if (lib > LIB_GROWTH_BYTES)
        fail("the library's memory grew by %.1f KiB (%.1f -> %.1f KiB: managed %+.1f, "
             "malloc %+.1f), limit %.0f KiB",
             lib / KIB, w->lib / KIB, last->lib / KIB,
             (grown(w->live, last->live) - grown(w->working_set, last->working_set)) / KIB,
             grown(w->malloc_in_use, last->malloc_in_use) / KIB, LIB_GROWTH_BYTES / KIB);
    /* While the monitor and the workers run, the same fds (but the statm
     * pool's) and threads at every sample: a leak of either shows long
     * before the end. */
    size_t moved = 0, first = 0;
    for (size_t i = n - 1; i > 0; i--)
        if (!pool_fds(s[0].fds, s[i].fds) || s[i].threads != s[0].threads)
            moved++, first = i;
    if (moved)
        fail("fds or threads changed while running, at %zu samples: first at sample %zu (%d fds, "
             "%d threads), last %d fds, %d threads; sample 0 had %d, %d",
             moved, first, s[first].fds, s[first].threads, s[n - 1].fds, s[n - 1].threads, s[0].fds,
             s[0].threads);
}

/* ---- the timeline ----------------------------------------------------- */

typedef struct timeline_counts {
    unsigned long lines, mem, heap, gc, enter, func, label, end, unknown;
    int first_cmdline, second_meta, end_last;
    double start, end_t;
} timeline_counts;

static int has_tag(const char *line, const char *tag)
{
    size_t n = strlen(tag);

    return strncmp(line, tag, n) == 0 && line[n] == ' ';
}

static int read_timeline(const char *path, timeline_counts *c)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    FILE *fp = fopen(path, "re");

    memset(c, 0, sizeof *c);
    if (!fp) {
        fail("cannot read the timeline %s: %s", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &cap, fp)) > 0) {
        c->lines++;
        if (line[len - 1] != '\n')
            fail("timeline line %lu has no newline", c->lines);
        c->end_last = 0;
        if (has_tag(line, "MEM"))
            c->mem++;
        else if (has_tag(line, "GCPROF_HEAP"))
            c->heap++;
        else if (has_tag(line, "GCPROF_GC"))
            c->gc++;
        else if (has_tag(line, "GCPROF_ENTER"))
            c->enter++;
        else if (has_tag(line, "FUNC"))
            c->func++;
        else if (has_tag(line, "GCPROF_LABEL"))
            c->label++;
        else if (has_tag(line, "GCPROF_END")) {
            c->end++;
            c->end_last = 1;
            c->end_t = strtod(line + 11, NULL);
        } else if (has_tag(line, "CMDLINE"))
            c->first_cmdline = c->lines == 1;
        else if (has_tag(line, "GCPROF_META")) {
            double version, pid;
            c->second_meta =
                c->lines == 2 && sscanf(line + 12, "%lf %lf %lf", &version, &pid, &c->start) == 3;
        } else if (c->unknown++ < 3)
            fail("timeline line %lu: unknown record '%.40s'", c->lines, line);
    }
    free(line);
    fclose(fp);
    return 0;
}

/* Run argv, capture its stdout; returns its exit status, or -1. */
static int run_capture(char *const argv[], char *out, size_t len)
{
    int pipefd[2], status;

    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(argv[0], argv);
        fprintf(stderr, "soak: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    ssize_t got = 1;
    while (used < len - 1 && (got = read(pipefd[0], out + used, len - 1 - used)) > 0)
        used += (size_t)got;
    out[used] = '\0';
    char rest[256];
    while (got > 0 && read(pipefd[0], rest, sizeof rest) > 0) /* what did not fit */
        ;
    close(pipefd[0]);
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Sum of every "key":N in a JSON text. */
static unsigned long json_sum(const char *json, const char *key, unsigned long *occurrences)
{
    unsigned long sum = 0;
    size_t n = strlen(key);

    *occurrences = 0;
    for (const char *p = strstr(json, key); p; p = strstr(p + n, key)) {
        sum += strtoul(p + n, NULL, 10);
        ++*occurrences;
    }
    return sum;
}

/* gcprof summary and peak must read the whole file, and agree. */
static void check_with_reader(const char *gcprof, const char *path, const timeline_counts *c)
{
    static char out[1 << 16];
    unsigned long n;

    char *summary[] = {(char *)gcprof, "summary", "--json", (char *)path, NULL};
    int rc = run_capture(summary, out, sizeof out);
    if (rc != 0) {
        fail("'%s summary --json %s' exited with %d", gcprof, path, rc);
        return;
    }
    if (!strstr(out, "\"complete\":true"))
        fail("gcprof summary: the timeline is not complete");
    unsigned long rss_samples = json_sum(out, "\"rss_samples\":", &n);
    if (n != 1 || rss_samples != c->mem)
        fail("gcprof summary: %lu RSS samples, the file has %lu MEM lines", rss_samples, c->mem);
    unsigned long gcs = json_sum(out, "\"collections\":", &n);
    if (gcs != c->gc)
        fail("gcprof summary: %lu collections, the file has %lu GC lines", gcs, c->gc);
    unsigned long calls = json_sum(out, "\"calls\":", &n);
    unsigned long unfinished = json_sum(out, "\"unfinished\":", &n);
    if (calls != c->func || unfinished != 0)
        fail("gcprof summary: %lu closure calls, %lu unfinished; the file has %lu exits", calls,
             unfinished, c->func);
    printf("gcprof summary: %lu RSS samples, %lu collections, %lu closure calls over %lu names\n",
           rss_samples, gcs, calls, n);

    char *peak[] = {(char *)gcprof, "peak", (char *)path, NULL};
    rc = run_capture(peak, out, sizeof out);
    const char *tab = strchr(out, '\t');
    double mib = tab ? strtod(tab + 1, NULL) : 0;
    if (rc != 0 || !(mib > 0))
        fail("'%s peak %s' exited with %d, printed '%s'", gcprof, path, rc, out);
    else
        printf("gcprof peak: %.3f MiB\n", mib);
}

/* The timeline: only known records, each profile an enter and an exit,
 * a sample per interval, every collection, and the end record last. */
static void check_timeline(const char *path, const options *o, unsigned long profiles,
                           uint64_t collections, uint64_t dropped)
{
    timeline_counts c;

    if (read_timeline(path, &c) < 0)
        return;
    if (!c.first_cmdline || !c.second_meta)
        fail("timeline: does not begin with CMDLINE and GCPROF_META");
    if (c.end != 1 || !c.end_last)
        fail("timeline: %lu end records, %s", c.end, c.end_last ? "last" : "not the last line");
    if (c.enter != profiles || c.func != profiles)
        fail("timeline: %lu enter markers and %lu exits for %lu profiles", c.enter, c.func,
             profiles);
    if (c.mem != c.heap)
        fail("timeline: %lu MEM lines but %lu heap lines", c.mem, c.heap);
    /* The sampler keeps an absolute schedule, catching up when late, and
     * writes once more at stop. */
    double duration = c.end_t - c.start;
    double expected = duration / o->interval;
    if ((double)c.mem < 0.95 * expected - 2 || (double)c.mem > expected + 3)
        fail("timeline: %lu samples in %.2f s at %.3f s (expected about %.0f)", c.mem, duration,
             o->interval, expected);
    if (c.gc + dropped != collections)
        fail("timeline: %lu GC lines + %" PRIu64 " dropped, but %" PRIu64 " collections ran", c.gc,
             dropped, collections);
    printf("timeline: %lu lines: %lu samples in %.2f s (expected %.0f), %lu collections "
           "(%" PRIu64 " dropped), %lu enters, %lu exits, %lu labels\n",
           c.lines, c.mem, duration, expected, c.gc, dropped, c.enter, c.func, c.label);
    if (o->gcprof)
        check_with_reader(o->gcprof, path, &c);
    else
        printf("timeline: gcprof not found: not read back with gcprof summary/peak\n");
}

/* tools/gcprof next to tests/soak, when built in this tree. */
static const char *find_gcprof(const char *argv0)
{
    static char path[4096];
    const char *slash = strrchr(argv0, '/');
    int dir = slash ? (int)(slash - argv0) : 1;

    snprintf(path, sizeof path, "%.*s/../tools/gcprof", dir, slash ? argv0 : ".");
    return access(path, X_OK) == 0 ? path : NULL;
}

/* ---- the run ----------------------------------------------------------- */

typedef struct start_state {
    int fds, threads;
    uint64_t gc_no;
    uint64_t collections, dropped;
} start_state;

static int start_monitor(const options *o, const char *dat)
{
    gcp_monitor_options mo;

    if (gcp_monitor_options_init(&mo) < 0) {
        fail("monitor options: %s", gcp_last_error());
        return -1;
    }
    mo.path = dat;
    mo.interval = o->interval;
    mo.trace = 0;
    if (gcp_monitor_start(&mo) < 0) {
        fail("gcp_monitor_start: %s", gcp_last_error());
        return -1;
    }
    return 0;
}

/* What the gc points decided, by the reason's words: its figures (runs
 * of digits, '.' and '~') each become '#'. */
typedef struct reason_tally {
    char reason[96];
    int collected;
    unsigned long n;
} reason_tally;

static reason_tally tallies[12];

static void tally_decision(const gcp_gc_decision *d)
{
    char key[96];
    size_t k = 0;

    for (const char *p = d->reason; *p && k + 1 < sizeof key;) {
        size_t figure = strspn(p, "0123456789.~");
        key[k++] = figure ? '#' : *p;
        p += figure ? figure : 1;
    }
    key[k] = '\0';
    for (size_t i = 0; i < sizeof tallies / sizeof *tallies; i++) {
        reason_tally *t = &tallies[i];
        if (t->n == 0) {
            snprintf(t->reason, sizeof t->reason, "%s", key);
            t->collected = d->collected;
        }
        if (strcmp(t->reason, key) == 0 && t->collected == d->collected) {
            t->n++;
            return;
        }
    }
}

static void print_tallies(void)
{
    printf("gc points:");
    for (size_t i = 0; i < sizeof tallies / sizeof *tallies && tallies[i].n; i++)
        printf("%s %lu %s '%s'", i ? "," : "", tallies[i].n,
               tallies[i].collected ? "collected" : "skipped", tallies[i].reason);
    printf("\n");
}

/* The main loop: calls, gc points, labels, and a sample every k calls. */
static size_t run_calls(const options *o, sample *samples, size_t k, size_t *warm)
{
    context main_ctx = {o->seed, main_ring, MAIN_RING, 0};
    gcp_config point_cfg;
    gcp_gc_decision decision;
    unsigned long label_every = o->calls / 20 ? o->calls / 20 : 1;
    size_t n = 0;
    double t0 = now_s();

    gcp_config_init(&point_cfg);
    *warm = SIZE_MAX;
    print_header();
    workers_start(o->workers);
    for (unsigned long i = 0; i <= o->calls; i++) {
        if (i % k == 0 || i == o->calls) {
            take_sample(&samples[n], i, t0, o->workers);
            if (*warm == SIZE_MAX && i >= o->warmup)
                *warm = n;
            print_sample(n, &samples[n], *warm == n);
            n++;
            if (i == o->calls)
                break;
            workers_start(o->workers);
        }
        main_call(&main_ctx, i);
        if (o->inject)
            inject(o->inject, i, o->calls);
        if (i % 100 == 99 && gcp_gc_point(&point_cfg, &decision) >= 0)
            tally_decision(&decision);
        if (i % label_every == 0) {
            char label[64];
            snprintf(label, sizeof label, "soak: %lu calls", i);
            gcp_monitor_label(label);
        }
    }
    print_tallies();
    return n;
}

int main(int argc, char **argv)
{
    options o;
    char tmp_dir[] = "/tmp/gcprof-soak-XXXXXX", tmp_dat[64];

    if (parse_options(argc, argv, &o) < 0) {
        usage(stderr);
        return 2;
    }
    if (!o.gcprof)
        o.gcprof = find_gcprof(argv[0]);
    if (!o.dat) {
        if (!mkdtemp(tmp_dir)) {
            perror("soak: mkdtemp");
            return 1;
        }
        snprintf(tmp_dat, sizeof tmp_dat, "%s/soak.dat", tmp_dir);
    }
    const char *dat = o.dat ? o.dat : tmp_dat;

    gcp_init();
    gcp_set_log_fn(log_hook, NULL);
    configs_init();
    size_t k = (o.calls + o.samples - 1) / o.samples;
    sample *samples = calloc(o.calls / k + 2, sizeof *samples);
    if (!samples) {
        perror("soak: calloc");
        return 1;
    }
    context fill = {o.seed ^ 0x9e3779b97f4a7c15ULL, main_ring, MAIN_RING, 0};
    ring_fill(&fill);
    workers_init(o.workers, o.seed);
    /* The library keeps /proc/self/statm and clear_refs open from its first
     * RSS read on (procfs.c): open them before counting fds. */
    gcp_report first;
    if (gcp_profile("first", empty, NULL, &cfg_peak, &first) < 0)
        fail("first profile: %s", gcp_last_error());

    start_state st = {count_entries("/proc/self/fd"), count_entries("/proc/self/task"),
                      GC_get_gc_no(), 0, 0};
    gcp_monitor_counts(&st.collections, &st.dropped);
    printf("soak: %lu calls, %d worker threads, a sample every %zu calls, warm-up %lu calls, "
           "timeline %s (every %.3f s)\n",
           o.calls, o.workers, k, o.warmup, dat, o.interval);
    double t0 = now_s();
    if (start_monitor(&o, dat) < 0)
        return 1;
    size_t warm, n = run_calls(&o, samples, k, &warm);
    uint64_t gc_no_end = GC_get_gc_no();
    if (gcp_monitor_stop() < 0)
        fail("gcp_monitor_stop: %s", gcp_last_error());
    double duration = now_s() - t0;
    uint64_t collections, dropped;
    gcp_monitor_counts(&collections, &dropped);

    int fds = count_entries("/proc/self/fd"), threads = count_entries("/proc/self/task");
    if (!pool_fds(st.fds, fds))
        fail("%d fds open after the monitor stopped, %d before it started (%d more allowed: the "
             "statm pool)",
             fds, st.fds, STATM_POOL_EXTRA);
    if (threads != st.threads)
        fail("%d threads after the monitor stopped and the workers were joined, %d before", threads,
             st.threads);
    check_curves(samples, n, warm);
    if (o.csv)
        write_csv(o.csv, samples, n);
    unsigned long worker_calls = 0;
    for (int i = 0; i < o.workers; i++)
        worker_calls += workers[i].calls;
    printf("%lu profiles (%lu worker calls), %" PRIu64 " collections\n",
           atomic_load(&profiles_begun), worker_calls, gc_no_end - st.gc_no);
    check_timeline(dat, &o, atomic_load(&profiles_begun), gc_no_end - st.gc_no,
                   dropped - st.dropped);
    if (atomic_load(&bad_profiles))
        fail("%lu profiles or snapshots failed", atomic_load(&bad_profiles));
    if (atomic_load(&out_of_memory))
        fail("%lu allocations failed", atomic_load(&out_of_memory));
    if (atomic_load(&log_errors))
        fail("the library logged %d errors", atomic_load(&log_errors));
    if (atomic_load(&log_warnings))
        printf("the library logged %d warnings\n", atomic_load(&log_warnings));

    gcp_heap_counters counters;
    gcp_heap_counters_get(&counters);
    const sample *w = &samples[warm], *last = &samples[n - 1];
    printf("soak: %s: %lu calls in %.1f s (%.2f GiB in %" PRIu64 " objects allocated); "
           "library memory %.1f KiB after warm-up -> %.1f KiB at the end (%+.1f KiB); "
           "RSS %.2f -> %.2f MiB; heap in use after GC %.3f -> %.3f MiB; "
           "fds %d -> %d; threads %d -> %d\n",
           failures ? "FAIL" : "PASS", o.calls, duration, counters.bytes_allocated / (MIB * 1024),
           counters.objects_allocated, w->lib / KIB, last->lib / KIB,
           grown(w->lib, last->lib) / KIB, w->rss / MIB, last->rss / MIB, w->in_use_after / MIB,
           last->in_use_after / MIB, st.fds, fds, st.threads, threads);
    free(samples);
    if (!o.dat && failures == 0) {
        unlink(tmp_dat);
        rmdir(tmp_dir);
    } else if (!o.dat)
        printf("soak: timeline kept for inspection: %s\n", tmp_dat);
    return failures ? 1 : 0;
}
