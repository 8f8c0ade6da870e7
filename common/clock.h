/*
 * clock.h - the clocks every part reads: CLOCK_MONOTONIC nanoseconds, and
 * the event hook's cheaper calibrated clock (fast_clock.c). No collector.
 */
#ifndef GCP_CLOCK_H
#define GCP_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <x86intrin.h>
#endif

static inline uint64_t gcp__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds since the Unix epoch (CLOCK_REALTIME). */
static inline uint64_t gcp__realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the hook's clock (fast_clock.c) ------------------------------- */

/* Calibrate once (20 ms on x86-64 with an invariant TSC); then
 * gcp__fast_ns() reads monotonic nanoseconds cheaply, and
 * gcp__fast_to_real() turns such a reading into Unix seconds. */
void gcp__fast_clock_init(void);
uint64_t gcp__fast_ns(void);
double gcp__fast_to_real(uint64_t fast_ns);

/* ---- stamps: the cheapest reading, for spans (profiles) ------------ */

/* The TSC's calibrated rate, 0 while it is not (yet) used. */
extern _Atomic double gcp__ns_per_tick;
#define GCP__STAMP_TSC (1ull << 63) /* a stamp in ticks; else nanoseconds */

/* Inline and in raw ticks once the TSC is calibrated (conversion is left
 * to gcp__stamp_elapsed_ns, once per span); gcp__fast_ns before. Neither
 * count reaches bit 63 (ticks: a century at 3 GHz). */
static inline uint64_t gcp__stamp(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (atomic_load_explicit(&gcp__ns_per_tick, memory_order_relaxed) > 0)
        return __rdtsc() | GCP__STAMP_TSC;
#endif
    return gcp__fast_ns();
}

/* Nanoseconds from one stamp to a later one, as CLOCK_MONOTONIC counts
 * them: spans of 1 ms and more are rescaled with the TSC's rate measured
 * again now (0 if end is before start). */
uint64_t gcp__stamp_elapsed_ns(uint64_t start, uint64_t end);

#endif /* GCP_CLOCK_H */
