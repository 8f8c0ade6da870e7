/*
 * check_policy_pacer.c - the budget's pacer (collect/policy_pacer.c) on
 * the real collector: gc points between rounds of garbage, the collector
 * collecting by itself. Under a budget it does not spend, the pacer
 * raises bdwgc's free-space divisor; under one it overspends, it brings
 * it back, never below the divisor it found; a divisor the program sets
 * itself stands. Each test runs in a process of its own (the pacer's
 * state is the process's). The rounds stop when the divisor has moved, or
 * after ROUNDS_MAX (bounded: the pacer steps once per
 * GCP__BUDGET_WINDOW_S of wall time).
 *
 * Whatever the heap the test starts with (check-portability pre-grows 32
 * MiB live, and collections then take most of a round), each round works
 * without allocating until its collections, timed by the test's own hook,
 * are at most a quarter of its wall time: under the 90% budget's two
 * thirds (policy_pacer.c's UNDER), so the pacer must step up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "policy.h"
#include "testutil.h"

#define MIB ((size_t)1 << 20)
#define OBJ 4000
/* 4 MiB of garbage a round: tens of rounds a window here, and a window
 * has collections in it (bdwgc collects every ~1-2 MiB with this heap). */
#define ROUND_MIB  4
#define ROUNDS_MAX 4000
#define GC_SHARE   0.25 /* the most of a round its collections take */
/* Waiting for a step: bounded by ROUNDS_MAX only. Watching that none
 * comes: eight of the pacer's windows. */
#define FOREVER 1e9
#define WATCH_S (8 * GCP__BUDGET_WINDOW_S)

static void *volatile kept;

static void keep_live(size_t mib)
{
    void **arr = gcp_alloc(mib * MIB / OBJ * sizeof *arr);

    ck_assert_ptr_nonnull(arr);
    for (size_t i = 0; i < mib * MIB / OBJ; i++)
        ck_assert_ptr_nonnull(arr[i] = gcp_alloc_atomic(OBJ));
    kept = arr;
}

static gcp_config budget_config(double budget)
{
    gcp_config c;

    gcp_config_init(&c);
    c.auto_gc = GCP_AUTO_GC_ADAPTIVE;
    c.heap_only = 1;
    c.gc_budget = budget;
    return c;
}

static volatile uint64_t work_sink;

/* Work without allocating until the round's collections are at most
 * GC_SHARE of its time, by the test's own clock and hook. */
static void pad_round(double started_s, double gc_before_s)
{
    double gc_s = tu_gc_seconds() - gc_before_s;
    uint64_t x = 88172645463325252u;

    while (tu_seconds() - started_s < gc_s / GC_SHARE)
        for (int k = 0; k < 1000; k++) /* xorshift: work the compiler keeps */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    work_sink = x;
}

/* Rounds of garbage and a gc point each, until stop(divisor), ROUNDS_MAX
 * or at_most_s seconds; the divisor at the end. */
static unsigned long rounds_until(const gcp_config *c, int (*stop)(unsigned long, unsigned long),
                                  unsigned long ref, double at_most_s)
{
    gcp_gc_decision d;
    double t0 = tu_seconds();

    for (int i = 0; i < ROUNDS_MAX && tu_seconds() - t0 < at_most_s; i++) {
        double started_s = tu_seconds(), gc_before_s = tu_gc_seconds();
        for (size_t j = 0; j < ROUND_MIB * MIB / OBJ; j++)
            tu_sink = gcp_alloc_atomic(OBJ);
        tu_sink = NULL;
        ck_assert_int_ge(gcp_gc_point(c, &d), 0);
        pad_round(started_s, gc_before_s);
        if (stop((unsigned long)GC_get_free_space_divisor(), ref))
            break;
    }
    return (unsigned long)GC_get_free_space_divisor();
}

static int above(unsigned long d, unsigned long ref)
{
    return d > ref;
}

static int at(unsigned long d, unsigned long ref)
{
    return d == ref;
}

static int below(unsigned long d, unsigned long ref)
{
    return d < ref;
}

static int never(unsigned long d, unsigned long ref)
{
    (void)d, (void)ref;
    return 0;
}

/* A budget of 90%, which the padded rounds' collections never spend: the
 * divisor goes up; then 0.01% (every window overspent): it comes back to the one
 * found, and stays there. */
START_TEST(test_pacer_spends_and_returns)
{
    unsigned long found = (unsigned long)GC_get_free_space_divisor();
    gcp_config generous = budget_config(0.9), tight = budget_config(0.0001);

    tu_time_collections();
    keep_live(4);
    unsigned long raised = rounds_until(&generous, above, found, FOREVER);
    ck_assert_msg(raised > found, "divisor %lu after %d rounds at budget 0.9: not above %lu", raised,
                  ROUNDS_MAX, found);
    unsigned long back = rounds_until(&tight, at, found, FOREVER);
    ck_assert_msg(back == found, "divisor %lu at budget 0.0001: not back to %lu", back, found);
    /* and never below it, however overspent (eight windows; stops at the
     * first round below) */
    ck_assert_uint_eq(rounds_until(&tight, below, found, WATCH_S), found);
}
END_TEST

/* The program sets the divisor itself: the pacer leaves it. */
START_TEST(test_pacer_yields_to_program)
{
    unsigned long found = (unsigned long)GC_get_free_space_divisor();
    gcp_config generous = budget_config(0.9);

    tu_time_collections();
    keep_live(4);
    rounds_until(&generous, above, found, FOREVER); /* the pacer is steering */
    GC_set_free_space_divisor(2);
    ck_assert_uint_eq(rounds_until(&generous, never, 0, WATCH_S), 2);
}
END_TEST

static Suite *make_policy_pacer_suite(void)
{
    Suite *s = suite_create("policy_pacer");
    TCase *real = tcase_create("real");

    tcase_add_test(real, test_pacer_spends_and_returns);
    tcase_add_test(real, test_pacer_yields_to_program);
    tcase_add_checked_fixture(real, tu_needs_own_process, NULL);
    tcase_set_timeout(real, 120);
    suite_add_tcase(s, real);
    return s;
}

int main(void)
{
    return tu_run(make_policy_pacer_suite());
}
