/*
 * heap_sample.c - a sample's stack and record, the sweep at the end of
 * each collection, and loading the unwinder (heap_sample.h says why each
 * is as it is).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlinfo, dl_iterate_phdr */
#endif
#include "heap.h"
#include "heap_sample.h"
#include "loaded_roots.h"
#include "walk_depth.h"

#include <gc/gc_mark.h>

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>

_Atomic int gcp__heap_sampling;
_Thread_local gcp__hs_thread gcp__heap_countdown __attribute__((tls_model("initial-exec")));
_Thread_local int gcp__heap_gen __attribute__((tls_model("initial-exec")));
_Thread_local size_t gcp__heap_wipe __attribute__((tls_model("initial-exec")));
_Thread_local int gcp__heap_inner __attribute__((tls_model("initial-exec")));

typedef int (*backtrace_fn)(void **, int);
static backtrace_fn unwind;
static size_t walk_depth; /* bytes a walk writes below its caller; 0: unknown */
#define WALK_MAX ((size_t)32 << 10) /* deeper than that: no walks (one-frame stacks) */

/* The allocation path's own code (GCP__ALLOC_TEXT). */
extern const char __start_gcp_alloc_text[] __attribute__((visibility("hidden")));
extern const char __stop_gcp_alloc_text[] __attribute__((visibility("hidden")));

static int ours(const void *pc)
{
    return (const char *)pc >= __start_gcp_alloc_text && (const char *)pc < __stop_gcp_alloc_text;
}

/* ---- the stack ---------------------------------------------------------- */

/* The caller's return addresses, the allocation path's left out; none on
 * a stack without room for the walk (a small thread, a coroutine's): the
 * sample then has the entry point's caller alone (gcp__heap_sample).
 * Sets the wipe for the caller. */
GCP__ALLOC_TEXT static int stack_of(void **pcs, int max, int *first)
{
    int n = 0;

    gcp__heap_wipe = 0;
    if (unwind && walk_depth && gcp__dead_stack_bytes(walk_depth) >= walk_depth) {
        n = unwind(pcs, max);
        gcp__heap_wipe = walk_depth;
    }
    int skip = 0;
    while (skip < n && ours(pcs[skip]))
        skip++;
    *first = skip;
    return n - skip;
}

/* A countdown of an earlier profile (or none yet): drawn afresh for this
 * one, from this allocation on. 1 when it was. */
static int countdown_renewed(void)
{
    int on = atomic_load_explicit(&gcp__heap_sampling, memory_order_relaxed);

    if (gcp__heap_gen == on)
        return 0;
    gcp__heap_countdown = (gcp__hs_thread){0};
    gcp__heap_gen = on;
    return 1;
}

GCP__ALLOC_TEXT void gcp__heap_sample(void *p, size_t requested, const char *kind, const char *type,
                                      int inner, const void *caller)
{
    double weight;
    void *pcs[GCP__HS_DEPTH + 16];
    int first;

    gcp__heap_wipe = 0;
    if (countdown_renewed() && !gcp__hs_tick(&gcp__heap_countdown, requested))
        return;
    if (!gcp__hs_pick(&gcp__heap_countdown, requested, &weight))
        return;
    void *base = inner ? GC_base(p) : p;
    if (!base)
        return;
    if (!kind) /* a resized object: its own kind */
        kind = gcp__hs_kind_name(GC_get_kind_and_size(base, NULL));
    int n = stack_of(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
    if (n <= 0) { /* no walk: the entry point's caller, as one frame */
        pcs[0] = (void *)caller;
        first = 0;
        n = 1;
    }
    gcp__hs_record(base, GC_size(base), weight, kind, type, pcs + first, n);
}

GCP__ALLOC_TEXT void gcp__heap_sample_list(void *list, size_t object_bytes, const char *kind,
                                           const void *caller)
{
    double weight;
    void *pcs[GCP__HS_DEPTH + 16];
    int first;
    size_t count = 0;

    for (void *q = list; q; q = *(void **)q)
        count++;
    gcp__heap_wipe = 0;
    countdown_renewed();
    if (!count || !gcp__hs_tick(&gcp__heap_countdown, count * object_bytes) ||
        !gcp__hs_pick(&gcp__heap_countdown, count * object_bytes, &weight))
        return;
    int n = stack_of(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
    if (n <= 0) { /* no walk: the entry point's caller, as one frame */
        pcs[0] = (void *)caller;
        first = 0;
        n = 1;
    }
    for (void *q = list; q; q = *(void **)q)
        gcp__hs_record(q, GC_size(q), weight, kind, NULL, pcs + first, n);
}

/* ---- at the end of each collection ------------------------------------ */

/* Marked, and still an object's start: GC_base is 0 for a large block
 * freed by this collection, whose header GC_is_marked must not read. */
static int alive(const void *p)
{
    return GC_base((void *)p) == p && GC_is_marked(p);
}

void gcp__heap_sample_sweep(void)
{
    if (gcp__hs_rate())
        gcp__hs_sweep(alive, (unsigned long)GC_get_gc_no());
}

/* ---- the unwinder --------------------------------------------------------- */

/* The walk whose depth is measured: as a sample's, without the sample. */
__attribute__((noinline)) static void probe_walk(void)
{
    void *pcs[GCP__HS_DEPTH + 16];

    unwind(pcs, (int)(sizeof pcs / sizeof pcs[0]));
}

static int setup_result = 1; /* 1: not yet */
static char setup_message[256];

static void setup_once(void)
{
    gcp__loaded *before = gcp__loaded_now();
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);

    /* Never closed: its data (and liblzma's, when it came with it) are not
     * the program's roots. One the program had loaded is not ours. */
    gcp__loaded_exclude_stayed(gcp__loaded_since(before, h));
    if (!h || !(unwind = (backtrace_fn)dlsym(h, "unw_backtrace"))) {
        snprintf(setup_message, sizeof setup_message,
                 "gcp_heap_profile_start: cannot load libunwind.so.8 (Debian: libunwind8): %s",
                 h ? "no unw_backtrace in it" : dlerror());
        unwind = NULL;
        setup_result = GCP_ENOTFOUND;
        return;
    }
    /* Measured on this thread's stack; the first walk also maps
     * libunwind's caches now rather than at a random sample. */
    size_t room = gcp__dead_stack_bytes((size_t)-1); /* all there is: the measure asks */
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    walk_depth = gcp__walk_depth(probe_walk, here - room, here + 1, WALK_MAX);
    setup_result = 0;
}

int gcp__heap_sample_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, setup_once);
    return setup_result ? gcp__fail(setup_result, "%s", setup_message) : 0;
}

void gcp__heap_sample_forked(void)
{
    uint64_t rate = gcp__hs_rate();

    gcp__heap_countdown.left = 0;
    gcp__hs_reset(); /* the parent's samples are the parent's */
    if (rate)
        gcp__hs_start(rate);
}
