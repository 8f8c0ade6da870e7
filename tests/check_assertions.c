/*
 * check_assertions.c - gcprof/check.h: the assertions pass where the
 * memory behaves, fail with the figures in Check's message where it does
 * not, and give the same verdict run after run.
 */
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

START_TEST(test_failures_carry_figures)
{
    char *m = run_inner(inner_leak);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(m, "leaky leaks "));
    ck_assert_ptr_nonnull(strstr(m, "bytes (1.00 objects) per iteration"));
    free(m);

    m = run_inner(inner_peak);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(m, "peak RSS"));
    ck_assert_ptr_nonnull(strstr(m, "ProfileReport(function_name='spike_80_mib'"));
    free(m);

    m = run_inner(inner_collected);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(m, "wanted at least 5"));
    free(m);

    m = run_inner(inner_growth);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(m, "GC heap in use grew by"));
    free(m);
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
    tcase_add_test(tc, test_assertions_pass);
    tcase_add_test(tc, test_failures_carry_figures);
    tcase_add_test(tc, test_same_verdict_every_run);
    tcase_add_test(tc, test_failure_names_growing_site);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_assertions_suite());
}
