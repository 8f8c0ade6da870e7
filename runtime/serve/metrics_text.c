/*
 * metrics_text.c - the exposition the endpoint serves: the collector's
 * families (common/gc_metrics.c, as gcprof run serves them for unmodified
 * programs), then the runtime's own and the profiled closures'.
 *
 * Every reading is a lock-free getter or a short critical section:
 * GC_get_heap_usage_safe and the latest census (taken by the hook at the
 * end of the collection, gc_meter.c) each take the collector's lock for
 * a few loads. Nothing here collects or walks the heap.
 */
#include "serve.h"
#include "collect.h"
#include "gc_metrics.h"
#include "profile_metrics.h"

#include <stdlib.h>

static const gcp__prom_label none = {NULL, NULL};

static void collector_families(gcp__prom *p, gcp__counts *census, int *has_census)
{
    gcp__gc_metrics m = {0};
    GC_word size, free_bytes, unmapped, since_gc, total;
    uint64_t gc_no = 0;

    GC_get_heap_usage_safe(&size, &free_bytes, &unmapped, &since_gc, &total);
    m.collections = GC_get_gc_no();
    m.has_heap = 1;
    m.heap_size = size;
    m.free_bytes = free_bytes;
    m.unmapped_bytes = unmapped;
    m.allocated_bytes = (uint64_t)total + since_gc;
    *has_census = gcp__census_latest(&gc_no, census, &m.live_bytes);
    m.has_live = *has_census;
    uint64_t rss = gcp__rss_bytes();
    m.has_rss = rss > 0;
    m.rss = rss;
    if (gcp__metering()) {
        m.has_forced = 1;
        gcp__meter_read(&m.pauses, &m.durations, &m.forced);
    }
    gcp__gc_metrics_render(p, &m);
}

static void runtime_families(gcp__prom *p, const gcp__counts *census, int has_census)
{
    gcp__counts allocated;

    gcp__heap_totals(&allocated, NULL);
    gcp__prom_family(p, "gcprof_runtime_allocated_objects", GCP__COUNTER, NULL,
                     "Objects handed out by gcp_alloc and the runtime's containers.");
    gcp__prom_counter(p, "gcprof_runtime_allocated_objects", none, allocated.objects);
    gcp__prom_family(p, "gcprof_runtime_allocated_bytes", GCP__COUNTER, "bytes",
                     "Bytes handed out by gcp_alloc and the runtime's containers.");
    gcp__prom_counter(p, "gcprof_runtime_allocated_bytes", none, allocated.bytes);
    if (!has_census)
        return;
    gcp__prom_family(p, "gcprof_runtime_live_objects", GCP__GAUGE, NULL,
                     "The runtime's objects the latest full collection found reachable.");
    gcp__prom_gauge_u64(p, "gcprof_runtime_live_objects", none, census->objects);
    gcp__prom_family(p, "gcprof_runtime_live_bytes", GCP__GAUGE, "bytes",
                     "Bytes of the runtime's objects the latest full collection found reachable.");
    gcp__prom_gauge_u64(p, "gcprof_runtime_live_bytes", none, census->bytes);
}

void gcp__metrics_write(gcp__prom *p)
{
    gcp__counts census = {0, 0};
    int has_census = 0;

    collector_families(p, &census, &has_census);
    runtime_families(p, &census, has_census);
    gcp__profile_metrics_render(p);
    gcp__prom_end(p);
}

int gcp__metrics_text(int openmetrics, char **text, size_t *len)
{
    for (size_t cap = 64 << 10; cap <= GCP__METRICS_MAX; cap *= 2) {
        char *buf = malloc(cap);
        gcp__prom p;
        if (!buf)
            return gcp__fail(GCP_ENOMEM, "metrics: no memory for %zu bytes of text", cap);
        gcp__prom_init(&p, buf, cap, openmetrics);
        gcp__metrics_write(&p);
        if (!p.full) {
            *text = buf;
            *len = p.len;
            return 0;
        }
        free(buf);
    }
    return gcp__fail(GCP_ERANGE, "metrics: the text is larger than %u bytes", GCP__METRICS_MAX);
}
