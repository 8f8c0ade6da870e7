/*
 * check_policy_cgroup.c - the policy under a cgroup's memory limit
 * (collect/policy_model.c): the pure decision and the hold's bound fed a
 * limit as signals. RSS may rise to the limit less what the rest of the
 * cgroup uses; within 10% of that, collect and unmap, naming the cgroup;
 * threshold_mb and the cgroup, the lower wins; no RSS, no limit. And
 * gcp_gc_point's decision reports the limit the reader finds (none with
 * heap_only). White-box.
 */
#include <check.h>
#include <string.h>

#include "gcprof.h"
#include "cgroup.h"
#include "policy.h"
#include "testutil.h"

#define KIB ((uint64_t)1024)
#define MIB ((uint64_t)1 << 20)

/* Signals that trigger no other rule: 1 MiB allocated against a 100 MiB
 * live heap, a costly collection, none long ago. */
static gcp__gc_signals quiet(void)
{
    gcp__gc_signals s;

    memset(&s, 0, sizeof s);
    s.allocated = 1 * MIB;
    s.live = 100 * MIB;
    s.predicted_s = 1.0;
    return s;
}

/* quiet() in a cgroup: limit, what the rest of it uses, and RSS. */
static gcp__gc_signals in_cgroup(uint64_t limit, uint64_t others, uint64_t rss)
{
    gcp__gc_signals s = quiet();

    s.cgroup_limit = limit;
    s.cgroup_others = others;
    s.cgroup_usage = others + rss;
    s.rss = rss;
    return s;
}

/* Decisions come at profiles' edges: RSS plus the most a recent profile
 * grew reaching the bound collects before the next profile passes it;
 * short of it, or with no growth seen, the 90% rule alone decides. The
 * same for threshold_mb. */
START_TEST(test_one_profile_ahead)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 0, 80 * MIB); /* 90% is 90 */
    char why[96];

    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    s.rss_growth = 19 * MIB; /* 99: short of 100 */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    s.rss_growth = 20 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 80.0 + 20.0 MiB recent growth passes the cgroup's "
                          "100.0 MiB");
    s = in_cgroup(0, 0, 80 * MIB);
    s.threshold = 100 * MIB;
    s.rss_growth = 25 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 80.0 + 25.0 MiB recent growth passes "
                          "threshold_mb=100.0");
    /* The longest figures still fit the reason, its end included. */
    s = in_cgroup((uint64_t)(99999.9 * MIB), 0, 80000 * MIB);
    s.rss_growth = 99999 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_msg(strcmp(why + strlen(why) - 11, "99999.9 MiB") == 0, "cut: '%s'", why);
}
END_TEST

START_TEST(test_near_limit)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 4 * MIB, 87 * MIB);
    char why[96];

    /* 87 >= 90% of the 96 MiB left */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 87.0 MiB is within 10% of its 96.0 MiB under the "
                          "cgroup limit 100.0 MiB");
    /* 86 MiB is not: 0.9 * 96 = 86.4 */
    s.rss = 86 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_msg(strstr(why, "cgroup") == NULL, "'%s'", why);
    /* The boundary, as threshold_mb's: 90% of 100 MiB is 90 MiB exactly. */
    s = in_cgroup(100 * MIB, 0, 90 * MIB);
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    s.rss = 90 * MIB - 1;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    /* Far above, and the others using it all: still this rule. */
    s = in_cgroup(100 * MIB, 120 * MIB, 1 * MIB);
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 1.0 MiB is within 10% of its 0.0 MiB under the cgroup "
                          "limit 100.0 MiB");
}
END_TEST

/* The others' share is what counts: the same RSS, more used by others. */
START_TEST(test_others_share)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 0, 60 * MIB);
    char why[96];

    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    s.cgroup_others = 33 * MIB; /* 60 >= 0.9 * 67 = 60.3? no */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    s.cgroup_others = 34 * MIB; /* 60 >= 0.9 * 66 = 59.4 */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 60.0 MiB is within 10% of its 66.0 MiB under the "
                          "cgroup limit 100.0 MiB");
}
END_TEST

START_TEST(test_lower_of_threshold_and_cgroup)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 4 * MIB, 87 * MIB);
    char why[96];

    s.threshold = 200 * MIB; /* the cgroup's 96 is lower */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 87.0 MiB is within 10% of its 96.0 MiB under the "
                          "cgroup limit 100.0 MiB");
    s.threshold = 50 * MIB; /* threshold_mb is lower */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 87.0 MiB is at or above 90% of threshold_mb=50.0");
    s.threshold = 96 * MIB; /* a tie: threshold_mb's words */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(why, "collected: RSS 87.0 MiB is at or above 90% of threshold_mb=96.0");
    /* Far under both. */
    s.rss = 10 * MIB;
    s.cgroup_usage = 14 * MIB;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
}
END_TEST

START_TEST(test_no_rss_no_limit)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 4 * MIB, 0); /* RSS not read */
    char why[96];

    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    s = in_cgroup(0, 4 * MIB, 99 * MIB); /* no limit known */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_msg(strstr(why, "cgroup") == NULL, "'%s'", why);
}
END_TEST

/* Near what the cgroup leaves, it collects even when the last collection
 * left RSS high (no estimate of what a collection can reach holds it
 * back: one that counted free blocks still mapped as out of reach let the
 * pipeline be OOM-killed), but only once 256 KiB more was allocated:
 * collections stay bounded by allocation when nothing can help. */
START_TEST(test_near_limit_bounded_by_allocation)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 40 * MIB, 58 * MIB); /* 60 left */
    char why[96];

    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    s.rss = 61 * MIB; /* past it: still worth a try */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__COLLECT_AND_UNMAP);
    s.allocated = 255 * 1024; /* nothing new since: not again */
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_msg(strstr(why, "only 255 KiB allocated") != NULL, "'%s'", why);
}
END_TEST

/* The rules before it still come first: disabled, too little garbage. */
START_TEST(test_earlier_rules_first)
{
    gcp__gc_signals s = in_cgroup(100 * MIB, 0, 99 * MIB);
    char why[96];

    s.disabled = 1;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, GCP__REASON_DISABLED);
    s.disabled = 0;
    s.allocated = 256 * KIB - 1;
    ck_assert_int_eq(gcp__gc_decide(&s, why, sizeof why), GCP__SKIP);
    ck_assert_str_eq(why, "no collection: only 255 KiB allocated since the last collection, "
                          "under 256 KiB");
}
END_TEST

/* With the largest figures the phrases hold (99999.9 MiB), it fits the
 * 96 bytes of gc_reason and gcp_gc_decision.reason whole. */
START_TEST(test_phrase_fits)
{
    const uint64_t huge = (uint64_t)(99999.9 * (double)MIB); /* prints as 99999.9 */
    gcp__gc_signals s = in_cgroup(huge, 0, huge);
    gcp_gc_decision d;
    char full[256];

    ck_assert_int_eq(gcp__gc_decide(&s, full, sizeof full), GCP__COLLECT_AND_UNMAP);
    ck_assert_str_eq(full, "collected: RSS 99999.9 MiB is within 10% of its 99999.9 MiB under "
                           "the cgroup limit 99999.9 MiB");
    ck_assert_uint_lt(strlen(full), sizeof d.reason);
}
END_TEST

/* ---- the hold's bound ------------------------------------------------ */

static uint64_t growth(uint64_t limit, uint64_t others, uint64_t rss, uint64_t threshold)
{
    gcp__gc_signals s = in_cgroup(limit, others, rss);

    s.threshold = threshold;
    return gcp__gc_hold_growth(&s, 1024 * MIB); /* live 100 MiB: 100 MiB unbounded */
}

START_TEST(test_hold_headroom)
{
    ck_assert_uint_eq(growth(0, 0, 80 * MIB, 0), 100 * MIB); /* no limit */
    /* The room under what the cgroup leaves: 100 - 10 - 80. */
    ck_assert_uint_eq(growth(100 * MIB, 10 * MIB, 80 * MIB, 0), 10 * MIB);
    ck_assert_uint_eq(growth(500 * MIB, 10 * MIB, 80 * MIB, 0), 100 * MIB);
    /* threshold_mb lower: its room. */
    ck_assert_uint_eq(growth(100 * MIB, 10 * MIB, 80 * MIB, 85 * MIB), 5 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, 10 * MIB, 80 * MIB, 95 * MIB), 10 * MIB);
    /* At least 1 MiB, however full. */
    ck_assert_uint_eq(growth(100 * MIB, 10 * MIB, 90 * MIB, 0), 1 * MIB);
    ck_assert_uint_eq(growth(100 * MIB, 200 * MIB, 90 * MIB, 0), 1 * MIB);
    /* No RSS reading: no room known, the cgroup bounds nothing. */
    ck_assert_uint_eq(growth(100 * MIB, 10 * MIB, 0, 0), 100 * MIB);
}
END_TEST

/* ---- gcp_gc_point reports what the reader finds ---------------------- */

START_TEST(test_point_reports_limit)
{
    gcp__cgroup_dir dir;
    gcp__cgroup_reading r;
    gcp_config c;
    gcp_gc_decision d;

    gcp_config_init(&c);
    memset(&d, 0xff, sizeof d);
    ck_assert_int_ge(gcp_gc_point(&c, &d), 0);
    if (gcp__cgroup_find("", &dir) && gcp__cgroup_read(&dir, NULL, tu_rss_bytes(), &r, NULL) == 0) {
        ck_assert_uint_eq(d.cgroup_limit, r.limit); /* unless it changed meanwhile */
        ck_assert_uint_gt(d.cgroup_usage, 0);
    } else {
        ck_assert_uint_eq(d.cgroup_limit, 0);
        ck_assert_uint_eq(d.cgroup_usage, 0);
    }
    ck_assert_uint_eq(d.reserved_[0], 0);
    ck_assert_uint_eq(d.reserved_[1], 0);
    /* heap_only reads no RSS, so no cgroup either. */
    c.heap_only = 1;
    memset(&d, 0xff, sizeof d);
    ck_assert_int_ge(gcp_gc_point(&c, &d), 0);
    ck_assert_uint_eq(d.cgroup_limit, 0);
    ck_assert_uint_eq(d.cgroup_usage, 0);
}
END_TEST

static Suite *make_policy_cgroup_suite(void)
{
    Suite *s = suite_create("policy_cgroup");
    TCase *pure = tcase_create("pure"), *point = tcase_create("point");

    tcase_add_test(pure, test_near_limit);
    tcase_add_test(pure, test_one_profile_ahead);
    tcase_add_test(pure, test_others_share);
    tcase_add_test(pure, test_lower_of_threshold_and_cgroup);
    tcase_add_test(pure, test_no_rss_no_limit);
    tcase_add_test(pure, test_near_limit_bounded_by_allocation);
    tcase_add_test(pure, test_earlier_rules_first);
    tcase_add_test(pure, test_phrase_fits);
    tcase_add_test(pure, test_hold_headroom);
    suite_add_tcase(s, pure);
    tcase_add_test(point, test_point_reports_limit);
    suite_add_tcase(s, point);
    return s;
}

int main(void)
{
    return tu_run(make_policy_cgroup_suite());
}
