/*
 * gcprof/check.h - memory assertions for Check test suites.
 *
 *     #include <check.h>
 *     #include <gcprof/check.h>
 *
 *     START_TEST(cache_does_not_leak)
 *     {
 *         gcp_ck_assert_no_leak(handle_request, &server, 50);
 *     }
 *     END_TEST
 *
 * Each assertion runs the closure under libgcprof and fails the test with
 * Check's ck_assert_msg, whose message carries the measured figures (the
 * ProfileReport, or the leak check's growth and fit). The figures come
 * from exact collector counts, so a test gives the same verdict run after
 * run. Header-only: needs check.h included first and libgcprof linked.
 */
#ifndef GCPROF_CHECK_H
#define GCPROF_CHECK_H

#include <gcprof.h>
#include <stdio.h>
#include <string.h>

#ifndef CK_FLOATING_DIG
#error "include <check.h> before <gcprof/check.h>"
#endif

#define GCP_CK_MSG 1024

/* fn(env) run `iterations` times must not grow the live heap by more
 * than 16 bytes per iteration (the leak check's default threshold). */
#define gcp_ck_assert_no_leak(fn, env, iterations)                                                 \
    do {                                                                                           \
        char gcp_ck_msg_[GCP_CK_MSG];                                                              \
        int gcp_ck_ok_ = gcp_ck__no_leak(#fn, (fn), (env), (iterations), gcp_ck_msg_);             \
        ck_assert_msg(gcp_ck_ok_, "%s", gcp_ck_msg_);                                              \
    } while (0)

/* RSS must stay below max_mib during fn(env) (true peak, not a sample). */
#define gcp_ck_assert_peak_below(fn, env, max_mib)                                                 \
    do {                                                                                           \
        char gcp_ck_msg_[GCP_CK_MSG];                                                              \
        int gcp_ck_ok_ =                                                                           \
            gcp_ck__profile(#fn, (fn), (env), GCP_CK__PEAK, (double)(max_mib), gcp_ck_msg_);       \
        ck_assert_msg(gcp_ck_ok_, "%s", gcp_ck_msg_);                                              \
    } while (0)

/* The forced collection after fn(env) must free at least n runtime objects. */
#define gcp_ck_assert_collects_at_least(fn, env, n)                                                \
    do {                                                                                           \
        char gcp_ck_msg_[GCP_CK_MSG];                                                              \
        int gcp_ck_ok_ =                                                                           \
            gcp_ck__profile(#fn, (fn), (env), GCP_CK__COLLECTED, (double)(n), gcp_ck_msg_);        \
        ck_assert_msg(gcp_ck_ok_, "%s", gcp_ck_msg_);                                              \
    } while (0)

/* The live runtime objects may grow by at most max_bytes across fn(env):
 * counted exactly, in the collector's sizes, after full collections before
 * and after (gcp_live_growth), so a leak of 1 KiB a call reads its
 * GC_size every time, whatever ran before. */
#define gcp_ck_assert_heap_growth_below(fn, env, max_bytes)                                        \
    do {                                                                                           \
        char gcp_ck_msg_[GCP_CK_MSG];                                                              \
        int gcp_ck_ok_ = gcp_ck__growth(#fn, (fn), (env), (double)(max_bytes), gcp_ck_msg_);       \
        ck_assert_msg(gcp_ck_ok_, "%s", gcp_ck_msg_);                                              \
    } while (0)

/* ---- behind the macros ------------------------------------------------ */

enum { GCP_CK__PEAK, GCP_CK__COLLECTED };

static inline int gcp_ck__profile(const char *name, gcp_fn fn, void *env, int what, double bound,
                                  char *msg)
{
    gcp_config cfg;
    gcp_report r;
    char text[GCP_CK_MSG / 2];

    gcp_config_init(&cfg);
    cfg.track_peak = what == GCP_CK__PEAK;
    if (gcp_profile(name, fn, env, &cfg, &r) < 0) {
        snprintf(msg, GCP_CK_MSG, "%s: could not profile: %s", name, gcp_last_error());
        return 0;
    }
    gcp_report_snprint(text, sizeof text, &r);
    switch (what) {
    case GCP_CK__PEAK:
        snprintf(msg, GCP_CK_MSG, "%s: peak RSS %.1f MiB, limit %.1f MiB: %s", name, r.peak_memory,
                 bound, text);
        return r.peak_memory < bound;
    default:
        snprintf(msg, GCP_CK_MSG, "%s: %lld runtime objects collected, wanted at least %.0f: %s",
                 name, (long long)r.gc_objects_collected, bound, text);
        return r.gc_objects_collected >= 0 && (double)r.gc_objects_collected >= bound;
    }
}

static inline int gcp_ck__growth(const char *name, gcp_fn fn, void *env, double bound, char *msg)
{
    gcp_live_counts before, after;
    int status = 0;

    if (gcp_live_growth(fn, env, &before, &after, &status) < 0) {
        snprintf(msg, GCP_CK_MSG, "%s: could not count live objects: %s", name, gcp_last_error());
        return 0;
    }
    double growth = (double)after.bytes - (double)before.bytes;
    snprintf(msg, GCP_CK_MSG,
             "%s: live runtime bytes grew by %.0f (%llu -> %llu bytes, %+lld objects), "
             "limit %.0f; status %d",
             name, growth, (unsigned long long)before.bytes, (unsigned long long)after.bytes,
             (long long)after.objects - (long long)before.objects, bound, status);
    return growth <= bound;
}

static inline int gcp_ck__no_leak(const char *name, gcp_fn fn, void *env, size_t iterations,
                                  char *msg)
{
    gcp_leak_options opt;
    gcp_leak_report r;

    gcp_leak_options_init(&opt);
    opt.iterations = iterations;
    memset(&r, 0, sizeof r);
    if (gcp_leak_check(name, fn, env, &opt, &r) < 0) {
        snprintf(msg, GCP_CK_MSG, "%s: could not check for leaks: %s", name, gcp_last_error());
        return 0;
    }
    int len = snprintf(msg, GCP_CK_MSG,
                       "%s leaks %.1f bytes (%.2f objects) per iteration over %zu iterations "
                       "(R^2 %.3f, live %llu -> %llu bytes; threshold %.0f bytes)",
                       name, r.bytes_per_iteration, r.objects_per_iteration, r.iterations,
                       r.r_squared, (unsigned long long)r.live_bytes_first,
                       (unsigned long long)r.live_bytes_last, opt.threshold_bytes);
    /* With site tracking on (GCPROF_SITES=1): where it grows. */
    for (size_t i = 0; i < r.n_sites && len > 0 && len < GCP_CK_MSG; i++)
        len += snprintf(msg + len, GCP_CK_MSG - (size_t)len, "; grows %+.1f B/iteration at %s:%d",
                        r.sites[i].bytes_per_iteration, r.sites[i].file, r.sites[i].line);
    return !r.has_leak;
}

#endif /* GCPROF_CHECK_H */
