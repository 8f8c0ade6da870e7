/*
 * benchutil.h - timing helpers shared by the benchmarks.
 *
 * The machine is small and noisy, so every benchmark measures its
 * variants side by side in one run, interleaving rounds (A, B, B, A, ...)
 * and comparing medians of many rounds. Header-only: static inline.
 */
#ifndef GCP_BENCHUTIL_H
#define GCP_BENCHUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Keep a timed loop from being specialised or inlined into its caller. */
#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_NOINLINE __attribute__((noipa))
#else
#define BENCH_NOINLINE __attribute__((noinline))
#endif

#define BENCH_MAX_ROUNDS 64

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ns per call of fn, over n calls. (Not inline: a timed loop of its own.) */
typedef void (*bench_call)(void);

static BENCH_NOINLINE __attribute__((unused)) double bench_time_calls(bench_call fn, long n)
{
    uint64_t t0 = bench_now_ns();

    for (long i = 0; i < n; i++)
        fn();
    return (double)(bench_now_ns() - t0) / (double)n;
}

/* RSS in pages as the library reads it: pread of a kept-open
 * /proc/self/statm, its second field (0 when it cannot be read). */
static inline __attribute__((unused)) uint64_t bench_statm_pages(int fd)
{
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strchr(buf, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* One figure per round; the median of the rounds is what is reported. */
typedef struct bench_series {
    double v[BENCH_MAX_ROUNDS];
    size_t n;
} bench_series;

static inline void bench_add(bench_series *s, double x)
{
    if (s->n < BENCH_MAX_ROUNDS)
        s->v[s->n++] = x;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static inline double bench_median(const bench_series *s)
{
    double tmp[BENCH_MAX_ROUNDS];

    if (s->n == 0)
        return 0.0;
    memcpy(tmp, s->v, s->n * sizeof tmp[0]);
    qsort(tmp, s->n, sizeof tmp[0], bench_cmp_double);
    return s->n % 2 ? tmp[s->n / 2] : (tmp[s->n / 2 - 1] + tmp[s->n / 2]) / 2.0;
}

/* Spread of the rounds: the value at quantile q (0..1), nearest rank. */
static inline double bench_quantile(const bench_series *s, double q)
{
    double tmp[BENCH_MAX_ROUNDS];

    if (s->n == 0)
        return 0.0;
    memcpy(tmp, s->v, s->n * sizeof tmp[0]);
    qsort(tmp, s->n, sizeof tmp[0], bench_cmp_double);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return tmp[i < s->n ? i : s->n - 1];
}

/* Round r runs its variants in rotated order, so no variant always runs
 * first (cache, frequency and collection-phase effects even out). */
static inline size_t bench_order(size_t r, size_t i, size_t nvariants)
{
    return (r + i) % nvariants;
}

/* The verdict column; returns 1 when the target was missed. */
static inline int bench_verdict(int pass)
{
    fputs(pass ? "PASS" : "FAIL", stdout);
    return !pass;
}

/* ---- the figures as JSON ---------------------------------------------
 * Each benchmark writes one object to $GCP_BENCH_JSON (default
 * <name>.json): {"benchmark": name, "results": [{"name", "value", "unit",
 * "lo", "hi", "target", "pass"}, ...]}, the same figures its table prints,
 * for tracking over time. `make bench` gathers them into
 * bench-results.json and prints them all at the end (bench/summary.py). */

static FILE *bench_json_fp;
static int bench_json_count;

static inline void bench_json_begin(const char *name)
{
    char path[256];
    const char *env = getenv("GCP_BENCH_JSON");

    snprintf(path, sizeof path, "%s.json", name);
    bench_json_fp = fopen(env && *env ? env : path, "w");
    if (!bench_json_fp) {
        fprintf(stderr, "%s: cannot write %s: no JSON figures\n", name, env && *env ? env : path);
        return;
    }
    fprintf(bench_json_fp, "{\"benchmark\": \"%s\", \"results\": [", name);
}

/* One figure, with the spread of its rounds (lo and hi: e.g. quartiles;
 * NAN: none). target: its target in words, or NULL; pass: 1, 0, or -1
 * when it has no target. Names and units are plain ASCII, no quotes. */
static inline __attribute__((unused)) void bench_json_spread(const char *name, double value,
                                                             double lo, double hi, const char *unit,
                                                             const char *target, int pass)
{
    if (!bench_json_fp)
        return;
    fprintf(bench_json_fp, "%s\n  {\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"",
            bench_json_count++ ? "," : "", name, value, unit);
    if (isfinite(lo) && isfinite(hi))
        fprintf(bench_json_fp, ", \"lo\": %.6g, \"hi\": %.6g", lo, hi);
    if (target)
        fprintf(bench_json_fp, ", \"target\": \"%s\", \"pass\": %s", target,
                pass ? "true" : "false");
    fputc('}', bench_json_fp);
}

/* One figure without a spread. */
static inline __attribute__((unused)) void
bench_json_result(const char *name, double value, const char *unit, const char *target, int pass)
{
    bench_json_spread(name, value, NAN, NAN, unit, target, pass);
}

static inline __attribute__((unused)) void bench_json_end(void)
{
    if (!bench_json_fp)
        return;
    fputs("\n]}\n", bench_json_fp);
    fclose(bench_json_fp);
    bench_json_fp = NULL;
}

#endif /* GCP_BENCHUTIL_H */
