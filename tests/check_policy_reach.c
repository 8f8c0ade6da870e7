/*
 * check_policy_reach.c - how far the memory-bound rules look ahead
 * (collect/policy_model.c, gcp__gc_policy_growth). Decisions come at
 * profiles' edges, so the bound rules ask what the next profile may add
 * to RSS: the most a recent one grew RSS by, or allocated. A profile that
 * allocates into free space the heap already has leaves RSS flat; the
 * next one may find the heap full and make bdwgc map a third of it more,
 * which the program then fills (demos/pipeline passed its memory limit so,
 * 2 runs in 8). On the real collector: after such a flat profile, or
 * between two gc points, the allocation (the test's own count) is what
 * the rule adds to RSS.
 * White-box.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "gcprof.h"
#include "policy.h"
#include "testutil.h"

#define MIB ((uint64_t)1 << 20)
/* Objects of 4000 bytes: 4096 would take two blocks each (bdwgc adds a
 * byte for interior pointers). */
#define OBJ 4000

typedef struct flat_work {
    size_t objects;
    uint64_t rss_at_end; /* the test's own reading, as the closure returns */
} flat_work;

/* With bdwgc's automatic collection held off (as the policy's holds do):
 * the heap grows to hold them all, and in the closure no collection
 * leaves the decision nothing allocated since to weigh. */
static void drop(size_t objects)
{
    int was_off = GC_get_disable_automatic_collection();

    GC_set_disable_automatic_collection(1);
    for (size_t i = 0; i < objects; i++)
        tu_sink = gcp_alloc_atomic(OBJ);
    tu_sink = NULL;
    GC_set_disable_automatic_collection(was_off);
}

static int allocate_flat(void *env)
{
    flat_work *w = env;

    drop(w->objects);
    w->rss_at_end = tu_rss_bytes();
    return 0;
}

/* Free space for w's allocation, A (twice as much garbage, collected),
 * with RSS read after it into *rss0, and *c adaptive with a limit of
 * RSS + A, which the look-ahead reaches; returns A. The premise each test
 * checks lets RSS grow by less than A/2, which stays under 90% of the
 * limit while RSS < 4A (check-portability pre-grows the heap; under ASan
 * RSS grew 3.4 MiB of 8 here): the 90% rule, which comes first, cannot be
 * what fires. */
static uint64_t flat_setup(flat_work *w, uint64_t *rss0, gcp_config *c)
{
    uint64_t rss = tu_rss_bytes();
    uint64_t want = rss / 3 > 8 * MIB ? rss / 3 : 8 * MIB;

    w->objects = (size_t)(want / OBJ);
    drop(2 * w->objects);
    GC_gcollect();
    *rss0 = tu_rss_bytes();
    gcp_config_init(c);
    c->auto_gc = GCP_AUTO_GC_ADAPTIVE;
    c->memory_limit_mb = (double)(*rss0 + (uint64_t)w->objects * OBJ) / (double)MIB;
    return (uint64_t)w->objects * OBJ;
}

/* The premise (the allocation did not show in RSS), then the decision:
 * collected, by the look-ahead, adding what the test allocated (printed
 * to 0.1 MiB, rounded): at least that, and at most 1% more (bdwgc counts
 * a 4000-byte object as 4016 with its extra byte; the RSS growth the
 * premise allows is less than the allocation). */
static void assert_looked_ahead(const char *reason, const flat_work *w, uint64_t rss0,
                                uint64_t allocated, double limit_mib)
{
    double rss_mib, growth_mib;
    const char *at = strstr(reason, "RSS ");

    ck_assert_msg(w->rss_at_end < rss0 + allocated / 2,
                  "RSS grew %.1f MiB for %.1f MiB allocated into free space",
                  (double)(w->rss_at_end - rss0) / (double)MIB, (double)allocated / (double)MIB);
    ck_assert_msg(at && sscanf(at, "RSS %lf + %lf MiB recent growth passes", &rss_mib,
                               &growth_mib) == 2,
                  "'%s' (limit %.1f MiB, RSS %.1f)", reason, limit_mib,
                  (double)rss0 / (double)MIB);
    ck_assert_msg(strncmp(reason, "collected", 9) == 0, "'%s'", reason);
    ck_assert_msg(growth_mib >= (double)allocated / (double)MIB - 0.05,
                  "'%s': the test allocated %.2f MiB", reason, (double)allocated / (double)MIB);
    ck_assert_msg(growth_mib <= 1.01 * (double)allocated / (double)MIB + 0.05,
                  "'%s': more than the %.2f MiB the test allocated", reason,
                  (double)allocated / (double)MIB);
}

/* A profile whose allocation fits in free space the heap already has:
 * RSS stays flat, yet the end's decision adds the allocation and
 * collects. Before, it added only the RSS growth (about 0) and left the
 * next profile free to pass the limit. */
START_TEST(test_flat_profile_counts_allocation)
{
    gcp_config c;
    gcp_report r;
    flat_work w;
    uint64_t rss0, allocated = flat_setup(&w, &rss0, &c);

    ck_assert_int_eq(gcp_profile("flat", allocate_flat, &w, &c, &r), 0);
    assert_looked_ahead(r.gc_reason, &w, rss0, allocated, c.memory_limit_mb);
    ck_assert_int_eq(r.gc_collected, 1);
}
END_TEST

/* The same between two gc points with no profile: the second point
 * expects the interval's allocation again (the most between recent
 * points), and adds it. Before, only profiles' growth counted: 0 here. */
START_TEST(test_flat_points_count_allocation)
{
    gcp_config c;
    gcp_gc_decision d;
    flat_work w;
    uint64_t rss0, allocated = flat_setup(&w, &rss0, &c);

    ck_assert_int_ge(gcp_gc_point(&c, &d), 0); /* the interval starts */
    allocate_flat(&w);
    ck_assert_int_eq(gcp_gc_point(&c, &d), 1);
    assert_looked_ahead(d.reason, &w, rss0, allocated, c.memory_limit_mb);
}
END_TEST

static Suite *make_policy_reach_suite(void)
{
    Suite *s = suite_create("policy_reach");
    TCase *real = tcase_create("real");

    /* The growth seen is the process's: each test in a child of its own. */
    tcase_add_test(real, test_flat_profile_counts_allocation);
    tcase_add_test(real, test_flat_points_count_allocation);
    tcase_add_checked_fixture(real, tu_needs_own_process, NULL);
    tcase_set_timeout(real, 60);
    suite_add_tcase(s, real);
    return s;
}

int main(void)
{
    return tu_run(make_policy_reach_suite());
}
