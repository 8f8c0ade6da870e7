/*
 * check_got_hook.c - calls to the collector redirected by rewriting GOT
 * entries (runtime/heap/got_hook.c), white-box. The callers are this
 * program (its own PLT calls; check_got_hook_now is the same source
 * built -fno-plt -Wl,-z,now,-z,relro, so its entries are GLOB_DAT and
 * read-only) and two shared objects (tests/got_peer.h): "lazy", bound on
 * first call, and "now", full RELRO. Counts are exact: a counting
 * replacement forwards to hook.original and the test knows how many calls
 * it made.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dl_iterate_phdr */
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_inline.h> /* GC_malloc_kind */

#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "got_hook.h"
#include "got_peer.h"
#include "testutil.h"

enum { H_MALLOC, H_ATOMIC, H_FREE, H_KIND, N_HOOKS };

static atomic_long counts[N_HOOKS];
static gcp__got_hook hooks[N_HOOKS];

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);
typedef void *(*kind_fn)(size_t, int);

static void *count_malloc(size_t n)
{
    atomic_fetch_add(&counts[H_MALLOC], 1);
    return ((malloc_fn)hooks[H_MALLOC].original)(n);
}

static void *count_atomic(size_t n)
{
    atomic_fetch_add(&counts[H_ATOMIC], 1);
    return ((malloc_fn)hooks[H_ATOMIC].original)(n);
}

static void count_free(void *p)
{
    atomic_fetch_add(&counts[H_FREE], 1);
    ((free_fn)hooks[H_FREE].original)(p);
}

static void *count_kind(size_t n, int k)
{
    atomic_fetch_add(&counts[H_KIND], 1);
    return ((kind_fn)hooks[H_KIND].original)(n, k);
}

static void setup(void)
{
    hooks[H_MALLOC] = (gcp__got_hook){"GC_malloc", (void *)count_malloc, NULL};
    hooks[H_ATOMIC] = (gcp__got_hook){"GC_malloc_atomic", (void *)count_atomic, NULL};
    hooks[H_FREE] = (gcp__got_hook){"GC_free", (void *)count_free, NULL};
    hooks[H_KIND] = (gcp__got_hook){"GC_malloc_kind", (void *)count_kind, NULL};
    for (int i = 0; i < N_HOOKS; i++)
        atomic_store(&counts[i], 0);
}

static void teardown(void)
{
    gcp__got_restore(hooks, N_HOOKS);
    ck_assert_uint_eq(gcp__got_redirected(), 0);
}

/* This program's own calls, through its PLT (or, built -fno-plt, its GOT). */
__attribute__((noinline)) static void *exe_malloc(size_t n)
{
    return GC_malloc(n);
}

__attribute__((noinline)) static void *exe_malloc_atomic(size_t n)
{
    return GC_malloc_atomic(n);
}

__attribute__((noinline)) static void exe_free(void *p)
{
    GC_free(p);
}

typedef struct caller {
    const char *name;
    malloc_fn alloc, alloc_atomic;
    free_fn free;
} caller;

static const caller callers[] = {
    {"program", exe_malloc, exe_malloc_atomic, exe_free},
    {"lazy peer", got_peer_lazy_malloc, got_peer_lazy_malloc_atomic, got_peer_lazy_free},
    {"now peer", got_peer_now_malloc, got_peer_now_malloc_atomic, got_peer_now_free},
};
#define N_CALLERS (sizeof callers / sizeof callers[0])

/* A live object of the collector's, of at least n bytes, usable. */
static void check_object(void *p, size_t n)
{
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(GC_base(p), p);
    ck_assert_uint_ge(GC_size(p), n);
    memset(p, 0xab, n);
}

#define N_CALLS 1000

/* n calls of each kind from caller c; the objects are freed explicitly */
static void exercise(const caller *c, int n)
{
    for (int i = 0; i < n; i++) {
        void *p = c->alloc(48), *q = c->alloc_atomic(100);

        check_object(p, 48);
        check_object(q, 100);
        c->free(p);
        c->free(q);
    }
}

START_TEST(test_counts_exact)
{
    int rewritten = gcp__got_redirect(hooks, 3, NULL), restored;

    ck_assert_msg(rewritten >= 3 * (int)N_CALLERS, "%d entries: %s", rewritten, gcp_last_error());
    ck_assert_ptr_nonnull(hooks[H_MALLOC].original);
    ck_assert_ptr_eq(hooks[H_MALLOC].original, dlsym(RTLD_DEFAULT, "GC_malloc"));
    ck_assert_uint_eq(gcp__got_redirected(), (size_t)rewritten);
    for (size_t k = 0; k < N_CALLERS; k++) {
        long before[3] = {counts[H_MALLOC], counts[H_ATOMIC], counts[H_FREE]};

        exercise(&callers[k], N_CALLS);
        ck_assert_msg(counts[H_MALLOC] - before[0] == N_CALLS, "%s: %ld GC_malloc counted",
                      callers[k].name, counts[H_MALLOC] - before[0]);
        ck_assert_int_eq(counts[H_ATOMIC] - before[1], N_CALLS);
        ck_assert_int_eq(counts[H_FREE] - before[2], 2 * N_CALLS);
    }

    restored = gcp__got_restore(hooks, 3);
    ck_assert_int_eq(restored, rewritten);
    ck_assert_uint_eq(gcp__got_redirected(), 0);
    for (size_t k = 0; k < N_CALLERS; k++)
        exercise(&callers[k], N_CALLS);
    ck_assert_int_eq(counts[H_MALLOC], N_CALLERS * N_CALLS);
    ck_assert_int_eq(counts[H_ATOMIC], N_CALLERS * N_CALLS);
    ck_assert_int_eq(counts[H_FREE], 2 * N_CALLERS * N_CALLS);
}
END_TEST

/* An entry bound lazily and never called holds its own PLT stub: it is
 * rewritten too, and put back it still binds on the next call. */
START_TEST(test_lazy_unbound)
{
    /* a fresh process (this test's fork) whose lazy peer never called
     * GC_malloc_atomic: only after a redirect does it */
    gcp__got_hook one[1] = {{"GC_malloc_atomic", (void *)count_atomic, NULL}};

    hooks[H_ATOMIC] = one[0];
    ck_assert_int_gt(gcp__got_redirect(one, 1, NULL), 0);
    hooks[H_ATOMIC].original = one[0].original;
    check_object(got_peer_lazy_malloc_atomic(10), 10);
    ck_assert_int_eq(counts[H_ATOMIC], 1);
    ck_assert_int_gt(gcp__got_restore(one, 1), 0);
    check_object(got_peer_lazy_malloc_atomic(10), 10);
    ck_assert_int_eq(counts[H_ATOMIC], 1);
}
END_TEST

/* The now peer's entries lie in PT_GNU_RELRO, read-only pages: they are
 * rewritten and the pages are read-only again after. */
typedef struct relro {
    uintptr_t start, end;
    int bind_now;
} relro;

static int find_now_peer(struct dl_phdr_info *info, size_t size, void *data)
{
    relro *r = data;
    long ps = sysconf(_SC_PAGESIZE);

    (void)size;
    if (!strstr(info->dlpi_name, "libgotpeer_now"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

        if (ph->p_type == PT_GNU_RELRO) {
            r->start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(ps - 1);
            r->end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(uintptr_t)(ps - 1);
        } else if (ph->p_type == PT_DYNAMIC) {
            const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);

            for (; d->d_tag != DT_NULL; d++)
                if ((d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_BIND_NOW)) ||
                    (d->d_tag == DT_FLAGS_1 && (d->d_un.d_val & DF_1_NOW)))
                    r->bind_now = 1;
        }
    }
    return 1;
}

/* 1 when every page of [start, end) is mapped without write permission,
 * read from /proc/self/maps. */
static int read_only(uintptr_t start, uintptr_t end)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], perms[8];
    unsigned long lo, hi;
    uintptr_t covered = start;

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo < end && hi > start) {
            if (perms[1] == 'w') {
                fclose(f);
                return 0;
            }
            if (lo <= covered)
                covered = hi;
        }
    fclose(f);
    return covered >= end;
}

START_TEST(test_full_relro)
{
    relro r = {0, 0, 0};
    long before;
    int rewritten;

    dl_iterate_phdr(find_now_peer, &r);
    ck_assert_msg(r.end > r.start, "libgotpeer_now has no RELRO page");
    ck_assert_msg(r.bind_now, "libgotpeer_now is not linked -z now");
    ck_assert(read_only(r.start, r.end));

    rewritten = gcp__got_redirect(hooks, N_HOOKS, NULL);
    ck_assert_msg(rewritten > 0, "%s", gcp_last_error());
    ck_assert(read_only(r.start, r.end));
    before = counts[H_MALLOC];
    exercise(&callers[2], N_CALLS);
    ck_assert_int_eq(counts[H_MALLOC] - before, N_CALLS);

    ck_assert_int_eq(gcp__got_restore(hooks, N_HOOKS), rewritten);
    ck_assert(read_only(r.start, r.end));
    before = counts[H_MALLOC];
    exercise(&callers[2], N_CALLS);
    ck_assert_int_eq(counts[H_MALLOC], before);
}
END_TEST

/* libgc's own GC_malloc -> GC_malloc_kind call (through its own PLT on
 * Debian) is not redirected: one count per GC_malloc, none for the kind. */
START_TEST(test_collector_calls_stay_inside)
{
    ck_assert_int_gt(gcp__got_redirect(hooks, N_HOOKS, NULL), 0);
    for (size_t k = 0; k < N_CALLERS; k++)
        exercise(&callers[k], N_CALLS);
    ck_assert_int_eq(counts[H_MALLOC], N_CALLERS * N_CALLS);
    ck_assert_int_eq(counts[H_ATOMIC], N_CALLERS * N_CALLS);
    ck_assert_int_eq(counts[H_KIND], 0);
    /* the program's own call to GC_malloc_kind is counted */
    check_object(GC_malloc_kind(16, 1), 16);
    ck_assert_int_eq(counts[H_KIND], 1);
}
END_TEST

START_TEST(test_exclude)
{
    const char *const exclude[] = {"libgotpeer_lazy.so", NULL};
    int rewritten = gcp__got_redirect(hooks, 1, exclude);

    ck_assert_int_gt(rewritten, 0);
    exercise(&callers[1], 10);
    ck_assert_int_eq(counts[H_MALLOC], 0);
    exercise(&callers[0], 10);
    exercise(&callers[2], 10);
    ck_assert_int_eq(counts[H_MALLOC], 20);
    ck_assert_int_eq(gcp__got_restore(hooks, 1), rewritten);
}
END_TEST

/* The main program is excluded by the file name of /proc/self/exe. */
START_TEST(test_exclude_program)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *exclude[2] = {NULL, NULL};

    ck_assert_int_gt(len, 0);
    exe[len] = '\0';
    exclude[0] = strrchr(exe, '/') + 1;
    ck_assert_int_gt(gcp__got_redirect(hooks, 1, exclude), 0);
    exercise(&callers[0], 10);
    ck_assert_int_eq(counts[H_MALLOC], 0);
    exercise(&callers[1], 10);
    ck_assert_int_eq(counts[H_MALLOC], 10);
}
END_TEST

/* Again with the same hooks: nothing new. Another replacement for an
 * entry that already holds ours: left alone (it is not bound to the
 * original any more), and putting ours back still works. */
START_TEST(test_twice_and_foreign)
{
    gcp__got_hook other[1] = {{"GC_malloc", (void *)count_atomic, NULL}};
    int rewritten = gcp__got_redirect(hooks, 1, NULL);

    ck_assert_int_gt(rewritten, 0);
    ck_assert_int_eq(gcp__got_redirect(hooks, 1, NULL), 0);
    ck_assert_int_eq(gcp__got_redirect(other, 1, NULL), 0);
    exercise(&callers[0], 5);
    ck_assert_int_eq(counts[H_MALLOC], 5);
    ck_assert_int_eq(counts[H_ATOMIC], 0);
    ck_assert_int_eq(gcp__got_restore(other, 1), 0); /* none of its own */
    ck_assert_int_eq(gcp__got_restore(hooks, 1), rewritten);
    ck_assert_int_eq(gcp__got_restore(hooks, 1), 0);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

static atomic_int stop;
static atomic_long allocated;
static atomic_int ready; /* threads through their first loop: every entry bound */

static void *allocate_loop(void *arg)
{
    long failed = 0, loops = 0;

    (void)arg;
    while (!atomic_load(&stop)) {
        for (size_t k = 0; k < N_CALLERS; k++) {
            void *p = callers[k].alloc(32), *q = callers[k].alloc_atomic(64);

            if (!p || GC_base(p) != p || !q || GC_base(q) != q)
                failed++;
            else {
                memset(p, 1, 32);
                memset(q, 2, 64);
                callers[k].free(q);
            }
            atomic_fetch_add(&allocated, 2);
        }
        if (!loops++)
            atomic_fetch_add(&ready, 1);
    }
    return (void *)failed;
}

START_TEST(test_toggle_under_threads)
{
    pthread_t t[2];
    int first = 0;

    atomic_store(&stop, 0);
    atomic_store(&ready, 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, allocate_loop, NULL), 0);
    /* Not while a lazy entry is being bound: the dynamic linker's write
     * would land on our replacement (got_hook.h says so). */
    while (atomic_load(&ready) < 2)
        sched_yield();
    for (int round = 0; round < 100; round++) {
        int rewritten = gcp__got_redirect(hooks, N_HOOKS, NULL), restored;

        ck_assert_msg(rewritten > 0, "round %d: %d: %s", round, rewritten, gcp_last_error());
        if (!first)
            first = rewritten;
        ck_assert_int_eq(rewritten, first);
        restored = gcp__got_restore(hooks, N_HOOKS);
        ck_assert_int_eq(restored, rewritten);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++) {
        void *failed;

        ck_assert_int_eq(pthread_join(t[i], &failed), 0);
        ck_assert_ptr_null(failed);
    }
    ck_assert_int_gt(atomic_load(&allocated), 0);
    ck_assert_int_le(counts[H_MALLOC] + counts[H_ATOMIC], atomic_load(&allocated));
    ck_assert_int_eq(counts[H_KIND], 0);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

START_TEST(test_unknown_symbol)
{
    gcp__got_hook h[2] = {{"gcp_no_such_function_anywhere", (void *)count_malloc, (void *)1},
                          {"GC_malloc", (void *)count_malloc, NULL}};

    ck_assert_int_eq(gcp__got_redirect(h, 1, NULL), 0);
    ck_assert_ptr_null(h[0].original);
    ck_assert_uint_eq(gcp__got_redirected(), 0);
    ck_assert_int_eq(gcp__got_restore(h, 1), 0);
    /* beside a known one, the unknown one changes nothing */
    ck_assert_int_gt(gcp__got_redirect(h, 2, NULL), 0);
    hooks[H_MALLOC].original = h[1].original;
    check_object(exe_malloc(8), 8);
    ck_assert_int_eq(counts[H_MALLOC], 1);
    ck_assert_int_gt(gcp__got_restore(h, 2), 0);
}
END_TEST

START_TEST(test_bad_arguments)
{
    gcp__got_hook no_name[1] = {{NULL, (void *)count_malloc, NULL}};
    gcp__got_hook no_fn[1] = {{"GC_malloc", NULL, NULL}};

    ck_assert_int_eq(gcp__got_redirect(NULL, 1, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "no hooks"));
    ck_assert_int_eq(gcp__got_redirect(hooks, 0, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "n is 0"));
    ck_assert_int_eq(gcp__got_redirect(no_name, 1, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "no name"));
    ck_assert_int_eq(gcp__got_redirect(no_fn, 1, NULL), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "no replacement"));
    ck_assert_int_eq(gcp__got_restore(NULL, 3), GCP_EINVAL);
    ck_assert_int_eq(gcp__got_restore(hooks, 0), GCP_EINVAL);
    ck_assert_uint_eq(gcp__got_redirected(), 0);
}
END_TEST

static Suite *make_got_hook_suite(void)
{
    Suite *s = suite_create("got_hook");
    TCase *core = tcase_create("core");
    TCase *threads = tcase_create("threads");
    TCase *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, test_counts_exact);
    tcase_add_test(core, test_lazy_unbound);
    tcase_add_test(core, test_full_relro);
    tcase_add_test(core, test_collector_calls_stay_inside);
    tcase_add_test(core, test_exclude);
    tcase_add_test(core, test_exclude_program);
    tcase_add_test(core, test_twice_and_foreign);
    suite_add_tcase(s, core);

    tcase_add_checked_fixture(threads, setup, teardown);
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, test_toggle_under_threads);
    suite_add_tcase(s, threads);

    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, test_unknown_symbol);
    tcase_add_test(errors, test_bad_arguments);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_got_hook_suite());
}
