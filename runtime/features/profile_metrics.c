/*
 * profile_metrics.c - per-name histograms of profiled closures
 * (profile_metrics.h).
 *
 * Cardinality is bounded by the table: the first max_names names to end
 * get series of their own, every later name is counted under "_other",
 * so a program that names profiles after requests (ids, URLs) cannot
 * grow the scrape without limit. A name is the report's function_name
 * (127 bytes at most).
 */
#include "profile_metrics.h"
#include "gc_metrics.h"
#include "heap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OTHER "_other"

typedef struct series {
    char name[sizeof((gcp_report *)0)->function_name];
    gcp__hist seconds, bytes;
} series;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int on;
static series *table; /* [max + 1]: the last is "_other" */
static unsigned used, max;

static void series_init(series *s, const char *name)
{
    snprintf(s->name, sizeof s->name, "%s", name);
    gcp__hist_init_call_seconds(&s->seconds);
    gcp__hist_init_bytes(&s->bytes);
}

int gcp__profile_metrics_on(unsigned max_names)
{
    series *t = malloc((max_names + 1) * sizeof *t);

    if (!t)
        return gcp__fail(GCP_ENOMEM, "metrics: no memory for %u closure names", max_names);
    series_init(&t[max_names], OTHER);
    pthread_mutex_lock(&lock);
    free(table);
    table = t;
    used = 0;
    max = max_names;
    atomic_store(&on, 1);
    pthread_mutex_unlock(&lock);
    return 0;
}

void gcp__profile_metrics_forked(void)
{
    pthread_mutex_init(&lock, NULL); /* another thread may have held it */
}

void gcp__profile_metrics_off(void)
{
    pthread_mutex_lock(&lock);
    atomic_store(&on, 0);
    free(table);
    table = NULL;
    used = max = 0;
    pthread_mutex_unlock(&lock);
}

/* Under lock: the name's series, a new one while there is room, else
 * "_other". */
static series *find(const char *name)
{
    for (unsigned i = 0; i < used; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    if (used < max) {
        series_init(&table[used], name);
        return &table[used++];
    }
    return &table[max];
}

void gcp__profile_metrics_note(const gcp_report *r)
{
    if (!atomic_load_explicit(&on, memory_order_relaxed))
        return;
    pthread_mutex_lock(&lock);
    if (table) {
        series *s = find(r->function_name);
        double ns = r->execution_time * 1e9;
        gcp__hist_observe(&s->seconds, ns > 0 ? (uint64_t)ns : 0);
        gcp__hist_observe(&s->bytes, r->bytes_allocated);
    }
    pthread_mutex_unlock(&lock);
}

static void one_series(gcp__prom *p, const char *name, const series *s, int bytes)
{
    gcp__prom_label l = {"function", s->name};

    gcp__hist_render(p, name, l, bytes ? &s->bytes : &s->seconds);
}

static void render_family(gcp__prom *p, int bytes)
{
    const char *name = bytes ? "gcprof_profile_allocated_bytes" : "gcprof_profile_duration_seconds";

    gcp__prom_family(p, name, GCP__HISTOGRAM, bytes ? "bytes" : "seconds",
                     bytes ? "Bytes the runtime allocated during each profiled closure, by name."
                           : "Wall-clock time of each profiled closure, by name.");
    for (unsigned i = 0; i < used; i++)
        one_series(p, name, &table[i], bytes);
    one_series(p, name, &table[max], bytes); /* "_other", even when empty */
}

/* Rendered under the lock: a profile ending meanwhile waits for at most
 * the time to print (max + 1) x 2 histograms. */
void gcp__profile_metrics_render(gcp__prom *p)
{
    pthread_mutex_lock(&lock);
    if (table) {
        render_family(p, 0);
        render_family(p, 1);
    }
    pthread_mutex_unlock(&lock);
}
