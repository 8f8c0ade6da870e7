/*
 * heap_sample.h - the runtime's side of sampled heap profiles
 * (gcp_heap_profile_start): which allocations are sampled, with what call
 * stack, and which samples the latest collection kept. The sampler
 * itself (its tables, weights and dumps) is common/heap_sampler.h's.
 *
 * Runtime allocations (gcp_alloc and co.) are sampled where they are
 * handed out; the program's own GC_* calls through raw_alloc.c's
 * redirected GOT entries. Stacks come from libunwind, loaded with dlopen
 * when a profile starts (its writable data excluded from the collector's
 * roots); after each walk the dead stack it wrote is zeroed, so its words
 * keep nothing alive.
 */
#ifndef GCP_HEAP_SAMPLE_H
#define GCP_HEAP_SAMPLE_H

#include <stdatomic.h>
#include <stddef.h>

#include "heap_sampler.h"
#include "scrub.h"

/* Functions whose frames a sample's stack leaves out: the allocation
 * path inside the runtime, down to the walk. Their own section, so the
 * test is two compares in a static link as in a shared one. */
#define GCP__ALLOC_TEXT __attribute__((section("gcp_alloc_text"), noinline))

/* While a profile samples (between start and stop), its generation: a
 * number that each start changes, never 0; 0 when none samples. */
extern _Atomic int gcp__heap_sampling;
/* The generation this thread's countdown was drawn for: a countdown drawn
 * at an earlier profile's rate (2^40 bytes, say) must not outlive it. */
extern _Thread_local int gcp__heap_gen __attribute__((tls_model("initial-exec")));
/* This thread's countdown to its next sample. */
extern _Thread_local gcp__hs_thread gcp__heap_countdown __attribute__((tls_model("initial-exec")));
/* Bytes to zero below the stack pointer after this thread's latest walk. */
extern _Thread_local size_t gcp__heap_wipe __attribute__((tls_model("initial-exec")));
/* Set by the runtime around its own calls of the collector's allocation
 * functions: a static link redirects them too, and they are counted
 * where the runtime hands objects out. */
extern _Thread_local int gcp__heap_inner __attribute__((tls_model("initial-exec")));

/* Maybe sample the object at p (start of the object when !inner, else an
 * address inside it) that answered a request of `requested` bytes:
 * gcp__hs_pick decides; the stack is walked and recorded. kind and type
 * as gcp__hs_record's. caller is the return address of the entry point
 * that samples (the program's call, or gcp_strdup's when it calls another
 * entry point): the whole stack when there is no room for a walk, so that
 * the allocation still counts. Out of line; the caller wipes after it. */
void gcp__heap_sample(void *p, size_t requested, const char *kind, const char *type, int inner,
                      const void *caller);
/* A batch of objects of object_bytes each, linked through their first
 * word (GC_malloc_many): one allocation of their total, every object
 * recorded with its weight at the stack that asked for the batch. caller
 * as gcp__heap_sample's. */
void gcp__heap_sample_list(void *list, size_t object_bytes, const char *kind, const void *caller);

/* The fast path, in two halves, for entry points that know the size
 * before they allocate: gcp__heap_due counts the allocation down first (0
 * without a profile: a load and a branch; with one, a compare of the
 * generation, one thread-local subtraction and a branch), so the common
 * case stays a tail call of the allocator; only when it says so does the
 * entry point allocate and call gcp__heap_sample_due: the rare sample out
 * of line, the wipe of what its walk left inline (it must run in this
 * frame: scrub.h). An allocation that then fails (out of memory) gives its
 * bytes back to the countdown, as if it had not been counted. caller: the
 * program's call (the entry point's return address). */
static inline int gcp__heap_due(size_t requested)
{
    int on = atomic_load_explicit(&gcp__heap_sampling, memory_order_relaxed);

    return __builtin_expect(on, 0) &&
           (__builtin_expect(gcp__heap_gen != on, 0) ||
            gcp__hs_tick(&gcp__heap_countdown, requested ? requested : 1));
}

static inline __attribute__((always_inline)) void
gcp__heap_sample_due(void *p, size_t requested, const char *kind, const char *type, int inner,
                     const void *caller)
{
    if (p) {
        gcp__heap_sample(p, requested ? requested : 1, kind, type, inner, caller);
        if (gcp__heap_wipe)
            gcp__wipe_below_sp(gcp__heap_wipe);
    } else if (gcp__heap_gen ==
               atomic_load_explicit(&gcp__heap_sampling, memory_order_relaxed)) {
        gcp__heap_countdown.left += (int64_t)(requested ? requested : 1); /* it was counted */
    }
}

/* Both halves after the fact, for entry points whose size is known only
 * once they have allocated (a string's length): p NULL is not counted. */
static inline __attribute__((always_inline)) void
gcp__heap_maybe_sample(void *p, size_t requested, const char *kind, const char *type, int inner,
                       const void *caller)
{
    if (p && gcp__heap_due(requested))
        gcp__heap_sample_due(p, requested, kind, type, inner, caller);
}

/* At the end of a collection (the event hook, RECLAIM_END): samples whose
 * object the collector did not mark are dropped. */
void gcp__heap_sample_sweep(void);

/* Loads the unwinder and measures its walk, once per process: 0, or
 * GCP_ENOTFOUND (no libunwind.so.8) with the message set. */
int gcp__heap_sample_setup(void);
/* A forked child starts with no samples (pthread_atfork). */
void gcp__heap_sample_forked(void);

#endif
