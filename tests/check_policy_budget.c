/*
 * check_policy_budget.c - the collection policy's GC-time budget and
 * memory limit (collect/policy_model.c; gc_budget, memory_limit_mb).
 * Pure: the decision fed signals, one rule at a time, and every new
 * phrase whole at the largest figures. On the real collector: gc points
 * that would collect every time (growth rule) under a tiny budget take no
 * more collection time than the budget pays for over the test's own
 * clock, and collect every time under a budget of 1; a memory limit near
 * RSS collects, over the budget once it is spent; an adaptive profile's
 * collection is refused by a spent budget. White-box.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gcprof.h"
#include "policy.h"
#include "testutil.h"

#define KIB ((uint64_t)1024)
#define MIB ((uint64_t)1 << 20)

/* Objects of 4000 bytes: 4096 would take two blocks each (bdwgc adds a
 * byte for interior pointers). */
#define OBJ 4000

#define ASSERT_HAS(text, part)                                                                     \
    ck_assert_msg(strstr((text), (part)) != NULL, "'%s' lacks '%s'", (text), (part))

/* Signals that would collect (allocated 5x a 4 MiB live heap), with a
 * budget of 10% and 2 ms to collect; each test changes a field. */
static gcp__gc_signals growing(double left_s)
{
    gcp__gc_signals s;

    memset(&s, 0, sizeof s);
    s.live = 4 * MIB;
    s.allocated = 20 * MIB;
    s.predicted_s = 0.002;
    s.budget = 0.10;
    s.budget_left_s = left_s;
    return s;
}

START_TEST(test_spent_budget_skips)
{
    char why[96];
    gcp__gc_signals s = growing(0.0005);

    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, "no collection: ~2.00 ms to collect, 0.50 ms left of the 10% GC budget");
    s.budget_left_s = -0.25; /* a bound forced collections past it */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why,
                     "no collection: ~2.00 ms to collect, -250.00 ms left of the 10% GC budget");
    s.budget = 0.0001; /* a small share keeps its figure */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ASSERT_HAS(why, "left of the 0.01% GC budget");
    s.budget = 0.10;
    s.budget_left_s = 0.002; /* exactly what it costs */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT);
    ASSERT_HAS(why, "the live heap");
    s.budget = 0; /* no budget: the rules alone */
    s.budget_left_s = 0;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT);
}
END_TEST

/* A collection dearer than a full bucket still runs when the bucket is
 * full (else it never would); the bucket then pays it back. */
START_TEST(test_full_bucket_pays_dear_collection)
{
    char why[96];
    gcp__gc_signals s = growing(0.10 * GCP__BUDGET_WINDOW_S);

    s.predicted_s = 0.5;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT);
    s.budget_left_s = 0.09 * GCP__BUDGET_WINDOW_S;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ASSERT_HAS(why, "GC budget");
}
END_TEST

/* Little garbage and collection disabled come before the budget. */
START_TEST(test_earlier_rules_first)
{
    char why[96];
    gcp__gc_signals s = growing(0);

    s.allocated = 100 * KIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ASSERT_HAS(why, "only 100 KiB");
    s.allocated = 20 * MIB;
    s.disabled = 1;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ASSERT_HAS(why, "disabled");
}
END_TEST

/* Near a bound the policy collects with the budget spent, and says so;
 * the lowest of threshold_mb, memory_limit_mb and the cgroup's is named. */
START_TEST(test_bound_over_budget)
{
    char why[96];
    gcp__gc_signals s = growing(0);

    s.allocated = 1 * MIB; /* no other rule */
    s.live = 100 * MIB;
    s.rss = 95 * MIB;
    s.threshold = 100 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(
        why, "collected over budget: RSS 95.0 MiB is at or above 90% of threshold_mb=100.0");
    s.limit = 99 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(
        why, "collected over budget: RSS 95.0 MiB is at or above 90% of memory_limit_mb=99.0");
    s.budget_left_s = 0.01;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 95.0 MiB is at or above 90% of memory_limit_mb=99.0");
    s.budget_left_s = 0;
    s.cgroup_limit = 110 * MIB;
    s.cgroup_others = 12 * MIB; /* leaves 98 */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected over budget: RSS 95.0 MiB is within 10% of the 98.0 MiB "
                          "the cgroup leaves it");
    /* One profile ahead: short of 90%, but a recent profile grew enough. */
    s.cgroup_limit = 0;
    s.rss = 80 * MIB;
    s.rss_growth = 20 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected over budget: RSS 80.0 + 20.0 MiB recent growth passes "
                          "memory_limit_mb=99.0");
    /* Far from every bound: the spent budget decides. */
    s.rss_growth = 0;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ASSERT_HAS(why, "GC budget");
    /* A memory limit needs RSS, as threshold_mb. */
    s.rss = 0;
    s.threshold = 0;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
}
END_TEST

/* The new phrases at the largest figures fit the reports' 96 bytes. */
START_TEST(test_phrases_fit)
{
    const uint64_t huge = (uint64_t)(99999.9 * (double)MIB); /* prints as 99999.9 */
    gcp__gc_signals s = growing(-99.99999);
    gcp_gc_decision d;
    char full[256];

    s.predicted_s = 99.99999;
    s.budget = 1;
    ck_assert_int_eq(gcp__gc_decide(&s, full, sizeof full), GCP__SKIP);
    ck_assert_str_eq(full, "no collection: ~99999.99 ms to collect, -99999.99 ms left of the 100% "
                           "GC budget");
    ck_assert_uint_lt(strlen(full), sizeof d.reason);
    s.rss = s.cgroup_limit = huge;
    ck_assert_int_eq(gcp__gc_decide(&s, full, sizeof full), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(full, "collected over budget: RSS 99999.9 MiB is within 10% of the 99999.9 "
                           "MiB the cgroup leaves it");
    ck_assert_uint_lt(strlen(full), sizeof d.reason);
    s.cgroup_limit = 0;
    s.limit = huge;
    s.rss = huge / 2;
    s.rss_growth = huge;
    ck_assert_int_eq(gcp__gc_decide(&s, full, sizeof full), GCP__COLLECT_AND_UNMAP);
    ck_assert_uint_lt(strlen(full), sizeof d.reason);
    s.cgroup_limit = huge;
    s.limit = 0;
    ck_assert_int_eq(gcp__gc_decide(&s, full, sizeof full), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(full, "collected over budget: RSS 49999.9 + 99999.9 MiB recent growth passes "
                           "the cgroup's 99999.9 MiB");
    ck_assert_uint_lt(strlen(full), sizeof d.reason);
}
END_TEST

/* The hold's growth stops at memory_limit_mb as at threshold_mb. */
START_TEST(test_hold_under_limit)
{
    gcp__gc_signals s = growing(0);

    s.live = 100 * MIB;
    s.rss = 80 * MIB;
    s.limit = 90 * MIB;
    ck_assert_uint_eq(gcp__gc_hold_growth(&s, 1024 * MIB), 10 * MIB);
    s.limit = 0;
    ck_assert_uint_eq(gcp__gc_hold_growth(&s, 1024 * MIB), 100 * MIB);
}
END_TEST

/* ---- on the real collector ------------------------------------------ */

static void *volatile kept;

/* A live heap of about mib MiB, held by `kept`. */
static void keep_live(size_t mib)
{
    size_t n = mib * MIB / OBJ;
    void **arr = gcp_alloc(n * sizeof *arr);

    ck_assert_ptr_nonnull(arr);
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_nonnull(arr[i] = gcp_alloc_atomic(OBJ));
    kept = arr;
}

/* Garbage enough for the growth rule (4x the live heap) whatever the
 * heap held before the test (check-portability pre-grows 32 MiB live):
 * 5x the heap in use after a full collection, at least 40 MiB. */
static size_t garbage_mib;

static void measure_live(void)
{
    GC_gcollect();
    size_t in_use = (size_t)(GC_get_heap_size() - GC_get_free_bytes());
    garbage_mib = 5 * in_use / MIB + 1;
    garbage_mib = garbage_mib < 40 ? 40 : garbage_mib;
}

/* mib MiB of garbage, never seen by a collection (bdwgc's own would
 * otherwise take it first). */
static void drop_garbage(size_t mib)
{
    GC_disable();
    for (size_t i = 0; i < mib * MIB / OBJ; i++)
        tu_sink = gcp_alloc_atomic(OBJ);
    tu_sink = NULL;
    GC_enable();
}

#define POINTS 12

typedef struct budget_run {
    int collected;
    double spent_s, dearest_s, cheapest_s, wall_s;
    char refused[96]; /* a reason of a point that did not collect */
    /* The "ms left" a refusal printed against the test's own ledger (see
     * ledger_check): how far outside it, in ms (0: inside every time). */
    double ledger_miss_ms;
    char ledger_reason[96];
} budget_run;

/* A refusal's "X ms left" against what the test can know: the bucket
 * started at its cap, every collection took out its time (the test's own
 * hook's, which the library's calls inside its own START and END: 5 us a
 * collection either way, and 1% for the library's clock, a counter whose
 * rate it measured against the test's: common/fast_clock.c) and it filled at most budget x the test's own
 * time since before the first point, so it holds from cap - spent to cap
 * - spent + budget x elapsed (and never above cap); the reason prints ms
 * to two places (0.005 ms either way). */
static void ledger_check(budget_run *r, const char *reason, double budget, double spent_s,
                         double elapsed_s)
{
    const char *at = strstr(reason, " ms left of the ");
    const char *start = at;
    double left_ms, cap_ms = 1e3 * gcp__gc_budget_cap(budget);

    ck_assert_msg(at != NULL, "no figure left in '%s'", reason);
    while (start > reason && start[-1] != ' ')
        start--;
    ck_assert_int_eq(sscanf(start, "%lf", &left_ms), 1);
    double slack_ms = 0.005 + 0.005 * (double)tu_gc_seen() + 0.01 * 1e3 * spent_s;
    double lo = cap_ms - 1e3 * spent_s - slack_ms;
    double hi = fmin(cap_ms, cap_ms - 1e3 * spent_s + 1e3 * budget * elapsed_s) + slack_ms;
    double miss = left_ms < lo ? lo - left_ms : left_ms > hi ? left_ms - hi : 0;
    if (miss > r->ledger_miss_ms) {
        r->ledger_miss_ms = miss;
        snprintf(r->ledger_reason, sizeof r->ledger_reason, "%s", reason);
    }
}

/* POINTS gc points, each after 5x the live heap in garbage (the growth
 * rule fires at every one), under budget; heap_only: no RSS, no bound. */
static void points_under(double budget, budget_run *r)
{
    gcp_config c;
    gcp_gc_decision d;

    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    c.heap_only = 1;
    c.gc_budget = budget;
    memset(r, 0, sizeof *r);
    r->cheapest_s = 1e9;
    tu_time_collections();
    double t0 = tu_seconds();
    for (int i = 0; i < POINTS; i++) {
        drop_garbage(garbage_mib);
        long gc_no = (long)GC_get_gc_no(), seen = tu_gc_seen();
        ck_assert_int_ge(gcp_gc_point(&c, &d), 0);
        /* every collection went through the hooks: the ledger is whole */
        ck_assert_int_eq((long)GC_get_gc_no() - gc_no, tu_gc_seen() - seen);
        if (!d.collected) {
            snprintf(r->refused, sizeof r->refused, "%s", d.reason);
            if (strstr(d.reason, "GC budget"))
                ledger_check(r, d.reason, budget, tu_gc_seconds(), tu_seconds() - t0);
            continue;
        }
        r->collected++;
        r->spent_s += d.cost;
        r->dearest_s = d.cost > r->dearest_s ? d.cost : r->dearest_s;
        r->cheapest_s = d.cost < r->cheapest_s ? d.cost : r->cheapest_s;
    }
    r->wall_s = tu_seconds() - t0;
}

/* The bucket starts full and fills at budget x wall time: before each of
 * its collections it had something left, so all but the dearest took at
 * most budget x (wall + window), the wall read on the test's clock. */
START_TEST(test_points_stay_in_budget)
{
    const double budget = 0.0001;
    budget_run r;

    keep_live(4);
    measure_live();
    points_under(budget, &r);
    double paid = budget * (r.wall_s + GCP__BUDGET_WINDOW_S);
    ck_assert_int_ge(r.collected, 1); /* the first: a full bucket */
    ck_assert_msg(r.spent_s - r.dearest_s <= paid + 1e-9,
                  "%d collections took %.6f s (dearest %.6f) in %.3f s at budget %g: %.6f s paid",
                  r.collected, r.spent_s, r.dearest_s, r.wall_s, budget, paid);
    /* When the budget could not pay for a collection at every point,
     * some were refused, and for the budget, not another rule. */
    if (paid < (POINTS - 1) * r.cheapest_s) {
        ck_assert_int_lt(r.collected, POINTS);
        ASSERT_HAS(r.refused, "GC budget");
    }
    /* And what each refusal said was left agrees with that ledger. */
    ck_assert_msg(r.ledger_miss_ms == 0, "'%s': %.3f ms outside the test's ledger",
                  r.ledger_reason, r.ledger_miss_ms);
}
END_TEST

/* Collections the library's hook did not see (none of its profiles ran:
 * the test's own GC_gcollect) are charged at the model's cost of one, the
 * "~X ms to collect" the same phrase prints; the one it saw (the first
 * point's) at its measured time. */
START_TEST(test_unseen_collections_charged)
{
    const double budget = 0.0001;
    gcp_config c;
    gcp_gc_decision d;
    double predicted_ms, left_ms, cap_ms = 1e3 * gcp__gc_budget_cap(budget);

    keep_live(4);
    measure_live();
    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    c.heap_only = 1;
    c.gc_budget = budget;
    tu_time_collections();
    double t0 = tu_seconds();
    drop_garbage(garbage_mib);
    ck_assert_int_eq(gcp_gc_point(&c, &d), 1); /* a full bucket pays */
    double point_s = tu_gc_seconds();
    for (int i = 0; i < 3; i++)
        GC_gcollect();
    drop_garbage(garbage_mib);
    ck_assert_int_eq(gcp_gc_point(&c, &d), 0);
    double elapsed_s = tu_seconds() - t0;
    ck_assert_msg(sscanf(d.reason, "no collection: ~%lf ms to collect, %lf ms left", &predicted_ms,
                         &left_ms) == 2,
                  "'%s'", d.reason);
    double want_ms = cap_ms - 1e3 * point_s - 3 * predicted_ms;
    double slack_ms = 0.01 + 0.005 + 0.01 * 1e3 * point_s + 3 * 0.005 + 1e3 * budget * elapsed_s;
    ck_assert_msg(fabs(left_ms - want_ms) <= slack_ms,
                  "'%s': the test expected %.3f ms left (cap %.3f, the point's collection %.3f "
                  "ms, 3 unseen at ~%.2f ms)",
                  d.reason, want_ms, cap_ms, 1e3 * point_s, predicted_ms);
}
END_TEST

/* A budget of 1 (all of the time) refuses nothing: every point collects. */
START_TEST(test_points_unbounded_budget)
{
    budget_run r;

    keep_live(4);
    measure_live();
    points_under(1.0, &r);
    ck_assert_msg(r.collected == POINTS, "%d of %d points collected; one said '%s'", r.collected,
                  POINTS, r.refused);
}
END_TEST

/* RSS at 90% or more of memory_limit_mb: a point collects; once the budget
 * is spent it still collects, over budget. */
START_TEST(test_point_memory_limit)
{
    gcp_config c;
    gcp_gc_decision d;

    keep_live(4);
    measure_live();
    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    c.gc_budget = 0.0001;
    for (int i = 0; i < 2; i++) {
        drop_garbage(1);
        /* RSS at 95% of the limit (the first point's unmapping lowers it). */
        uint64_t rss = tu_rss_bytes();
        c.memory_limit_mb = (double)rss / (double)MIB / 0.95;
        ck_assert_msg(gcp_gc_point(&c, &d) == 1, "point %d: '%s'", i, d.reason);
        /* The RSS it printed is what the test read just before (nothing
         * allocated between; 1 MiB for the point's own pages). */
        const char *at = strstr(d.reason, "RSS ");
        double printed;
        ck_assert_msg(at && sscanf(at, "RSS %lf MiB", &printed) == 1, "'%s'", d.reason);
        ck_assert_msg(fabs(printed - (double)rss / (double)MIB) <= 1.0,
                      "'%s': the test read %.1f MiB", d.reason, (double)rss / (double)MIB);
        double left_mib =
            (double)(d.cgroup_limit - (d.cgroup_usage - tu_rss_bytes())) / (double)MIB;
        if (d.cgroup_limit > 0 && left_mib < c.memory_limit_mb)
            continue; /* the cgroup leaves less: it is named instead */
        ASSERT_HAS(d.reason, "memory_limit_mb=");
        ck_assert_msg(strncmp(d.reason, i == 0 ? "collected: " : "collected over budget: ",
                              i == 0 ? 11 : 23) == 0,
                      "point %d: '%s'", i, d.reason);
    }
}
END_TEST

static int make_garbage(void *env)
{
    drop_garbage(*(size_t *)env);
    return 0;
}

/* An adaptive profile's collection after its closure obeys the budget. */
START_TEST(test_adaptive_profile_refused)
{
    gcp_config c;
    gcp_report r;
    keep_live(4);
    measure_live();
    size_t mib = garbage_mib;
    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    c.heap_only = 1;
    c.gc_budget = 0.0001;
    int refused = 0, collected = 0;
    double spent = 0, t0 = tu_seconds();
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(gcp_profile("garbage", make_garbage, &mib, &c, &r), 0);
        collected += r.gc_collected;
        spent += r.profiler_gc_time;
        refused += strstr(r.gc_reason, "GC budget") != NULL;
    }
    double paid = 0.0001 * (tu_seconds() - t0 + GCP__BUDGET_WINDOW_S);
    ck_assert_int_ge(collected, 1);
    if (paid < 5 * spent / collected)
        ck_assert_msg(refused >= 1, "%d collected, none refused for the budget", collected);
}
END_TEST

static Suite *make_policy_budget_suite(void)
{
    Suite *s = suite_create("policy_budget");
    TCase *pure = tcase_create("pure"), *real = tcase_create("real");

    tcase_add_test(pure, test_spent_budget_skips);
    tcase_add_test(pure, test_full_bucket_pays_dear_collection);
    tcase_add_test(pure, test_earlier_rules_first);
    tcase_add_test(pure, test_bound_over_budget);
    tcase_add_test(pure, test_phrases_fit);
    tcase_add_test(pure, test_hold_under_limit);
    suite_add_tcase(s, pure);
    /* Each test runs in a child of its own (CK_FORK): the bucket is the
     * process's, and starts full in each. */
    tcase_add_test(real, test_points_stay_in_budget);
    tcase_add_test(real, test_points_unbounded_budget);
    tcase_add_test(real, test_unseen_collections_charged);
    tcase_add_test(real, test_point_memory_limit);
    tcase_add_test(real, test_adaptive_profile_refused);
    tcase_add_checked_fixture(real, tu_needs_own_process, NULL);
    tcase_set_timeout(real, 60);
    suite_add_tcase(s, real);
    return s;
}

int main(void)
{
    return tu_run(make_policy_budget_suite());
}
