/*
 * overlap.c - telling whether another thread profiled at the same time.
 *
 * The collector, RSS and the allocation totals are process-wide: while
 * profiles run on several threads, each one's figures include the others'
 * work and their collections. Such a report is marked overlapped rather
 * than passed off as the closure's own. Two counters, process-wide and per
 * thread, of profiles active and begun; the difference is the other
 * threads'.
 *
 * Only profiles that act process-wide count: those that read RSS or may
 * collect. A light profile (heap_only, auto_gc off) does neither: to
 * others it is plain code, whose runtime allocations their allocation
 * check sees (profile.c). It only reads the counters, so the commonest
 * fast profile writes no cache line shared with other threads (three
 * locked adds on one line cost ~19 ns a call alone, and 2-3x more with two
 * threads bouncing it). The trade-off: two light profiles whose closures
 * allocate no runtime objects do not mark each other (doc/profiler.md).
 */
#include "collect.h"

/* Apart, so that a thread reading begun_all does not pull the line a
 * profile's exit writes. */
static _Atomic uint64_t active_all __attribute__((aligned(64)));
static _Atomic uint64_t begun_all __attribute__((aligned(64)));
static _Thread_local uint64_t active_mine __attribute__((tls_model("initial-exec")));
static _Thread_local uint64_t begun_mine __attribute__((tls_model("initial-exec")));

void gcp__overlap_enter(gcp__overlap *o, int light)
{
    uint64_t active, begun;

    o->light = light;
    if (light) {
        active = atomic_load(&active_all);
        begun = atomic_load(&begun_all);
    } else {
        active = atomic_fetch_add(&active_all, 1) + 1;
        begun = atomic_fetch_add(&begun_all, 1) + 1;
        active_mine++;
        begun_mine++;
    }
    o->others_at_start = active > active_mine;
    o->others_begun = begun - begun_mine;
}

int gcp__overlap_exit(const gcp__overlap *o)
{
    uint64_t active;

    if (o->light) {
        active = atomic_load(&active_all);
    } else {
        active = atomic_fetch_sub(&active_all, 1) - 1;
        active_mine--;
    }
    uint64_t others_begun = atomic_load(&begun_all) - begun_mine;
    /* Active at the start, began meanwhile, or still active at the end. */
    return o->others_at_start || others_begun != o->others_begun || active > active_mine;
}
