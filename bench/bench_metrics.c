/*
 * bench_metrics.c - what the metrics endpoint costs, on a heap of about
 * 100 MiB of live small objects (LISTS linked lists of gcp_alloc'd nodes,
 * 64 bytes each in the heap, hanging from one root array).
 *
 *  1. Census cost per collection: GC_gcollect with metrics running and
 *     not, interleaved. While metrics run the hook takes a census at the
 *     end of every collection (one pass over the mark bits, under the
 *     collector's lock): the difference of the medians is what it adds.
 *     The same pass alone (gcp__census, white-box) is timed beside them.
 *  2. The pause a scrape adds: the main thread allocates small garbage in
 *     batches of BATCH, timing each batch, while a second thread scrapes
 *     back to back (GET /metrics over loopback, or gcp_metrics_render in
 *     process), or nothing; or, as a control, spins without touching the
 *     collector: on 2 cores a busy thread competes for the CPU (a GET loop
 *     keeps about one CPU busy, client and server). Metrics run in every
 *     variant. Batches in which a collection ran are counted apart.
 *  3. CPU per scrape: the server's thread (its CPU clock), the client's,
 *     and the wall time of one GET; one gcp_metrics_render alone.
 *
 * No targets: the figures are for information (exit 0 unless the endpoint
 * cannot start). Run from the build tree, or set GCPROF_HTTP_MODULE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "heap.h" /* white-box (gcp__census); the collector with GC_THREADS */

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "benchutil.h"
#include "bench_endpoint.h"

#define NODE_BYTES   48 /* + the collector's extra byte: 64 B slots */
#define LISTS        1024
#define NODES        1600000L /* x 64 B: about 98 MiB live */
#define GC_ROUNDS    31
#define LOAD_ROUNDS  9
#define LOAD_SECONDS 1.0
#define BATCH        1000 /* allocations timed together */
#define MAX_BATCHES  (1L << 20)
#define CPU_ROUNDS   10
#define CPU_SCRAPES  20 /* a round: 10 x 20 = 200 scrapes */
#define BUF_BYTES    (1 << 20)

typedef struct node {
    struct node *next;
    char pad[NODE_BYTES - sizeof(struct node *)];
} node;

static node **roots; /* collected, reachable from this static */
static void *volatile sink;
static char *render_buf; /* malloc'd: not scanned by the collector */

static void build_heap(void)
{
    roots = GC_MALLOC(LISTS * sizeof *roots);
    for (long i = 0; i < NODES; i++) {
        node *n = roots ? gcp_alloc(sizeof(node)) : NULL;
        if (!n) {
            fprintf(stderr, "bench_metrics: out of memory building the heap\n");
            exit(2);
        }
        n->next = roots[i % LISTS];
        roots[i % LISTS] = n;
    }
}

static size_t render(void)
{
    size_t len = 0;

    return gcp_metrics_render(render_buf, BUF_BYTES, 0, &len) == 0 ? len : 0;
}

/* ---- 1. census cost per collection ------------------------------------ */

/* Variant v of a round, ms: a collection without metrics (0), with them
 * (1), or the census pass alone, lock taken from outside (2). */
static double census_variant(size_t v)
{
    gcp__counts live;

    if (v == 1 && be_metrics_on() != 0)
        exit(2);
    uint64_t t0 = bench_now_ns();
    if (v < 2)
        GC_gcollect();
    else
        gcp__census(&live, NULL);
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    if (v == 1)
        gcp_metrics_stop();
    return ms;
}

/* median (min-max), as a table cell and as a row */
static void cell(const bench_series *s)
{
    printf(" %7.1f (%.1f-%.1f)", bench_median(s), bench_quantile(s, 0), bench_quantile(s, 1));
}

static void row(const char *what, const bench_series *s)
{
    printf("   %-36s", what);
    cell(s);
    putchar('\n');
}

static void census_cost(void)
{
    bench_series t[3] = {{.n = 0}, {.n = 0}, {.n = 0}}, ratio = {.n = 0};

    for (size_t r = 0; r < GC_ROUNDS; r++) {
        double ms[3];
        for (size_t i = 0; i < 3; i++) {
            size_t v = bench_order(r, i, 3);
            bench_add(&t[v], ms[v] = census_variant(v));
        }
        bench_add(&ratio, ms[1] / ms[0]);
    }
    double mo = bench_median(&t[0]), mn = bench_median(&t[1]);
    printf("1. full collection (GC_gcollect), ms: median (min-max) of %d interleaved rounds\n",
           GC_ROUNDS);
    row("metrics off", &t[0]);
    row("metrics on (census at END)", &t[1]);
    printf("   %-36s %+7.1f ms a collection; ratio %.3f (paired %.3f [q1 %.3f..q3 %.3f])\n",
           "=> metrics add", mn - mo, mn / mo, bench_median(&ratio), bench_quantile(&ratio, 0.25),
           bench_quantile(&ratio, 0.75));
    row("the census pass alone (gcp__census)", &t[2]);
    printf("\n");
    bench_json_result("full collection, metrics off", mo, "ms", NULL, -1);
    bench_json_result("full collection, metrics on", mn, "ms", NULL, -1);
    bench_json_result("collection ratio, on / off", mn / mo, "ratio", NULL, -1);
    bench_json_result("census pass alone", bench_median(&t[2]), "ms", NULL, -1);
}

/* ---- 2. allocation latency while scraping ------------------------------ */

enum { SCRAPE_NONE, SCRAPE_HTTP, SCRAPE_RENDER, SCRAPE_SPIN, N_SCRAPES };
static const char *const scrape_names[] = {"no scraper", "GET /metrics loop", "render loop",
                                           "spin (control)"};

static atomic_int scraper_stop;
static atomic_long scrapes_done, scrapes_failed;

static void *scraper_main(void *arg)
{
    int how = (int)(intptr_t)arg, port = gcp_metrics_port();

    while (!atomic_load(&scraper_stop)) {
        if (how == SCRAPE_SPIN)
            continue;
        size_t got = how == SCRAPE_HTTP ? be_scrape(port) : render();
        atomic_fetch_add(got ? &scrapes_done : &scrapes_failed, 1);
    }
    return NULL;
}

typedef struct latency {
    bench_series p50, p99, max; /* batches without a collection, us */
    bench_series gc_max;        /* the slowest batch that collected, ms */
    bench_series rate;          /* scrapes a second */
    long gcs, batches;
} latency;

static double *plain_ns; /* malloc'd: the batches in which no collection ran */

static BENCH_NOINLINE void alloc_batch(void)
{
    for (int i = 0; i < BATCH; i++)
        sink = gcp_alloc(32);
}

/* One window of LOAD_SECONDS of batches; adds its figures to l. */
static void load_window(latency *l)
{
    size_t n = 0, plain = 0;
    double gc_max = 0;
    uint64_t end = bench_now_ns() + (uint64_t)(LOAD_SECONDS * 1e9);

    while (n < MAX_BATCHES && bench_now_ns() < end) {
        unsigned long gc0 = (unsigned long)GC_get_gc_no();
        uint64_t t0 = bench_now_ns();
        alloc_batch();
        double ns = (double)(bench_now_ns() - t0);
        if ((unsigned long)GC_get_gc_no() != gc0) {
            gc_max = ns > gc_max ? ns : gc_max;
            l->gcs++;
        } else {
            plain_ns[plain++] = ns;
        }
        n++;
    }
    if (plain == 0)
        return;
    qsort(plain_ns, plain, sizeof plain_ns[0], bench_cmp_double);
    bench_add(&l->p50, plain_ns[plain / 2] / 1e3);
    bench_add(&l->p99, plain_ns[(size_t)((double)plain * 0.99)] / 1e3);
    bench_add(&l->max, plain_ns[plain - 1] / 1e3);
    if (gc_max > 0)
        bench_add(&l->gc_max, gc_max / 1e6);
    l->batches += (long)n;
}

static void load_variant(latency *l, int how)
{
    pthread_t t;
    long done0 = atomic_load(&scrapes_done);
    uint64_t t0 = bench_now_ns();

    atomic_store(&scraper_stop, 0);
    if (how != SCRAPE_NONE && pthread_create(&t, NULL, scraper_main, (void *)(intptr_t)how))
        exit(2);
    GC_gcollect(); /* every window starts from the same heap */
    load_window(l);
    atomic_store(&scraper_stop, 1);
    if (how != SCRAPE_NONE)
        pthread_join(t, NULL);
    bench_add(&l->rate,
              (double)(atomic_load(&scrapes_done) - done0) * 1e9 / (double)(bench_now_ns() - t0));
}

static void scrape_pause(void)
{
    static latency l[N_SCRAPES];

    plain_ns = malloc(MAX_BATCHES * sizeof *plain_ns);
    if (!plain_ns || be_metrics_on() != 0)
        exit(2);
    for (size_t r = 0; r < LOAD_ROUNDS; r++)
        for (size_t i = 0; i < N_SCRAPES; i++) {
            size_t v = bench_order(r, i, N_SCRAPES);
            load_variant(&l[v], (int)v);
        }
    gcp_metrics_stop();
    printf("2. allocating thread, batches of %d gcp_alloc(32) while a thread scrapes back to back\n"
           "   (metrics on throughout; %d interleaved rounds of %.1f s each; median (min-max) of\n"
           "   the rounds' figures; p50/p99/max over batches in which no collection ran, us)\n",
           BATCH, LOAD_ROUNDS, LOAD_SECONDS);
    printf("   %-18s %7s %4s %17s %17s %19s %19s %9s\n", "variant", "batches", "GCs", "p50 us",
           "p99 us", "max us", "collecting max ms", "scrapes/s");
    for (int v = 0; v < N_SCRAPES; v++) {
        printf("   %-18s %7ld %4ld", scrape_names[v], l[v].batches / LOAD_ROUNDS, l[v].gcs);
        cell(&l[v].p50);
        cell(&l[v].p99);
        cell(&l[v].max);
        cell(&l[v].gc_max);
        printf(" %9.0f\n", bench_median(&l[v].rate));
        char name[96];
        snprintf(name, sizeof name, "allocation batch p99, %s", scrape_names[v]);
        bench_json_result(name, bench_median(&l[v].p99), "us", NULL, -1);
    }
    printf("   (batches: a window's, mean; GCs: collections in all windows; failed scrapes: "
           "%ld)\n\n",
           atomic_load(&scrapes_failed));
    free(plain_ns);
}

/* ---- 3. CPU per scrape ------------------------------------------------- */

enum { WALL, CLIENT, SERVER, PROCESS, N_CLOCKS };

static void clocks(uint64_t c[N_CLOCKS])
{
    c[WALL] = bench_now_ns();
    c[CLIENT] = be_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    c[SERVER] = be_server_cpu_ns();
    c[PROCESS] = be_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static void scrape_cpu(void)
{
    bench_series get[N_CLOCKS] = {{.n = 0}}, ren[N_CLOCKS] = {{.n = 0}};
    size_t bytes[2] = {0, 0};
    uint64_t c0[N_CLOCKS], c1[N_CLOCKS];

    if (be_metrics_on() != 0)
        exit(2);
    for (int r = 0; r < 2 * CPU_ROUNDS; r++) { /* GET, render, render, GET, ... */
        int http = bench_order((size_t)r / 2, (size_t)r % 2, 2) == 0;
        clocks(c0);
        for (int k = 0; k < CPU_SCRAPES; k++)
            bytes[http] = http ? be_scrape(gcp_metrics_port()) : render();
        clocks(c1);
        for (int c = 0; c < N_CLOCKS; c++)
            bench_add(http ? &get[c] : &ren[c], (double)(c1[c] - c0[c]) / (1e3 * CPU_SCRAPES));
    }
    gcp_metrics_stop();
    printf("3. one scrape, us: median (min-max) of %d interleaved rounds of %d (heap idle)\n",
           CPU_ROUNDS, CPU_SCRAPES);
    row("GET /metrics: wall", &get[WALL]);
    row("   server thread CPU", &get[SERVER]);
    row("   client thread CPU", &get[CLIENT]);
    row("   process CPU (all threads)", &get[PROCESS]);
    printf("   %-36s %8zu bytes (headers and body; %d server thread%s)\n", "   response", bytes[1],
           be_server_threads(), be_server_threads() == 1 ? "" : "s");
    row("gcp_metrics_render: wall", &ren[WALL]);
    row("   CPU", &ren[CLIENT]);
    printf("   %-36s %8zu bytes\n", "   text", bytes[0]);
    bench_json_result("scrape wall", bench_median(&get[WALL]), "us", NULL, -1);
    bench_json_result("scrape server thread CPU", bench_median(&get[SERVER]), "us", NULL, -1);
    bench_json_result("scrape process CPU", bench_median(&get[PROCESS]), "us", NULL, -1);
    bench_json_result("scrape response", (double)bytes[1], "bytes", NULL, -1);
    bench_json_result("render CPU", bench_median(&ren[CLIENT]), "us", NULL, -1);
}

/* The live bytes as the endpoint reports them (the census's). */
static double live_mib(void)
{
    const char *p = strstr(render_buf, "\nbdwgc_live_bytes ");

    return p ? strtod(p + strlen("\nbdwgc_live_bytes "), NULL) / 1048576.0 : -1;
}

int main(void)
{
    /* From the top of the build tree: the module built here. */
    if (!getenv("GCPROF_HTTP_MODULE") && access(".libs/libgcprof-http.so", R_OK) == 0)
        setenv("GCPROF_HTTP_MODULE", "./.libs/libgcprof-http.so", 0);
    render_buf = malloc(BUF_BYTES);
    gcp_init();
    bench_json_begin("bench_metrics");
    build_heap();
    if (!render_buf || be_metrics_on() != 0) {
        fprintf(stderr, "bench_metrics: %s (set GCPROF_HTTP_MODULE to libgcprof-http.so)\n",
                gcp_last_error());
        return 2;
    }
    GC_gcollect();
    render();
    gcp_metrics_stop();
    printf("bench_metrics: the metrics endpoint on %.1f MiB live (%ld objects of %d B in %d "
           "lists), heap %.1f MiB\n\n",
           live_mib(), NODES, NODE_BYTES, LISTS, (double)GC_get_heap_size() / 1048576.0);
    bench_json_result("live heap", live_mib(), "MiB", NULL, -1);
    census_cost();
    scrape_pause();
    scrape_cpu();
    bench_json_end();
    printf("\nbench_metrics: no targets (information only)\n");
    return 0;
}
