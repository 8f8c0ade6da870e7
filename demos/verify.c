/*
 * verify.c - the demos' --verify mode (verify.h).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_mark.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "verify.h"

static int enabled;
/* Complemented addresses in malloc'd memory: no word the collector scans
 * holds a watched object's address because we watch it. */
static uintptr_t *watched;
static size_t n_watched, cap_watched;
static int out_of_memory;

void verify_enable(void)
{
    enabled = 1;
}

int verify_enabled(void)
{
    return enabled;
}

void verify_watch(const void *obj)
{
    if (!enabled || !obj)
        return;
    if (n_watched == cap_watched) {
        size_t cap = cap_watched ? 2 * cap_watched : 1024;
        uintptr_t *more = realloc(watched, cap * sizeof *more);
        if (!more) {
            out_of_memory = 1;
            return;
        }
        watched = more;
        cap_watched = cap;
    }
    watched[n_watched++] = ~(uintptr_t)obj;
}

/* Watched objects the latest collection found dead, under the
 * collector's lock. A wholly empty block is freed at once: no base. */
static void *GC_CALLBACK count_dead(void *unused)
{
    size_t dead = 0;

    (void)unused;
    for (size_t i = 0; i < n_watched; i++) {
        void *p = (void *)~watched[i];
        dead += GC_base(p) != p || !GC_is_marked(p);
    }
    return (void *)dead;
}

int verify_deaths(size_t kept)
{
    if (!enabled)
        return 0;
    size_t dead = (size_t)GC_call_with_alloc_lock(count_dead, NULL);
    int right = !out_of_memory && kept <= n_watched && dead == n_watched - kept;
    printf("verify: %zu of %zu watched objects died (the collector's mark bits; %zu meant to "
           "stay): %s\n",
           dead, n_watched, kept, right ? "ok" : "WRONG");
    n_watched = 0;
    out_of_memory = 0;
    return right ? 0 : 1;
}

int verify_counts(const gcp_report *r, size_t kept)
{
    if (!enabled)
        return 0;
    int64_t collected = r->gc_objects_collected, allocated = (int64_t)r->objects_allocated;
    int right = kept == 0 ? collected == allocated
                          : collected >= 0 && collected + (int64_t)kept <= allocated;
    printf("verify: %s: gc_objects_collected=%lld, objects_allocated=%lld, kept %zu: %s\n",
           r->function_name, (long long)collected, (long long)allocated, kept,
           right ? "ok" : "WRONG");
    return right ? 0 : 1;
}

int verify_report(const gcp_report *r, size_t kept)
{
    int wrong = verify_deaths(kept);

    return verify_counts(r, kept) | wrong;
}
