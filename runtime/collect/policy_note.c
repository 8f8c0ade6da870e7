/*
 * policy_note.c - what the event hook leaves for the collection policy
 * (policy.h): the last collection it saw (number, end, the heap in use it
 * left) and the cost model, seconds of collection per MiB of heap in use,
 * a weighted average of the collections it timed. Written by the hook
 * only (one writer, under the collector's lock: no locks here), read by
 * the decisions (policy_model.c). A leaf: the hook calls into it and it
 * calls nothing of ours.
 */
#include <stdatomic.h>

#include "policy.h"
#include "units.h"

/* Before any collection was seen: 0.3 ms a MiB (GC_gcollect with 1 MiB
 * live took 0.43-0.56 ms here, 10 MiB 4.5 ms). */
#define COST_PER_MIB_S     0.3e-3
#define COST_WEIGHT_NEWEST 0.3

static _Atomic uint64_t seen_gc_no, seen_end_ns, seen_live;
static _Atomic double cost_per_mib_s = COST_PER_MIB_S;

void gcp__gc_policy_note(uint64_t gc_no, uint64_t end_ns, uint64_t gc_ns, uint64_t heap_in_use)
{
    double mib = (double)heap_in_use / (double)GCP__MIB;

    if (mib < 1.0)
        mib = 1.0;
    if (gc_ns > 0) {
        double newest = (double)gc_ns / 1e9 / mib;
        double old = atomic_load_explicit(&cost_per_mib_s, memory_order_relaxed);
        atomic_store_explicit(&cost_per_mib_s, old + COST_WEIGHT_NEWEST * (newest - old),
                              memory_order_relaxed);
    }
    /* The number last, released: a reader that sees it sees the two
     * before it (plain stores: a fenced one cost the hook ~20 ns each). */
    atomic_store_explicit(&seen_end_ns, end_ns, memory_order_relaxed);
    atomic_store_explicit(&seen_live, heap_in_use, memory_order_relaxed);
    atomic_store_explicit(&seen_gc_no, gc_no, memory_order_release);
}

int gcp__gc_policy_seen(uint64_t gc_no, uint64_t *end_ns, uint64_t *live)
{
    if (gc_no != atomic_load_explicit(&seen_gc_no, memory_order_acquire))
        return 0;
    *end_ns = atomic_load_explicit(&seen_end_ns, memory_order_relaxed);
    *live = atomic_load_explicit(&seen_live, memory_order_relaxed);
    /* still that collection's: not a later one's written meanwhile */
    atomic_thread_fence(memory_order_acquire);
    return gc_no == atomic_load_explicit(&seen_gc_no, memory_order_relaxed);
}

double gcp__gc_cost_per_mib_s(void)
{
    return atomic_load_explicit(&cost_per_mib_s, memory_order_relaxed);
}
