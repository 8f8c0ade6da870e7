/*
 * leak_scenarios.h - live sets with a known shape, for the leak check's
 * verdict: what must never be called a leak (plateaus, caches, alternations,
 * noisy bounded sets, shrinking sets) and what must always be (steady
 * leaks, a leak every other run, a leak under noise).
 *
 * Each scenario keeps its objects in static roots and tallies what it
 * keeps with GC_size, so a test compares the leak check's census with a
 * count of its own. Randomness comes from a seeded generator: a scenario's
 * live set is the same for the same seed, whatever the timing.
 */
#ifndef LEAK_SCENARIOS_H
#define LEAK_SCENARIOS_H

#include <stddef.h>
#include <stdint.h>

#include "gcprof.h"

#define LKS_MAX_CALLS 256

typedef struct lks_state {
    uint64_t rng;
    size_t calls;                      /* calls so far */
    uint64_t kept;                     /* GC_size total of what is held now */
    uint64_t kept_after[LKS_MAX_CALLS]; /* kept after call i + 1 */
    uint64_t leaked;                   /* of kept: the planted leak */
    size_t leak_size; /* GC_size of each leaked object; 0 when they differ */
} lks_state;

typedef struct lks_scenario {
    const char *name;
    const char *what;  /* one phrase for the table */
    int leaks;         /* the right verdict */
    int promised;      /* 1: the verdict is right for every seed (the suite
                          asserts it); 0: shown with its rate, a limit */
    size_t warmup;     /* runs before measuring */
    gcp_fn fn;         /* env: an lks_state */
} lks_scenario;

extern const lks_scenario lks_scenarios[];
extern const size_t lks_count;

/* Drop everything every scenario holds and start st afresh with seed. */
void lks_reset(lks_state *st, uint64_t seed);

#endif
