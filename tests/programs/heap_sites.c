/*
 * heap_sites.c - a bdwgc program (not built against libgcprof) whose
 * allocation sites are known, for tests/check_gcprof_heap.sh: it counts
 * what each site allocates and keeps, and prints that truth for the test
 * to compare with the heap profile gcprof run writes of it.
 *
 *     heap_sites ITERATIONS RATE [PAUSE]
 *
 * Sites (each its own function, each using its result: no tail call):
 * sixty (600-byte normal objects, every other one kept), thirty (300-byte
 * atomic), ten (100-byte normal), batch (GC_malloc_many, the first of each
 * batch kept), freed (GC_FREE at once), resized (GC_REALLOC to 4000
 * bytes, one in 100 kept). It also sets a collection hook of its own
 * (after gcprof's preload set its) and counts the collections it sees.
 *
 * Output, one line each: "site NAME alloc_objects alloc_bytes alloc_var
 * alloc_expect kept_objects kept_bytes kept_var kept_expect", where bytes
 * are GC_size's, the variances those of a byte-sampled estimate at RATE
 * (sum of size^2 (1-p)/p with p = 1 - exp(-requested/RATE); 0 at rate 1)
 * and "expect" the number of samples expected (sum of p);
 * then "marked KIND BYTES" for kinds normal and atomic from the
 * collector's own mark bits after a last collection, and "hook_ends N"
 * and "collections N". With PAUSE, it then sleeps PAUSE seconds (a
 * profile can be asked for meanwhile) before it exits.
 */
#include <gc/gc.h>
#include <gc/gc_inline.h> /* GC_I_NORMAL, GC_I_PTRFREE */
#include <gc/gc_mark.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct site {
    const char *name;
    unsigned long alloc_objects, kept_objects;
    double alloc_bytes, alloc_var, alloc_expect, kept_bytes, kept_var, kept_expect;
} site;

enum { SIXTY, THIRTY, TEN, BATCH, FREED, RESIZED, NSITES };
static site sites[NSITES] = {{.name = "site_sixty"}, {.name = "site_thirty"},
                             {.name = "site_ten"},   {.name = "site_batch"},
                             {.name = "site_freed"}, {.name = "site_resized"}};
static double rate = 1;
static void **keep;
static size_t nkeep;
static void *volatile sink;
static unsigned long hook_ends;

/* The chance that an allocation of `requested` bytes is sampled. */
static double chance(size_t requested)
{
    return rate <= 1 ? 1 : -expm1(-(double)requested / rate);
}

/* The variance one allocation of `requested` bytes (GC_size `size`)
 * adds to a byte estimate. */
static double variance(size_t requested, size_t size)
{
    double p = chance(requested);
    return (double)size * (double)size * (1 - p) / p;
}

static void count(site *s, void *p, size_t requested, int kept)
{
    size_t size = GC_size(p);

    s->alloc_objects++;
    s->alloc_bytes += (double)size;
    s->alloc_var += variance(requested, size);
    s->alloc_expect += chance(requested);
    if (kept) {
        keep[nkeep++] = p;
        s->kept_objects++;
        s->kept_bytes += (double)size;
        s->kept_var += variance(requested, size);
        s->kept_expect += chance(requested);
    }
}

__attribute__((noinline)) static void site_sixty(size_t i)
{
    void *p = GC_MALLOC(600);
    count(&sites[SIXTY], p, 600, i % 2 == 0);
}

__attribute__((noinline)) static void site_thirty(void)
{
    void *p = GC_MALLOC_ATOMIC(300);
    count(&sites[THIRTY], p, 300, 0);
    sink = p;
}

__attribute__((noinline)) static void site_ten(void)
{
    void *p = GC_MALLOC(100);
    count(&sites[TEN], p, 100, 0);
    sink = p;
}

/* A batch is one allocation of its total size, for sampling. */
__attribute__((noinline)) static void site_batch(void)
{
    void *list = GC_malloc_many(32), *next;
    size_t n = 0, size = 0;
    site *s = &sites[BATCH];

    for (void *p = list; p; p = GC_NEXT(p))
        n++, size = GC_size(p);
    /* sampled or not as a whole: its bytes' variance, and the kept one's */
    double batch_var = variance(n * 32, n * size);
    for (void *p = list; p; p = next) {
        next = GC_NEXT(p);
        GC_NEXT(p) = NULL;
        s->alloc_objects++;
        s->alloc_bytes += (double)size;
        if (p == list) {
            keep[nkeep++] = p;
            s->kept_objects++;
            s->kept_bytes += (double)size;
            s->kept_var += batch_var / ((double)n * (double)n);
            s->kept_expect += chance(n * 32);
        }
    }
    s->alloc_var += batch_var;
    s->alloc_expect += chance(n * 32);
}

__attribute__((noinline)) static void site_freed(void)
{
    void *p = GC_MALLOC(200);
    count(&sites[FREED], p, 200, 0);
    GC_FREE(p);
}

__attribute__((noinline)) static void site_resized(size_t i)
{
    void *p = GC_MALLOC(40);
    count(&sites[RESIZED], p, 40, 0);
    p = GC_REALLOC(p, 4000);
    count(&sites[RESIZED], p, 4000, i % 100 == 0);
    sink = p;
}

static void on_event(GC_EventType e)
{
    if (e == GC_EVENT_END)
        hook_ends++;
}

static void add_marked(void *obj, size_t bytes, void *data)
{
    double *by_kind = data;
    int kind = GC_get_kind_and_size(obj, NULL);

    if (kind == GC_I_NORMAL || kind == GC_I_PTRFREE)
        by_kind[kind] += (double)bytes;
}

static void *GC_CALLBACK marked_locked(void *data)
{
    GC_enumerate_reachable_objects_inner(add_marked, data);
    return NULL;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    double by_kind[2] = {0, 0};

    rate = argc > 2 ? strtod(argv[2], NULL) : 1;
    GC_INIT();
    GC_set_on_collection_event(on_event);
    unsigned long gc_before = (unsigned long)GC_get_gc_no();
    keep = GC_MALLOC_UNCOLLECTABLE((n + n / 64 + n / 100 + 3) * sizeof *keep);
    for (size_t i = 0; i < n; i++) {
        site_sixty(i);
        site_thirty();
        site_ten();
        if (i % 64 == 0)
            site_batch();
        site_freed();
        if (i % 10 == 0)
            site_resized(i / 10);
    }
    sink = NULL;
    GC_gcollect();
    GC_call_with_alloc_lock(marked_locked, by_kind);
    for (int i = 0; i < NSITES; i++) {
        const site *s = &sites[i];
        printf("site %s %lu %.0f %.0f %.1f %lu %.0f %.0f %.1f\n", s->name, s->alloc_objects,
               s->alloc_bytes, s->alloc_var, s->alloc_expect, s->kept_objects, s->kept_bytes,
               s->kept_var, s->kept_expect);
    }
    printf("marked normal %.0f\nmarked atomic %.0f\n", by_kind[GC_I_NORMAL], by_kind[GC_I_PTRFREE]);
    printf("hook_ends %lu\ncollections %lu\n", hook_ends,
           (unsigned long)GC_get_gc_no() - gc_before);
    fflush(stdout);
    if (argc > 3)
        sleep((unsigned)atoi(argv[3]));
    return 0;
}
