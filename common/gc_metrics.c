/*
 * gc_metrics.c - histograms and the collector's families (gc_metrics.h).
 */
#include "gc_metrics.h"

#include <string.h>

#define US 1000ULL
#define MS 1000000ULL
#define S  1000000000ULL
#define KB 1024ULL
#define MB (1024 * KB)
#define GB (1024 * MB)

/* bdwgc's pauses run from tens of microseconds (a small heap, several
 * markers) to seconds (gigabytes, one marker). */
static const uint64_t gc_ns[] = {25 * US,   50 * US,  100 * US, 250 * US, 500 * US, 1 * MS,
                                 2500 * US, 5 * MS,   10 * MS,  25 * MS,  50 * MS,  100 * MS,
                                 250 * MS,  500 * MS, 1 * S,    5 * S};
static const uint64_t call_ns[] = {10 * US, 50 * US,  100 * US, 500 * US, 1 * MS, 5 * MS, 10 * MS,
                                   50 * MS, 100 * MS, 500 * MS, 1 * S,    5 * S,  10 * S, 60 * S};
static const uint64_t bytes[] = {1 * KB, 4 * KB,  16 * KB, 64 * KB,  256 * KB, 1 * MB,
                                 4 * MB, 16 * MB, 64 * MB, 256 * MB, 1 * GB,   4 * GB};

#define N(a) (unsigned)(sizeof a / sizeof a[0])
_Static_assert(N(gc_ns) <= GCP__HIST_MAX && N(call_ns) <= GCP__HIST_MAX &&
                   N(bytes) <= GCP__HIST_MAX,
               "a bucket set is longer than gcp__hist holds");

static void init(gcp__hist *h, const uint64_t *b, unsigned n, double unit)
{
    memset(h, 0, sizeof *h);
    h->bounds = b;
    h->n = n;
    h->unit = unit;
}

void gcp__hist_init_gc_seconds(gcp__hist *h)
{
    init(h, gc_ns, N(gc_ns), 1e9);
}

void gcp__hist_init_call_seconds(gcp__hist *h)
{
    init(h, call_ns, N(call_ns), 1e9);
}

void gcp__hist_init_bytes(gcp__hist *h)
{
    init(h, bytes, N(bytes), 1.0);
}

void gcp__hist_observe(gcp__hist *h, uint64_t v)
{
    unsigned i = 0;

    while (i < h->n && v > h->bounds[i]) /* le: a bound holds what equals it */
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

void gcp__hist_render(gcp__prom *p, const char *name, gcp__prom_label l, const gcp__hist *h)
{
    uint64_t counts[GCP__HIST_MAX + 1];

    for (unsigned i = 0; i <= h->n; i++)
        counts[i] = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
    gcp__prom_histogram(p, name, l, h->bounds, counts, h->n,
                        atomic_load_explicit(&h->sum, memory_order_relaxed), h->unit);
}

static const gcp__prom_label none = {NULL, NULL};

static void counter(gcp__prom *p, const char *name, const char *help, uint64_t v)
{
    gcp__prom_family(p, name, GCP__COUNTER, NULL, help);
    gcp__prom_counter(p, name, none, v);
}

static void bytes_gauge(gcp__prom *p, const char *name, const char *help, uint64_t v)
{
    gcp__prom_family(p, name, GCP__GAUGE, "bytes", help);
    gcp__prom_gauge_u64(p, name, none, v);
}

static void seconds_hist(gcp__prom *p, const char *name, const char *help, const gcp__hist *h)
{
    gcp__prom_family(p, name, GCP__HISTOGRAM, "seconds", help);
    gcp__hist_render(p, name, none, h);
}

void gcp__gc_metrics_render(gcp__prom *p, const gcp__gc_metrics *m)
{
    counter(p, "bdwgc_collections", "Collections completed (the collector's own count).",
            m->collections);
    if (m->has_forced)
        counter(p, "bdwgc_forced_collections",
                "Collections asked for (GC_gcollect and the like, libgcprof's own "
                "included), seen since metrics started.",
                m->forced);
    if (m->pauses)
        seconds_hist(p, "bdwgc_pause_seconds",
                     "Time the world was stopped, per pause, seen since metrics started.",
                     m->pauses);
    if (m->durations)
        seconds_hist(p, "bdwgc_collection_duration_seconds",
                     "Time from a collection's start to its end, seen since metrics started.",
                     m->durations);
    if (m->has_heap) {
        bytes_gauge(p, "bdwgc_heap_size_bytes",
                    "Bytes in the collector's heap, empty blocks included, unmapped ones not.",
                    m->heap_size);
        bytes_gauge(p, "bdwgc_heap_free_bytes",
                    "Free bytes in the heap, unmapped ones not included.", m->free_bytes);
        bytes_gauge(p, "bdwgc_heap_unmapped_bytes", "Heap bytes given back to the system.",
                    m->unmapped_bytes);
        gcp__prom_family(p, "bdwgc_allocated_bytes", GCP__COUNTER, NULL,
                         "Bytes allocated in the collector's heap since the program started.");
        gcp__prom_counter(p, "bdwgc_allocated_bytes", none, m->allocated_bytes);
    }
    if (m->has_live)
        bytes_gauge(p, "bdwgc_live_bytes",
                    "Bytes in the objects the latest full collection marked reachable: exact for "
                    "the collector, which may retain dead objects a stray word points to.",
                    m->live_bytes);
    if (m->has_rss)
        bytes_gauge(p, "process_resident_memory_bytes", "Resident memory size in bytes.", m->rss);
}
