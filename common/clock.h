/*
 * clock.h - the clocks every part reads: CLOCK_MONOTONIC nanoseconds, and
 * the event hook's cheaper calibrated clock (fast_clock.c). No collector.
 */
#ifndef GCP_CLOCK_H
#define GCP_CLOCK_H

#include <stdint.h>
#include <time.h>

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
/* Nanoseconds from one gcp__fast_ns() reading to a later one, as
 * CLOCK_MONOTONIC counts them: spans of 1 ms and more are rescaled with
 * the TSC's rate measured again now (0 if end is before start). */
uint64_t gcp__fast_elapsed_ns(uint64_t start, uint64_t end);

#endif /* GCP_CLOCK_H */
