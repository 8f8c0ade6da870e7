/*
 * check_faults.c - closures that go wrong: one that fails, one that leaves
 * the collector disabled, one that runs out of memory. Each gets a report
 * with a clear status, the library never aborts, and the process keeps
 * working afterwards with the collector as it was. (Check runs each test
 * in its own process, so a lowered heap limit does not outlive it.)
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

#define MIB (1024 * 1024)


static gcp_config mode(int auto_gc)
{
    gcp_config c;

    gcp_config_init(&c);
    c.auto_gc = auto_gc;
    return c;
}

static int alloc_some(void *env)
{
    (void)env;
    for (int i = 0; i < 1000; i++)
        if (!gcp_alloc(32))
            return 1;
    return 0;
}

/* Keeps everything it allocates until gcp_alloc says no: returns how many
 * blocks it got through *env, 1 as its status. */
static int eat_memory(void *env)
{
    long *got = env;
    void **keep = NULL;

    for (*got = 0;; (*got)++) {
        void **p = gcp_alloc(4096);
        if (!p)
            return 1;
        p[0] = keep;
        keep = p;
    }
}

/* A small heap limit: the runtime's allocation returns NULL, says why
 * through the log hook, and the report says out_of_memory. In every mode,
 * and the next profile, with the limit lifted, is normal. */
START_TEST(test_out_of_memory)
{
    tu_log log;
    gcp_report r;
    gcp_config c = mode(_i);
    long got = 0;
    tu_collector_state before = tu_collector_state_now();

    GC_gcollect();
    GC_set_max_heap_size(GC_get_heap_size() + 16 * MIB);
    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile("eat", eat_memory, &got, &c, &r), 0);
    tu_log_restore();
    ck_assert_int_eq(r.status, 1);
    ck_assert(r.notes & GCP_NOTE_OUT_OF_MEMORY);
    ck_assert_int_gt(got, 100);
    ck_assert_uint_ge(r.objects_allocated, (uint64_t)got);
    /* The closure got its NULLs back, and the report says so: no log. */
    ck_assert_int_eq(log.errors, 0);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "out of memory allocating 4096 bytes"));
    tu_assert_collector_state(&before);

    /* The process keeps working. */
    GC_set_max_heap_size(0);
    ck_assert_ptr_nonnull(gcp_alloc(64 * MIB));
    ck_assert_int_eq(gcp_profile("after", alloc_some, NULL, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert(!(r.notes & GCP_NOTE_OUT_OF_MEMORY));
    tu_assert_collector_state(&before);
}
END_TEST

/* Without a limit nothing is marked out of memory. */
START_TEST(test_no_false_out_of_memory)
{
    gcp_report r;
    gcp_config c = mode(GCP_AUTO_GC_ALWAYS);

    ck_assert_int_eq(gcp_profile("some", alloc_some, NULL, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert(!(r.notes & GCP_NOTE_OUT_OF_MEMORY));
}
END_TEST

static int disable_and_return(void *env)
{
    (void)env;
    GC_disable();
    for (int i = 0; i < 100; i++)
        gcp_alloc(32);
    return 0;
}

/* The closure leaves the collector disabled: the report says the forced
 * collection could not run, a warning names the closure, and the
 * application's own state is its business (the library does not enable
 * what the closure disabled); everything else is restored. */
START_TEST(test_closure_leaves_collector_disabled)
{
    tu_log log;
    gcp_report r;
    gcp_config c = mode(_i == 0 ? GCP_AUTO_GC_ALWAYS : GCP_AUTO_GC_ADAPTIVE);
    tu_collector_state before = tu_collector_state_now();

    tu_log_capture(&log);
    ck_assert_int_eq(gcp_profile("disabler", disable_and_return, NULL, &c, &r), 0);
    tu_log_restore();
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.gc_collected, 0);
    ck_assert_int_ge(log.warnings, 1);
    ck_assert_ptr_nonnull(strstr(log.last, "disabler returned with collection disabled"));
    if (c.auto_gc == GCP_AUTO_GC_ALWAYS)
        ck_assert(r.notes & GCP_NOTE_FORCED_GC_SKIPPED);
    else
        ck_assert_ptr_nonnull(strstr(r.gc_reason, "disabled"));
    ck_assert_int_eq(GC_is_disabled(), 1);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), before.no_auto);
    GC_enable();
    tu_assert_collector_state(&before);
    /* And profiling goes on normally. */
    ck_assert_int_eq(gcp_profile("some", alloc_some, NULL, &c, &r), 0);
    ck_assert_int_eq(r.status, 0);
}
END_TEST

static int fail_midway(void *env)
{
    (void)env;
    alloc_some(NULL);
    return 42;
}

/* A failing closure: its status is the report's, and a batch goes on. */
START_TEST(test_failing_closure)
{
    gcp_task tasks[3] = {{.name = "ok", .fn = alloc_some},
                         {.name = "fails", .fn = fail_midway},
                         {.name = "ok again", .fn = alloc_some}};
    gcp_report reports[3];
    tu_collector_state before = tu_collector_state_now();

    ck_assert_int_eq(gcp_profile_many(tasks, 3, NULL, reports), 1);
    ck_assert_int_eq(reports[0].status, 0);
    ck_assert_int_eq(reports[1].status, 42);
    ck_assert_int_eq(reports[2].status, 0);
    ck_assert_uint_eq(reports[1].objects_allocated, 1000);
    ck_assert_int_eq(reports[1].gc_objects_collected, 1000);
    tu_assert_collector_state(&before);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *t = tcase_create("faults");

    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, test_out_of_memory, GCP_AUTO_GC_OFF, GCP_AUTO_GC_ADAPTIVE + 1);
    tcase_add_test(t, test_no_false_out_of_memory);
    tcase_add_loop_test(t, test_closure_leaves_collector_disabled, 0, 2);
    tcase_add_test(t, test_failing_closure);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run(faults_suite());
}
