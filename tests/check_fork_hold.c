/*
 * check_fork_hold.c - a forked child and the profiles' hold on automatic
 * collection (runtime/heap/hold.c). fork() copies one thread: holds that
 * other threads' profiles took are not the child's, and nothing there
 * would ever release them; the holds the forking thread took are, and its
 * profile releases them as it ends in the child.
 *
 * What is read is bdwgc's own flag (GC_get_disable_automatic_collection).
 * Children report with their exit status and call no Check function (its
 * lock may be another thread's at the fork); a child that does not end
 * within WAIT_S waits on a lock its parent's thread held.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

#define WAIT_S 60.0

/* Child exit statuses: which expectation failed. */
enum { CHILD_OK, CHILD_FLAG_AFTER_FORK, CHILD_PROFILE_FAILED, CHILD_FLAG_AFTER_PROFILE };

static int empty(void *env)
{
    (void)env;
    return 0;
}

/* An always-mode profile of nothing, and bdwgc's flag after it. */
static int child_profile_then_flag(void)
{
    gcp_config c = {.auto_gc = GCP_AUTO_GC_ALWAYS};
    gcp_report r;

    if (gcp_profile("child", empty, NULL, &c, &r) != 0)
        return CHILD_PROFILE_FAILED;
    return GC_get_disable_automatic_collection() ? CHILD_FLAG_AFTER_PROFILE : CHILD_OK;
}

/* pid's exit status, or -1 if it did not end within WAIT_S (killed) or
 * was ended by a signal. */
static int status_within(pid_t pid)
{
    int status;

    return tu_wait_within(pid, WAIT_S, &status) && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- another thread's profile holds collection off at the fork ------ */

static int go_on[2]; /* the holder reads one byte from it to end its closure */
static volatile int holding;

static int hold_until_told(void *env)
{
    char byte;

    (void)env;
    holding = 1;
    return read(go_on[0], &byte, 1) == 1 ? 0 : 1;
}

static void *holder(void *arg)
{
    gcp_config c = {.auto_gc = GCP_AUTO_GC_ALWAYS};
    gcp_report r;

    (void)arg;
    int rc = gcp_profile("holder", hold_until_told, NULL, &c, &r);
    return rc == 0 && r.status == 0 ? NULL : arg;
}

START_TEST(test_other_threads_hold_not_inherited)
{
    pthread_t t;
    void *failed = &t;

    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);
    ck_assert_int_eq(pipe(go_on), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, holder, &t), 0);
    while (!holding)
        sched_yield();
    ck_assert_msg(tu_others_asleep(30), "the holding thread never slept");
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 1); /* held */
    pid_t pid = fork();
    if (pid == 0)
        _exit(GC_get_disable_automatic_collection() ? CHILD_FLAG_AFTER_FORK
                                                    : child_profile_then_flag());
    int status = status_within(pid);
    ck_assert_int_eq(write(go_on[1], "x", 1), 1);
    ck_assert_int_eq(pthread_join(t, &failed), 0);
    ck_assert_ptr_null(failed);
    ck_assert_msg(status == CHILD_OK, "child: %d (-1: did not end)", status);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0); /* the parent's came back */
    close(go_on[0]);
    close(go_on[1]);
}
END_TEST

/* ---- the forking thread's own profile holds it --------------------- */

static pid_t parent;

/* Forks inside the closure: the child goes on through the profile's end
 * (which must release the hold it took), the parent waits for it. */
static int fork_inside(void *env)
{
    pid_t pid = fork();

    if (pid == 0)
        return GC_get_disable_automatic_collection() ? CHILD_OK : CHILD_FLAG_AFTER_FORK;
    *(pid_t *)env = pid;
    return CHILD_OK;
}

/* The child's verdict once its profile (begun in the parent) ended. */
static int child_after_profile(int rc, const gcp_report *r)
{
    if (rc != 0)
        return CHILD_PROFILE_FAILED;
    if (r->status != CHILD_OK) /* what the closure saw right after the fork */
        return r->status;
    return GC_get_disable_automatic_collection() ? CHILD_FLAG_AFTER_PROFILE : CHILD_OK;
}

START_TEST(test_own_hold_released_in_child)
{
    gcp_config c = {.auto_gc = GCP_AUTO_GC_ALWAYS};
    gcp_report r;
    pid_t child = 0;

    parent = getpid();
    int rc = gcp_profile("forks", fork_inside, &child, &c, &r);
    if (getpid() != parent) /* the child, past its profile's end */
        _exit(child_after_profile(rc, &r));
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(child, 0);
    int status = status_within(child);
    ck_assert_msg(status == CHILD_OK, "child: %d (-1: did not end)", status);
    ck_assert_int_eq(GC_get_disable_automatic_collection(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fork_hold");
    TCase *tc = tcase_create("fork");

    tcase_add_checked_fixture(tc, tu_needs_own_process, NULL);
    tcase_add_test(tc, test_other_threads_hold_not_inherited);
    tcase_add_test(tc, test_own_hold_released_in_child);
    tcase_set_timeout(tc, 2 * WAIT_S); /* the bound is the test's own */
    suite_add_tcase(s, tc);
    return tu_run(s);
}
