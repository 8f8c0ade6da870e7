/*
 * check_assertions.c - gcprof/check.h: the assertions pass where the
 * memory behaves, fail with the figures in Check's message where it does
 * not, and give the same verdict run after run.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <gcprof/check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testutil.h"

/* ---- closures ---------------------------------------------------------- */

static gcp_vec *leaked; /* the leaky closure's cache: a static root */

static int leaky(void *env)
{
    (void)env;
    if (!leaked)
        leaked = gcp_vec_new(0);
    return gcp_vec_push(leaked, gcp_alloc(200)) < 0;
}

static int clean(void *env)
{
    (void)env;
    for (int i = 0; i < 1000; i++)
        tu_sink = gcp_alloc(48);
    tu_sink = NULL;
    return 0;
}

static int spike_80_mib(void *env)
{
    size_t n = (size_t)80 << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    (void)env;
    if (p == MAP_FAILED)
        return 1;
    memset(p, 1, n);
    munmap(p, n);
    return 0;
}

static int keep_100_kib(void *env)
{
    (void)env;
    tu_sink = gcp_alloc_atomic(100 * 1024);
    return 0;
}

/* 1 KiB kept per call on a list of its own (linked through a header word),
 * and the collector's size of what it kept, tallied by itself. */
typedef struct kib_node {
    struct kib_node *next;
    char data[1024 - sizeof(struct kib_node *)];
} kib_node;

static kib_node *volatile kib_list;
static size_t kib_kept; /* GC_size of the latest kept node */

static int keep_1_kib(void *env)
{
    kib_node *n = gcp_alloc(sizeof *n);

    (void)env;
    if (!n)
        return 1;
    for (int i = 0; i < 200; i++) /* garbage around it */
        tu_sink = gcp_alloc(64);
    tu_sink = NULL;
    kib_kept = GC_size(n); /* what the census counts */
    n->next = kib_list;
    kib_list = n;
    return 0;
}

/* Grow the GC heap by 16 MiB of live data, then drop it. */
static void *volatile big[256];

static void grow_heap_then_drop(void)
{
    for (int i = 0; i < 256; i++)
        big[i] = gcp_alloc(64 * 1024);
    gcp_collect();
    for (int i = 0; i < 256; i++)
        big[i] = NULL;
}

/* ---- passing ------------------------------------------------------------ */

START_TEST(test_assertions_pass)
{
    gcp_ck_assert_no_leak(clean, NULL, 20);
    gcp_ck_assert_collects_at_least(clean, NULL, 1000);
    gcp_ck_assert_peak_below(clean, NULL, 1000);
    gcp_ck_assert_heap_growth_below(clean, NULL, 64 * 1024);
}
END_TEST

/* ---- failing, inside an inner suite whose results we read ------------- */

START_TEST(inner_leak)
{
    gcp_ck_assert_no_leak(leaky, NULL, 20);
}
END_TEST

START_TEST(inner_peak)
{
    gcp_ck_assert_peak_below(spike_80_mib, NULL, 40);
}
END_TEST

START_TEST(inner_collected)
{
    gcp_ck_assert_collects_at_least(keep_100_kib, NULL, 5);
}
END_TEST

START_TEST(inner_growth)
{
    gcp_ck_assert_heap_growth_below(keep_100_kib, NULL, 4096);
}
END_TEST

/* One byte under what keep_1_kib keeps: must fail, naming the growth. */
START_TEST(inner_growth_1_kib)
{
    tu_sink = gcp_alloc(sizeof(kib_node));
    size_t size = GC_size(tu_sink);
    tu_sink = NULL;
    gcp_ck_assert_heap_growth_below(keep_1_kib, NULL, size - 1);
}
END_TEST

/* Run one inner test in a fork; return its failure message (caller frees)
 * or NULL when it passed. */
static char *run_inner(const TTest *test)
{
    Suite *s = suite_create("inner");
    TCase *tc = tcase_create("inner");
    char *msg = NULL;

    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_SILENT);
    if (srunner_ntests_failed(sr) == 1) {
        TestResult **results = srunner_failures(sr);
        msg = strdup(tr_msg(results[0]));
        free(results);
    }
    srunner_free(sr);
    return msg;
}

/* Each failing inner test, and what its failure message carries. */
static const struct {
    const TTest *const *test;
    const char *says[2]; /* the second may be NULL */
} inner_failures[] = {
    {&inner_leak, {"leaky leaks ", "bytes (1.00 objects) per iteration"}},
    {&inner_peak, {"peak RSS", "ProfileReport(function_name='spike_80_mib'"}},
    {&inner_collected, {"wanted at least 5", NULL}},
    {&inner_growth, {"live runtime bytes grew by", NULL}},
};

START_TEST(test_failures_carry_figures)
{
    char *m = run_inner(*inner_failures[_i].test);

    ck_assert_msg(m != NULL, "%s passed", (*inner_failures[_i].test)->name);
    for (size_t k = 0; k < 2 && inner_failures[_i].says[k]; k++)
        ck_assert_msg(strstr(m, inner_failures[_i].says[k]) != NULL, "'%s' lacks '%s'", m,
                      inner_failures[_i].says[k]);
    free(m);
}
END_TEST

/* A 1 KiB leak reads its exact size, whatever ran before: first in a fresh
 * process, after the heap grew by 16 MiB and shrank, and between other
 * closures' garbage. (Heap-in-use figures moved in 4 KiB blocks: 0 or
 * 4096 for the same leak depending on what ran before.) */
START_TEST(test_growth_exact)
{
    for (int round = 0; round < 6; round++) {
        gcp_live_counts before, after;
        int status = -1;

        ck_assert_int_eq(gcp_live_growth(keep_1_kib, NULL, &before, &after, &status), 0);
        ck_assert_int_eq(status, 0);
        ck_assert_uint_ge(kib_kept, sizeof(kib_node));
        ck_assert_msg(after.bytes - before.bytes == kib_kept && after.objects == before.objects + 1,
                      "round %d: grew %llu bytes, %llu objects; kept one of %zu", round,
                      (unsigned long long)(after.bytes - before.bytes),
                      (unsigned long long)(after.objects - before.objects), kib_kept);
        gcp_ck_assert_heap_growth_below(keep_1_kib, NULL, kib_kept);
        char *m = run_inner(inner_growth_1_kib);
        ck_assert_ptr_nonnull(m);
        char want[64];
        snprintf(want, sizeof want, "grew by %zu (", kib_kept);
        ck_assert_msg(strstr(m, want) != NULL, "'%s' lacks '%s'", m, want);
        free(m);
        if (round % 2 == 0)
            grow_heap_then_drop();
        else
            clean(NULL);
    }
}
END_TEST

START_TEST(test_growth_errors)
{
    gcp_live_counts c;
    tu_log log;

    tu_log_capture(&log);
    ck_assert_int_eq(gcp_live_growth(NULL, NULL, &c, &c, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "fn is NULL"));
    ck_assert_int_eq(gcp_live_growth(clean, NULL, &c, NULL, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "after is NULL"));
    ck_assert_int_eq(gcp_live_growth(clean, NULL, NULL, &c, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "before is NULL"));
    tu_log_restore();
    ck_assert_int_eq(log.count, 0); /* returned, so not logged */
}
END_TEST

START_TEST(inner_leak_with_sites)
{
    gcp_sites_track(1);
    gcp_ck_assert_no_leak(leaky, NULL, 20);
}
END_TEST

/* With site tracking, the failure names the line the leak grows at. */
START_TEST(test_failure_names_growing_site)
{
    char *m = run_inner(inner_leak_with_sites);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(strstr(m, "B/iteration at ") && strstr(m, "check_assertions.c:") != NULL, "%s", m);
    free(m);
}
END_TEST

/* Collector counts, not samples: ten runs, ten identical verdicts. */
START_TEST(test_same_verdict_every_run)
{
    for (int i = 0; i < 10; i++) {
        char *leak = run_inner(inner_leak);
        ck_assert_ptr_nonnull(leak);
        free(leak);
    }
    for (int i = 0; i < 10; i++)
        gcp_ck_assert_no_leak(clean, NULL, 10);
}
END_TEST

static Suite *make_assertions_suite(void)
{
    Suite *s = suite_create("assertions");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    /* First and last: before and after the other tests grew the heap (in
     * one process with CK_FORK=no). */
    tcase_add_test(tc, test_growth_exact);
    tcase_add_test(tc, test_assertions_pass);
    tcase_add_loop_test(tc, test_failures_carry_figures, 0, TU_ROWS(inner_failures));
    tcase_add_test(tc, test_same_verdict_every_run);
    tcase_add_test(tc, test_failure_names_growing_site);
    tcase_add_test(tc, test_growth_errors);
    tcase_add_test(tc, test_growth_exact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_assertions_suite());
}
