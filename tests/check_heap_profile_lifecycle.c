/*
 * check_heap_profile_lifecycle.c - the runtime's heap profiles
 * (gcp_heap_profile_start/stop/write, include/gcprof.h) at rate 1, over
 * an object's life and the profile's: GC_FREE and a moving GC_REALLOC
 * drop a sample at once, in use follows collections, a stopped profile
 * keeps its figures and a new one starts empty (also after one at
 * another rate), and GCP_HEAP_PROFILE_RUNTIME_ONLY counts the runtime's
 * allocations alone. Every expected figure is the test's own measurement
 * (heap_profile_util.h), read against the raw dump by the test's own
 * parser (heap_profile_dump.h).
 *
 * A site is a function of this file (noinline, no clones, exported with
 * -export-dynamic): a stack belongs to it when dladdr names it for the
 * innermost return address, minus one.
 *
 * Built twice: check_heap_profile_lifecycle links the shared library;
 * check_heap_profile_lifecycle_static links the library's code itself
 * (libgcprof_core.la), whose own GC_* calls are then redirected too.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gcprof.h"
#include "heap_profile_util.h"
#include "testutil.h"

/* ---- GC_FREE and a moving GC_REALLOC drop a sample at once ------------------------- */

void hp_site_to_free(truth *t, int i);
void hp_site_to_move(truth *t, int i);
void hp_site_moved(truth *t, size_t index);

SITE void hp_site_to_free(truth *t, int i)
{
    void *p = GC_MALLOC(64 + (size_t)(i % 4) * 8);
    note_kept(t, p, 1);
}

SITE void hp_site_to_move(truth *t, int i)
{
    void *p = GC_MALLOC(32 + (size_t)(i % 2) * 8);
    note_kept(t, p, 1);
}

/* Grows the kept object at keep[index] (hp_site_to_move's) to 2000 bytes. */
SITE void hp_site_moved(truth *t, size_t index)
{
    void *old = keep[index];
    void *p = GC_REALLOC(old, 2000);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_ne(p, old);
    note(t, p, 1);
    keep[index] = p;
}

START_TEST(test_free_and_realloc_drop_at_once)
{
    truth tf = {"hp_site_to_free", "normal", NULL, 0, 0};
    truth tm = {"hp_site_to_move", "normal", NULL, 0, 0};
    truth tn = {"hp_site_moved", "normal", NULL, 0, 0};
    truth *all[3] = {&tf, &tm, &tn};
    expect e[3];
    hp_dump d;
    enum { N = 200 };

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < N; i++)
        hp_site_to_free(&tf, i);
    size_t move_from = nkeep;
    for (int i = 0; i < N; i++)
        hp_site_to_move(&tm, i);
    GC_enable();
    collect_and_measure(all, 2, e);
    assert_written_exact("before.raw", all, e, 2);

    /* No collection from here to the next write. */
    GC_disable();
    unsigned long gc_before = (unsigned long)GC_get_gc_no();
    for (size_t i = 0; i < N; i++) {
        GC_FREE(keep[i]);
        keep[i] = NULL;
        tf.r[i].freed = 1;
    }
    for (size_t i = 0; i < N; i++) {
        hp_site_moved(&tn, move_from + i);
        tm.r[i].freed = 1;
        tm.r[i].kept = 0;
    }
    write_named("after.raw", &d);
    ck_assert_uint_eq((unsigned long)GC_get_gc_no(), gc_before);
    tally f = site_tally(&d, "hp_site_to_free", "normal");
    tally m = site_tally(&d, "hp_site_to_move", "normal");
    tally n = site_tally(&d, "hp_site_moved", "normal");
    ck_assert_int_eq(f.v[ALLOC_OBJECTS], N);
    ck_assert_msg(f.v[INUSE_OBJECTS] == 0 && f.v[INUSE_BYTES] == 0,
                  "[%s] GC_FREE'd objects in use before any collection: %" PRId64, VARIANT,
                  f.v[INUSE_OBJECTS]);
    ck_assert_int_eq(m.v[ALLOC_OBJECTS], N);
    ck_assert_msg(m.v[INUSE_OBJECTS] == 0 && m.v[INUSE_BYTES] == 0,
                  "[%s] objects GC_REALLOC moved still in use before any collection: %" PRId64,
                  VARIANT, m.v[INUSE_OBJECTS]);
    /* The new objects: allocated, and in use only once a collection says so. */
    ck_assert_int_eq(n.v[ALLOC_OBJECTS], N);
    ck_assert_int_eq(n.v[INUSE_OBJECTS], 0);
    hp_dump_free(&d);
    GC_enable();

    collect_and_measure(all, 3, e);
    assert_written_exact("collected.raw", all, e, 3);
    ck_assert_int_eq(e[2].kept_objects, N);
    keep_clear();
    truths_free(all, 3);
}
END_TEST

/* ---- in use follows collections -------------------------------------------------- */

void hp_site_follow_raw(truth *t, int i);
void hp_site_follow_rt(truth *t, int i);

SITE void hp_site_follow_raw(truth *t, int i)
{
    void *p = GC_MALLOC(48 + (size_t)(i % 3) * 16);
    note_kept(t, p, 1);
}

SITE void hp_site_follow_rt(truth *t, int i)
{
    void *p = gcp_alloc(48 + (size_t)(i % 3) * 16);
    note_kept(t, p, 1);
}

/* Drops the kept objects of t whose index in t satisfies drop(i); t's
 * objects are keep[first ...]. */
static void drop_kept(truth *t, size_t first, int every)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->r[i].kept && (every == 1 || i % (size_t)every == 0)) {
            keep[first + i] = NULL;
            t->r[i].kept = 0;
        }
}

START_TEST(test_in_use_follows_collections)
{
    truth raw = {"hp_site_follow_raw", "normal", NULL, 0, 0};
    truth rt = {"hp_site_follow_rt", "normal", NULL, 0, 0};
    truth *all[2] = {&raw, &rt};
    expect e[2];
    hp_dump d;
    enum { N = 600 };

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < N; i++)
        hp_site_follow_raw(&raw, i);
    for (int i = 0; i < N; i++)
        hp_site_follow_rt(&rt, i);
    GC_enable();

    /* Before any collection nothing is in use yet. */
    write_named("0.raw", &d);
    ck_assert_int_eq(site_tally(&d, raw.site, NULL).v[ALLOC_OBJECTS], N);
    ck_assert_int_eq(site_tally(&d, raw.site, NULL).v[INUSE_OBJECTS], 0);
    ck_assert_int_eq(site_tally(&d, rt.site, NULL).v[INUSE_OBJECTS], 0);
    hp_dump_free(&d);

    /* All kept; then a third dropped; then all dropped. */
    static const int every[] = {0, 3, 1};
    for (int step = 0; step < 3; step++) {
        if (every[step]) {
            drop_kept(&raw, 0, every[step]);
            drop_kept(&rt, N, every[step]);
        }
        collect_and_measure(all, 2, e);
        char name[32];
        snprintf(name, sizeof name, "%d.raw", step + 1);
        assert_written_exact(name, all, e, 2);
    }
    ck_assert_int_eq(e[0].kept_objects, 0);
    ck_assert_int_eq(e[1].kept_objects, 0);
    truths_free(all, 2);
}
END_TEST

/* ---- stop, write after it, start again -------------------------------------------- */

void hp_site_life_raw(truth *t, int i);
void hp_site_life_rt(truth *t, int i);

SITE void hp_site_life_raw(truth *t, int i)
{
    void *p = GC_MALLOC(40);
    note_kept(t, p, i % 2 == 0);
}

SITE void hp_site_life_rt(truth *t, int i)
{
    void *p = gcp_alloc(40);
    note_kept(t, p, i % 2 == 0);
}

/* The two sites' records side by side, as measure and the asserts take
 * them. */
typedef struct life {
    truth raw, rt;
    truth *all[2];
} life;

static void life_init(life *l)
{
    l->raw = (truth){"hp_site_life_raw", "normal", NULL, 0, 0};
    l->rt = (truth){"hp_site_life_rt", "normal", NULL, 0, 0};
    l->all[0] = &l->raw;
    l->all[1] = &l->rt;
}

static void life_round(life *l, int n)
{
    GC_disable();
    for (int i = 0; i < n; i++) {
        hp_site_life_raw(&l->raw, i);
        hp_site_life_rt(&l->rt, i);
    }
    GC_enable();
}

START_TEST(test_stop_and_start_again)
{
    life now, ignored;
    expect e[2];
    hp_dump d;

    life_init(&now);
    life_init(&ignored);
    keep_clear();
    start_rate(1, 0);
    life_round(&now, 100);
    collect_and_measure(now.all, 2, e);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);

    /* After the stop: neither entry point counts. */
    life_round(&ignored, 150);
    collect(); /* and no sweep changes the stopped profile */
    assert_written_exact("stopped.raw", now.all, e, 2);

    /* Started again: empty, whatever the old one had. */
    start_rate(1, 0);
    write_named("fresh.raw", &d);
    ck_assert_msg(d.n == 0, "[%s] a fresh profile has %zu stacks (first: %s at %s)", VARIANT, d.n,
                  d.n ? d.stacks[0].kind : "", d.n ? d.stacks[0].site : "");
    ck_assert_msg(!d.have_gc_no || d.gc_no == 0, "a fresh profile's gc_no is %lu", d.gc_no);
    hp_dump_free(&d);

    /* The same sites again: only what they allocate from now on. */
    truths_free(now.all, 2);
    life_round(&now, 70);
    collect_and_measure(now.all, 2, e);
    assert_written_exact("again.raw", now.all, e, 2);
    ck_assert_int_eq(e[0].alloc_objects, 70);
    keep_clear();
    truths_free(now.all, 2);
    truths_free(ignored.all, 2);
}
END_TEST

/* Rate 1 records every allocation, also when an earlier profile of the
 * same thread sampled at another rate: this thread's countdown then holds
 * an interval drawn at that rate (here 2^40 bytes, never reached). */
START_TEST(test_rate_one_after_other_rate)
{
    life now, first;
    expect e[2];
    hp_dump d;

    life_init(&now);
    life_init(&first);
    keep_clear();
    start_rate((uint64_t)1 << 40, 0);
    life_round(&first, 10);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    start_rate(1, 0);
    life_round(&now, 100);
    collect_and_measure(now.all, 2, e);
    write_named("rate1.raw", &d);
    ck_assert_uint_eq(d.rate, 1);
    assert_site_exact(&d, &now.raw, &e[0]);
    assert_site_exact(&d, &now.rt, &e[1]);
    hp_dump_free(&d);
    keep_clear();
    truths_free(now.all, 2);
    truths_free(first.all, 2);
}
END_TEST

/* ---- GCP_HEAP_PROFILE_RUNTIME_ONLY ------------------------------------------------- */

START_TEST(test_runtime_only)
{
    life now;
    expect e[2];
    hp_dump d;

    life_init(&now);
    keep_clear();
    start_rate(1, GCP_HEAP_PROFILE_RUNTIME_ONLY);
    life_round(&now, 120);
    collect_and_measure(now.all, 2, e);
    write_named("runtime-only.raw", &d);
    tally g = site_tally(&d, now.raw.site, NULL);
    ck_assert_msg(g.stacks == 0, "[%s] GC_MALLOC counted with RUNTIME_ONLY: %" PRId64 " objects",
                  VARIANT, g.v[ALLOC_OBJECTS]);
    assert_site_exact(&d, &now.rt, &e[1]);
    ck_assert_int_eq(e[1].alloc_objects, 120);
    hp_dump_free(&d);
    keep_clear();
    truths_free(now.all, 2);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("heap_profile_lifecycle");
    TCase *exact = hp_tcase(s, "exact", 60);

    tcase_add_test(exact, test_free_and_realloc_drop_at_once);
    tcase_add_test(exact, test_in_use_follows_collections);
    tcase_add_test(exact, test_stop_and_start_again);
    tcase_add_test(exact, test_runtime_only);

    /* Last: it leaves this thread's countdown drawn at 2^40 behind, which
     * (CK_FORK=no) the tests after it would inherit. */
    TCase *restart = hp_tcase(s, "restart", 0);
    tcase_add_test(restart, test_rate_one_after_other_rate);
    return tu_run(s);
}
