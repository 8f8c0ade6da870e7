/*
 * check_heap.c - the allocator: zeroing, sizes, alignment, exact counters,
 * survival across collections, out-of-memory without aborting, threads.
 *
 * Every figure is compared with the test's own measurement: its own count
 * of calls, GC_size() on its own pointers, the collector's gc_no.
 */
#ifndef GC_THREADS
#define GC_THREADS /* before gc.h: pthread_create goes through the collector */
#endif
#include <gc/gc.h>

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

#define MIB        ((size_t)1 << 20)
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void collect_clean(void)
{
    tu_clear_dead_stack();
    ck_assert_int_eq(gcp_collect(), 1);
}

static void setup(void)
{
    ck_assert_int_eq(gcp_init(), 0);
}

static void teardown(void)
{
    tu_log_restore();
}

static int all_bytes_are(const void *p, size_t n, unsigned char v)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return 0;
    return 1;
}

static int aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

static int cmp_word(const void *a, const void *b)
{
    GC_word x = *(const GC_word *)a, y = *(const GC_word *)b;

    return x < y ? -1 : x > y;
}

/* A pattern byte that depends on the object and the offset, so objects
 * that overlap or were handed out twice show up. */
static unsigned char pat(size_t obj, size_t off)
{
    return (unsigned char)(obj * 31u + off * 7u + 1u);
}

static void fill_pattern(void *p, size_t n, size_t obj)
{
    unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        b[i] = pat(obj, i);
}

static int check_pattern(const void *p, size_t n, size_t obj)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(obj, i))
            return 0;
    return 1;
}

/* Objects sorted by address must not overlap over their collector sizes. */
static void assert_disjoint(void **objs, size_t n)
{
    GC_word *addr = malloc(n * sizeof *addr);

    ck_assert_ptr_nonnull(addr);
    for (size_t i = 0; i < n; i++)
        addr[i] = (GC_word)objs[i];
    qsort(addr, n, sizeof *addr, cmp_word);
    for (size_t i = 1; i < n; i++) {
        size_t prev_size = GC_size((void *)addr[i - 1]);
        ck_assert_msg(addr[i - 1] + prev_size <= addr[i],
                      "objects %p (%zu bytes) and %p overlap or are the same", (void *)addr[i - 1],
                      prev_size, (void *)addr[i]);
    }
    free(addr);
}

static gcp_heap_counters counters_now(void)
{
    gcp_heap_counters c;

    memset(&c, 0xff, sizeof c); /* so a call that fills nothing shows */
    gcp_heap_counters_get(&c);
    return c;
}

/* ---- core: zeroing, sizes, alignment ------------------------------------ */

/* Addresses of dirtied objects, hidden so the collector cannot see them
 * (malloc'd memory is not scanned anyway; hiding makes that certain). */
typedef struct hidden_set {
    GC_word *w;
    size_t n, cap;
} hidden_set;

static void hidden_add(hidden_set *s, void *p)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->w = realloc(s->w, s->cap * sizeof *s->w);
        ck_assert_ptr_nonnull(s->w);
    }
    s->w[s->n++] = GC_HIDE_POINTER(p);
}

static void hidden_sort(hidden_set *s)
{
    qsort(s->w, s->n, sizeof *s->w, cmp_word);
}

static int hidden_has(const hidden_set *s, void *p)
{
    GC_word key = GC_HIDE_POINTER(p);

    return s->n && bsearch(&key, s->w, s->n, sizeof *s->w, cmp_word) != NULL;
}

/* Fill many objects of every size 0..2000 with 0xA5 and drop them, so the
 * allocations that follow the collection reuse dirty memory. */
static NOINLINE void dirty_small(hidden_set *dirty, size_t max_size, size_t bytes_per_size)
{
    for (size_t s = 0; s <= max_size; s++) {
        size_t n = bytes_per_size / (s + 16) + 2;
        for (size_t k = 0; k < n; k++) {
            void *p = gcp_alloc(s);
            ck_assert_ptr_nonnull(p);
            memset(p, 0xA5, gcp_sizeof(p));
            tu_sink = p; /* the stores must happen */
            hidden_add(dirty, p);
        }
    }
    tu_sink = NULL;
}

START_TEST(alloc_zeroed_small_sizes)
{
    enum { MAX_SIZE = 2000 };
    hidden_set dirty = {0};
    size_t checked = 0, reused = 0;

    dirty_small(&dirty, MAX_SIZE, 16384);
    hidden_sort(&dirty);
    collect_clean();
    collect_clean();
    for (size_t s = 0; s <= MAX_SIZE; s++) {
        size_t n = 8192 / (s + 16) + 2;
        for (size_t k = 0; k < n; k++) {
            unsigned char *p = gcp_alloc(s);
            ck_assert_msg(p != NULL, "gcp_alloc(%zu) returned NULL", s);
            ck_assert_msg(all_bytes_are(p, s, 0), "gcp_alloc(%zu) is not zeroed (%p)", s,
                          (void *)p);
            ck_assert_msg(aligned16(p), "gcp_alloc(%zu) = %p is not 16-byte aligned", s, (void *)p);
            size_t gs = GC_size(p);
            ck_assert_uint_eq(gcp_sizeof(p), gs);
            ck_assert_msg(gs >= s, "GC_size %zu < requested %zu", gs, s);
            reused += hidden_has(&dirty, p);
            checked++;
        }
    }
    free(dirty.w);
    /* The test means something only if dirty memory came back. */
    ck_assert_msg(reused > 0, "none of %zu objects reused dirty memory", checked);
}
END_TEST

static NOINLINE void dirty_large(hidden_set *dirty, const size_t *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *p = gcp_alloc(sizes[i]);
        ck_assert_ptr_nonnull(p);
        memset(p, 0xA5, gcp_sizeof(p));
        tu_sink = p;
        hidden_add(dirty, p);
    }
    tu_sink = NULL;
}

START_TEST(alloc_zeroed_large_sizes)
{
    static const size_t sizes[] = {MIB, MIB, 10 * MIB, MIB, 10 * MIB, MIB};
    hidden_set dirty = {0};
    size_t reused = 0;

    dirty_large(&dirty, sizes, N_ELEMS(sizes));
    hidden_sort(&dirty);
    collect_clean();
    collect_clean();
    void **keep = GC_MALLOC(sizeof(void *) * N_ELEMS(sizes));
    ck_assert_ptr_nonnull(keep);
    tu_sink = keep;
    for (size_t i = 0; i < N_ELEMS(sizes); i++) {
        unsigned char *p = gcp_alloc(sizes[i]);
        ck_assert_msg(p != NULL, "gcp_alloc(%zu) returned NULL", sizes[i]);
        keep[i] = p;
        ck_assert_msg(all_bytes_are(p, sizes[i], 0), "gcp_alloc(%zu) is not zeroed", sizes[i]);
        ck_assert(aligned16(p));
        ck_assert_uint_eq(gcp_sizeof(p), GC_size(p));
        ck_assert_uint_ge(gcp_sizeof(p), sizes[i]);
        reused += hidden_has(&dirty, p);
    }
    assert_disjoint(keep, N_ELEMS(sizes));
    free(dirty.w);
    ck_assert_msg(reused > 0, "no large object reused dirty memory");
    tu_sink = NULL;
}
END_TEST

START_TEST(alloc_distinct_aligned_both_kinds)
{
    enum { MAX_SIZE = 2000, N = 2 * (MAX_SIZE + 1) };
    void **objs = GC_MALLOC(N * sizeof *objs);

    ck_assert_ptr_nonnull(objs);
    tu_sink = objs;
    for (size_t s = 0; s <= MAX_SIZE; s++) {
        objs[2 * s] = gcp_alloc(s);
        objs[2 * s + 1] = gcp_alloc_atomic(s);
        for (int k = 0; k < 2; k++) {
            void *p = objs[2 * s + (size_t)k];
            ck_assert_msg(p != NULL, "size %zu kind %d: NULL", s, k);
            ck_assert_msg(aligned16(p), "size %zu kind %d: %p not 16-byte aligned", s, k, p);
            ck_assert_uint_eq(gcp_sizeof(p), GC_size(p));
            ck_assert_uint_ge(gcp_sizeof(p), s);
        }
    }
    assert_disjoint(objs, N);
    tu_sink = NULL;
}
END_TEST

START_TEST(alloc_atomic_usable_whole_size)
{
    static const size_t big[] = {4096, 65536, MIB, 3 * MIB + 5};
    enum { MAX_SIZE = 2000 };
    const size_t n = MAX_SIZE + 1 + N_ELEMS(big);
    void **objs = GC_MALLOC(n * sizeof *objs);
    size_t *size = malloc(n * sizeof *size);

    ck_assert_ptr_nonnull(objs);
    ck_assert_ptr_nonnull(size);
    tu_sink = objs;
    for (size_t i = 0; i < n; i++) {
        size[i] = i <= MAX_SIZE ? i : big[i - MAX_SIZE - 1];
        objs[i] = gcp_alloc_atomic(size[i]);
        ck_assert_msg(objs[i] != NULL, "gcp_alloc_atomic(%zu) returned NULL", size[i]);
        ck_assert(aligned16(objs[i]));
        ck_assert_uint_ge(gcp_sizeof(objs[i]), size[i]);
        ck_assert_uint_eq(gcp_sizeof(objs[i]), GC_size(objs[i]));
        fill_pattern(objs[i], size[i], i);
    }
    /* Written all through, then read back after everything was written
     * and after a collection: no object overlapped another or was lost. */
    collect_clean();
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(check_pattern(objs[i], size[i], i), "atomic object %zu (%zu bytes) changed",
                      i, size[i]);
    free(size);
    tu_sink = NULL;
}
END_TEST

START_TEST(strdup_copies)
{
    char src[1500];
    static const size_t lens[] = {0, 1, 7, 15, 16, 100, 382, 383, 384, 1000, 1499};

    for (size_t k = 0; k < N_ELEMS(lens); k++) {
        size_t len = lens[k];
        for (size_t i = 0; i < len; i++)
            src[i] = (char)('a' + (i * 13 + k) % 26);
        src[len] = '\0';
        char *copy = gcp_strdup(src);
        ck_assert_ptr_nonnull(copy);
        tu_sink = copy;
        ck_assert_ptr_ne(copy, src);
        ck_assert_uint_eq(strlen(copy), len);
        ck_assert_str_eq(copy, src);
        ck_assert_uint_ge(gcp_sizeof(copy), len + 1);
        ck_assert_uint_eq(gcp_sizeof(copy), GC_size(copy));
        /* A copy, not a view: changing the source leaves it alone. */
        if (len > 0) {
            char before = copy[0];
            src[0] = '#';
            ck_assert_int_eq(copy[0], before);
        }
    }
    tu_sink = NULL;
}
END_TEST

typedef struct probe {
    void *ptr;
    long value;
    double d;
    char name[40];
} probe;

START_TEST(gcp_new_zeroed_struct)
{
    gcp_heap_counters before = counters_now();
    probe *a = GCP_NEW(probe);
    probe *b = GCP_NEW(probe);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    tu_sink = a;
    a->ptr = b;
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_ge(gcp_sizeof(a), sizeof(probe));
    ck_assert(all_bytes_are(b, sizeof *b, 0));
    ck_assert(aligned16(a) && aligned16(b));
    gcp_heap_counters after = counters_now();
    ck_assert_uint_eq(after.objects_allocated - before.objects_allocated, 2);
    ck_assert_uint_eq(after.bytes_allocated - before.bytes_allocated, GC_size(a) + GC_size(b));
    tu_sink = NULL;
}
END_TEST

/* ---- core: exact counters ---------------------------------------------- */

START_TEST(counters_exact_mixed_sizes_and_kinds)
{
    static const size_t sizes[] = {0,    1,    8,    15,   16,   17,    31,     32,   33,
                                   100,  255,  256,  382,  383,  384,   385,    1000, 2047,
                                   2048, 2049, 4095, 4096, 4097, 65536, 100000, MIB,  3 * MIB + 1};
    enum { ROUNDS = 5 };
    const size_t n = ROUNDS * 2 * N_ELEMS(sizes) + ROUNDS;
    void **keep = GC_MALLOC(n * sizeof *keep);
    uint64_t my_objects = 0, my_bytes = 0;
    size_t k = 0;

    ck_assert_ptr_nonnull(keep);
    tu_sink = keep;
    gcp_heap_counters before = counters_now();
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t i = 0; i < N_ELEMS(sizes); i++) {
            void *p = gcp_alloc(sizes[i]);
            void *q = gcp_alloc_atomic(sizes[i]);
            ck_assert_ptr_nonnull(p);
            ck_assert_ptr_nonnull(q);
            keep[k++] = p;
            keep[k++] = q;
            my_objects += 2;
            my_bytes += GC_size(p) + GC_size(q);
        }
        char *s = gcp_strdup("counted like any atomic object");
        ck_assert_ptr_nonnull(s);
        keep[k++] = s;
        my_objects++;
        my_bytes += GC_size(s);
    }
    gcp_heap_counters after = counters_now();
    ck_assert_uint_eq(after.objects_allocated - before.objects_allocated, my_objects);
    ck_assert_uint_eq(after.bytes_allocated - before.bytes_allocated, my_bytes);

    /* Collections change what is live, never what was allocated; and the
     * collector's own allocations are not the runtime's. */
    collect_clean();
    void *plain = GC_MALLOC(100);
    tu_sink = plain;
    gcp_heap_counters later = counters_now();
    ck_assert_uint_eq(later.objects_allocated, after.objects_allocated);
    ck_assert_uint_eq(later.bytes_allocated, after.bytes_allocated);
    tu_sink = NULL;
}
END_TEST

START_TEST(counters_get_null_is_harmless)
{
    gcp_heap_counters_get(NULL);
    gcp_heap_counters c = counters_now();
    /* Filled with real figures, not left at the 0xff..ff marker. */
    ck_assert_uint_ne(c.objects_allocated, UINT64_MAX);
    ck_assert_uint_ne(c.bytes_allocated, UINT64_MAX);
}
END_TEST

/* ---- core: survival across collections ---------------------------------- */

enum { N_LIVE = 6000, CHAIN = 2000 };

typedef struct node {
    struct node *next;
    size_t index;
    unsigned char payload[40];
} node;

/* The only references to the test's objects: a global array of pointers
 * (itself a runtime object, so our pointer-holding kind must be scanned)
 * and a global list head. */
static void **volatile g_live;
static size_t *volatile g_live_size;
static node *volatile g_chain;

static size_t live_size(size_t i)
{
    static const size_t big[] = {1000, 4096, 70000, MIB + 3};

    return i % 97 == 0 ? big[(i / 97) % N_ELEMS(big)] : (i * 37) % 700;
}

static NOINLINE void build_live_set(void)
{
    void **arr = gcp_alloc(N_LIVE * sizeof(void *));
    size_t *sz = GC_MALLOC_ATOMIC(N_LIVE * sizeof(size_t));

    ck_assert_ptr_nonnull(arr);
    ck_assert_ptr_nonnull(sz);
    for (size_t i = 0; i < N_LIVE; i++) {
        sz[i] = live_size(i);
        arr[i] = i % 2 ? gcp_alloc_atomic(sz[i]) : gcp_alloc(sz[i]);
        ck_assert_ptr_nonnull(arr[i]);
        fill_pattern(arr[i], sz[i], i);
    }
    node *head = NULL;
    for (size_t i = 0; i < CHAIN; i++) {
        node *n = GCP_NEW(node);
        ck_assert_ptr_nonnull(n);
        n->next = head;
        n->index = i;
        fill_pattern(n->payload, sizeof n->payload, i + N_LIVE);
        head = n;
    }
    g_live = arr;
    g_live_size = sz;
    g_chain = head;
}

static NOINLINE void make_garbage(size_t bytes)
{
    size_t made = 0;

    for (size_t i = 0; made < bytes; i++) {
        size_t s = i % 50 == 0 ? 200000 : (i * 13) % 600;
        void *p = i % 3 ? gcp_alloc(s) : gcp_alloc_atomic(s);
        ck_assert_ptr_nonnull(p);
        memset(p, 0x5A, s);
        tu_sink = p;
        made += s + 16;
    }
    tu_sink = NULL;
}

static NOINLINE void verify_live_set(int round)
{
    void **arr = g_live;
    size_t *sz = g_live_size;

    for (size_t i = 0; i < N_LIVE; i++) {
        ck_assert_msg(check_pattern(arr[i], sz[i], i),
                      "round %d: object %zu (%zu bytes, %s) was overwritten", round, i, sz[i],
                      i % 2 ? "atomic" : "normal");
        ck_assert_uint_eq(GC_size(arr[i]), gcp_sizeof(arr[i]));
    }
    size_t count = 0;
    for (node *n = g_chain; n; n = n->next, count++) {
        ck_assert_uint_eq(n->index, CHAIN - 1 - count);
        ck_assert_msg(check_pattern(n->payload, sizeof n->payload, n->index + N_LIVE),
                      "round %d: chain node %zu was overwritten", round, n->index);
    }
    ck_assert_uint_eq(count, CHAIN);
}

START_TEST(objects_survive_collections)
{
    build_live_set();
    GC_word gc_before = GC_get_gc_no();
    for (int round = 0; round < 4; round++) {
        collect_clean();
        make_garbage(24 * MIB);
        collect_clean();
        verify_live_set(round);
    }
    /* Collections really ran (at least the 8 asked for). */
    ck_assert_uint_ge(GC_get_gc_no() - gc_before, 8);
    g_live = NULL;
    g_live_size = NULL;
    g_chain = NULL;
}
END_TEST

/* ---- core: collect and init --------------------------------------------- */

START_TEST(collect_returns_1_and_0_when_disabled)
{
    GC_word n0 = GC_get_gc_no();
    ck_assert_int_eq(gcp_collect(), 1);
    GC_word n1 = GC_get_gc_no();
    ck_assert_uint_gt(n1, n0);

    GC_disable();
    int rc = gcp_collect();
    GC_word n2 = GC_get_gc_no();
    int rc_nested;
    GC_disable(); /* nests */
    GC_enable();
    rc_nested = gcp_collect();
    GC_enable();
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(rc_nested, 0);
    ck_assert_uint_eq(n2, n1); /* and nothing ran */
    ck_assert_uint_eq(GC_get_gc_no(), n1);

    ck_assert_int_eq(gcp_collect(), 1);
    ck_assert_uint_gt(GC_get_gc_no(), n1);
}
END_TEST

START_TEST(init_is_idempotent)
{
    void *p = gcp_alloc(24);
    ck_assert_ptr_nonnull(p);
    tu_sink = p;
    gcp_heap_counters before = counters_now();
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(gcp_init(), 0);
    gcp_heap_counters mid = counters_now();
    /* Re-initialising resets nothing. */
    ck_assert_uint_eq(mid.objects_allocated, before.objects_allocated);
    ck_assert_uint_eq(mid.bytes_allocated, before.bytes_allocated);
    /* Earlier objects keep their contents, new ones still work and count. */
    memset(p, 0x3C, 24);
    void *q = gcp_alloc(24);
    ck_assert_ptr_nonnull(q);
    ck_assert(all_bytes_are(q, 24, 0));
    ck_assert(all_bytes_are(p, 24, 0x3C));
    gcp_heap_counters after = counters_now();
    ck_assert_uint_eq(after.objects_allocated - mid.objects_allocated, 1);
    ck_assert_uint_eq(after.bytes_allocated - mid.bytes_allocated, GC_size(q));
    ck_assert_int_eq(gcp_collect(), 1);
    tu_sink = NULL;
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

/* Does msg contain word as a whole word (not inside an identifier)? */
static int names_word(const char *msg, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = strstr(msg, word); p; p = strstr(p + 1, word)) {
        int left_ok =
            p == msg || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                          (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
        char c = p[n];
        int right_ok = !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9'));
        if (left_ok && right_ok)
            return 1;
    }
    return 0;
}

START_TEST(strdup_null)
{
    tu_log log;

    tu_log_capture(&log);
    ck_assert_ptr_null(gcp_strdup(NULL));
    const char *msg = gcp_last_error();
    ck_assert_msg(names_word(msg, "s"), "message does not name s: '%s'", msg);
    ck_assert_int_eq(log.count, 0); /* returned, so not logged */
    /* Nothing was allocated for the failure. */
    gcp_heap_counters before = counters_now();
    ck_assert_ptr_null(gcp_strdup(NULL));
    gcp_heap_counters after = counters_now();
    ck_assert_uint_eq(after.objects_allocated, before.objects_allocated);
    ck_assert_int_eq(log.count, 0);
    tu_log_restore();
}
END_TEST

static void expect_huge_fails(void *(*fn)(size_t), const char *fname, size_t size)
{
    tu_log log;
    char num[32];

    tu_log_capture(&log);
    gcp_heap_counters before = counters_now();
    void *p = fn(size);
    gcp_heap_counters after = counters_now();
    tu_log_restore();
    ck_assert_msg(p == NULL, "%s(%zu) returned %p", fname, size, p);
    snprintf(num, sizeof num, "%zu", size);
    const char *msg = gcp_last_error();
    ck_assert_msg(strstr(msg, num) != NULL, "%s(%zu): message does not name the size: '%s'", fname,
                  size, msg);
    ck_assert_msg(strstr(msg, gcp_strerror(GCP_ENOMEM)) != NULL,
                  "%s(%zu): message does not say '%s': '%s'", fname, size, gcp_strerror(GCP_ENOMEM),
                  msg);
    ck_assert_msg(log.count == 0, "%s(%zu): %d messages logged", fname, size, log.count);
    ck_assert_uint_eq(after.objects_allocated, before.objects_allocated);
    ck_assert_uint_eq(after.bytes_allocated, before.bytes_allocated);
}

START_TEST(huge_sizes_return_null)
{
    static const size_t huge[] = {
        (size_t)-1,         (size_t)-1 - 8,  (size_t)-1 - 4096, (size_t)-1 / 2,
        (size_t)-1 / 2 + 2, (size_t)1 << 48, (size_t)1 << 40,
    };

    for (size_t i = 0; i < N_ELEMS(huge); i++) {
        expect_huge_fails(gcp_alloc, "gcp_alloc", huge[i]);
        expect_huge_fails(gcp_alloc_atomic, "gcp_alloc_atomic", huge[i]);
    }
    /* And the heap still works afterwards, small and large. */
    void *a = gcp_alloc(10), *b = gcp_alloc(5 * MIB), *c = gcp_alloc_atomic(100);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    tu_sink = b;
    ck_assert(all_bytes_are(b, 5 * MIB, 0));
    ck_assert_int_eq(gcp_collect(), 1);
    tu_sink = NULL;
}
END_TEST

/* ---- limits: a capped heap ---------------------------------------------- */

/* The capped-heap tests run in a child of their own, so the cap cannot
 * leak into other tests even under CK_FORK=no. The child reports through
 * a pipe and its exit status; the parent turns that into assertions. */
typedef int (*child_fn)(char *msg, size_t n);

static void run_in_child(child_fn fn)
{
    int fds[2];
    char msg[1024] = "";

    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        char out[1024] = "";
        int code = fn(out, sizeof out);
        ssize_t w = write(fds[1], out, strlen(out));
        (void)w;
        close(fds[1]);
        _exit(code);
    }
    close(fds[1]);
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fds[0], msg + got, sizeof msg - 1 - got);
        if (r > 0 && got + (size_t)r < sizeof msg - 1) {
            got += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        break;
    }
    msg[got] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_msg(!WIFSIGNALED(status),
                  "child killed by signal %d (abort in the runtime or "
                  "bdwgc?) after: %s",
                  WIFSIGNALED(status) ? WTERMSIG(status) : 0, msg);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (exit %d): %s",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1, msg);
}

/* The cap is 64 MiB above the heap the test starts with: bdwgc never
 * shrinks a heap to a cap, so a cap below an initial heap made large by
 * GC_INITIAL_HEAP_SIZE would not bite. */
#define CAP_ROOM   ((size_t)64 << 20)
#define MAX_BLOCKS 4096 /* 4 GiB: far past any cap here */
static void *volatile g_blocks[MAX_BLOCKS];
static size_t cap_bytes(void)
{
    return GC_get_heap_size() + CAP_ROOM;
}

static int child_fail(char *msg, size_t n, int code, const char *fmt, ...) GCP_PRINTF(4, 5);
static int child_fail(char *msg, size_t n, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return code;
}

static int capped_large_blocks(char *msg, size_t n)
{
    tu_log log;
    char num[32];
    size_t ok = 0;
    uint64_t my_bytes = 0;

    gcp_init();
    size_t cap = cap_bytes(), max_blocks = (cap >> 20) + 64;
    if (max_blocks > MAX_BLOCKS)
        return child_fail(msg, n, 10, "the initial heap is too large for this test");
    GC_set_max_heap_size(cap);
    tu_log_capture(&log);
    gcp_heap_counters before = counters_now();
    for (; ok < max_blocks; ok++) {
        void *p = gcp_alloc(MIB);
        if (!p)
            break;
        memset(p, (int)(ok & 0xff) | 1, MIB);
        g_blocks[ok] = p;
        my_bytes += GC_size(p);
    }
    gcp_heap_counters after = counters_now();
    tu_log_restore();
    if (ok == max_blocks)
        return child_fail(msg, n, 2, "no NULL after %zu blocks of 1 MiB under a %zu-byte cap",
                          max_blocks, cap);
    if (ok == 0)
        return child_fail(msg, n, 3, "not even one 1 MiB block fit under the cap");
    if (my_bytes > cap)
        return child_fail(msg, n, 4, "%llu bytes handed out under a %zu-byte cap",
                          (unsigned long long)my_bytes, cap);
    snprintf(num, sizeof num, "%zu", MIB);
    const char *err = gcp_last_error();
    if (!strstr(err, num) || !strstr(err, gcp_strerror(GCP_ENOMEM)))
        return child_fail(msg, n, 5, "message does not name the size and '%s': '%s'",
                          gcp_strerror(GCP_ENOMEM), err);
    if (log.count != 0)
        return child_fail(msg, n, 6, "%d messages logged for NULLs returned", log.count);
    if (after.objects_allocated - before.objects_allocated != ok ||
        after.bytes_allocated - before.bytes_allocated != my_bytes)
        return child_fail(msg, n, 7,
                          "counters say %llu objects / %llu bytes, test counted %zu / %llu",
                          (unsigned long long)(after.objects_allocated - before.objects_allocated),
                          (unsigned long long)(after.bytes_allocated - before.bytes_allocated), ok,
                          (unsigned long long)my_bytes);
    for (size_t i = 0; i < ok; i++)
        if (!all_bytes_are(g_blocks[i], MIB, (unsigned char)((i & 0xff) | 1)))
            return child_fail(msg, n, 8, "block %zu was overwritten", i);
    /* Dropping half makes room again. */
    for (size_t i = 0; i < ok; i += 2)
        g_blocks[i] = NULL;
    tu_clear_dead_stack();
    gcp_collect();
    void *again = gcp_alloc(MIB);
    if (!again)
        return child_fail(msg, n, 9, "no 1 MiB block after dropping %zu of %zu", (ok + 1) / 2, ok);
    snprintf(msg, n, "%zu blocks of 1 MiB (%llu bytes) before NULL", ok,
             (unsigned long long)my_bytes);
    return 0;
}

START_TEST(capped_heap_large_blocks_return_null)
{
    run_in_child(capped_large_blocks);
}
END_TEST

typedef struct small_node {
    struct small_node *next;
    size_t index;
} small_node;

static small_node *volatile g_small_head;

static int capped_small_objects(char *msg, size_t n)
{
    enum { SIZE = 200 };
    tu_log log;
    size_t ok = 0;
    uint64_t my_bytes = 0;
    gcp_init();
    size_t cap = cap_bytes();
    const size_t limit = 2 * cap / 16; /* far more than can fit */
    GC_set_max_heap_size(cap);
    tu_log_capture(&log);
    gcp_heap_counters before = counters_now();
    for (; ok < limit; ok++) {
        small_node *p = gcp_alloc(SIZE);
        if (!p)
            break;
        p->next = g_small_head;
        p->index = ok;
        g_small_head = p;
        my_bytes += GC_size(p);
    }
    gcp_heap_counters after = counters_now();
    tu_log_restore();
    if (ok == limit)
        return child_fail(msg, n, 2, "no NULL after %zu objects under a %zu-byte cap", ok, cap);
    if (log.count != 0 || !strstr(gcp_last_error(), gcp_strerror(GCP_ENOMEM)))
        return child_fail(msg, n, 3, "%d messages logged, last error '%s'", log.count,
                          gcp_last_error());
    if (after.objects_allocated - before.objects_allocated != ok ||
        after.bytes_allocated - before.bytes_allocated != my_bytes)
        return child_fail(msg, n, 4,
                          "counters say %llu objects / %llu bytes, test counted %zu / %llu",
                          (unsigned long long)(after.objects_allocated - before.objects_allocated),
                          (unsigned long long)(after.bytes_allocated - before.bytes_allocated), ok,
                          (unsigned long long)my_bytes);
    size_t count = 0;
    for (small_node *p = g_small_head; p; p = p->next, count++)
        if (p->index != ok - 1 - count)
            return child_fail(msg, n, 5, "list node %zu holds index %zu", count, p->index);
    if (count != ok)
        return child_fail(msg, n, 6, "list has %zu nodes, %zu were allocated", count, ok);
    g_small_head = NULL;
    tu_clear_dead_stack();
    gcp_collect();
    if (!gcp_alloc(SIZE))
        return child_fail(msg, n, 7, "no object after dropping the list");
    snprintf(msg, n, "%zu objects of %d bytes before NULL", ok, SIZE);
    return 0;
}

START_TEST(capped_heap_small_objects_return_null)
{
    run_in_child(capped_small_objects);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

enum { MAX_WORKERS = 16 };

typedef struct worker {
    pthread_t tid;
    unsigned id;
    size_t n;
    int collect_every; /* 0: never */
    uint64_t objects, bytes;
    size_t bad_zero, bad_stamp, bad_null;
} worker;

/* Each worker's objects stay reachable through here while it runs. */
static void **volatile g_worker_keep[MAX_WORKERS];

static size_t worker_size(const worker *w, size_t i)
{
    /* Small: 8..383 bytes, so all go through the per-thread lists. */
    return 8 + (i * 7 + w->id * 11) % 376;
}

static uint64_t stamp(unsigned id, size_t i)
{
    return ((uint64_t)id << 32) | (uint64_t)i;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    void **keep = GC_MALLOC(w->n * sizeof *keep);

    if (!keep) {
        w->bad_null++;
        return NULL;
    }
    g_worker_keep[w->id] = keep;
    for (size_t i = 0; i < w->n; i++) {
        size_t s = worker_size(w, i);
        int atomic = (i + w->id) % 2;
        void *p = atomic ? gcp_alloc_atomic(s) : gcp_alloc(s);
        if (!p) {
            w->bad_null++;
            continue;
        }
        if (!atomic && !all_bytes_are(p, s, 0))
            w->bad_zero++;
        uint64_t st = stamp(w->id, i);
        memcpy(p, &st, sizeof st);
        keep[i] = p;
        w->objects++;
        w->bytes += GC_size(p);
        if (w->collect_every && i % (size_t)w->collect_every == 0)
            gcp_collect();
    }
    /* Every object still holds its own stamp: none was handed out twice. */
    for (size_t i = 0; i < w->n; i++) {
        uint64_t st;
        if (!keep[i])
            continue;
        memcpy(&st, keep[i], sizeof st);
        if (st != stamp(w->id, i))
            w->bad_stamp++;
    }
    g_worker_keep[w->id] = NULL;
    return NULL;
}

/* Run n workers of per objects each; check the counters' delta against
 * the sum of what the workers counted themselves. */
static void run_workers(size_t nw, size_t per, int collect_every, uint64_t *objects,
                        uint64_t *bytes)
{
    worker w[MAX_WORKERS];
    uint64_t my_objects = 0, my_bytes = 0;

    ck_assert_uint_le(nw, MAX_WORKERS);
    memset(w, 0, sizeof w);
    gcp_heap_counters before = counters_now();
    for (size_t i = 0; i < nw; i++) {
        w[i].id = (unsigned)i;
        w[i].n = per;
        w[i].collect_every = i == 0 ? collect_every : 0;
        ck_assert_int_eq(pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
    }
    for (size_t i = 0; i < nw; i++)
        ck_assert_int_eq(pthread_join(w[i].tid, NULL), 0);
    gcp_heap_counters after = counters_now();
    for (size_t i = 0; i < nw; i++) {
        ck_assert_msg(w[i].bad_null == 0, "worker %zu: %zu NULLs", i, w[i].bad_null);
        ck_assert_msg(w[i].bad_zero == 0, "worker %zu: %zu unzeroed objects", i, w[i].bad_zero);
        ck_assert_msg(w[i].bad_stamp == 0, "worker %zu: %zu objects overwritten", i,
                      w[i].bad_stamp);
        ck_assert_uint_eq(w[i].objects, per);
        my_objects += w[i].objects;
        my_bytes += w[i].bytes;
    }
    ck_assert_uint_eq(my_objects, (uint64_t)nw * per);
    ck_assert_uint_eq(after.objects_allocated - before.objects_allocated, my_objects);
    ck_assert_uint_eq(after.bytes_allocated - before.bytes_allocated, my_bytes);
    *objects = my_objects;
    *bytes = my_bytes;
}

START_TEST(threads_counters_exact)
{
    uint64_t objects, bytes;

    gcp_heap_counters before = counters_now();
    run_workers(4, 100000, 25000, &objects, &bytes);
    ck_assert_uint_eq(objects, 400000);
    gcp_heap_counters after = counters_now();
    ck_assert_uint_eq(after.objects_allocated - before.objects_allocated, 400000);
    ck_assert_uint_eq(after.bytes_allocated - before.bytes_allocated, bytes);
}
END_TEST

START_TEST(threads_state_reused_after_exit)
{
    uint64_t o1, b1, o2, b2, o3, b3, main_bytes = 0;

    gcp_heap_counters start = counters_now();
    run_workers(4, 100000, 0, &o1, &b1);
    /* The four exited; more threads than before (reused states and new
     * ones), with a collection running among them. */
    run_workers(6, 50000, 10000, &o2, &b2);
    /* The main thread allocates between rounds too. */
    void **keep = GC_MALLOC(1000 * sizeof *keep);
    ck_assert_ptr_nonnull(keep);
    tu_sink = keep;
    for (size_t i = 0; i < 1000; i++) {
        keep[i] = gcp_alloc(i % 500);
        ck_assert_ptr_nonnull(keep[i]);
        main_bytes += GC_size(keep[i]);
    }
    run_workers(3, 20000, 0, &o3, &b3);
    gcp_heap_counters end = counters_now();
    ck_assert_uint_eq(end.objects_allocated - start.objects_allocated, o1 + o2 + o3 + 1000);
    ck_assert_uint_eq(end.bytes_allocated - start.bytes_allocated, b1 + b2 + b3 + main_bytes);
    tu_sink = NULL;
}
END_TEST

static void *init_and_alloc(void *arg)
{
    worker *w = arg;

    if (gcp_init() != 0)
        w->bad_stamp++;
    void *p = gcp_alloc(16);
    if (!p) {
        w->bad_null++;
        return NULL;
    }
    w->objects = 1;
    w->bytes = GC_size(p);
    return p;
}

START_TEST(threads_init_concurrently)
{
    worker w[8];
    uint64_t my_bytes = 0;

    memset(w, 0, sizeof w);
    gcp_heap_counters before = counters_now();
    for (size_t i = 0; i < N_ELEMS(w); i++)
        ck_assert_int_eq(pthread_create(&w[i].tid, NULL, init_and_alloc, &w[i]), 0);
    for (size_t i = 0; i < N_ELEMS(w); i++) {
        ck_assert_int_eq(pthread_join(w[i].tid, NULL), 0);
        ck_assert_uint_eq(w[i].bad_stamp, 0); /* gcp_init returned 0 */
        ck_assert_uint_eq(w[i].bad_null, 0);
        my_bytes += w[i].bytes;
    }
    gcp_heap_counters after = counters_now();
    ck_assert_uint_eq(after.objects_allocated - before.objects_allocated, N_ELEMS(w));
    ck_assert_uint_eq(after.bytes_allocated - before.bytes_allocated, my_bytes);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

Suite *make_heap_suite(void);
Suite *make_heap_suite(void)
{
    Suite *s = suite_create("heap");

    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, alloc_zeroed_small_sizes);
    tcase_add_test(core, alloc_zeroed_large_sizes);
    tcase_add_test(core, alloc_distinct_aligned_both_kinds);
    tcase_add_test(core, alloc_atomic_usable_whole_size);
    tcase_add_test(core, strdup_copies);
    tcase_add_test(core, gcp_new_zeroed_struct);
    tcase_add_test(core, counters_exact_mixed_sizes_and_kinds);
    tcase_add_test(core, counters_get_null_is_harmless);
    tcase_add_test(core, objects_survive_collections);
    tcase_add_test(core, collect_returns_1_and_0_when_disabled);
    tcase_add_test(core, init_is_idempotent);
    suite_add_tcase(s, core);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 120);
    tcase_add_test(errors, strdup_null);
    tcase_add_test(errors, huge_sizes_return_null);
    suite_add_tcase(s, errors);

    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 300);
    tcase_add_test(limits, capped_heap_large_blocks_return_null);
    tcase_add_test(limits, capped_heap_small_objects_return_null);
    suite_add_tcase(s, limits);

    TCase *threads = tcase_create("threads");
    tcase_add_checked_fixture(threads, setup, teardown);
    tcase_set_timeout(threads, 300);
    tcase_add_test(threads, threads_counters_exact);
    tcase_add_test(threads, threads_state_reused_after_exit);
    tcase_add_test(threads, threads_init_concurrently);
    suite_add_tcase(s, threads);
    return s;
}

int main(void)
{
    return tu_run(make_heap_suite());
}
