/*
 * check_profiled.c - GCP_PROFILED, the decorator (issue 13, item 4, and
 * the design's profile_reports):
 *   - a call always runs the body and returns its status; when the
 *     profile cannot run (a bad config), the body still runs once, the
 *     failure is logged once per function and GCP_PROFILE_ERROR says it
 *     (before: the body did not run and the call returned -22, which a
 *     body's own status could not be told from);
 *   - every report is kept, up to GCP_HISTORY_MAX, in call order, counted
 *     against the test's own calls and statuses; clearing empties it;
 *   - two threads calling one decorated function lose no call.
 */
#include <gc/gc.h>

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

static _Atomic int body_runs;

/* ---- a config the profiler refuses ----------------------------------- */

static const gcp_config bad_cfg = {.threshold_mb = -1};

GCP_PROFILED_WITH(refused, env, &bad_cfg)
{
    (void)env;
    body_runs++;
    return 7;
}

/* Warnings only: whether returned errors are also logged is another rule's. */
static int warnings;
static char last_warning[512];

static void on_log(gcp_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level != GCP_LOG_WARN)
        return;
    warnings++;
    snprintf(last_warning, sizeof last_warning, "%s", msg);
}

START_TEST(test_body_runs_when_profile_cannot)
{
    warnings = 0;
    gcp_set_log_fn(on_log, NULL);
    body_runs = 0;
    ck_assert_int_eq(refused(NULL), 7); /* the body's status, not -22 */
    ck_assert_int_eq(refused(NULL), 7);
    ck_assert_int_eq(body_runs, 2); /* once per call */
    ck_assert_int_eq(GCP_PROFILE_ERROR(refused), GCP_EINVAL);
    char msg[256];
    ck_assert_int_eq(gcp_history_profile_error(GCP_HISTORY(refused), msg, sizeof msg), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "threshold_mb"));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "threshold_mb"));
    /* logged once for the function, naming it and the cause */
    ck_assert_int_eq(warnings, 1);
    ck_assert_ptr_nonnull(strstr(last_warning, "refused: not profiled"));
    ck_assert_ptr_nonnull(strstr(last_warning, "threshold_mb"));
    ck_assert_uint_eq(gcp_history_count(GCP_HISTORY(refused)), 0);
    ck_assert_uint_eq(gcp_history_calls(GCP_HISTORY(refused)), 2);
    gcp_set_log_fn(NULL, NULL);
}
END_TEST

/* ---- every report kept ------------------------------------------------ */

GCP_PROFILED(counted, env)
{
    int n = (int)(intptr_t)env;

    body_runs++;
    for (int i = 0; i < n; i++)
        tu_sink = gcp_alloc(16);
    tu_sink = NULL;
    return n; /* the status tells the calls apart */
}

START_TEST(test_history_keeps_reports_in_order)
{
    gcp_report r;
    const int calls = GCP_HISTORY_MAX + 36;

    gcp_history_clear(GCP_HISTORY(counted));
    body_runs = 0;
    for (int i = 1; i <= calls; i++)
        ck_assert_int_eq(counted((void *)(intptr_t)i), i);
    ck_assert_int_eq(body_runs, calls);
    ck_assert_int_eq(GCP_PROFILE_ERROR(counted), 0);
    ck_assert_uint_eq(gcp_history_calls(GCP_HISTORY(counted)), (uint64_t)calls);
    ck_assert_uint_eq(gcp_history_count(GCP_HISTORY(counted)), GCP_HISTORY_MAX);
    /* the latest GCP_HISTORY_MAX, oldest first, each with its own figures */
    for (size_t i = 0; i < GCP_HISTORY_MAX; i++) {
        int want = calls - GCP_HISTORY_MAX + 1 + (int)i;
        ck_assert_int_eq(gcp_history_get(GCP_HISTORY(counted), i, &r), 0);
        ck_assert_int_eq(r.status, want);
        ck_assert_int_eq(r.objects_allocated, want);
        ck_assert_int_eq(r.gc_objects_collected, want);
        ck_assert_str_eq(r.function_name, "counted");
    }
    ck_assert_int_eq(GCP_LAST_REPORT(counted).status, calls);
    ck_assert_int_eq(gcp_history_get(GCP_HISTORY(counted), GCP_HISTORY_MAX, &r), GCP_ERANGE);
    ck_assert_int_eq(gcp_history_get(GCP_HISTORY(counted), 0, NULL), GCP_EINVAL);
    gcp_history_clear(GCP_HISTORY(counted));
    ck_assert_uint_eq(gcp_history_count(GCP_HISTORY(counted)), 0);
    ck_assert_uint_eq(gcp_history_calls(GCP_HISTORY(counted)), 0);
    /* an empty (NULL) history reads as empty */
    ck_assert_uint_eq(gcp_history_count(NULL), 0);
    ck_assert_int_eq(gcp_history_get(NULL, 0, &r), GCP_ERANGE);
    ck_assert_int_eq(gcp_history_profile_error(NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_history_print)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    gcp_history_clear(GCP_HISTORY(counted));
    counted((void *)(intptr_t)3);
    counted((void *)(intptr_t)5);
    ck_assert_int_eq(gcp_history_print(fp, GCP_HISTORY(counted)), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "ProfileReport(function_name='counted'"));
    ck_assert_ptr_nonnull(strstr(buf, "gc_objects_collected=3,"));
    ck_assert_ptr_nonnull(strstr(buf, "gc_objects_collected=5,"));
    ck_assert_ptr_nonnull(strstr(buf, "2 calls (0 not profiled), 2 reports kept"));
    ck_assert_ptr_nonnull(strstr(buf, " 8 objects collected\n"));
    free(buf);
    ck_assert_int_eq(gcp_history_print(NULL, NULL), GCP_EINVAL);
}
END_TEST

/* ---- two threads, one function ---------------------------------------- */

#define PER_THREAD 150

static void *call_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++)
        counted((void *)(intptr_t)1);
    return NULL;
}

START_TEST(test_history_two_threads)
{
    pthread_t t[2];

    gcp_history_clear(GCP_HISTORY(counted));
    counted((void *)(intptr_t)1); /* the history exists before the race */
    gcp_history_clear(GCP_HISTORY(counted));
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(GC_pthread_create(&t[i], NULL, call_many, NULL), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(GC_pthread_join(t[i], NULL), 0);
    ck_assert_uint_eq(gcp_history_calls(GCP_HISTORY(counted)), 2 * PER_THREAD);
    ck_assert_uint_eq(gcp_history_count(GCP_HISTORY(counted)), GCP_HISTORY_MAX);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("profiled");
    TCase *tc = tcase_create("decorator");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_body_runs_when_profile_cannot);
    tcase_add_test(tc, test_history_keeps_reports_in_order);
    tcase_add_test(tc, test_history_print);
    tcase_add_test(tc, test_history_two_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_suite());
}
