/*
 * check_heap_profile_exact.c - the runtime's heap profiles
 * (gcp_heap_profile_start/stop/write, include/gcprof.h) at rate 1: every
 * entry point of the runtime and of the collector, each a site of its
 * own, counted exactly, and GCP_NEW's type in the kind field, encoded.
 * The dump is written raw (doc/heap-dump-format.md) and read back by the
 * test's own parser (heap_profile_dump.h). Every expected figure is the
 * test's own measurement: its counts of what each site allocated, kept
 * and freed, GC_size of each object, and the collector's mark bit on each
 * object it made (read through hidden addresses after the collection;
 * heap_profile_util.h).
 *
 * A site is a function of this file (noinline, no clones, exported with
 * -export-dynamic): a stack belongs to it when dladdr names it for the
 * innermost return address, minus one.
 *
 * Built twice: check_heap_profile_exact links the shared library, as a
 * program would; check_heap_profile_exact_static links the library's code
 * itself (libgcprof_core.la), so that the runtime's own calls of GC_* go
 * through the same redirected GOT entries as the test's: every count must
 * still be exact (nothing counted twice, nothing of the runtime's own).
 *
 * The pprof format is not tested here (its module is built elsewhere).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_inline.h> /* GC_malloc_kind, GC_I_NORMAL */

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "gcprof.h"
#include "heap_profile_util.h"
#include "testutil.h"

/* ---- every entry point, exactly ------------------------------------------------- */

typedef struct point3 {
    long x, y, z;
} point3;

struct spaced_node {
    struct spaced_node *next;
    long value[3];
};

/* The sites: one entry point each. i picks the size; every third object
 * is kept. They are not static so that dladdr can name them. */
void hp_site_new(truth *t, int i);
void hp_site_alloc(truth *t, int i);
void hp_site_alloc_atomic(truth *t, int i);
void hp_site_strdup(truth *t, int i);
void hp_site_gc_malloc(truth *t, int i);
void hp_site_gc_atomic(truth *t, int i);
void hp_site_gc_kind(truth *t, int i);
void hp_site_gc_uncollectable(truth *t, int i);
void hp_site_gc_realloc(truth *t, int i);
void hp_site_gc_strdup(truth *t, int i);
void hp_site_gc_many(truth *t, int i);
void hp_site_gc_memalign(truth *t, int i);

static int kept_at(int i)
{
    return i % 3 == 0;
}

SITE void hp_site_new(truth *t, int i)
{
    point3 *p = GCP_NEW(point3);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_alloc(truth *t, int i)
{
    void *p = gcp_alloc(16 + (size_t)(i % 9) * 8);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_alloc_atomic(truth *t, int i)
{
    size_t n = 40 + (size_t)(i % 5) * 24;
    char *p = gcp_alloc_atomic(n);
    if (p) /* the first word is scanned: no stale pointer in it */
        memset(p, 0x5a, n);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_strdup(truth *t, int i)
{
    static const char *const s[] = {"a", "heap profile", "a string of some thirty bytes.."};
    char *p = gcp_strdup(s[i % 3]);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_gc_malloc(truth *t, int i)
{
    void *p = GC_MALLOC(24 + (size_t)(i % 7) * 16);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_gc_atomic(truth *t, int i)
{
    void *p = GC_MALLOC_ATOMIC(100 + (size_t)(i % 4) * 100);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_gc_kind(truth *t, int i)
{
    void *p = GC_malloc_kind(56 + (size_t)(i % 3) * 8, GC_I_NORMAL);
    note_kept(t, p, kept_at(i));
}

/* Not kept: freed at once (GC_FREE), the rest freed by the test later. */
SITE void hp_site_gc_uncollectable(truth *t, int i)
{
    void *p = GC_MALLOC_UNCOLLECTABLE(32 + (size_t)(i % 2) * 32);
    ck_assert_ptr_nonnull(p);
    size_t r = note(t, p, kept_at(i));
    if (kept_at(i)) {
        keep_add(p);
    } else {
        t->r[r].freed = 1;
        GC_FREE(p);
    }
}

/* A small object grown to 1000 bytes: it moves, and the old one is freed
 * inside the collector (two allocations, the first gone at once). */
SITE void hp_site_gc_realloc(truth *t, int i)
{
    void *p = GC_MALLOC(24);
    ck_assert_ptr_nonnull(p);
    size_t old = note(t, p, 0);
    void *q = GC_REALLOC(p, 1000 + (size_t)(i % 3) * 8);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    t->r[old].freed = 1;
    note_kept(t, q, kept_at(i));
}

SITE void hp_site_gc_strdup(truth *t, int i)
{
    static const char *const s[] = {"raw", "a raw string from GC_strdup", ""};
    char *p = GC_STRDUP(s[i % 3]);
    note_kept(t, p, kept_at(i));
}

/* A batch: every object is recorded; every third of each batch kept, each
 * unlinked from the list. */
SITE void hp_site_gc_many(truth *t, int i)
{
    void *list = GC_malloc_many(40 + (size_t)(i % 2) * 8), *next;
    int k = 0;

    ck_assert_ptr_nonnull(list);
    for (void *p = list; p; p = next, k++) {
        next = GC_NEXT(p);
        GC_NEXT(p) = NULL;
        note_kept(t, p, kept_at(k));
    }
}

/* An aligned object: the collector hands out an address inside a larger
 * one; the sample is of that one (its start, GC_size of it). */
SITE void hp_site_gc_memalign(truth *t, int i)
{
    void *p = GC_memalign(64, 200 + (size_t)(i % 2) * 40);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);
    void *base = GC_base(p);
    note(t, base, kept_at(i));
    if (kept_at(i))
        keep_add(p); /* the aligned address keeps it, as in a program */
}

typedef void (*site_fn)(truth *, int);

static const struct {
    const char *name;
    const char *kind;
    site_fn fn;
    int calls;
} exact_sites[] = {
    {"hp_site_new", "normal:point3", hp_site_new, 300},
    {"hp_site_alloc", "normal", hp_site_alloc, 300},
    {"hp_site_alloc_atomic", "atomic", hp_site_alloc_atomic, 300},
    {"hp_site_strdup", "atomic", hp_site_strdup, 300},
    {"hp_site_gc_malloc", "normal", hp_site_gc_malloc, 300},
    {"hp_site_gc_atomic", "atomic", hp_site_gc_atomic, 300},
    {"hp_site_gc_kind", "normal", hp_site_gc_kind, 300},
    {"hp_site_gc_uncollectable", "uncollectable", hp_site_gc_uncollectable, 300},
    {"hp_site_gc_realloc", "normal", hp_site_gc_realloc, 300},
    {"hp_site_gc_strdup", "atomic", hp_site_gc_strdup, 300},
    {"hp_site_gc_many", "normal", hp_site_gc_many, 4},
    {"hp_site_gc_memalign", "normal", hp_site_gc_memalign, 300},
};
#define N_EXACT TU_ROWS(exact_sites)

START_TEST(test_exact_every_entry_point)
{
    truth t[N_EXACT];
    truth *tp[N_EXACT];
    expect e[N_EXACT];
    const char *names[N_EXACT];
    char why[512];
    hp_dump d;

    memset(t, 0, sizeof t);
    for (int s = 0; s < N_EXACT; s++) {
        t[s].site = names[s] = exact_sites[s].name;
        t[s].kind = exact_sites[s].kind;
        tp[s] = &t[s];
    }
    keep_clear();
    start_rate(1, 0);
    /* No collection while the sites run: a dropped object's address is
     * not reused, so the test's record of it stays its own. */
    GC_disable();
    for (int i = 0; i < 300; i++)
        for (int s = 0; s < N_EXACT; s++)
            if (i < exact_sites[s].calls)
                exact_sites[s].fn(&t[s], i);
    GC_enable();
    collect_and_measure(tp, N_EXACT, e);
    unsigned long gc_no = (unsigned long)GC_get_gc_no();

    write_named("exact.raw", &d);
    ck_assert_uint_eq(d.rate, 1);
    ck_assert_msg(d.have_gc_no && d.gc_no == gc_no, "gc_no %lu in the dump, the collector's %lu",
                  d.gc_no, gc_no);
    for (int s = 0; s < N_EXACT; s++)
        assert_site_exact(&d, &t[s], &e[s]);
    ck_assert_msg(foreign_stacks(&d, names, N_EXACT, why, sizeof why) == 0,
                  "[%s] a stack of none of the test's sites: %s", VARIANT, why);
    /* Walked stacks, not the one-frame fallback for a stack without room
     * (the site, this test, Check's runner and more lie above it). */
    for (size_t i = 0; i < d.n; i++)
        ck_assert_msg(d.stacks[i].depth >= 3, "[%s] %s: a stack of %d frames: not walked", VARIANT,
                      d.stacks[i].site, d.stacks[i].depth);
    hp_dump_free(&d);

    /* The kept uncollectable objects freed: out of use at once. */
    truth *unc = NULL;
    for (int s = 0; s < N_EXACT; s++)
        if (strcmp(t[s].site, "hp_site_gc_uncollectable") == 0)
            unc = &t[s];
    ck_assert_ptr_nonnull(unc);
    for (size_t i = 0; i < unc->n; i++)
        if (!unc->r[i].freed) {
            GC_FREE((void *)~unc->r[i].hidden);
            unc->r[i].freed = 1;
        }
    write_named("exact-freed.raw", &d);
    tally g = site_tally(&d, "hp_site_gc_uncollectable", NULL);
    ck_assert_int_eq(g.v[ALLOC_OBJECTS], e[unc - t].alloc_objects);
    ck_assert_msg(g.v[INUSE_OBJECTS] == 0 && g.v[INUSE_BYTES] == 0,
                  "GC_FREE'd uncollectable objects still in use: %" PRId64 " objects",
                  g.v[INUSE_OBJECTS]);
    hp_dump_free(&d);

    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    keep_clear();
    truths_free(tp, N_EXACT);
}
END_TEST

/* ---- GCP_NEW's type, encoded ---------------------------------------------------------- */

void hp_site_spaced(truth *t, int i);

SITE void hp_site_spaced(truth *t, int i)
{
    struct spaced_node *p = GCP_NEW(struct spaced_node);
    note_kept(t, p, i % 4 == 0);
}

START_TEST(test_type_label_encoded)
{
    truth t = {"hp_site_spaced", "normal:struct%20spaced_node", NULL, 0, 0};
    truth *all[1] = {&t};
    expect e[1];
    char type[128];
    hp_dump d;

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < 40; i++)
        hp_site_spaced(&t, i);
    GC_enable();
    collect_and_measure(all, 1, e);
    write_named("typed.raw", &d);
    assert_site_exact(&d, &t, &e[0]);
    for (size_t i = 0; i < d.n; i++)
        if (strcmp(d.stacks[i].site, t.site) == 0) {
            kind_type(d.stacks[i].kind, type, sizeof type);
            ck_assert_str_eq(type, "struct spaced_node");
        }
    hp_dump_free(&d);
    keep_clear();
    truth_free(&t);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("heap_profile_exact");
    TCase *exact = hp_tcase(s, "exact", 60);

    tcase_add_test(exact, test_exact_every_entry_point);
    tcase_add_test(exact, test_type_label_encoded);
    return tu_run(s);
}
