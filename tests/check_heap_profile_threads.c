/*
 * check_heap_profile_threads.c - the runtime's heap profiles
 * (gcp_heap_profile_start/stop/write, include/gcprof.h) at rate 1 off
 * the main thread's stack and across fork: threads of GC_pthread_create
 * and plain ones, a coroutine's stack (makecontext) where the unwinder
 * has no room, and a forked child, whose profile starts empty. Every
 * expected figure is the test's own measurement (heap_profile_util.h),
 * read against the raw dump by the test's own parser
 * (heap_profile_dump.h).
 *
 * A site is a function of this file (noinline, no clones, exported with
 * -export-dynamic): a stack belongs to it when dladdr names it for the
 * innermost return address, minus one.
 *
 * Built twice: check_heap_profile_threads links the shared library;
 * check_heap_profile_threads_static links the library's code itself
 * (libgcprof_core.la), whose own GC_* calls are then redirected too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

/* The plain pthread_create and pthread_join, before <gc/gc.h> redirects
 * the names to GC_pthread_*: threads the library registers itself (and
 * that GC_pthread_join would not know). */
static int (*const plain_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                         void *) = pthread_create;
static int (*const plain_pthread_join)(pthread_t, void **) = pthread_join;

#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "heap_profile_util.h"
#include "testutil.h"

/* ---- threads, exactly ----------------------------------------------------------------- */

#define NTHREADS   4
#define PER_THREAD 2000

typedef struct worker {
    truth raw, rt;
    int index;
} worker;

static void *volatile thread_keep[NTHREADS][2 * PER_THREAD]; /* raw's, rt's */

void hp_thread_raw(worker *w, int i);
void hp_thread_rt(worker *w, int i);

SITE void hp_thread_raw(worker *w, int i)
{
    void *p = GC_MALLOC(32 + (size_t)(i % 5) * 8);
    note_at(&w->raw, p, i % 2 == 0, &thread_keep[w->index][2 * i]);
}

SITE void hp_thread_rt(worker *w, int i)
{
    void *p = gcp_alloc(24 + (size_t)(i % 3) * 8);
    note_at(&w->rt, p, i % 3 == 0, &thread_keep[w->index][2 * i + 1]);
}

/* The runtime's allocation first: a thread of the plain pthread_create is
 * registered with the collector by it, then may call GC_MALLOC. */
static void *worker_main(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < PER_THREAD; i++) {
        hp_thread_rt(w, i);
        hp_thread_raw(w, i);
    }
    return NULL;
}

START_TEST(test_threads_exact)
{
    worker w[NTHREADS];
    pthread_t tid[NTHREADS];
    truth *all[2 * NTHREADS];
    expect e[2 * NTHREADS];
    hp_dump d;

    memset(w, 0, sizeof w);
    for (int k = 0; k < NTHREADS; k++) {
        w[k].index = k;
        w[k].raw = (truth){"hp_thread_raw", "normal", NULL, 0, 0};
        w[k].rt = (truth){"hp_thread_rt", "normal", NULL, 0, 0};
        all[2 * k] = &w[k].raw;
        all[2 * k + 1] = &w[k].rt;
    }
    start_rate(1, 0);
    GC_disable();
    /* Two threads through GC_pthread_create, two plain ones. */
    for (int k = 0; k < NTHREADS; k++) {
        int rc = k % 2 ? plain_pthread_create(&tid[k], NULL, worker_main, &w[k])
                       : pthread_create(&tid[k], NULL, worker_main, &w[k]);
        ck_assert_int_eq(rc, 0);
    }
    for (int k = 0; k < NTHREADS; k++)
        ck_assert_int_eq(k % 2 ? plain_pthread_join(tid[k], NULL) : pthread_join(tid[k], NULL), 0);
    GC_enable();
    collect_and_measure(all, 2 * NTHREADS, e);
    write_named("threads.raw", &d);
    /* Per site, the threads' figures added up. */
    for (int s = 0; s < 2; s++) {
        truth sum = {s ? "hp_thread_rt" : "hp_thread_raw", "normal", NULL, 0, 0};
        expect total;
        memset(&total, 0, sizeof total);
        for (int k = 0; k < NTHREADS; k++)
            expect_add(&total, &e[2 * k + s]);
        ck_assert_int_eq(total.alloc_objects, NTHREADS * PER_THREAD);
        assert_site_exact(&d, &sum, &total);
    }
    hp_dump_free(&d);
    for (int k = 0; k < NTHREADS; k++) {
        for (int i = 0; i < 2 * PER_THREAD; i++)
            thread_keep[k][i] = NULL;
        truth_free(&w[k].raw);
        truth_free(&w[k].rt);
    }
}
END_TEST

#if !HP_ASAN /* ASan does not follow swapcontext: see main */
/* Allocations on a stack without room for the unwinder's walk below it:
 * a coroutine's (makecontext), outside the thread's known stack, so the
 * runtime walks nothing there (a thread's small stack is the other case,
 * but there libgc itself may run out of stack). At rate 1 every
 * allocation still counts, charged to the first frame outside the
 * allocation path (runtime/heap/heap_sample.c, stack_of), as the one
 * frame of its stack. Collection is off meanwhile: the collector does not
 * know the coroutine's stack (what it allocates is kept in
 * coroutine_keep[]). */
#define COROUTINE_STACK   (1 << 20)
#define COROUTINE_N       100
#define COROUTINE_BATCHES 3

typedef struct coroutine_job {
    truth raw, rt, many;
} coroutine_job;

static void *volatile coroutine_keep[2 * COROUTINE_N + COROUTINE_BATCHES];
static coroutine_job *coroutine_arg;
static ucontext_t coroutine_ctx, coroutine_return;

void hp_coroutine_raw(coroutine_job *j, int i);
void hp_coroutine_rt(coroutine_job *j, int i);
void hp_coroutine_many(coroutine_job *j, int i);

SITE void hp_coroutine_raw(coroutine_job *j, int i)
{
    void *p = GC_MALLOC(40);
    note_at(&j->raw, p, 1, &coroutine_keep[2 * i]);
}

SITE void hp_coroutine_rt(coroutine_job *j, int i)
{
    void *p = gcp_alloc(40);
    note_at(&j->rt, p, 1, &coroutine_keep[2 * i + 1]);
}

/* A batch: its first object kept, the others dropped. */
SITE void hp_coroutine_many(coroutine_job *j, int i)
{
    void *list = GC_malloc_many(48), *next;

    if (!list)
        abort();
    coroutine_keep[2 * COROUTINE_N + i] = list;
    for (void *p = list; p; p = next) {
        next = GC_NEXT(p);
        GC_NEXT(p) = NULL;
        note(&j->many, p, p == list);
    }
}

static void coroutine_main(void)
{
    coroutine_job *j = coroutine_arg;

    for (int i = 0; i < COROUTINE_N; i++) {
        hp_coroutine_rt(j, i);
        hp_coroutine_raw(j, i);
    }
    for (int i = 0; i < COROUTINE_BATCHES; i++)
        hp_coroutine_many(j, i);
}

START_TEST(test_coroutine_stack)
{
    coroutine_job j = {{"hp_coroutine_raw", "normal", NULL, 0, 0},
                       {"hp_coroutine_rt", "normal", NULL, 0, 0},
                       {"hp_coroutine_many", "normal", NULL, 0, 0}};
    truth *all[3] = {&j.raw, &j.rt, &j.many};
    expect e[3];
    void *stack =
        mmap(NULL, COROUTINE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    ck_assert_ptr_ne(stack, MAP_FAILED);
    ck_assert_int_eq(getcontext(&coroutine_ctx), 0);
    coroutine_ctx.uc_stack.ss_sp = stack;
    coroutine_ctx.uc_stack.ss_size = COROUTINE_STACK;
    coroutine_ctx.uc_link = &coroutine_return;
    makecontext(&coroutine_ctx, coroutine_main, 0);
    coroutine_arg = &j;
    start_rate(1, 0);
    GC_disable();
    ck_assert_int_eq(swapcontext(&coroutine_return, &coroutine_ctx), 0);
    GC_enable();
    ck_assert_int_eq(munmap(stack, COROUTINE_STACK), 0);
    ck_assert_int_eq(j.raw.n, COROUTINE_N);
    collect_and_measure(all, 3, e);
    assert_written_exact("coroutine.raw", all, e, 3);
    for (int i = 0; i < TU_ROWS(coroutine_keep); i++)
        coroutine_keep[i] = NULL;
    truths_free(all, 3);
}
END_TEST
#endif /* !HP_ASAN */

/* ---- fork ----------------------------------------------------------------------------- */

void hp_site_before_fork(truth *t, int i);
void hp_site_in_child(truth *t, int i);

SITE void hp_site_before_fork(truth *t, int i)
{
    void *p = GC_MALLOC(72);
    note_kept(t, p, i % 2 == 0);
}

/* In the child: no Check calls. */
SITE void hp_site_in_child(truth *t, int i)
{
    void *p = i % 2 ? GC_MALLOC(56) : gcp_alloc(56);
    if (!p)
        _exit(90);
    note(t, p, 1);
    keep[i] = p;
}

/* The child's checks: its exit status, 0 when all hold; what failed on
 * stderr. */
static int child_checks(void)
{
    char path[512];
    hp_dump d;
    const char *why;
    truth t = {"hp_site_in_child", "normal", NULL, 0, 0};
    enum { M = 50 };

    in_tmpdir(path, sizeof path, "child-0.raw");
    if (gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW) != 0) {
        fprintf(stderr, "child: write: %s\n", gcp_last_error());
        return 10;
    }
    if ((why = hp_read(path, &d)) != NULL) {
        fprintf(stderr, "child: %s\n", why);
        return 11;
    }
    if (d.pid != (long)getpid()) {
        fprintf(stderr, "child: pid %ld in its dump\n", d.pid);
        return 12;
    }
    for (size_t i = 0; i < d.n; i++) {
        fprintf(stderr, "child: the parent's stack %s %" PRId64 " ... at %s\n", d.stacks[i].kind,
                d.stacks[i].v[0], d.stacks[i].site);
    }
    if (d.n) {
        hp_dump_free(&d);
        return 13;
    }
    hp_dump_free(&d);
    /* The child's own allocations are sampled, at the parent's rate. */
    for (int i = 0; i < M; i++)
        hp_site_in_child(&t, i);
    in_tmpdir(path, sizeof path, "child-1.raw");
    if (gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW) != 0 || hp_read(path, &d) != NULL) {
        fprintf(stderr, "child: second write: %s\n", gcp_last_error());
        return 14;
    }
    tally g = site_tally(&d, t.site, NULL);
    tally p = site_tally(&d, "hp_site_before_fork", NULL);
    int64_t bytes = 0;
    for (size_t i = 0; i < t.n; i++)
        bytes += (int64_t)t.r[i].size;
    int rc = 0;
    if (d.rate != 1 || g.v[ALLOC_OBJECTS] != M || g.v[ALLOC_BYTES] != bytes || p.stacks) {
        fprintf(stderr,
                "child: rate %" PRIu64 ", %" PRId64 " objects %" PRId64 " bytes at %s "
                "(made %d, %" PRId64 "), %d stacks of the parent's site\n",
                d.rate, g.v[ALLOC_OBJECTS], g.v[ALLOC_BYTES], t.site, M, bytes, p.stacks);
        rc = 15;
    }
    hp_dump_free(&d);
    truth_free(&t);
    return rc;
}

START_TEST(test_fork_child_starts_empty)
{
    truth t = {"hp_site_before_fork", "normal", NULL, 0, 0};
    truth *all[1] = {&t};
    expect e[1];
    hp_dump d;
    int status;

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < 100; i++)
        hp_site_before_fork(&t, i);
    GC_enable();
    collect_and_measure(all, 1, e);

    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child_checks());
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "[%s] the forked child's checks failed: status 0x%x (see its stderr)", VARIANT,
                  status);

    /* The parent's profile is its own still. */
    write_named("parent.raw", &d);
    assert_site_exact(&d, &t, &e[0]);
    ck_assert_int_eq(site_tally(&d, "hp_site_in_child", NULL).stacks, 0);
    hp_dump_free(&d);
    keep_clear();
    truth_free(&t);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("heap_profile_threads");
    TCase *exact = hp_tcase(s, "exact", 60);

    tcase_add_test(exact, test_threads_exact);
    /* AddressSanitizer does not follow swapcontext (it warns so, in the
     * sanitizer job's logs, and may report false errors): there the
     * coroutine case is left to the plain builds. */
#if !HP_ASAN
    tcase_add_test(exact, test_coroutine_stack);
#endif
    tcase_add_test(exact, test_fork_child_starts_empty);
    return tu_run(s);
}
