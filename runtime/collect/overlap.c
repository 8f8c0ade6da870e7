/*
 * overlap.c - telling whether another thread profiled at the same time.
 *
 * The collector, RSS and the allocation totals are process-wide: while
 * profiles run on several threads, each one's figures include the others'
 * work and their collections. Such a report is marked overlapped rather
 * than passed off as the closure's own. Two counters, process-wide and per
 * thread, of profiles active and begun; the difference is the other
 * threads'.
 */
#include "collect.h"

static _Atomic uint64_t active_all, begun_all;
static _Thread_local uint64_t active_mine, begun_mine;

void gcp__overlap_enter(gcp__overlap *o)
{
    uint64_t active = atomic_fetch_add(&active_all, 1) + 1;
    uint64_t begun = atomic_fetch_add(&begun_all, 1) + 1;

    active_mine++;
    begun_mine++;
    o->others_at_start = active > active_mine;
    o->others_begun = begun - begun_mine;
}

int gcp__overlap_exit(const gcp__overlap *o)
{
    uint64_t active = atomic_fetch_sub(&active_all, 1);
    uint64_t others_begun = atomic_load(&begun_all) - begun_mine;

    active_mine--;
    /* Active at the start, began meanwhile, or still active at the end. */
    return o->others_at_start || others_begun != o->others_begun || active - 1 > active_mine;
}
