/*
 * fast_clock.c - the event hook's clock, and the one a profile times its
 * closure with (stamps, clock.h). clock_gettime costs ~23 ns here, a
 * collection has eight timed events and a heap-only profile is ~70 ns, so
 * on x86-64 with an invariant TSC (constant_tsc and nonstop_tsc in
 * /proc/cpuinfo) that the kernel itself keeps CLOCK_MONOTONIC on, they
 * read the time-stamp counter (about half that) instead, converted with a
 * rate measured against CLOCK_MONOTONIC. Elsewhere it is clock_gettime.
 *
 * The rate is measured without waiting: the first 20 ms after set-up are
 * read with clock_gettime, and the first reading after them computes the
 * rate from both clocks' progress since set-up. (Sleeping 20 ms in the
 * first profile made a 0.17 s program 12% slower.)
 */
#include "clock.h"
#include "timeline.h"

#include <stdatomic.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

#define CALIBRATION_NS (20 * 1000 * 1000)

_Atomic double gcp__ns_per_tick;    /* 0: use clock_gettime */
static int use_tsc;                 /* invariant TSC: calibrate once 20 ms passed */
static uint64_t tick_base, ns_base; /* a CLOCK_MONOTONIC reading and its tick */
static double real_base;            /* CLOCK_REALTIME at ns_base */
static pthread_once_t calibrate_once = PTHREAD_ONCE_INIT;

#ifdef HAVE_TSC
/* The kernel keeps CLOCK_MONOTONIC on the TSC only once it found the
 * CPUs' counters in step (and its watchdog keeps checking): invariant
 * alone does not say that the sockets of a large machine agree, and a
 * thread may move between them inside a profile. Elsewhere (kvm-clock,
 * hpet, no sysfs) clock_gettime it is. */
static int kernel_times_with_tsc(void)
{
    char name[32] = "";
    FILE *fp = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");

    if (!fp)
        return 0;
    int ok = fgets(name, sizeof name, fp) && strcmp(name, "tsc\n") == 0;
    fclose(fp);
    return ok;
}

static int tsc_is_invariant(void)
{
    char line[4096];
    int constant = 0, nonstop = 0;
    FILE *fp = fopen("/proc/cpuinfo", "re");

    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp) && !(constant && nonstop))
        if (strncmp(line, "flags", 5) == 0) {
            constant = strstr(line, " constant_tsc") != NULL;
            nonstop = strstr(line, " nonstop_tsc") != NULL;
        }
    fclose(fp);
    return constant && nonstop && kernel_times_with_tsc();
}

/* A CLOCK_MONOTONIC reading and the tick of the same instant: the
 * tightest of a few brackets of ticks around it, so that a preemption
 * between the two reads (a shared VM's vCPU stolen for milliseconds)
 * cannot skew the rate. Profiles time closures with this clock: the rate's
 * error is at most two brackets over 20 ms (here ~40 ns: 4 ppm). */
static void paired_reading(uint64_t *ns, uint64_t *tick)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < 4; i++) {
        uint64_t t0 = __rdtsc(), now = gcp__now_ns(), t1 = __rdtsc();
        if (t1 - t0 < best) {
            best = t1 - t0;
            *ns = now;
            *tick = t0 + (t1 - t0) / 2;
        }
    }
}
#endif

static void calibrate(void)
{
    real_base = gcp__tl_now();
#ifdef HAVE_TSC
    paired_reading(&ns_base, &tick_base);
    use_tsc = tsc_is_invariant();
#else
    ns_base = gcp__now_ns();
#endif
}

void gcp__fast_clock_init(void)
{
    pthread_once(&calibrate_once, calibrate);
}

uint64_t gcp__fast_ns(void)
{
#ifdef HAVE_TSC
    double rate = atomic_load_explicit(&gcp__ns_per_tick, memory_order_relaxed);
    if (rate > 0)
        return ns_base + (uint64_t)((double)(__rdtsc() - tick_base) * rate);
    uint64_t now = gcp__now_ns();
    if (use_tsc && now - ns_base >= CALIBRATION_NS) {
        /* Racing callers compute nearly the same rate: any one may store it. */
        uint64_t tick;
        paired_reading(&now, &tick);
        if (tick > tick_base)
            atomic_store_explicit(&gcp__ns_per_tick,
                                  (double)(now - ns_base) / (double)(tick - tick_base),
                                  memory_order_relaxed);
    }
    return now;
#else
    return gcp__now_ns();
#endif
}

/* Spans this long are rescaled (a paired reading costs ~0.1 us, 0.01% of
 * them at most). */
#define RESCALE_NS (1000 * 1000)

/* A stamp in gcp__fast_ns's nanoseconds. */
static uint64_t stamp_ns(uint64_t stamp, double rate)
{
    if (!(stamp & GCP__STAMP_TSC))
        return stamp;
    return ns_base + (uint64_t)((double)((stamp & ~GCP__STAMP_TSC) - tick_base) * rate);
}

uint64_t gcp__stamp_elapsed_ns(uint64_t start, uint64_t end)
{
    double rate = atomic_load_explicit(&gcp__ns_per_tick, memory_order_relaxed);

    if (!(start & end & GCP__STAMP_TSC)) {
        /* clock_gettime, or the switch to the TSC in between, which may
         * step back by the calibration's error: never a wrapped difference. */
        start = stamp_ns(start, rate);
        end = stamp_ns(end, rate);
        return end > start ? end - start : 0;
    }
    uint64_t ticks = end > start ? end - start : 0;
    double ns = (double)ticks * rate;
#ifdef HAVE_TSC
    if (ns >= RESCALE_NS) {
        /* The rate of the first 20 ms may be off by a few ppm: microseconds
         * over seconds. Measured again over the whole time since set-up,
         * which contains the span, its error over the span is at most
         * about two brackets (tens of ns), however long the span. */
        uint64_t now, tick;
        paired_reading(&now, &tick);
        if (tick > tick_base && now > ns_base)
            ns = (double)ticks * ((double)(now - ns_base) / (double)(tick - tick_base));
    }
#endif
    return (uint64_t)ns;
}

double gcp__fast_to_real(uint64_t fast_ns)
{
    return real_base + (double)(int64_t)(fast_ns - ns_base) / 1e9;
}
