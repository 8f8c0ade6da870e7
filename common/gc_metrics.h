/*
 * gc_metrics.h - the collector's metrics, as the runtime (in the program)
 * and `gcprof run --metrics` (beside an unmodified one) both serve them:
 * one set of names, units and buckets (doc/fleet.md lists them).
 *
 * Knows nothing of the collector: the caller fills a gcp__gc_metrics from
 * its own readings. Histograms are filled where observations happen (the
 * runtime's event hook, gcprof's record reader): lock-free, relaxed.
 */
#ifndef GCP_GC_METRICS_H
#define GCP_GC_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "prom_text.h"

#define GCP__HIST_MAX 16 /* bounds at most */

/* A histogram with fixed upper bounds in integer units (nanoseconds,
 * bytes), counts not cumulative: counts[n] holds what is above the last
 * bound. Readers may see one observation's count before its sum. */
typedef struct gcp__hist {
    const uint64_t *bounds;
    unsigned n;
    double unit; /* units per exposed unit: 1e9 ns per second */
    _Atomic uint64_t counts[GCP__HIST_MAX + 1];
    _Atomic uint64_t sum;
} gcp__hist;

/* The shared bucket sets: pauses and collections (0.1 ms to 10 s), a
 * profiled closure's time (10 us to 60 s) and bytes (1 KiB to 4 GiB). */
void gcp__hist_init_gc_seconds(gcp__hist *h);
void gcp__hist_init_call_seconds(gcp__hist *h);
void gcp__hist_init_bytes(gcp__hist *h);

void gcp__hist_observe(gcp__hist *h, uint64_t v);
/* Writes the histogram as one labelled series. */
void gcp__hist_render(gcp__prom *p, const char *name, gcp__prom_label l, const gcp__hist *h);

/* One reading of everything the collector's families show. has_* say
 * which parts are known; an unknown part is left out of the text, never
 * shown as 0. */
typedef struct gcp__gc_metrics {
    uint64_t collections; /* the collector's own count (GC_get_gc_no) */
    int has_forced;
    uint64_t forced; /* collections the program asked for */
    int has_heap;
    uint64_t heap_size, free_bytes, unmapped_bytes, allocated_bytes;
    int has_live;
    uint64_t live_bytes; /* in objects marked by the latest full collection */
    int has_rss;
    uint64_t rss;
    const gcp__hist *pauses, *durations; /* NULL: not observed */
} gcp__gc_metrics;

/* The bdwgc_* families and process_resident_memory_bytes. */
void gcp__gc_metrics_render(gcp__prom *p, const gcp__gc_metrics *m);

#endif /* GCP_GC_METRICS_H */
