/*
 * check_stress.c - profiles on many threads at once, with other threads
 * allocating hard: no deadlock (each test has a time limit), no crash,
 * every report consistent or marked overlapped, and the collector's
 * enabled state, automatic-collection setting and event hook exactly as
 * before at the end. Threads the collector did not create take part once
 * registered as bdwgc requires.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

#define PROFILERS  8
#define ALLOCATORS 2
#define ITERATIONS 4000
#define OBJ_BYTES  48

/* ---- the application's own hook: chained, and put back ------------- */

static _Atomic unsigned long app_hook_events;

static void GC_CALLBACK app_hook(GC_EventType event)
{
    (void)event;
    atomic_fetch_add_explicit(&app_hook_events, 1, memory_order_relaxed);
}


/* ---- closures and their known allocation ------------------------------ */

typedef struct job {
    int n;            /* objects to allocate */
    void *volatile keep; /* the last one, kept past the closure sometimes */
} job;

static int allocate(void *env)
{
    job *j = env;

    for (int i = 0; i < j->n; i++) {
        void **p = gcp_alloc(OBJ_BYTES);
        if (!p)
            return 1;
        p[0] = j->keep; /* a chain: some garbage, some cycles through keep */
        j->keep = i % 7 == 0 ? p : j->keep;
    }
    j->keep = NULL;
    return 0;
}

/* What must hold for every report, overlapped or not. */
static void check_report(const gcp_report *r, const job *j, int mode, const char **why)
{
    uint64_t own = (uint64_t)j->n;

    *why = NULL;
    if (r->status != 0)
        *why = "closure failed";
    else if (r->objects_allocated < own) /* all threads' allocations: at least ours */
        *why = "objects_allocated below the closure's own";
    else if (!(r->execution_time >= 0) || !isfinite(r->execution_time))
        *why = "execution_time not a finite time";
    else if (r->gc_objects_collected < -1 || r->bytes_reclaimed < -1)
        *why = "negative count";
    else if (r->auto_gc != mode)
        *why = "auto_gc differs from the config";
    else if (mode == GCP_AUTO_GC_ALWAYS && !(r->notes & GCP_NOTE_FORCED_GC_SKIPPED) &&
             !r->gc_collected)
        *why = "always without a collection after";
    else if (mode == GCP_AUTO_GC_OFF && r->gc_collected)
        *why = "off collected";
    else if (!(r->notes & GCP_NOTE_HEAP_ONLY) && !(r->memory_before > 0 && r->memory_after > 0))
        *why = "RSS not measured";
    else if (r->peak_heap < r->heap_before)
        *why = "peak_heap below heap_before";
}

/* ---- the threads -------------------------------------------------------- */

typedef struct profiler {
    pthread_t thread;
    int index;
    long reports, overlapped, bad;
    char first_bad[160];
} profiler;

static _Atomic int stop_allocating;

static gcp_config config_for(int index, int iteration)
{
    gcp_config c;

    gcp_config_init(&c);
    c.auto_gc = (index + iteration) % 3 == 0 ? GCP_AUTO_GC_OFF
                : (index + iteration) % 3 == 1 ? GCP_AUTO_GC_ADAPTIVE
                                               : GCP_AUTO_GC_ALWAYS;
    /* Full collections on 8 threads at once are slow: keep them rare. */
    if (c.auto_gc == GCP_AUTO_GC_ALWAYS && iteration % 50 != 0)
        c.auto_gc = GCP_AUTO_GC_OFF;
    c.heap_only = iteration % 4 == 0;
    c.track_peak = iteration % 5 == 0 && !c.heap_only;
    return c;
}

static void *profile_loop(void *arg)
{
    profiler *p = arg;

    for (int i = 0; i < ITERATIONS; i++) {
        job j = {1 + (p->index * 37 + i) % 200, NULL};
        gcp_config c = config_for(p->index, i);
        gcp_report r;
        const char *why;
        if (gcp_profile("stress", allocate, &j, &c, &r) != 0) {
            p->bad++;
            snprintf(p->first_bad, sizeof p->first_bad, "gcp_profile failed: %s",
                     gcp_last_error());
            continue;
        }
        check_report(&r, &j, c.auto_gc, &why);
        p->reports++;
        p->overlapped += (r.notes & GCP_NOTE_OVERLAPPED) != 0;
        if (why && p->bad++ == 0)
            snprintf(p->first_bad, sizeof p->first_bad, "thread %d iteration %d: %s", p->index, i,
                     why);
    }
    return NULL;
}

static void *allocate_loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_allocating)) {
        job j = {5000, NULL};
        allocate(&j);
    }
    return NULL;
}

static void run_stress(void)
{
    profiler p[PROFILERS];
    pthread_t allocators[ALLOCATORS];

    atomic_store(&stop_allocating, 0);
    for (int i = 0; i < ALLOCATORS; i++)
        ck_assert_int_eq(pthread_create(&allocators[i], NULL, allocate_loop, NULL), 0);
    for (int i = 0; i < PROFILERS; i++) {
        memset(&p[i], 0, sizeof p[i]);
        p[i].index = i;
        ck_assert_int_eq(pthread_create(&p[i].thread, NULL, profile_loop, &p[i]), 0);
    }
    long overlapped = 0;
    for (int i = 0; i < PROFILERS; i++) {
        ck_assert_int_eq(pthread_join(p[i].thread, NULL), 0);
        ck_assert_msg(p[i].bad == 0, "%ld bad reports; first: %s", p[i].bad, p[i].first_bad);
        ck_assert_int_eq(p[i].reports, ITERATIONS);
        overlapped += p[i].overlapped;
    }
    atomic_store(&stop_allocating, 1);
    for (int i = 0; i < ALLOCATORS; i++)
        ck_assert_int_eq(pthread_join(allocators[i], NULL), 0);
    /* Under this load the flag is set at all. How many reports see
     * another's is the scheduler's to say (more than half here for many
     * runs, then 12,943 of 32,000 in one, on 2 vCPUs): not a figure to
     * assert. That the flag is set exactly when profiles meet, and only
     * then, is test_overlap_contract's, whose threads meet on purpose. */
    ck_assert_msg(overlapped > 0, "none of %d reports overlapped", PROFILERS * ITERATIONS);
}

/* 8 profiling threads x 4000 calls, 2 threads allocating meanwhile, under
 * the application's own hook. */
START_TEST(test_eight_threads)
{
    GC_on_collection_event_proc saved = GC_get_on_collection_event();

    GC_set_on_collection_event(app_hook);
    tu_collector_state before = tu_collector_state_now();
    unsigned long events = atomic_load(&app_hook_events);
    run_stress();
    tu_assert_collector_state(&before);
    /* The chain held: the application's hook saw the collections. */
    ck_assert_uint_gt(atomic_load(&app_hook_events), events);
    GC_set_on_collection_event(saved);
}
END_TEST

/* The application had turned automatic collection off: it stays off. */
START_TEST(test_eight_threads_app_setting_kept)
{
    GC_set_disable_automatic_collection(1);
    tu_collector_state before = tu_collector_state_now();
    run_stress();
    tu_assert_collector_state(&before);
    GC_set_disable_automatic_collection(0);
}
END_TEST

/* One thread alone is never marked overlapped, nested profiles included. */
static int nested(void *env)
{
    gcp_report r;
    job j = {10, NULL};

    (void)env;
    if (gcp_profile("inner", allocate, &j, NULL, &r) != 0)
        return 2;
    return (r.notes & GCP_NOTE_OVERLAPPED) ? 3 : 0;
}

START_TEST(test_alone_not_overlapped)
{
    gcp_report r;

    for (int i = 0; i < 50; i++) {
        ck_assert_int_eq(gcp_profile("outer", nested, NULL, NULL, &r), 0);
        ck_assert_int_eq(r.status, 0);
        ck_assert(!(r.notes & GCP_NOTE_OVERLAPPED));
    }
}
END_TEST

/* ---- what marks two threads' profiles overlapped -------------------- */

/* One side of a meeting: a profile whose closure waits until the other
 * side's closure runs too, allocates (or not), and waits again, so both
 * closures' windows surely overlap and both allocations fall inside both. */
typedef struct side {
    gcp_config cfg;
    int allocates;
    int rc;
    gcp_report r;
    pthread_t thread;
} side;

static pthread_barrier_t both_inside;

static int meet(void *env)
{
    side *s = env;
    job j = {s->allocates ? 20 : 0, NULL};

    pthread_barrier_wait(&both_inside);
    int status = allocate(&j);
    pthread_barrier_wait(&both_inside);
    return status;
}

static void *run_side(void *arg)
{
    side *s = arg;

    s->rc = gcp_profile("side", meet, s, &s->cfg, &s->r);
    return NULL;
}

typedef enum { LIGHT, WITH_RSS, COLLECTING } kind;

static gcp_config config_of(kind k)
{
    gcp_config c;

    gcp_config_init(&c);
    c.auto_gc = k == COLLECTING ? GCP_AUTO_GC_ALWAYS : GCP_AUTO_GC_OFF;
    c.heap_only = k != WITH_RSS;
    return c;
}

/* The contract (doc/profiler.md): a light profile (heap_only, auto_gc
 * off) reads RSS and collects nothing, so only its closure's runtime
 * allocations mark others; a profile that reads RSS or may collect marks
 * every profile it overlaps. */
static const struct meeting {
    kind a, b;
    int a_allocates, b_allocates;
    int a_marked, b_marked;
} meetings[] = {
    {LIGHT, LIGHT, 1, 1, 1, 1},
    {LIGHT, LIGHT, 1, 0, 0, 1}, /* only a's allocations fell in b's window */
    {LIGHT, LIGHT, 0, 0, 0, 0}, /* the documented trade-off */
    {LIGHT, WITH_RSS, 0, 0, 1, 0},
    {LIGHT, WITH_RSS, 1, 0, 1, 1},
    {LIGHT, COLLECTING, 0, 0, 1, 0},
    {WITH_RSS, WITH_RSS, 0, 0, 1, 1},
};

START_TEST(test_overlap_contract)
{
    const struct meeting *m = &meetings[_i];
    side a, b;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.cfg = config_of(m->a);
    b.cfg = config_of(m->b);
    a.allocates = m->a_allocates;
    b.allocates = m->b_allocates;
    a.rc = b.rc = -1;

    pthread_barrier_init(&both_inside, NULL, 2);
    ck_assert_int_eq(pthread_create(&a.thread, NULL, run_side, &a), 0);
    ck_assert_int_eq(pthread_create(&b.thread, NULL, run_side, &b), 0);
    pthread_join(a.thread, NULL);
    pthread_join(b.thread, NULL);
    pthread_barrier_destroy(&both_inside);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_int_eq(a.r.status, 0);
    ck_assert_int_eq(b.r.status, 0);
    ck_assert_uint_eq(a.r.objects_allocated, 20 * (m->a_allocates + m->b_allocates));
    ck_assert_msg(!!(a.r.notes & GCP_NOTE_OVERLAPPED) == m->a_marked,
                  "meeting %d: a %s marked overlapped", _i, m->a_marked ? "not" : "wrongly");
    ck_assert_msg(!!(b.r.notes & GCP_NOTE_OVERLAPPED) == m->b_marked,
                  "meeting %d: b %s marked overlapped", _i, m->b_marked ? "not" : "wrongly");
}
END_TEST

/* ---- threads the collector did not create ----------------------------- */

#undef pthread_create /* the real ones: these threads register themselves */
#undef pthread_join

static void *foreign_loop(void *arg)
{
    struct GC_stack_base sb;
    profiler *p = arg;

    if (GC_get_stack_base(&sb) != GC_SUCCESS || GC_register_my_thread(&sb) != GC_SUCCESS) {
        snprintf(p->first_bad, sizeof p->first_bad, "could not register");
        p->bad = 1;
        return NULL;
    }
    profile_loop(p);
    GC_unregister_my_thread();
    return NULL;
}

START_TEST(test_foreign_threads)
{
    profiler p[4];
    tu_collector_state before = tu_collector_state_now();

    GC_allow_register_threads();
    for (int i = 0; i < 4; i++) {
        memset(&p[i], 0, sizeof p[i]);
        p[i].index = i;
        ck_assert_int_eq(pthread_create(&p[i].thread, NULL, foreign_loop, &p[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(p[i].thread, NULL), 0);
        ck_assert_msg(p[i].bad == 0, "%s", p[i].first_bad);
        ck_assert_int_eq(p[i].reports, ITERATIONS);
    }
    tu_assert_collector_state(&before);
}
END_TEST

static Suite *stress_suite(void)
{
    Suite *s = suite_create("stress");
    TCase *threads = tcase_create("threads");

    /* A deadlock fails the test at this limit instead of hanging CI. */
    tcase_set_timeout(threads, 240);
    tcase_add_test(threads, test_alone_not_overlapped);
    tcase_add_test(threads, test_eight_threads);
    tcase_add_test(threads, test_eight_threads_app_setting_kept);
    tcase_add_test(threads, test_foreign_threads);
    tcase_add_loop_test(threads, test_overlap_contract, 0,
                        (int)(sizeof meetings / sizeof meetings[0]));
    suite_add_tcase(s, threads);
    return s;
}

int main(void)
{
    return tu_run(stress_suite());
}
