/*
 * check_batch.c - the profiler's collections that cannot change a figure,
 * and batches (gcp_profile_many): objects collected per task against the
 * test's own count of what died, collections counted by the test with
 * GC_get_gc_no and its own event hook (the library chains to it).
 *
 * - In a batch, a task's baseline is the previous task's last census when
 *   nothing can have changed since: N tasks, N+1 collections, counts exact.
 * - When program code ran between two tasks (a finaliser that drops a
 *   reference or allocates, the log hook dropping a reference) or another
 *   thread exists, a new baseline is taken: the counts stay exact where a
 *   reused census would count the dropped objects in the next task.
 * - heap_only always-mode profiles run no unmapping collection (baseline
 *   and forced only); without heap_only the same closure runs them.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

#define TASKS   10
#define K       1000 /* objects each task allocates */
#define VICTIMS 500  /* objects dropped between tasks by program code */

/* What each task keeps: J objects of its K, through a global. */
static void **kept[TASKS + 1];
/* Runtime objects made before the batch and dropped between two tasks. */
static void **victims;
static void *extra; /* what an allocating finaliser made */
static volatile int finalised;

typedef struct job {
    int idx, keep;   /* J */
    int collect_mid; /* GC_gcollect halfway through the closure */
    int finalisable; /* leave garbage with a finaliser */
    int finaliser_allocates;
} job;

static void GC_CALLBACK finaliser(void *obj, void *data)
{
    (void)obj;
    (void)data;
    finalised++;
    victims = NULL; /* garbage now, with no allocation */
}

static void GC_CALLBACK allocating_finaliser(void *obj, void *data)
{
    (void)obj;
    (void)data;
    finalised++;
    extra = gcp_alloc(32); /* kept: 1 object allocated between tasks */
}

static int task(void *env)
{
    job *j = env;
    void **list = NULL;

    for (int i = 0; i < K; i++) {
        void **o = gcp_alloc(32);
        if (!o)
            return 1;
        if (i < j->keep) {
            o[0] = list;
            list = o;
        }
        if (j->collect_mid && i == K / 2)
            GC_gcollect();
    }
    kept[j->idx] = list;
    if (j->finalisable) {
        void *g = GC_MALLOC(64); /* not a runtime object: not counted */
        GC_register_finalizer(g, j->finaliser_allocates ? allocating_finaliser : finaliser, NULL,
                              NULL, NULL);
    }
    return 0;
}

static NOINLINE void make_victims(void)
{
    victims = NULL;
    for (int i = 0; i < VICTIMS; i++) {
        void **o = gcp_alloc(32);
        ck_assert_ptr_nonnull(o);
        o[0] = victims;
        victims = o;
    }
}

/* The test's own event hook, installed before the library's: counts
 * collection ends, the library's hook chains to it. */
static volatile unsigned long ends;
static void GC_CALLBACK count_ends(GC_EventType e)
{
    if (e == GC_EVENT_END)
        ends++;
}

static job jobs[TASKS];
static gcp_task tasks[TASKS];
static gcp_report reports[TASKS];

static void set_up_jobs(void)
{
    memset(kept, 0, sizeof kept);
    memset(jobs, 0, sizeof jobs);
    memset(tasks, 0, sizeof tasks);
    for (int i = 0; i < TASKS; i++) {
        jobs[i].idx = i;
        jobs[i].keep = 10 * i + 1;
        tasks[i].name = "task";
        tasks[i].fn = task;
        tasks[i].env = &jobs[i];
    }
}

/* Runs the batch; returns the collections it took (GC_get_gc_no), also
 * checked against the test's own hook. */
static NOINLINE unsigned long run_batch(const gcp_config *cfg)
{
    GC_on_collection_event_proc before = GC_get_on_collection_event();
    GC_set_on_collection_event(count_ends);
    unsigned long gc0 = GC_get_gc_no(), ends0 = ends;
    tu_clear_dead_stack();
    ck_assert_int_eq(gcp_profile_many(tasks, TASKS, cfg, reports), 0);
    unsigned long n = GC_get_gc_no() - gc0;
    ck_assert_uint_eq(ends - ends0, n); /* each collection a full one, ours saw it */
    GC_set_on_collection_event(before);
    return n;
}

static void assert_exact_from(int first)
{
    for (int i = first; i < TASKS; i++) {
        ck_assert_msg(reports[i].gc_objects_collected == K - jobs[i].keep,
                      "task %d: %lld collected, %d died", i,
                      (long long)reports[i].gc_objects_collected, K - jobs[i].keep);
        ck_assert_int_eq(reports[i].objects_allocated, K);
    }
}

/* A first profile in the process does its set-up (lazy binding, the
 * hook): not part of what is measured. */
static void warm_up(const gcp_config *cfg)
{
    job j = {TASKS, 0, 0, 0, 0};
    gcp_report r;
    ck_assert_int_eq(gcp_profile("warm", task, &j, cfg, &r), 0);
}

/* always mode, heap_only or not, warmed up, the jobs set. */
static gcp_config ready(int heap_only)
{
    gcp_config cfg = tu_config(GCP_AUTO_GC_ALWAYS, 0);

    cfg.heap_only = heap_only;
    warm_up(&cfg);
    set_up_jobs();
    return cfg;
}

/* heap_only and not: N tasks, N+1 collections, every count exact. */
START_TEST(test_batch_reuses_baseline)
{
    gcp_config cfg = ready(_i);
    unsigned long n = run_batch(&cfg);
    ck_assert_msg(n <= TASKS + 1, "%lu collections for %d tasks", n, TASKS);
    assert_exact_from(0);
}
END_TEST

/* A closure's own collections change nothing: the profiler's stay N+1. */
START_TEST(test_batch_closure_collects)
{
    gcp_config cfg = ready(1);
    jobs[3].collect_mid = jobs[7].collect_mid = 1;
    unsigned long n = run_batch(&cfg), closures = 0;
    for (int i = 0; i < TASKS; i++)
        closures += reports[i].gc_count;
    ck_assert_uint_eq(closures, 2);
    ck_assert_msg(n - closures <= TASKS + 1, "%lu profiler collections for %d tasks", n - closures,
                  TASKS);
    assert_exact_from(0);
}
END_TEST

/* Task 0 leaves garbage with a finaliser, which runs right after its
 * forced collection: it drops VICTIMS objects without allocating (row 0)
 * or allocates one (row 1). The next task needs a new baseline: a reused
 * census would count the victims as dying in task 1. */
START_TEST(test_batch_finaliser_between_tasks)
{
    gcp_config cfg = ready(1);
    make_victims();
    finalised = 0;
    jobs[0].finalisable = 1;
    jobs[0].finaliser_allocates = _i;
    unsigned long n = run_batch(&cfg);
    ck_assert_int_eq(finalised, 1);
    ck_assert_msg(n >= TASKS + 2, "%lu collections: a stale census was reused", n);
    if (_i)
        ck_assert_ptr_nonnull(extra);
    assert_exact_from(1);
    victims = NULL;
    extra = NULL;
}
END_TEST

/* The program's log hook runs between tasks (a threshold warning after
 * each) and drops the victims: every task takes a new baseline. */
static void drop_on_log(gcp_log_level level, const char *msg, void *user)
{
    (void)level;
    (void)msg;
    (void)user;
    victims = NULL;
}

START_TEST(test_batch_log_hook_between_tasks)
{
    gcp_config cfg = ready(0);
    make_victims();
    cfg.threshold_mb = 0.001; /* always exceeded: a warning per task */
    gcp_set_log_fn(drop_on_log, NULL);
    unsigned long n = run_batch(&cfg);
    tu_log_restore();
    for (int i = 0; i < TASKS; i++)
        ck_assert_int_eq(reports[i].exceeded_threshold, 1);
    ck_assert_msg(n >= 2 * TASKS, "%lu collections: a census was reused across the log hook", n);
    assert_exact_from(0);
}
END_TEST

/* Another thread could drop references between tasks: no reuse while one
 * exists (here blocked on a pipe), and heap_only runs baseline + forced. */
static void *wait_on(void *arg)
{
    char c;
    ssize_t got = read(*(int *)arg, &c, 1);
    (void)got;
    return NULL;
}

START_TEST(test_batch_other_thread)
{
    gcp_config cfg = tu_config(GCP_AUTO_GC_ALWAYS, 0);
    cfg.heap_only = 1;
    int fds[2];
    pthread_t t;
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, wait_on, &fds[0]), 0);
    warm_up(&cfg);
    set_up_jobs();
    unsigned long n = run_batch(&cfg);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    close(fds[0]);
    close(fds[1]);
    ck_assert_uint_eq(n, 2 * TASKS);
    assert_exact_from(0);
}
END_TEST

/* 16 MiB of garbage in 1 KiB objects: enough that the always mode runs
 * its unmapping rounds, except with heap_only (row 1): baseline and
 * forced collection only. */
#define BIG_OBJECTS (16 * 1024)
static int make_big_garbage(void *env)
{
    (void)env;
    for (int i = 0; i < BIG_OBJECTS; i++)
        if (!gcp_alloc(1024))
            return 1;
    return 0;
}

START_TEST(test_heap_only_runs_no_unmapping)
{
    gcp_config cfg = tu_config(GCP_AUTO_GC_ALWAYS, 0);
    cfg.heap_only = _i;
    gcp_report r;
    warm_up(&cfg);
    GC_on_collection_event_proc before = GC_get_on_collection_event();
    GC_set_on_collection_event(count_ends);
    unsigned long gc0 = GC_get_gc_no(), ends0 = ends;
    ck_assert_int_eq(gcp_profile("big", make_big_garbage, NULL, &cfg, &r), 0);
    unsigned long n = GC_get_gc_no() - gc0;
    ck_assert_uint_eq(ends - ends0, n);
    GC_set_on_collection_event(before);
    ck_assert_uint_eq(r.gc_count, 0);
    if (_i) {
        ck_assert_uint_eq(n, 2); /* baseline, forced */
        ck_assert(r.memory_saved == 0);
        ck_assert(r.notes & GCP_NOTE_HEAP_ONLY);
    } else {
        ck_assert_msg(n >= 3, "%lu collections: no unmapping round ran", n);
    }
    ck_assert_int_eq(r.gc_objects_collected, BIG_OBJECTS);
}
END_TEST

static Suite *batch_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_batch_reuses_baseline, 0, 2);
    tcase_add_test(tc, test_batch_closure_collects);
    tcase_add_loop_test(tc, test_batch_finaliser_between_tasks, 0, 2);
    tcase_add_test(tc, test_batch_log_hook_between_tasks);
    tcase_add_test(tc, test_batch_other_thread);
    tcase_add_loop_test(tc, test_heap_only_runs_no_unmapping, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(batch_suite());
}
