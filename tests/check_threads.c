/*
 * check_threads.c - the library in threads the collector did not start,
 * and the collector's own hook (issue 12, items 2, 3, 6 and 8):
 *   - a plain pthread_create thread allocates and profiles (it aborted the
 *     process: "Collecting from unknown thread"), on stacks down to 32 KiB,
 *     and every object it made dies (its stack's end kept one alive);
 *   - a profile, collection or allocation from inside the collector's
 *     event hook returns GCP_ESTATE instead of waiting for itself (and,
 *     issue 13, so do gcp_gc_point, snapshots, leak checks, heap walks,
 *     gcp_monitor_start and a container that must grow);
 *   - a region left open by a thread that exits gives collection back;
 *   - in a fresh process whose first call into the library comes from a
 *     plain thread (the collector then makes that thread its initial one),
 *     the main thread profiles after the thread's exit: it aborted the
 *     process ("Signals delivery fails constantly": the dead thread was
 *     still registered), and its first report read overlapped (it took
 *     the dead thread's allocation counts with its state).
 * Each checked against the collector's own figures (GC_get_gc_no,
 * GC_is_disabled) or the test's own counts.
 */
#include <gc/gc.h>
#undef pthread_create /* plain threads: gc.h (GC_THREADS) redirects it */
#undef pthread_join

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

#define N_OBJECTS 20000

static int allocate(void *env)
{
    for (int i = 0; i < N_OBJECTS; i++)
        tu_sink = gcp_alloc(48);
    tu_sink = NULL;
    (void)env;
    return 0;
}

typedef struct thread_result {
    int rc;
    gcp_report r;
} thread_result;

static void *profile_in_thread(void *arg)
{
    thread_result *res = arg;
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 0);

    res->rc = gcp_profile("in a plain thread", allocate, NULL, &c, &res->r);
    return NULL;
}

/* Runs profile_in_thread on a plain thread with a stack of kib KiB (0:
 * the default). */
static void run_plain_thread(size_t kib, thread_result *res)
{
    pthread_attr_t a;
    pthread_t t;

    pthread_attr_init(&a);
    if (kib)
        ck_assert_int_eq(pthread_attr_setstacksize(&a, kib << 10), 0);
    ck_assert_int_eq(pthread_create(&t, &a, profile_in_thread, res), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&a);
}

START_TEST(test_plain_thread_profiles)
{
    static const size_t stacks[] = {0, 32, 64, 72, 128};
    thread_result res;

    for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++) {
        run_plain_thread(stacks[i], &res);
        ck_assert_msg(res.rc == 0, "stack %zu KiB: rc %d", stacks[i], res.rc);
        ck_assert_int_eq(res.r.objects_allocated, N_OBJECTS);
        /* every object died: the thread's stack end, a word the collector
         * and the library keep, pointed at the first object of the heap
         * block mapped right above the stack, and kept it (19,999) */
        ck_assert_msg(res.r.gc_objects_collected == N_OBJECTS, "stack %zu KiB: %lld of %d collected",
                      stacks[i], (long long)res.r.gc_objects_collected, N_OBJECTS);
    }
}
END_TEST

/* ---- inside the collector's hook ------------------------------------ */

static int hook_rcs[4], hook_done;
static GC_on_collection_event_proc saved_hook;

static int nothing(void *env)
{
    (void)env;
    return 0;
}

static void GC_CALLBACK app_hook(GC_EventType e)
{
    if (e != GC_EVENT_MARK_END || hook_done)
        return;
    hook_done = 1;
    gcp_report r;
    gcp_region g;
    hook_rcs[0] = gcp_profile("in the hook", nothing, NULL, NULL, &r);
    hook_rcs[1] = gcp_collect();
    hook_rcs[2] = gcp_profile_begin(&g, "in the hook", NULL);
    hook_rcs[3] = gcp_alloc(1 << 20) == NULL ? GCP_ESTATE : 0; /* a large one: no parked slot */
}

START_TEST(test_refused_inside_the_hook)
{
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 0);
    gcp_report r;

    saved_hook = GC_get_on_collection_event();
    GC_set_on_collection_event(app_hook);
    hook_done = 0;
    /* the profile's own collections run our hook, which chains to app_hook */
    ck_assert_int_eq(gcp_profile("outer", nothing, NULL, &c, &r), 0);
    GC_set_on_collection_event(saved_hook);
    ck_assert_int_eq(hook_done, 1);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(hook_rcs[i] == GCP_ESTATE, "call %d inside the hook: %d", i, hook_rcs[i]);
}
END_TEST

/* Each of these takes the collector's lock (a collection, a census, a
 * heap walk) or needs a new batch of memory: inside the hook, which holds
 * the lock, they waited for themselves or failed as out of memory. One
 * per run, so that one that hangs times out alone. */
static int in_hook_rc, in_hook_ran, in_hook_call;
static void *in_hook_obj;    /* a managed object, for gcp_deep_sizeof */
static gcp_vec *in_hook_vec; /* full: the next push needs a large array */

static int call_in_hook(int which)
{
    gcp_leak_report lr = {0};
    gcp_live_counts lc;
    gcp_monitor_options mo;
    gcp_snapshot *snap;
    gcp_line_report *lines;
    gcp_report r;

    switch (which) {
    case 0:
        return gcp_gc_point(NULL, NULL);
    case 1:
        snap = gcp_snapshot_take("in the hook");
        gcp_snapshot_free(snap);
        return snap ? 0 : GCP_ESTATE;
    case 2:
        return gcp_leak_check("in the hook", nothing, NULL, NULL, &lr);
    case 3:
        return gcp_live_growth(nothing, NULL, &lc, &lc, NULL);
    case 4:
        return gcp_deep_sizeof(in_hook_obj) ? 0 : GCP_ESTATE;
    case 5:
        gcp_monitor_options_init(&mo);
        mo.trace = 1;
        mo.trace_fp = stdout;
        return gcp_monitor_start(&mo);
    case 6:
        return gcp_profile_lines("in the hook", nothing, NULL, NULL, __FILE__, &r, &lines);
    default:
        return gcp_vec_push(in_hook_vec, NULL);
    }
}
#define N_IN_HOOK 8

static void GC_CALLBACK call_hook(GC_EventType e)
{
    if (e != GC_EVENT_MARK_END || in_hook_ran)
        return;
    in_hook_ran = 1;
    in_hook_rc = call_in_hook(in_hook_call);
}

START_TEST(test_more_refused_inside_the_hook)
{
    gcp_config c = tu_config(1, 0);
    gcp_report r;

    in_hook_obj = gcp_alloc(64);
    in_hook_vec = gcp_vec_new(1 << 17); /* 1 MiB of slots: 2 MiB when it grows */
    for (int i = 0; i < 1 << 17; i++)
        gcp_vec_push(in_hook_vec, NULL);
    saved_hook = GC_get_on_collection_event();
    GC_set_on_collection_event(call_hook);
    in_hook_ran = 0;
    in_hook_call = _i;
    ck_assert_int_eq(gcp_profile("outer", nothing, NULL, &c, &r), 0);
    GC_set_on_collection_event(saved_hook);
    ck_assert_int_eq(in_hook_ran, 1);
    ck_assert_msg(in_hook_rc == GCP_ESTATE, "call %d inside the hook: %d (%s)", _i, in_hook_rc,
                  gcp_last_error());
    ck_assert_msg(strstr(gcp_last_error(), "event hook"), "call %d: '%s'", _i, gcp_last_error());
    ck_assert_int_eq(gcp_monitor_running(), 0);
}
END_TEST

/* ---- a region left open -------------------------------------------- */

static void *open_region_and_exit(void *arg)
{
    gcp_region *g = arg;
    gcp_config c = tu_config(GCP_AUTO_GC_ALWAYS, 0);

    c.hold_limit_mb = 1 << 20; /* 1 TiB: the hold is never released by its bound here */
    ck_assert_int_eq(gcp_profile_begin(g, "left open", &c), 0);
    return NULL; /* without gcp_profile_end */
}

START_TEST(test_region_left_open_by_exiting_thread)
{
    gcp_region g;
    pthread_t t;

    ck_assert_int_eq(pthread_create(&t, NULL, open_region_and_exit, &g), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    /* the collector runs again by itself: garbage of twice the heap, and
     * more (whatever GC_INITIAL_HEAP_SIZE made it), sets it off */
    uint64_t before = GC_get_gc_no();
    size_t garbage = 2 * GC_get_heap_size() + ((size_t)64 << 20);
    for (size_t done = 0; done < garbage && GC_get_gc_no() == before; done += 64 << 10)
        tu_sink = gcp_alloc(64 << 10);
    tu_sink = NULL;
    ck_assert_msg(GC_get_gc_no() > before, "no collection after the thread's exit");
    ck_assert_int_eq(GC_is_disabled(), 0);
}
END_TEST

/* ---- the first call from a plain thread, in a fresh process ---------- */

#define FIRST_IN_THREAD "first-in-thread"

/* The fresh process: a plain thread profiles first, then main, twice.
 * Exit 0 when every report is exact and none overlapped; what is wrong
 * goes to stderr. A dead thread still registered aborts instead. */
static int first_call_in_thread(void)
{
    thread_result res;
    pthread_t t;
    int bad = 0;

    if (pthread_create(&t, NULL, profile_in_thread, &res) != 0 || pthread_join(t, NULL) != 0)
        return 2;
    for (int round = 0; round < 3; round++) {
        if (round > 0)
            profile_in_thread(&res); /* main, after the thread's exit */
        if (res.rc != 0 || res.r.objects_allocated != N_OBJECTS ||
            res.r.gc_objects_collected != N_OBJECTS || (res.r.notes & GCP_NOTE_OVERLAPPED)) {
            fprintf(stderr, "round %d: rc %d, %lld allocated, %lld collected, notes 0x%x\n", round,
                    res.rc, (long long)res.r.objects_allocated,
                    (long long)res.r.gc_objects_collected, res.r.notes);
            bad = 1;
        }
    }
    return bad;
}

START_TEST(test_first_call_from_a_plain_thread)
{
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl("/proc/self/exe", "check_threads", FIRST_IN_THREAD, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "the fresh process died of signal %d",
                  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    ck_assert_msg(WEXITSTATUS(status) == 0, "the fresh process exited %d (its stderr says why)",
                  WEXITSTATUS(status));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_plain_thread_profiles);
    tcase_add_test(tc, test_refused_inside_the_hook);
    tcase_add_test(tc, test_region_left_open_by_exiting_thread);
    tcase_add_test(tc, test_first_call_from_a_plain_thread);
    suite_add_tcase(s, tc);
    TCase *hook = tcase_create("hook");
    tcase_set_timeout(hook, 10);
    tcase_add_loop_test(hook, test_more_refused_inside_the_hook, 0, N_IN_HOOK);
    suite_add_tcase(s, hook);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], FIRST_IN_THREAD) == 0)
        return first_call_in_thread(); /* no call into the library before */
    return tu_run(make_suite());
}
