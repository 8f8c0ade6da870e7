/*
 * check_sizes.c - gcp_deep_sizeof: lists, cycles, trees, deep chains,
 * shared substructure, what each kind of object lets the walk follow,
 * interior and foreign pointers, containers, and running out of memory.
 *
 * Every expected figure is the test's own: GC_size() summed over objects
 * it allocated itself, or a naive recursive walk of its own for small
 * structures whose insides it cannot see (gcp_vec, gcp_map).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_inline.h> /* GC_I_PTRFREE, GC_I_NORMAL */
#include <gc/gc_mark.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

typedef struct node {
    struct node *next;
    uintptr_t payload; /* small odd numbers: never a heap address */
} node;

typedef struct tnode {
    struct tnode *left, *right;
} tnode;

static int sites_before;

/* Unsited objects unless a test asks otherwise, whatever GCPROF_SITES says. */
static void setup(void)
{
    ck_assert_int_eq(gcp_init(), 0);
    sites_before = gcp_sites_track(0);
}

static void teardown(void)
{
    gcp_sites_track(sites_before);
    tu_log_restore();
}

static void collect_clean(void)
{
    tu_clear_dead_stack();
    ck_assert_int_eq(gcp_collect(), 1);
}

/* A list of n fresh nodes (escaping through tu_sink); *sum gets the sum
 * of their GC sizes and *tail the last node. */
static node *list_build(size_t n, size_t *sum, node **tail)
{
    node *head = NULL, *last = NULL;

    *sum = 0;
    for (size_t i = 0; i < n; i++) {
        node *x = GCP_NEW(node);
        REQUIRE(x != NULL);
        x->payload = 2 * i + 1;
        x->next = head;
        head = x;
        last = last ? last : x;
        tu_sink = head;
        *sum += GC_size(x);
    }
    if (tail)
        *tail = last;
    return head;
}

/* ---- the test's own walk: recursive, linear visited list ----------- */

typedef struct naive {
    uintptr_t seen[4096];
    size_t n;
    int kind_atomic; /* learned from a gcp_alloc_atomic object */
} naive;

static size_t naive_deep(naive *nv, const void *p)
{
    void **base = GC_base((void *)p);
    size_t size, words;

    if (!base)
        return 0;
    for (size_t i = 0; i < nv->n; i++)
        if (nv->seen[i] == (uintptr_t)base)
            return 0;
    REQUIRE(nv->n < sizeof nv->seen / sizeof nv->seen[0]);
    nv->seen[nv->n++] = (uintptr_t)base;
    int kind = GC_get_kind_and_size(base, &size);
    if (kind == nv->kind_atomic)
        words = 1;
    else if (kind == GC_I_PTRFREE || kind == 3) /* 3: atomic uncollectable */
        words = 0;
    else
        words = size / sizeof(void *);
    size_t total = size;
    for (size_t i = 0; i < words; i++)
        total += naive_deep(nv, base[i]);
    return total;
}

static size_t naive_deep_sizeof(const void *p)
{
    static naive nv;
    void *probe = gcp_alloc_atomic(8);

    memset(&nv, 0, sizeof nv);
    nv.kind_atomic = GC_get_kind_and_size(probe, NULL);
    return naive_deep(&nv, p);
}

/* ---- core ----------------------------------------------------------- */

START_TEST(single_object)
{
    void *p = gcp_alloc(40);

    ck_assert_ptr_nonnull(p);
    tu_sink = p;
    ck_assert_uint_eq(gcp_deep_sizeof(p), gcp_sizeof(p));
    ck_assert_uint_eq(gcp_deep_sizeof(p), GC_size(p));
}
END_TEST

START_TEST(linked_list_10000)
{
    size_t sum;
    node *head = list_build(10000, &sum, NULL);

    ck_assert_uint_eq(gcp_deep_sizeof(head), sum);
    ck_assert_uint_eq(gcp_deep_sizeof(head->next), sum - GC_size(head));
}
END_TEST

START_TEST(ring_1000_from_any_node)
{
    size_t sum;
    node *tail, *head = list_build(1000, &sum, &tail);

    tail->next = head; /* close the cycle */
    node *mid = head;
    for (int i = 0; i < 500; i++)
        mid = mid->next;
    ck_assert_uint_eq(gcp_deep_sizeof(head), sum);
    ck_assert_uint_eq(gcp_deep_sizeof(mid), sum);
    ck_assert_uint_eq(gcp_deep_sizeof(tail), sum);
}
END_TEST

START_TEST(binary_tree_depth_18)
{
    enum { N = (1 << 18) - 1 }; /* 18 full levels */
    /* A managed (scanned) array keeps every node alive while linking. */
    tnode **all = gcp_alloc(N * sizeof *all);
    size_t sum = 0;

    ck_assert_ptr_nonnull(all);
    tu_sink = all;
    for (size_t i = 0; i < N; i++) {
        all[i] = GCP_NEW(tnode);
        REQUIRE(all[i] != NULL);
        sum += GC_size(all[i]);
    }
    for (size_t i = 0; 2 * i + 2 < N; i++) {
        all[i]->left = all[2 * i + 1];
        all[i]->right = all[2 * i + 2];
    }
    ck_assert_uint_eq(gcp_deep_sizeof(all[0]), sum);
    /* The root's left subtree: the left half of every level below it
     * (summed, as an odd node may be bigger than the rest). */
    size_t left = 0;
    for (size_t first = 1, width = 1; first < N; first = 2 * first + 1, width *= 2)
        for (size_t i = first; i < first + width; i++)
            left += GC_size(all[i]);
    ck_assert_uint_eq(gcp_deep_sizeof(all[1]), left);
    ck_assert_uint_eq(gcp_deep_sizeof(all), sum + GC_size(all));
}
END_TEST

START_TEST(chain_of_a_million)
{
    size_t sum;
    node *head = list_build(1000000, &sum, NULL);

    ck_assert_uint_eq(gcp_deep_sizeof(head), sum);
}
END_TEST

START_TEST(shared_map_counted_once)
{
    gcp_map *m = gcp_map_new();
    gcp_vec *a = gcp_vec_new(2), *b = gcp_vec_new(2), *outer = gcp_vec_new(2);

    ck_assert(m && a && b && outer);
    tu_sink = outer;
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(gcp_map_set_ptr(m, key, gcp_strdup(key)), 0);
    }
    ck_assert_int_eq(gcp_vec_push(a, m), 0);
    ck_assert_int_eq(gcp_vec_push(b, m), 0);
    ck_assert_int_eq(gcp_vec_push(outer, a), 0);
    ck_assert_int_eq(gcp_vec_push(outer, b), 0);
    size_t map = gcp_deep_sizeof(m), da = gcp_deep_sizeof(a), db = gcp_deep_sizeof(b);
    ck_assert_uint_gt(map, 20 * 16);
    ck_assert_uint_gt(da, map);
    ck_assert_uint_gt(db, map);

    /* outer's own bytes: the same objects holding no pointers for a moment. */
    ck_assert_int_eq(gcp_vec_set(outer, 0, (void *)(uintptr_t)1), 0);
    ck_assert_int_eq(gcp_vec_set(outer, 1, (void *)(uintptr_t)9), 0);
    size_t own = gcp_deep_sizeof(outer);
    tu_sink = a;
    ck_assert_int_eq(gcp_vec_set(outer, 0, a), 0);
    ck_assert_int_eq(gcp_vec_set(outer, 1, b), 0);
    tu_sink = outer;

    ck_assert_uint_eq(gcp_deep_sizeof(outer), own + da + db - map);
    ck_assert_uint_eq(gcp_deep_sizeof(outer), naive_deep_sizeof(outer));
}
END_TEST

START_TEST(atomic_follows_first_word_only)
{
    /* keep[0] is the buffer, keep[1..7] the objects it names. */
    void **keep = gcp_alloc(8 * sizeof *keep);
    void **buf = gcp_alloc_atomic(8 * sizeof *buf);

    ck_assert(keep && buf);
    tu_sink = keep;
    keep[0] = buf;
    buf[0] = NULL;
    for (int i = 1; i < 8; i++)
        buf[i] = keep[i] = GCP_NEW(node);
    size_t own = GC_size(buf);
    ck_assert_uint_eq(gcp_deep_sizeof(buf), own);
    buf[0] = keep[1];
    ck_assert_uint_eq(gcp_deep_sizeof(buf), own + GC_size(keep[1]));
    buf[0] = (char *)keep[2] + 5; /* interior, as the collector accepts */
    ck_assert_uint_eq(gcp_deep_sizeof(buf), own + GC_size(keep[2]));
    ck_assert_uint_eq(gcp_deep_sizeof(buf), naive_deep_sizeof(buf));
}
END_TEST

/* Buffers whose first word names one node and whose other words name
 * seven more, recorded (hidden) in first and rest. */
static NOINLINE void *atomic_buffers(tu_hidden *first, tu_hidden *rest)
{
    void **keep = gcp_alloc(16 * sizeof *keep);

    for (int b = 0; b < 16; b++) {
        void **buf = keep[b] = gcp_alloc_atomic(8 * sizeof *buf);
        for (int i = 0; i < 8; i++) {
            buf[i] = GCP_NEW(node);
            tu_hidden_add(i == 0 ? first : rest, buf[i]);
        }
    }
    return keep;
}

START_TEST(collector_also_follows_first_word_only)
{
    tu_hidden first = {0}, rest = {0};

    tu_sink = atomic_buffers(&first, &rest);
    collect_clean();
    ck_assert_uint_eq(tu_hidden_collected(&first), 0);
    ck_assert_uint_eq(tu_hidden_collected(&rest), 16 * 7);
    tu_sink = NULL;
    tu_hidden_free(&first);
    tu_hidden_free(&rest);
}
END_TEST

/* The collector's own kinds: NORMAL and UNCOLLECTABLE are scanned,
 * PTRFREE and ATOMIC_UNCOLLECTABLE are not. */
START_TEST(collector_kinds)
{
    void **keep = gcp_alloc(4 * sizeof *keep);
    node *t = GCP_NEW(node);
    void **normal = GC_MALLOC(4 * sizeof *normal), **ptrfree = GC_MALLOC_ATOMIC(32);
    void **unc = GC_MALLOC_UNCOLLECTABLE(32), **aunc = GC_MALLOC_ATOMIC_UNCOLLECTABLE(32);

    ck_assert(keep && t && normal && ptrfree && unc && aunc);
    tu_sink = keep;
    keep[0] = t, keep[1] = normal, keep[2] = ptrfree;
    ck_assert_int_eq(GC_get_kind_and_size(aunc, NULL), 3); /* what deep_size.c assumes */
    for (int i = 0; i < 4; i++)
        ptrfree[i] = aunc[i] = t;
    normal[0] = unc[0] = t;
    size_t ts = GC_size(t);
    ck_assert_uint_eq(gcp_deep_sizeof(normal), GC_size(normal) + ts);
    ck_assert_uint_eq(gcp_deep_sizeof(unc), GC_size(unc) + ts);
    ck_assert_uint_eq(gcp_deep_sizeof(ptrfree), GC_size(ptrfree));
    ck_assert_uint_eq(gcp_deep_sizeof(aunc), GC_size(aunc));
    /* NORMAL's descriptor skips the last word when the extra byte is on:
     * no request that fits leaves room for a stored pointer there. */
    void **whole = GC_base(normal); /* all GC_size bytes are usable */
    normal[0] = NULL;
    whole[GC_size(normal) / sizeof(void *) - 1] = t;
    size_t expect = GC_size(normal) + (GC_get_all_interior_pointers() ? 0 : ts);
    ck_assert_uint_eq(gcp_deep_sizeof(normal), expect);
    GC_FREE(unc);
    GC_FREE(aunc);
}
END_TEST

START_TEST(interior_pointer_same_as_base)
{
    size_t sum;
    node *head = list_build(100, &sum, NULL);

    ck_assert_uint_eq(gcp_deep_sizeof((char *)head + 1), sum);
    ck_assert_uint_eq(gcp_deep_sizeof((char *)head + sizeof(node)), sum);
    ck_assert_uint_eq(gcp_deep_sizeof(&head->payload), gcp_deep_sizeof(head));
}
END_TEST

/* Site tracking keeps the site id in an object's last word: the collector
 * holds it, so the deep size counts it, while gcp_sizeof gives the
 * user's part. */
START_TEST(sited_objects_count_their_header)
{
    gcp_sites_track(1);
    size_t sum;
    node *head = list_build(1000, &sum, NULL);
    void **keep = gcp_alloc(2 * sizeof *keep);
    void **buf = gcp_alloc_atomic(4 * sizeof *buf);
    gcp_sites_track(0);

    ck_assert(keep && buf);
    ck_assert_uint_eq(gcp_deep_sizeof(head), sum);
    ck_assert_uint_eq(gcp_deep_sizeof(head->next->next), sum - GC_size(head) - GC_size(head->next));
    ck_assert_uint_eq(gcp_sizeof(head) + 8, GC_size(head));
    tu_sink = keep;
    keep[0] = buf;
    keep[1] = head;
    /* A sited atomic object's first word is scanned, as an unsited one's. */
    buf[0] = head;
    ck_assert_uint_eq(gcp_deep_sizeof(buf), GC_size(buf) + sum);
    ck_assert_uint_eq(gcp_deep_sizeof(keep), GC_size(keep) + GC_size(buf) + sum);
}
END_TEST

static int global_var;

START_TEST(outside_the_heap_is_zero)
{
    int local = 0;
    void *mem = malloc(64);

    ck_assert_uint_eq(gcp_deep_sizeof(NULL), 0);
    ck_assert_uint_eq(gcp_deep_sizeof(&local), 0);
    ck_assert_uint_eq(gcp_deep_sizeof(&global_var), 0);
    ck_assert_ptr_nonnull(mem);
    ck_assert_uint_eq(gcp_deep_sizeof(mem), 0);
    free(mem);
}
END_TEST

typedef struct visible {
    size_t bytes;
    size_t n;
} visible;

static int add_visible(const char *key, gcp_value value, void *user)
{
    visible *v = user;

    /* The key handed out is the map's managed copy. */
    if (GC_base((void *)key) == key)
        v->bytes += GC_size(key);
    v->bytes += GC_size(value.as.p);
    v->n++;
    return 0;
}

START_TEST(map_of_100_strings)
{
    gcp_map *m = gcp_map_new();
    size_t strings = 0;

    ck_assert_ptr_nonnull(m);
    tu_sink = m;
    for (int i = 0; i < 100; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "key%d", i);
        snprintf(val, sizeof val, "value number %d", i);
        char *s = gcp_strdup(val);
        ck_assert_ptr_nonnull(s);
        strings += GC_size(s);
        ck_assert_int_eq(gcp_map_set_ptr(m, key, s), 0);
    }
    visible v = {GC_size(m), 0};
    ck_assert_int_eq(gcp_map_foreach(m, add_visible, &v), 0);
    ck_assert_uint_eq(v.n, 100);
    size_t deep = gcp_deep_sizeof(m);
    ck_assert_uint_ge(deep, strings + GC_size(m));
    ck_assert_uint_ge(deep, v.bytes);
    ck_assert_uint_eq(deep, naive_deep_sizeof(m));
}
END_TEST

/* ---- errors --------------------------------------------------------- */

static size_t vm_size_bytes(void)
{
    char line[256];
    unsigned long long kib = 0;
    FILE *fp = fopen("/proc/self/status", "r");

    while (fp && fgets(line, sizeof line, fp))
        if (sscanf(line, "VmSize: %llu", &kib) == 1)
            break;
    if (fp)
        fclose(fp);
    return (size_t)kib * 1024;
}

/* In a child: cap the address space just above what is mapped, so the
 * walk's own tables cannot grow. 0 when it fails cleanly. */
static int walk_out_of_memory(node *head)
{
    tu_log log;
    struct rlimit rl;

    tu_log_capture(&log);
    rl.rlim_cur = rl.rlim_max = vm_size_bytes() + 4 * ((size_t)1 << 20);
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return 10;
    if (gcp_deep_sizeof(head) != 0)
        return 11;
    if (log.count != 0 || !strstr(gcp_last_error(), "out of memory"))
        return 12;
    return 0;
}

START_TEST(out_of_memory_returns_zero)
{
    size_t sum;
    node *head = list_build(1000000, &sum, NULL);
    int status;

    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(walk_out_of_memory(head));
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_msg(WIFEXITED(status), "child killed by signal %d", WTERMSIG(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    /* The parent's walk still works. */
    ck_assert_uint_eq(gcp_deep_sizeof(head), sum);
}
END_TEST

Suite *make_sizes_suite(void);
Suite *make_sizes_suite(void)
{
    Suite *s = suite_create("sizes");

    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, single_object);
    tcase_add_test(core, linked_list_10000);
    tcase_add_test(core, ring_1000_from_any_node);
    tcase_add_test(core, binary_tree_depth_18);
    tcase_add_test(core, shared_map_counted_once);
    tcase_add_test(core, atomic_follows_first_word_only);
    tcase_add_test(core, collector_also_follows_first_word_only);
    tcase_add_test(core, collector_kinds);
    tcase_add_test(core, sited_objects_count_their_header);
    tcase_add_test(core, interior_pointer_same_as_base);
    tcase_add_test(core, outside_the_heap_is_zero);
    tcase_add_test(core, map_of_100_strings);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 300);
    tcase_add_test(limits, chain_of_a_million);
    suite_add_tcase(s, limits);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 300);
    tcase_add_test(errors, out_of_memory_returns_zero);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return tu_run(make_sizes_suite());
}
