/*
 * check_returned.c - memory_saved: the RSS the profiler's collections
 * gave back to the OS, against the test's own /proc reads, and proof that
 * nothing was left to give back (the test's own unmapping collections
 * afterwards return no more). Counts against the collector's own verdict
 * on each object (tu_hidden).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <math.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

#define MIB (1024.0 * 1024.0)

static gcp_config always(void)
{
    return tu_config(GCP_AUTO_GC_ALWAYS, 0);
}

typedef struct garbage_job {
    size_t mib;                        /* garbage to make */
    size_t object_bytes;               /* in objects of this size */
    size_t keep_every;                 /* 0, or keep every Nth object until the forced collection */
    uint64_t rss_at_start, rss_at_end; /* the test's own VmRSS reads */
    tu_hidden seen;                    /* the objects, for the collector's own verdict */
} garbage_job;

/* Objects the closure keeps alive until the end of the first collection
 * after it returns: garbage that outlives the forced collection, as a
 * stale word would keep it, but on purpose and every time. */
#define MAX_HELD 4096
static void *held[MAX_HELD];
static size_t n_held;
static volatile int release_armed;
static GC_on_collection_event_proc app_hook;

/* The test's own hook: the profiler chains to it. Drops the held objects
 * at the end of the collection right after the closure. */
static void GC_CALLBACK release_at_end(GC_EventType event)
{
    if (event == GC_EVENT_END && release_armed) {
        memset(held, 0, sizeof held);
        release_armed = 0;
    }
}

static int make_garbage(void *env)
{
    garbage_job *job = env;
    size_t n = (job->mib << 20) / job->object_bytes;

    job->rss_at_start = tu_rss_bytes();
    for (size_t i = 0; i < n; i++) {
        char *obj = gcp_alloc_atomic(job->object_bytes);
        if (!obj)
            return 1;
        memset(obj, (int)i, job->object_bytes); /* touched: in RSS */
        tu_hidden_add(&job->seen, obj);
        if (job->keep_every && i % job->keep_every == 0 && n_held < MAX_HELD)
            held[n_held++] = obj;
    }
    job->rss_at_end = tu_rss_bytes();
    release_armed = job->keep_every != 0;
    return 0;
}

/* RSS the test's own unmapping collections still give back: what the
 * profiler left behind. Four rounds: more than the two a free block needs
 * to age, so a run whose age restarted once is covered too. */
static double left_to_return(void)
{
    uint64_t before = tu_rss_bytes();

    tu_clear_dead_stack();
    for (int i = 0; i < 4; i++)
        GC_gcollect_and_unmap();
    uint64_t after = tu_rss_bytes();
    return before > after ? (double)(before - after) / MIB : 0;
}

/* Profile job, then check memory_saved and the counts against our own. */
static void check_returned(garbage_job *job, gcp_report *r)
{
    gcp_config c = always();

    ck_assert_int_eq(gcp_profile("garbage", make_garbage, job, &c, r), 0);
    ck_assert_int_eq(r->status, 0);
    uint64_t rss_now = tu_rss_bytes();
    double own_saved = ((double)job->rss_at_end - (double)rss_now) / MIB;
    /* The profiler's figure is its own reads' difference; ours bracket it
     * (a few pages of stdio and Check move between the reads). */
    ck_assert_msg(fabs(r->memory_saved - own_saved) < 2, "saved %.1f MiB, own reads %.1f",
                  r->memory_saved, own_saved);
    ck_assert_msg(fabs(r->memory_after - (double)rss_now / MIB) < 2, "after %.1f, own %.1f",
                  r->memory_after, (double)rss_now / MIB);
    ck_assert_msg(fabs(r->memory_before - (double)job->rss_at_start / MIB) < 2,
                  "before %.1f, own %.1f", r->memory_before, (double)job->rss_at_start / MIB);
    /* Exact for what the collector freed, by its own verdict. */
    size_t dead = tu_hidden_collected(&job->seen);
    ck_assert_int_eq(r->gc_objects_collected, (int64_t)dead);
    /* Everything the collector freed went back: our own collections find
     * nothing more to return. */
    double left = left_to_return();
    ck_assert_msg(left < 2, "%.1f MiB more came back after the profile (memory_saved %.1f)", left,
                  r->memory_saved);
    /* And what it freed is what we made, but for objects a stale word
     * kept: the collector's verdict above says how many. */
    double dead_mib = (double)dead * (double)job->object_bytes / MIB;
    ck_assert_msg(r->memory_saved > dead_mib * 0.9 - 2, "saved %.1f MiB of %.1f MiB freed",
                  r->memory_saved, dead_mib);
    tu_hidden_free(&job->seen);
}

/* 200 MiB of garbage in large blocks, then in small objects. */
static const size_t all_returned_sizes[] = {1 << 20, 4000};

START_TEST(test_all_returned)
{
    garbage_job job = {200, all_returned_sizes[_i], 0, 0, 0, {0}};
    gcp_report r;

    check_returned(&job, &r);
}
END_TEST

/* Garbage that outlives the forced collection frees a collection later,
 * coalesces with its free neighbours and restarts their age: the old
 * fixed two unmapping collections returned a third of it. */
START_TEST(test_late_garbage_converges)
{
    garbage_job job = {200, 1 << 20, 8, 0, 0, {0}};
    gcp_report r;

    n_held = 0;
    app_hook = GC_get_on_collection_event();
    GC_set_on_collection_event(release_at_end);
    check_returned(&job, &r);
    GC_set_on_collection_event(app_hook);
    ck_assert_uint_eq(n_held, 25);
    ck_assert_int_eq(release_armed, 0);
    /* The late blocks were seen dying after the forced collection. */
    ck_assert_msg(r.notes & GCP_NOTE_RETAINED, "notes %#x", r.notes);
    ck_assert_msg(r.memory_saved > 150, "memory_saved %.1f MiB", r.memory_saved);
}
END_TEST

/* Nothing to give back: the profile runs no unmapping collection, and the
 * note stays off. */
START_TEST(test_nothing_to_return)
{
    garbage_job job = {0, 64, 0, 0, 0, {0}};
    gcp_config c = always();
    gcp_report r;

    /* Nothing to return means nothing from before either: free blocks
     * the heap had (a pre-grown heap's holes) reach bdwgc's unmapping age
     * in any collection that unmaps, whoever freed them. */
    left_to_return();
    GC_word gc_no = GC_get_gc_no();
    ck_assert_int_eq(gcp_profile("nothing", make_garbage, &job, &c, &r), 0);
    /* The baseline and the forced collection, and no unmapping round. */
    ck_assert_uint_eq(GC_get_gc_no() - gc_no, 2);
    ck_assert(!(r.notes & GCP_NOTE_RETAINED));
    ck_assert(r.memory_saved < 2);
    tu_hidden_free(&job.seen);
}
END_TEST

/* The profile after a big one returns its own garbage just as well. */
START_TEST(test_second_profile_returns_too)
{
    garbage_job first = {100, 1 << 20, 0, 0, 0, {0}}, second = {100, 4000, 0, 0, 0, {0}};
    gcp_report r;

    check_returned(&first, &r);
    check_returned(&second, &r);
}
END_TEST

static Suite *make_returned_suite(void)
{
    Suite *s = suite_create("returned");
    TCase *tc = tcase_create("returned");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_all_returned, 0, TU_ROWS(all_returned_sizes));
    tcase_add_test(tc, test_late_garbage_converges);
    tcase_add_test(tc, test_nothing_to_return);
    tcase_add_test(tc, test_second_profile_returns_too);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_returned_suite());
}
