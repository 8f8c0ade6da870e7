/*
 * leak_scenarios.c - the scenarios of leak_scenarios.h.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <string.h>

#include "leak_scenarios.h"

#define SLOTS 64
#define KIB   1024

/* The roots: static, so they are not runtime objects themselves. */
static void *volatile slots[SLOTS];
static void *volatile leak_head;  /* leaked objects, linked by their first word */
static void *volatile garbage_sink;

static uint64_t next_random(lks_state *st)
{
    /* xorshift64*: plenty for shapes of live sets */
    st->rng ^= st->rng >> 12;
    st->rng ^= st->rng << 25;
    st->rng ^= st->rng >> 27;
    return st->rng * 2685821657736338717ULL;
}

static size_t below(lks_state *st, size_t n)
{
    return (size_t)(next_random(st) >> 33) % n;
}

/* A ring of 256 small objects, dropped at once: work for the collector. */
static void make_garbage(void)
{
    void **first = gcp_alloc(48), **last = first;

    for (int i = 1; i < 256 && last; i++) {
        void **x = gcp_alloc(48);
        if (x)
            *last = x;
        last = x;
        garbage_sink = x;
    }
    if (last)
        *last = first; /* the cycle */
    garbage_sink = NULL;
}

/* ---- holding and dropping, with the tally ------------------------------ */

static void slot_set(lks_state *st, size_t i, void *obj)
{
    if (slots[i])
        st->kept -= GC_size(slots[i]);
    slots[i] = obj;
    if (obj)
        st->kept += GC_size(obj);
}

static int slot_new(lks_state *st, size_t i, size_t size)
{
    void *obj = gcp_alloc_atomic(size);

    if (!obj)
        return 1;
    slot_set(st, i, obj);
    return 0;
}

static void slots_clear(lks_state *st)
{
    for (size_t i = 0; i < SLOTS; i++)
        slot_set(st, i, NULL);
}

static int leak(lks_state *st, size_t size)
{
    void **obj = gcp_alloc(size);

    if (!obj)
        return 1;
    size_t got = GC_size(obj);
    st->leak_size = st->leaked == 0 || got == st->leak_size ? got : 0;
    *obj = leak_head;
    leak_head = obj;
    st->kept += got;
    st->leaked += got;
    return 0;
}

/* A random size, 16 to 4096 bytes in steps of 16. */
static size_t random_size(lks_state *st)
{
    return 16 * (1 + below(st, 256));
}

/* Replace the whole set with 0..max_count objects of random sizes. */
static int noisy_set(lks_state *st, size_t max_count, int same_size)
{
    size_t n = below(st, max_count + 1);

    slots_clear(st);
    for (size_t i = 0; i < n; i++)
        if (slot_new(st, i, same_size ? 1000 : random_size(st)))
            return 1;
    return 0;
}

/* Every scenario: count the call, make garbage, do its thing, tally. */
static int finish(lks_state *st, int rc)
{
    make_garbage();
    if (st->calls <= LKS_MAX_CALLS)
        st->kept_after[st->calls - 1] = st->kept;
    return rc;
}

#define SCENARIO(name) static int name(void *env)
#define STATE          lks_state *st = env; st->calls++

/* ---- bounded: never a leak --------------------------------------------- */

SCENARIO(garbage) { STATE; return finish(st, 0); }

/* One 100 KiB block from the 8th call on: a step, then a plateau. */
SCENARIO(plateau) { STATE; return finish(st, st->calls == 8 ? slot_new(st, 0, 100 * KIB) : 0); }

/* One 1000-byte entry per call until it holds 12, measured from the
 * start (no warm-up): it fills within the first half. */
SCENARIO(cache_fill)
{
    STATE;
    return finish(st, st->calls <= 12 ? slot_new(st, st->calls - 1, 1000) : 0);
}

/* 16 entries of random sizes, one replaced at random per call; full
 * before measuring (warm-up 20). Bounded, but it wanders. */
SCENARIO(cache_random)
{
    STATE;
    size_t i = st->calls <= 16 ? st->calls - 1 : below(st, 16);
    return finish(st, slot_new(st, i, random_size(st)));
}

/* 100 KiB held on odd calls, dropped on even ones. */
SCENARIO(alternating)
{
    STATE;
    if (st->calls % 2)
        return finish(st, slot_new(st, 0, 100 * KIB));
    slot_set(st, 0, NULL);
    return finish(st, 0);
}

/* A fresh set of 0..31 objects of 16..4096 bytes each call (0..128 KiB). */
SCENARIO(noisy) { STATE; return finish(st, noisy_set(st, 31, 0)); }

/* 64 KiB in 64 entries on the first call, two entries dropped per call. */
SCENARIO(shrinking)
{
    STATE;
    if (st->calls == 1) {
        for (size_t i = 0; i < SLOTS; i++)
            if (slot_new(st, i, KIB))
                return finish(st, 1);
    } else {
        for (size_t k = 0; k < 2; k++) {
            size_t i = 2 * (st->calls - 2) + k;
            if (i < SLOTS)
                slot_set(st, i, NULL);
        }
    }
    return finish(st, 0);
}

/* ---- leaks: always found ----------------------------------------------- */

SCENARIO(leak_15) { STATE; return finish(st, leak(st, 15)); }
SCENARIO(leak_64) { STATE; return finish(st, leak(st, 64)); }
SCENARIO(leak_100) { STATE; return finish(st, leak(st, 100)); }
SCENARIO(leak_1000) { STATE; return finish(st, leak(st, 1000)); }
SCENARIO(leak_64_every_other) { STATE; return finish(st, st->calls % 2 ? 0 : leak(st, 64)); }

/* 1000 bytes a call under a fresh set of 0..3 entries of 1000 bytes. */
SCENARIO(leak_1000_under_noise)
{
    STATE;
    int rc = leak(st, 1000);
    return finish(st, rc ? rc : noisy_set(st, 3, 1));
}

/* 100 bytes a call under the noisy set (0..128 KiB): 30 runs cannot see
 * 3 KiB of growth under 128 KiB of noise. */
SCENARIO(leak_100_under_big_noise)
{
    STATE;
    int rc = leak(st, 100);
    return finish(st, rc ? rc : noisy_set(st, 31, 0));
}

const lks_scenario lks_scenarios[] = {
    {"garbage", "garbage only (cycles)", 0, 1, 3, garbage},
    {"plateau", "100 KiB kept from the 8th call on", 0, 1, 3, plateau},
    {"cache_fill", "cache filling to 12 x 1000 B, no warm-up", 0, 1, 0, cache_fill},
    {"alternating", "100 KiB kept every other call", 0, 1, 3, alternating},
    {"noisy", "fresh 0..31 objects of 16..4096 B a call", 0, 1, 3, noisy},
    {"shrinking", "64 x 1 KiB, two dropped a call", 0, 1, 3, shrinking},
    {"cache_random", "16 random-size entries, one replaced at random", 0, 0, 20, cache_random},
    {"leak_15", "15 B kept a call", 1, 1, 3, leak_15},
    {"leak_64", "64 B kept a call", 1, 1, 3, leak_64},
    {"leak_100", "100 B kept a call", 1, 1, 3, leak_100},
    {"leak_1000", "1000 B kept a call", 1, 1, 3, leak_1000},
    {"leak_64_every_other", "64 B kept every other call", 1, 1, 3, leak_64_every_other},
    {"leak_1000_under_noise", "1000 B a call under 0..3 x 1000 B", 1, 1, 3, leak_1000_under_noise},
    {"leak_100_under_big_noise", "100 B a call under the noisy set", 1, 0, 3,
     leak_100_under_big_noise},
};
const size_t lks_count = sizeof lks_scenarios / sizeof lks_scenarios[0];

void lks_reset(lks_state *st, uint64_t seed)
{
    for (size_t i = 0; i < SLOTS; i++)
        slots[i] = NULL;
    leak_head = NULL;
    memset(st, 0, sizeof *st);
    st->rng = seed * 0x9E3779B97F4A7C15ULL + 1; /* never 0 */
    gcp_collect();
}
