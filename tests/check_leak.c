/*
 * check_leak.c - the leak check against what the test knows it leaks:
 * the collector's size of each object it keeps (GC_size, measured here),
 * how many it keeps per call, and how often the operation was called.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gcprof.h"
#include "leak_scenarios.h"
#include "testutil.h"

#define EPS 1e-6

typedef struct node {
    struct node *next;
    struct node *across; /* makes bigger cycles out of the rings */
} node;

/* ---- operations ------------------------------------------------------ */

static size_t calls; /* runs of any operation below */

/* About 1.3 MiB of garbage: 1024 rings of 16 objects of 64 bytes, each
 * ring also pointing into the previous one. Each ring escapes through
 * tu_sink while it is built, so the stores into it are real. */
static void make_garbage(void)
{
    node *prev_ring = NULL;

    for (int r = 0; r < 1024; r++) {
        node *first = gcp_alloc(64), *last = first;
        if (!first)
            return;
        for (int i = 1; i < 16; i++) {
            node *x = gcp_alloc(64);
            if (!x)
                return;
            x->across = prev_ring;
            last->next = x;
            last = x;
        }
        last->next = first; /* the cycle */
        prev_ring = first;
        tu_sink = first;
    }
    tu_sink = NULL;
}

/* The planted leak: one gcp_alloc(64) per call, kept on a global list. */
static node *volatile leaked;
static size_t leaked_size; /* GC_size of a leaked object; 0 if they differ */

static int leak_one(void *env)
{
    (void)env;
    calls++;
    make_garbage();
    node *x = gcp_alloc(64);
    if (!x)
        return 1;
    size_t size = GC_size(x);
    leaked_size = calls == 1 || size == leaked_size ? size : 0;
    x->next = leaked;
    leaked = x;
    make_garbage();
    return 0;
}

static int garbage_only(void *env)
{
    (void)env;
    calls++;
    make_garbage();
    return 0;
}

/* A cache that keeps one ~1000-byte entry per call until it holds 10. */
#define CACHE_CAP 10
static void *volatile cache[CACHE_CAP];
static size_t cache_len, entry_size;

static int fill_cache(void *env)
{
    (void)env;
    calls++;
    make_garbage();
    if (cache_len < CACHE_CAP) {
        void *e = gcp_alloc_atomic(1000);
        if (!e)
            return 1;
        entry_size = GC_size(e);
        cache[cache_len++] = e;
    }
    return 0;
}

/* Returns 5 on its 4th call and 7 on its 9th, 0 otherwise. */
static int fail_sometimes(void *env)
{
    (void)env;
    calls++;
    make_garbage();
    return calls == 4 ? 5 : calls == 9 ? 7 : 0;
}

static int disable_at_5(void *env)
{
    (void)env;
    if (++calls == 5)
        GC_disable();
    return 0;
}

static void reset(void)
{
    calls = 0;
    leaked = NULL;
    leaked_size = 0;
    cache_len = entry_size = 0;
    for (size_t i = 0; i < CACHE_CAP; i++)
        cache[i] = NULL;
    gcp_collect();
}

static gcp_leak_options options(size_t iterations, size_t warmup)
{
    gcp_leak_options opt;

    gcp_leak_options_init(&opt);
    opt.iterations = iterations;
    opt.warmup = warmup ? warmup : GCP_LEAK_NO_WARMUP; /* 0 would be the default */
    return opt;
}

/* The test's own least-squares line through y against 0..n-1 (two-pass,
 * plain double): slope and R². */
static void own_fit(const double *y, size_t n, double *slope, double *r2)
{
    double mx = (double)(n - 1) / 2, my = 0, sxy = 0, sxx = 0, syy = 0;

    for (size_t i = 0; i < n; i++)
        my += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        sxy += ((double)i - mx) * (y[i] - my);
        sxx += ((double)i - mx) * ((double)i - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    *slope = sxy / sxx;
    *r2 = sxy * sxy / (sxx * syy);
}

/* The verdict's windows, worked out here from the documented rule: q
 * measurements each, E just before n / 2, L at the end. */
static size_t own_q(size_t n)
{
    return n / 4 > 1 ? n / 4 : 1;
}

static size_t own_span(size_t n)
{
    return (n - own_q(n)) - (n / 2 - 1);
}

/* 1 / C(2q, q), by the multiplicative formula. */
static double own_p(size_t q)
{
    double c = 1;

    for (size_t i = 0; i < q; i++)
        c = c * (double)(2 * q - i) / (double)(i + 1);
    return 1 / c;
}

/* ---- verdicts ---------------------------------------------------------- */

static int runs;
static int count_run(void *env)
{
    (void)env;
    runs++;
    return 0;
}

/* gcp_leak_options_init is {0}, and {0} (or NULL) runs the documented
 * defaults: 3 warm-up runs and 30 measured (counted here, independently),
 * threshold 16 bytes; GCP_LEAK_NO_WARMUP runs none. */
START_TEST(test_options_defaults)
{
    gcp_leak_options opt, zero = {0};
    gcp_leak_report r;

    memset(&opt, 0xff, sizeof opt);
    gcp_leak_options_init(&opt);
    ck_assert_int_eq(memcmp(&opt, &zero, sizeof opt), 0);
    for (int with_null = 0; with_null < 2; with_null++) {
        memset(&r, 0, sizeof r);
        runs = 0;
        ck_assert_int_eq(gcp_leak_check("defaults", count_run, NULL, with_null ? NULL : &opt, &r),
                         0);
        ck_assert_int_eq(runs, 33);
        ck_assert_uint_eq(r.iterations, 30);
    }
    opt.warmup = GCP_LEAK_NO_WARMUP;
    opt.iterations = 4;
    runs = 0;
    ck_assert_int_eq(gcp_leak_check("no warm-up", count_run, NULL, &opt, &r), 0);
    ck_assert_int_eq(runs, 4);
    opt.reserved_[0] = 1;
    ck_assert_int_eq(gcp_leak_check("reserved", count_run, NULL, &opt, &r), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "reserved_"));
}
END_TEST

START_TEST(test_planted_leak_found)
{
    gcp_leak_report r = {0};
    /* Zeroed: stale stack words in unwritten slots would pin earlier
     * garbage until the measurements overwrite them (seen under ASan). */
    uint64_t live[30] = {0};

    reset();
    r.live_bytes = live;
    ck_assert_int_eq(gcp_leak_check("leak_one", leak_one, NULL, NULL, &r), 0);
    ck_assert_uint_eq(calls, 33);
    ck_assert_uint_ne(leaked_size, 0); /* every leaked object had one size */
    ck_assert_uint_ge(leaked_size, 64);
    ck_assert(r.has_leak);
    ck_assert_msg(fabs(r.bytes_per_iteration - (double)leaked_size) < EPS,
                  "slope %.9f, leaked %zu bytes per call", r.bytes_per_iteration, leaked_size);
    ck_assert_msg(fabs(r.objects_per_iteration - 1.0) < EPS, "objects slope %.9f",
                  r.objects_per_iteration);
    ck_assert_msg(r.r_squared > 0.999, "r2 %.9f", r.r_squared);
    /* Each measurement is exactly one leaked object above the previous. */
    for (size_t i = 1; i < 30; i++)
        ck_assert_uint_eq(live[i] - live[i - 1], leaked_size);
    /* The verdict's figures: a steady leak keeps exactly its size a run. */
    ck_assert_uint_eq(r.persistent_span, own_span(30));
    ck_assert_int_eq(r.persistent_bytes, (int64_t)(own_span(30) * leaked_size));
    ck_assert_uint_eq(r.fall_bytes, 0);
    ck_assert_msg(r.persistent_per_iteration == (double)leaked_size, "persistent %.9f, leaked %zu",
                  r.persistent_per_iteration, leaked_size);
    ck_assert_msg(fabs(r.p_value - own_p(own_q(30))) < 1e-12, "p %.12g, expected %.12g",
                  r.p_value, own_p(own_q(30)));
    ck_assert_str_eq(r.name, "leak_one");
    ck_assert_int_eq(r.status, 0);
}
END_TEST

/* Garbage only, cycles included: 20 checks, none may see growth. Counts
 * are exact, so the live set must not move at all: no tolerance. */
START_TEST(test_garbage_never_flagged)
{
    int flagged = 0, drifted = 0, first_drift = -1;
    double first_slope = 0;

    reset();
    for (int rep = 0; rep < 20; rep++) {
        gcp_leak_report r = {0};
        calls = 0;
        ck_assert_int_eq(gcp_leak_check("garbage", garbage_only, NULL, NULL, &r), 0);
        ck_assert_uint_eq(calls, 33);
        flagged += r.has_leak;
        if (r.bytes_per_iteration != 0 || r.objects_per_iteration != 0 || r.r_squared != 1.0 ||
            r.live_bytes_first != r.live_bytes_last) {
            if (drifted++ == 0)
                first_drift = rep, first_slope = r.bytes_per_iteration;
        }
    }
    ck_assert_msg(flagged == 0 && drifted == 0,
                  "%d of 20 flagged, %d of 20 drifted (first: run %d, slope %.3f)", flagged,
                  drifted, first_drift, first_slope);
}
END_TEST

/* Growth that stops within the first half is no leak. The slope still
 * describes all 30 measurements (10 growing then 20 flat: clearly
 * positive); the verdict sees the second half flat. */
START_TEST(test_capped_cache_filling_in_window)
{
    gcp_leak_options opt = options(30, 0);
    gcp_leak_report r = {0};
    double model[30];

    reset();
    ck_assert_int_eq(gcp_leak_check("cache", fill_cache, NULL, &opt, &r), 0);
    ck_assert_uint_eq(cache_len, CACHE_CAP);
    for (size_t i = 0; i < 30; i++) /* entries held after measured run i */
        model[i] = (double)entry_size * (double)(i + 1 < CACHE_CAP ? i + 1 : CACHE_CAP);
    double slope, r2;
    own_fit(model, 30, &slope, &r2);
    ck_assert_msg(fabs(r.bytes_per_iteration - slope) < EPS, "slope %.9f, expected %.9f",
                  r.bytes_per_iteration, slope);
    ck_assert(r.bytes_per_iteration > 16); /* about 0.24 entries per run */
    ck_assert(!r.has_leak);
    ck_assert_int_eq(r.persistent_bytes, 0); /* full by run 10, before E */
    ck_assert_uint_eq(r.fall_bytes, 0);
    ck_assert(r.persistent_per_iteration == 0);
    ck_assert_msg(fabs(r.r_squared - r2) < EPS, "r2 %.9f, expected %.9f", r.r_squared, r2);
    ck_assert_uint_eq(r.live_bytes_last - r.live_bytes_first, (CACHE_CAP - 1) * entry_size);
}
END_TEST

/* The remedy: a warmup past the fill, and the same cache is flat. */
START_TEST(test_capped_cache_warmed_up)
{
    gcp_leak_options opt = options(30, CACHE_CAP);
    gcp_leak_report r = {0};

    reset();
    ck_assert_int_eq(gcp_leak_check("cache", fill_cache, NULL, &opt, &r), 0);
    ck_assert(!r.has_leak);
    ck_assert(r.bytes_per_iteration == 0);
    ck_assert(r.r_squared == 1.0);
}
END_TEST

/* The threshold is inclusive: a steady leak of exactly threshold_bytes a
 * run is found, one byte more of threshold and it is not. */
START_TEST(test_threshold_inclusive)
{
    double thresholds[] = {0, 0, 0};
    int expect[] = {1, 1, 0};

    for (int t = 0; t < 3; t++) {
        lks_state st;
        gcp_leak_report r = {0};
        gcp_leak_options opt = options(30, 3);

        lks_reset(&st, 1);
        tu_sink = gcp_alloc(15); /* the scenario's object: its size, measured here */
        size_t size = GC_size(tu_sink);
        tu_sink = NULL;
        thresholds[0] = (double)size - 0.5;
        thresholds[1] = (double)size;
        thresholds[2] = (double)size + 1;
        opt.threshold_bytes = thresholds[t];
        ck_assert_int_eq(gcp_leak_check("leak_15", lks_scenarios[7].fn, &st, &opt, &r), 0);
        ck_assert_str_eq(lks_scenarios[7].name, "leak_15");
        ck_assert_uint_eq(st.leak_size, size);
        ck_assert_msg(r.persistent_per_iteration == (double)size, "persistent %.9f, size %zu",
                      r.persistent_per_iteration, size);
        ck_assert_msg(r.has_leak == expect[t], "threshold %.1f: has_leak %d", opt.threshold_bytes,
                      r.has_leak);
    }
}
END_TEST

/* The live set moved exactly as the scenario's own GC_size tally. */
static void assert_census_exact(const lks_scenario *sc, const lks_state *st, const uint64_t *live,
                                size_t n, size_t first_call)
{
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(live[i] - live[0] ==
                          st->kept_after[first_call + i] - st->kept_after[first_call],
                      "%s: measurement %zu moved %lld bytes, the scenario %lld", sc->name, i,
                      (long long)(live[i] - live[0]),
                      (long long)(st->kept_after[first_call + i] - st->kept_after[first_call]));
}

/* Each promised scenario of leak_scenarios.c, 10 seeds and every phase
 * (0-3 extra calls first): the verdict is right every time. Steady leaks
 * read their exact GC_size; where nothing is replaced at random, the
 * census matches the scenario's tally exactly. (Random replacement can
 * leave one dropped object pinned by a stale word: the verdict holds, the
 * tally is off by it; tests/leak_verdict_cases counts how often.) */
START_TEST(test_scenario_verdicts)
{
    const lks_scenario *sc = &lks_scenarios[_i];
    int random = strstr(sc->name, "noise") || strcmp(sc->name, "noisy") == 0;

    if (!sc->promised)
        return;
    for (unsigned rep = 0; rep < 10; rep++) {
        lks_state st;
        gcp_leak_options opt = options(30, sc->warmup);
        gcp_leak_report r = {0};
        uint64_t live[30] = {0};
        size_t phase = rep % 4;

        lks_reset(&st, rep + 1);
        for (size_t i = 0; i < phase; i++)
            ck_assert_int_eq(sc->fn(&st), 0);
        r.live_bytes = live;
        ck_assert_int_eq(gcp_leak_check(sc->name, sc->fn, &st, &opt, &r), 0);
        ck_assert_int_eq(r.status, 0);
        ck_assert_msg(r.has_leak == sc->leaks,
                      "%s, seed %u: has_leak %d (persistent %lld B, fall %llu B, span %zu, "
                      "slope %.1f)",
                      sc->name, rep + 1, r.has_leak, (long long)r.persistent_bytes,
                      (unsigned long long)r.fall_bytes, r.persistent_span,
                      r.bytes_per_iteration);
        if (!random)
            assert_census_exact(sc, &st, live, 30, phase + sc->warmup);
        if (sc->leaks && !random && strstr(sc->name, "every_other") == NULL) {
            ck_assert_uint_ne(st.leak_size, 0);
            ck_assert_msg(fabs(r.bytes_per_iteration - (double)st.leak_size) < EPS &&
                              r.persistent_per_iteration == (double)st.leak_size,
                          "%s: slope %.9f, persistent %.9f, leaked %zu a run", sc->name,
                          r.bytes_per_iteration, r.persistent_per_iteration, st.leak_size);
        }
        if (sc->leaks && strstr(sc->name, "every_other")) /* half its size a run, +- one */
            ck_assert_msg(fabs(r.persistent_per_iteration * 2 - (double)st.leak_size) <=
                              2.0 * (double)st.leak_size / (double)r.persistent_span,
                          "every other: persistent %.3f, leaked %zu every other run",
                          r.persistent_per_iteration, st.leak_size);
    }
}
END_TEST

/* ---- the report --------------------------------------------------------- */

START_TEST(test_live_bytes_filled_warmup_not_measured)
{
    gcp_leak_options opt = options(7, 4);
    gcp_leak_report r = {0};
    uint64_t live[9];

    reset();
    for (size_t i = 0; i < 9; i++)
        live[i] = UINT64_MAX;
    r.live_bytes = live;
    ck_assert_int_eq(gcp_leak_check("leak_one", leak_one, NULL, &opt, &r), 0);
    ck_assert_uint_eq(calls, 4 + 7);
    ck_assert_uint_eq(r.iterations, 7);
    ck_assert(r.live_bytes == live);
    ck_assert_uint_eq(r.live_bytes_first, live[0]);
    ck_assert_uint_eq(r.live_bytes_last, live[6]);
    for (size_t i = 0; i < 7; i++) /* measurement i follows i more leaks */
        ck_assert_uint_eq(live[i] - live[0], i * leaked_size);
    ck_assert(live[7] == UINT64_MAX && live[8] == UINT64_MAX); /* slots past n untouched */
}
END_TEST

START_TEST(test_without_array)
{
    gcp_leak_options opt = options(5, 0);
    gcp_leak_report r;

    reset();
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(gcp_leak_check(NULL, leak_one, NULL, &opt, &r), 0);
    ck_assert(r.live_bytes == NULL);
    ck_assert_uint_eq(calls, 5);
    ck_assert_str_eq(r.name, "(anonymous)");
    ck_assert_uint_eq(r.live_bytes_last - r.live_bytes_first, 4 * leaked_size);
}
END_TEST

START_TEST(test_name_truncated_on_character)
{
    char name[200];
    gcp_leak_options opt = options(3, 0);
    gcp_leak_report r = {0};

    memset(name, 'a', sizeof name);
    memcpy(name + 126, "\xc3\xa9", 2); /* é across the 127-byte limit */
    name[sizeof name - 1] = '\0';
    ck_assert_int_eq(gcp_leak_check(name, garbage_only, NULL, &opt, &r), 0);
    ck_assert_uint_eq(strlen(r.name), 126);
}
END_TEST

START_TEST(test_failing_operation_recorded)
{
    gcp_leak_report r = {0};

    reset();
    ck_assert_int_eq(gcp_leak_check("fails", fail_sometimes, NULL, NULL, &r), 0);
    ck_assert_int_eq(r.status, 5); /* the first failure, not the later 7 */
    ck_assert_uint_eq(calls, 33);
    ck_assert_uint_eq(r.iterations, 30);
    ck_assert(!r.has_leak);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

static void expect_einval(int rc, const char *word)
{
    ck_assert_int_eq(rc, GCP_EINVAL);
    ck_assert_msg(strstr(gcp_last_error(), word) != NULL, "'%s' does not name %s", gcp_last_error(),
                  word);
    ck_assert_uint_eq(calls, 0);
}

START_TEST(test_null_arguments)
{
    gcp_leak_report r = {0};
    tu_log log;

    reset();
    tu_log_capture(&log);
    expect_einval(gcp_leak_check("x", NULL, NULL, NULL, &r), "fn is NULL");
    expect_einval(gcp_leak_check("x", garbage_only, NULL, NULL, NULL), "out is NULL");
    tu_log_restore();
    ck_assert_int_eq(log.count, 0); /* returned, so not logged */
}
END_TEST

/* Options refused, the field named: too few iterations (the count said
 * too), and thresholds that are no byte count. */
static const double bad_thresholds[] = {-1.0, NAN, INFINITY};
static const struct {
    size_t iterations;
    const double *threshold_bytes; /* NULL: the default */
    const char *field, *value;     /* in the last error; value NULL: not looked for */
} bad_options[] = {
    {2, NULL, "iterations", "2"},
    {30, &bad_thresholds[0], "threshold_bytes", NULL},
    {30, &bad_thresholds[1], "threshold_bytes", NULL},
    {30, &bad_thresholds[2], "threshold_bytes", NULL},
};

START_TEST(test_bad_options)
{
    gcp_leak_options opt = options(bad_options[_i].iterations, 3);
    gcp_leak_report r = {0};
    tu_log log;

    reset();
    if (bad_options[_i].threshold_bytes)
        opt.threshold_bytes = *bad_options[_i].threshold_bytes;
    tu_log_capture(&log);
    expect_einval(gcp_leak_check("x", garbage_only, NULL, &opt, &r), bad_options[_i].field);
    tu_log_restore();
    if (bad_options[_i].value)
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), bad_options[_i].value));
}
END_TEST

START_TEST(test_collection_disabled)
{
    gcp_leak_report r = {0};
    tu_log log;

    reset();
    tu_log_capture(&log);
    GC_disable();
    int rc = gcp_leak_check("x", garbage_only, NULL, NULL, &r);
    GC_enable();
    tu_log_restore();
    expect_einval(rc, "collection is disabled");
}
END_TEST

/* Disabled by the operation itself: stop rather than report stale counts. */
START_TEST(test_operation_disables_collection)
{
    gcp_leak_options opt = options(10, 0);
    gcp_leak_report r = {0};
    tu_log log;

    reset();
    tu_log_capture(&log);
    int rc = gcp_leak_check("x", disable_at_5, NULL, &opt, &r);
    GC_enable();
    tu_log_restore();
    ck_assert_int_eq(rc, GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "disabled during run 5"));
    ck_assert_uint_eq(calls, 5);
}
END_TEST

static Suite *make_leak_suite(void)
{
    Suite *s = suite_create("leak");
    TCase *verdicts = tcase_create("verdicts");
    TCase *report = tcase_create("report");
    TCase *errors = tcase_create("errors");

    tcase_set_timeout(verdicts, 120);
    tcase_set_timeout(report, 60);
    tcase_add_test(verdicts, test_options_defaults);
    tcase_add_test(verdicts, test_planted_leak_found);
    tcase_add_test(verdicts, test_garbage_never_flagged);
    tcase_add_test(verdicts, test_capped_cache_filling_in_window);
    tcase_add_test(verdicts, test_capped_cache_warmed_up);
    tcase_add_test(verdicts, test_threshold_inclusive);
    tcase_add_loop_test(verdicts, test_scenario_verdicts, 0, (int)lks_count);
    suite_add_tcase(s, verdicts);

    tcase_add_test(report, test_live_bytes_filled_warmup_not_measured);
    tcase_add_test(report, test_without_array);
    tcase_add_test(report, test_name_truncated_on_character);
    tcase_add_test(report, test_failing_operation_recorded);
    suite_add_tcase(s, report);

    tcase_add_test(errors, test_null_arguments);
    tcase_add_loop_test(errors, test_bad_options, 0, TU_ROWS(bad_options));
    tcase_add_test(errors, test_collection_disabled);
    tcase_add_test(errors, test_operation_disables_collection);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_leak_suite());
}
