/*
 * check_containers.c - gcp_vec and gcp_map: behaviour, errors, and their
 * interplay with the collector (what they keep alive, what they let go).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "testutil.h"

static void collect_clean(void)
{
    tu_clear_dead_stack();
    gcp_collect();
}

static void *int_item(size_t i)
{
    return (void *)(uintptr_t)(i * 8 + 1); /* odd: never a heap address */
}

/* ---- core: gcp_vec ------------------------------------------------------ */

START_TEST(vec_grows_to_100000)
{
    enum { N = 100000 };
    gcp_vec *vec = gcp_vec_new(0);

    ck_assert_ptr_nonnull(vec);
    tu_sink = vec;
    ck_assert_uint_eq(gcp_vec_len(vec), 0);
    for (size_t i = 0; i < N; i++) {
        REQUIRE_EQ(gcp_vec_push(vec, int_item(i)), 0);
        REQUIRE(gcp_vec_len(vec) == i + 1);
    }
    for (size_t i = 0; i < N; i++)
        REQUIRE(gcp_vec_get(vec, i) == int_item(i));
    for (size_t i = 0; i < N; i += 2)
        REQUIRE_EQ(gcp_vec_set(vec, i, int_item(N + i)), 0);
    for (size_t i = 0; i < N; i++)
        REQUIRE(gcp_vec_get(vec, i) == int_item(i % 2 ? i : N + i));
    for (size_t i = N; i-- > N / 2;)
        REQUIRE(gcp_vec_pop(vec) == int_item(i % 2 ? i : N + i));
    ck_assert_uint_eq(gcp_vec_len(vec), N / 2);
    ck_assert_ptr_null(gcp_vec_get(vec, N / 2));
    gcp_vec_clear(vec);
    ck_assert_uint_eq(gcp_vec_len(vec), 0);
    ck_assert_ptr_null(gcp_vec_get(vec, 0));
    ck_assert_ptr_null(gcp_vec_pop(vec));
    /* Usable again after clear; the cleared slots do not come back. */
    ck_assert_int_eq(gcp_vec_push(vec, int_item(7)), 0);
    ck_assert_uint_eq(gcp_vec_len(vec), 1);
    ck_assert_ptr_eq(gcp_vec_get(vec, 0), int_item(7));
    ck_assert_ptr_null(gcp_vec_get(vec, 1));
}
END_TEST

START_TEST(vec_initial_capacity_and_null_items)
{
    gcp_vec *vec = gcp_vec_new(3);

    ck_assert_ptr_nonnull(vec);
    tu_sink = vec;
    for (size_t i = 0; i < 10; i++) /* through 3 -> 6 -> 12 */
        ck_assert_int_eq(gcp_vec_push(vec, i % 3 ? int_item(i) : NULL), 0);
    for (size_t i = 0; i < 10; i++)
        ck_assert_ptr_eq(gcp_vec_get(vec, i), i % 3 ? int_item(i) : NULL);
    ck_assert_int_eq(gcp_vec_set(vec, 9, int_item(99)), 0);
    ck_assert_ptr_eq(gcp_vec_pop(vec), int_item(99));
    ck_assert_ptr_eq(gcp_vec_pop(vec), int_item(8));
    ck_assert_uint_eq(gcp_vec_len(vec), 8);
}
END_TEST

#define KEEP_N  1000
#define STR_FMT "kept string %04zu, padded to a few granules"

static NOINLINE gcp_vec *build_string_vec(void)
{
    char buf[64];
    gcp_vec *vec = gcp_vec_new(0);

    for (size_t i = 0; i < KEEP_N; i++) {
        snprintf(buf, sizeof buf, STR_FMT, i);
        REQUIRE_EQ(gcp_vec_push(vec, gcp_strdup(buf)), 0);
    }
    return vec;
}

/* Garbage of the strings' size and kind, so freed strings would be reused
 * and overwritten. */
static NOINLINE void churn(size_t bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *junk = gcp_alloc_atomic(bytes);
        REQUIRE(junk != NULL);
        memset(junk, '#', bytes);
        tu_sink = gcp_alloc(bytes);
    }
    tu_sink = NULL;
}

START_TEST(vec_keeps_elements_alive)
{
    char want[64];
    gcp_vec *vec = build_string_vec(); /* the only path to the strings */

    for (int round = 0; round < 4; round++) {
        collect_clean();
        churn(sizeof STR_FMT, 50000);
    }
    collect_clean();
    ck_assert_uint_eq(gcp_vec_len(vec), KEEP_N);
    for (size_t i = 0; i < KEEP_N; i++) {
        snprintf(want, sizeof want, STR_FMT, i);
        const char *got = gcp_vec_get(vec, i);
        if (!got || strcmp(got, want) != 0)
            ck_abort_msg("element %zu is \"%s\", want \"%s\"", i, got ? got : "(null)", want);
    }
}
END_TEST

/* Disappearing links, hidden from the collector, tell which objects died. */
#define LINK_N 100
static void *links[LINK_N];

static NOINLINE void *tracked_object(size_t i)
{
    void *obj = gcp_alloc(48);

    links[i] = (void *)GC_HIDE_POINTER(obj);
    ck_assert_int_eq(GC_general_register_disappearing_link(&links[i], obj), GC_SUCCESS);
    return obj;
}

static int links_cleared(void)
{
    int n = 0;

    for (size_t i = 0; i < LINK_N; i++)
        n += links[i] == NULL;
    return n;
}

static NOINLINE void fill_vec_tracked(gcp_vec *vec)
{
    for (size_t i = 0; i < LINK_N; i++)
        ck_assert_int_eq(gcp_vec_push(vec, tracked_object(i)), 0);
}

START_TEST(vec_releases_cleared_and_popped)
{
    gcp_vec *vec = gcp_vec_new(LINK_N); /* no growth: no stale copies */

    fill_vec_tracked(vec);
    collect_clean();
    ck_assert_int_eq(links_cleared(), 0); /* held by the vec */
    for (size_t i = 0; i < LINK_N / 2; i++)
        ck_assert_ptr_nonnull(gcp_vec_pop(vec));
    gcp_vec_clear(vec);
    collect_clean();
    /* A stray stack word may pin one or two; a vec keeping them pins all. */
    ck_assert_int_ge(links_cleared(), LINK_N * 9 / 10);
    tu_sink = vec;
}
END_TEST

/* ---- core: gcp_map ------------------------------------------------------ */

static void key_for(char *buf, size_t len, size_t i)
{
    snprintf(buf, len, "key-%zu", i);
}

START_TEST(map_10000_keys)
{
    enum { N = 10000 };
    char key[32];
    gcp_value v;
    gcp_map *map = gcp_map_new();

    ck_assert_ptr_nonnull(map);
    tu_sink = map;
    for (size_t i = 0; i < N; i++) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_set_int(map, key, (int64_t)i * 3), 0);
    }
    ck_assert_uint_eq(gcp_map_len(map), N);
    for (size_t i = 0; i < N; i++) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_get(map, key, &v), 0);
        REQUIRE_EQ(v.type, GCP_VALUE_INT);
        REQUIRE_EQ(v.as.i, (int64_t)i * 3);
    }
    /* Overwrite half with doubles: the length stays. */
    for (size_t i = 0; i < N; i += 2) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_set_double(map, key, i + 0.5), 0);
    }
    ck_assert_uint_eq(gcp_map_len(map), N);
    /* Remove the odd keys, leaving tombstones on every chain. */
    for (size_t i = 1; i < N; i += 2) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_remove(map, key), 0);
        REQUIRE_EQ(gcp_map_remove(map, key), GCP_ENOTFOUND);
    }
    ck_assert_uint_eq(gcp_map_len(map), N / 2);
    for (size_t i = 0; i < N; i++) {
        key_for(key, sizeof key, i);
        int rc = gcp_map_get(map, key, &v);
        if (i % 2) {
            REQUIRE_EQ(rc, GCP_ENOTFOUND);
        } else {
            REQUIRE_EQ(rc, 0);
            REQUIRE_EQ(v.type, GCP_VALUE_DOUBLE);
            REQUIRE(v.as.d == i + 0.5);
        }
    }
    /* Reinsert them over the tombstones. */
    for (size_t i = 1; i < N; i += 2) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_set_int(map, key, -(int64_t)i), 0);
    }
    ck_assert_uint_eq(gcp_map_len(map), N);
    for (size_t i = 1; i < N; i += 2) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_get_int(map, key), -(int64_t)i);
    }
}
END_TEST

typedef struct visit {
    size_t count;
    int64_t int_sum;
    double double_sum;
    int stop_after;
} visit;

static int visit_entry(const char *key, gcp_value value, void *user)
{
    visit *vs = user;

    ck_assert_ptr_nonnull(key);
    if (value.type == GCP_VALUE_INT)
        vs->int_sum += value.as.i;
    else if (value.type == GCP_VALUE_DOUBLE)
        vs->double_sum += value.as.d;
    vs->count++;
    return vs->stop_after && vs->count == (size_t)vs->stop_after ? 42 : 0;
}

START_TEST(map_foreach)
{
    enum { N = 10000 };
    char key[32];
    int64_t want = 0;
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    visit vs = {0};
    ck_assert_int_eq(gcp_map_foreach(map, visit_entry, &vs), 0);
    ck_assert_uint_eq(vs.count, 0);
    for (size_t i = 0; i < N; i++) {
        key_for(key, sizeof key, i);
        gcp_map_set_int(map, key, (int64_t)i);
        want += (int64_t)i;
    }
    for (size_t i = 0; i < N; i += 5) { /* removed entries are not visited */
        key_for(key, sizeof key, i);
        gcp_map_remove(map, key);
        want -= (int64_t)i;
    }
    gcp_map_set_double(map, "half", 0.5);
    ck_assert_double_eq(gcp_map_get_double(map, "half"), 0.5);
    ck_assert_double_eq(gcp_map_get_double(map, "absent"), 0.0);
    key_for(key, sizeof key, 1);
    ck_assert_double_eq(gcp_map_get_double(map, key), 0.0); /* an int */
    vs = (visit){0};
    ck_assert_int_eq(gcp_map_foreach(map, visit_entry, &vs), 0);
    ck_assert_uint_eq(vs.count, N - N / 5 + 1);
    ck_assert_int_eq(vs.int_sum, want);
    ck_assert_double_eq(vs.double_sum, 0.5);
    vs = (visit){.stop_after = 7};
    ck_assert_int_eq(gcp_map_foreach(map, visit_entry, &vs), 42);
    ck_assert_uint_eq(vs.count, 7);
}
END_TEST

/* FNV-1a, as map.c uses: keys agreeing in the low 12 bits share a home
 * slot in every table up to 4096 slots. (Were map.c to hash differently,
 * this would still pass, only less pointedly.) */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

START_TEST(map_colliding_keys)
{
    enum { N = 64, MASK = 4095 };
    static char keys[N][16];
    size_t found = 0;
    uint64_t home = fnv1a("c0") & MASK;
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    for (unsigned c = 0; found < N; c++) {
        char cand[16];
        snprintf(cand, sizeof cand, "c%u", c);
        if ((fnv1a(cand) & MASK) == home)
            memcpy(keys[found++], cand, sizeof cand);
    }
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(gcp_map_set_int(map, keys[i], (int64_t)i), 0);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(gcp_map_get_int(map, keys[i]), (int64_t)i);
    /* Holes early in the chain must not hide the keys after them. */
    for (size_t i = 0; i < N; i += 3)
        ck_assert_int_eq(gcp_map_remove(map, keys[i]), 0);
    ck_assert_uint_eq(gcp_map_len(map), N - (N + 2) / 3);
    for (size_t i = 0; i < N; i++) {
        gcp_value v;
        ck_assert_int_eq(gcp_map_get(map, keys[i], &v), i % 3 ? 0 : GCP_ENOTFOUND);
        if (i % 3)
            ck_assert_int_eq(v.as.i, (int64_t)i);
    }
    /* Reinsert, and overwrite a key that sits beyond a reused tombstone:
     * it must not be inserted twice. */
    for (size_t i = 0; i < N; i += 3)
        ck_assert_int_eq(gcp_map_set_int(map, keys[i], 1000 + (int64_t)i), 0);
    ck_assert_int_eq(gcp_map_remove(map, keys[0]), 0);
    ck_assert_int_eq(gcp_map_set_int(map, keys[N - 1], -1), 0);
    ck_assert_uint_eq(gcp_map_len(map), N - 1);
    ck_assert_int_eq(gcp_map_remove(map, keys[N - 1]), 0);
    ck_assert_int_eq(gcp_map_remove(map, keys[N - 1]), GCP_ENOTFOUND);
    for (size_t i = 1; i < N - 1; i++)
        ck_assert_int_eq(gcp_map_get_int(map, keys[i]), i % 3 ? (int64_t)i : 1000 + (int64_t)i);
}
END_TEST

START_TEST(map_empty_key)
{
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    ck_assert_int_eq(gcp_map_set_int(map, "", 5), 0);
    ck_assert_int_eq(gcp_map_set_int(map, "a", 6), 0);
    ck_assert_int_eq(gcp_map_get_int(map, ""), 5);
    ck_assert_int_eq(gcp_map_get_int(map, "a"), 6);
    ck_assert_int_eq(gcp_map_remove(map, ""), 0);
    ck_assert_int_eq(gcp_map_get_int(map, ""), 0);
    ck_assert_int_eq(gcp_map_get_int(map, "a"), 6);
    ck_assert_uint_eq(gcp_map_len(map), 1);
}
END_TEST

START_TEST(map_value_types)
{
    gcp_value v;
    void *obj = gcp_alloc(16);
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    ck_assert_int_eq(gcp_map_set_int(map, "min", INT64_MIN), 0);
    ck_assert_int_eq(gcp_map_set_int(map, "max", INT64_MAX), 0);
    ck_assert_int_eq(gcp_map_set_double(map, "negzero", -0.0), 0);
    ck_assert_int_eq(gcp_map_set_double(map, "inf", INFINITY), 0);
    ck_assert_int_eq(gcp_map_set_double(map, "nan", NAN), 0);
    ck_assert_int_eq(gcp_map_set_double(map, "tiny", DBL_TRUE_MIN), 0);
    ck_assert_int_eq(gcp_map_set_ptr(map, "obj", obj), 0);
    ck_assert_int_eq(gcp_map_set_ptr(map, "null", NULL), 0);
    ck_assert_int_eq(gcp_map_set(map, "raw", (gcp_value){.type = GCP_VALUE_INT, .as.i = 9}), 0);

    ck_assert_int_eq(gcp_map_get_int(map, "min"), INT64_MIN);
    ck_assert_int_eq(gcp_map_get_int(map, "max"), INT64_MAX);
    ck_assert_int_eq(gcp_map_get_int(map, "raw"), 9);
    ck_assert_int_eq(gcp_map_get(map, "negzero", &v), 0);
    ck_assert_int_eq(v.type, GCP_VALUE_DOUBLE);
    ck_assert(v.as.d == 0.0 && signbit(v.as.d));
    ck_assert_int_eq(gcp_map_get(map, "inf", &v), 0);
    ck_assert(isinf(v.as.d) && v.as.d > 0);
    ck_assert_int_eq(gcp_map_get(map, "nan", &v), 0);
    ck_assert(isnan(v.as.d));
    ck_assert_int_eq(gcp_map_get(map, "tiny", &v), 0);
    ck_assert(v.as.d == DBL_TRUE_MIN);
    ck_assert_ptr_eq(gcp_map_get_ptr(map, "obj"), obj);
    ck_assert_int_eq(gcp_map_get(map, "null", &v), 0); /* present, NULL value */
    ck_assert_int_eq(v.type, GCP_VALUE_PTR);
    ck_assert_ptr_null(v.as.p);

    /* Overwriting may change the type. */
    ck_assert_int_eq(gcp_map_set_double(map, "obj", 2.5), 0);
    ck_assert_ptr_null(gcp_map_get_ptr(map, "obj"));
    ck_assert_int_eq(gcp_map_get(map, "obj", &v), 0);
    ck_assert_int_eq(v.type, GCP_VALUE_DOUBLE);
    ck_assert_uint_eq(gcp_map_len(map), 9);
}
END_TEST

static int find_key(const char *key, gcp_value value, void *user)
{
    (void)value;
    *(const char **)user = key;
    return 1;
}

START_TEST(map_copies_keys)
{
    char buf[] = "alpha";
    const char *stored = NULL;
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    ck_assert_int_eq(gcp_map_set_int(map, buf, 1), 0);
    buf[0] = 'X';
    ck_assert_int_eq(gcp_map_get_int(map, "alpha"), 1);
    gcp_value v;
    ck_assert_int_eq(gcp_map_get(map, buf, &v), GCP_ENOTFOUND);
    ck_assert_int_eq(gcp_map_foreach(map, find_key, &stored), 1);
    ck_assert_ptr_ne(stored, buf);
    ck_assert_str_eq(stored, "alpha");
    /* Overwriting keeps the first copy: the caller's buffer is never kept. */
    strcpy(buf, "alpha");
    ck_assert_int_eq(gcp_map_set_int(map, buf, 2), 0);
    buf[0] = 'Y';
    ck_assert_int_eq(gcp_map_get_int(map, "alpha"), 2);
    ck_assert_uint_eq(gcp_map_len(map), 1);
}
END_TEST

static NOINLINE gcp_map *build_ptr_map(void)
{
    char key[32], val[64];
    gcp_map *map = gcp_map_new();

    for (size_t i = 0; i < KEEP_N; i++) {
        key_for(key, sizeof key, i);
        snprintf(val, sizeof val, STR_FMT, i);
        REQUIRE_EQ(gcp_map_set_ptr(map, key, gcp_strdup(val)), 0);
    }
    return map;
}

static int check_entry(const char *key, gcp_value value, void *user)
{
    char want[64];
    size_t i;

    REQUIRE_EQ(sscanf(key, "key-%zu", &i), 1);
    snprintf(want, sizeof want, STR_FMT, i);
    REQUIRE_EQ(value.type, GCP_VALUE_PTR);
    if (strcmp(value.as.p, want) != 0)
        ck_abort_msg("value of %s is \"%s\", want \"%s\"", key, (char *)value.as.p, want);
    ++*(size_t *)user;
    return 0;
}

START_TEST(map_keeps_keys_and_values_alive)
{
    size_t seen = 0;
    gcp_map *map = build_ptr_map();

    for (int round = 0; round < 4; round++) {
        collect_clean();
        churn(sizeof STR_FMT, 50000);
        churn(8, 50000); /* the keys' size */
    }
    collect_clean();
    ck_assert_int_eq(gcp_map_foreach(map, check_entry, &seen), 0);
    ck_assert_uint_eq(seen, KEEP_N);
}
END_TEST

static NOINLINE void fill_map_tracked(gcp_map *map)
{
    char key[32];

    for (size_t i = 0; i < LINK_N; i++) {
        key_for(key, sizeof key, i);
        ck_assert_int_eq(gcp_map_set_ptr(map, key, tracked_object(i)), 0);
    }
}

START_TEST(map_releases_removed_values)
{
    char key[32];
    gcp_map *map = gcp_map_new();

    fill_map_tracked(map);
    collect_clean();
    ck_assert_int_eq(links_cleared(), 0);
    for (size_t i = 0; i < LINK_N; i++) {
        key_for(key, sizeof key, i);
        ck_assert_int_eq(gcp_map_remove(map, key), 0);
    }
    collect_clean();
    ck_assert_int_ge(links_cleared(), LINK_N * 9 / 10);
    tu_sink = map;
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

static tu_log log_;

static void capture_setup(void)
{
    gcp_init();
    tu_log_capture(&log_);
}

static void capture_teardown(void)
{
    tu_log_restore();
}

/* The last call failed: nothing logged (a failure is the caller's to
 * report), and gcp_last_error() names needle. */
static void expect_quiet(const char *needle)
{
    ck_assert_int_eq(log_.count, 0);
    ck_assert_msg(strstr(gcp_last_error(), needle), "\"%s\" lacks \"%s\"", gcp_last_error(),
                  needle);
}

START_TEST(vec_errors)
{
    gcp_vec *vec = gcp_vec_new(2);

    tu_sink = vec;
    ck_assert_int_eq(gcp_vec_push(NULL, NULL), GCP_EINVAL);
    expect_quiet("gcp_vec_push: vec is NULL");
    ck_assert_ptr_null(gcp_vec_get(NULL, 0));
    expect_quiet("gcp_vec_get: vec is NULL");
    ck_assert_int_eq(gcp_vec_set(NULL, 0, NULL), GCP_EINVAL);
    expect_quiet("gcp_vec_set: vec is NULL");
    ck_assert_ptr_null(gcp_vec_pop(NULL));
    expect_quiet("gcp_vec_pop: vec is NULL");
    gcp_vec_clear(NULL);
    expect_quiet("gcp_vec_clear: vec is NULL");
    ck_assert_uint_eq(gcp_vec_len(NULL), 0); /* documented, not an error */
    ck_assert_int_eq(log_.count, 0);

    ck_assert_int_eq(gcp_vec_set(vec, 0, int_item(1)), GCP_ERANGE);
    expect_quiet("index 0 out of range");
    gcp_vec_push(vec, int_item(1));
    ck_assert_int_eq(gcp_vec_set(vec, 1, int_item(2)), GCP_ERANGE);
    expect_quiet("index 1 out of range (length 1)");
    ck_assert_int_eq(gcp_vec_set(vec, SIZE_MAX, int_item(2)), GCP_ERANGE);
    expect_quiet("out of range");
    ck_assert_ptr_eq(gcp_vec_get(vec, 0), int_item(1));

    /* Out-of-range reads and popping an empty vec are documented NULLs. */
    ck_assert_ptr_null(gcp_vec_get(vec, 1));
    expect_quiet("index 1 out of range");
    ck_assert_ptr_null(gcp_vec_get(vec, SIZE_MAX));
    expect_quiet("out of range");
    ck_assert_ptr_eq(gcp_vec_pop(vec), int_item(1));
    ck_assert_ptr_null(gcp_vec_pop(vec));
    expect_quiet("empty");
}
END_TEST

START_TEST(map_null_arguments)
{
    gcp_value v = {.type = GCP_VALUE_INT, .as.i = 1};
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    ck_assert_int_eq(gcp_map_set(NULL, "k", v), GCP_EINVAL);
    expect_quiet("gcp_map_set: map is NULL");
    ck_assert_int_eq(gcp_map_set(map, NULL, v), GCP_EINVAL);
    expect_quiet("gcp_map_set: key is NULL");
    ck_assert_int_eq(gcp_map_set_int(NULL, "k", 1), GCP_EINVAL);
    expect_quiet("map is NULL");
    ck_assert_int_eq(gcp_map_set_int(map, NULL, 1), GCP_EINVAL);
    expect_quiet("key is NULL");
    ck_assert_int_eq(gcp_map_set_double(NULL, "k", 1.0), GCP_EINVAL);
    expect_quiet("map is NULL");
    ck_assert_int_eq(gcp_map_set_double(map, NULL, 1.0), GCP_EINVAL);
    expect_quiet("key is NULL");
    ck_assert_int_eq(gcp_map_set_ptr(NULL, "k", map), GCP_EINVAL);
    expect_quiet("map is NULL");
    ck_assert_int_eq(gcp_map_set_ptr(map, NULL, map), GCP_EINVAL);
    expect_quiet("key is NULL");
    ck_assert_uint_eq(gcp_map_len(map), 0);

    gcp_map_set_int(map, "k", 1);
    ck_assert_int_eq(gcp_map_get(NULL, "k", &v), GCP_EINVAL);
    expect_quiet("gcp_map_get: map is NULL");
    ck_assert_int_eq(gcp_map_get(map, NULL, &v), GCP_EINVAL);
    expect_quiet("gcp_map_get: key is NULL");
    ck_assert_int_eq(gcp_map_get(map, "k", NULL), GCP_EINVAL);
    expect_quiet("gcp_map_get: out is NULL");
    ck_assert_int_eq(gcp_map_get_int(NULL, "k"), 0);
    expect_quiet("gcp_map_get_int: map is NULL");
    ck_assert_int_eq(gcp_map_get_int(map, NULL), 0);
    expect_quiet("gcp_map_get_int: key is NULL");
    ck_assert_ptr_null(gcp_map_get_ptr(NULL, "k"));
    expect_quiet("gcp_map_get_ptr: map is NULL");
    ck_assert_ptr_null(gcp_map_get_ptr(map, NULL));
    expect_quiet("gcp_map_get_ptr: key is NULL");
    ck_assert_int_eq(gcp_map_remove(NULL, "k"), GCP_EINVAL);
    expect_quiet("gcp_map_remove: map is NULL");
    ck_assert_int_eq(gcp_map_remove(map, NULL), GCP_EINVAL);
    expect_quiet("gcp_map_remove: key is NULL");
    ck_assert_int_eq(gcp_map_foreach(NULL, visit_entry, NULL), GCP_EINVAL);
    expect_quiet("gcp_map_foreach: map is NULL");
    ck_assert_int_eq(gcp_map_foreach(map, NULL, NULL), GCP_EINVAL);
    expect_quiet("gcp_map_foreach: fn is NULL");
    ck_assert_uint_eq(gcp_map_len(NULL), 0);
    ck_assert_int_eq(log_.count, 0);
    ck_assert_int_eq(gcp_map_get_int(map, "k"), 1); /* untouched throughout */
}
END_TEST

START_TEST(map_bad_value_type)
{
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    ck_assert_int_eq(gcp_map_set(map, "k", (gcp_value){.type = GCP_VALUE_NONE}), GCP_EINVAL);
    expect_quiet("value.type 0");
    ck_assert_int_eq(gcp_map_set(map, "k", (gcp_value){.type = (gcp_value_type)42}), GCP_EINVAL);
    expect_quiet("value.type 42");
    ck_assert_uint_eq(gcp_map_len(map), 0);
    /* Nor may a bad value replace a good one. */
    gcp_map_set_int(map, "k", 3);
    ck_assert_int_eq(gcp_map_set(map, "k", (gcp_value){.type = (gcp_value_type)-1}), GCP_EINVAL);
    expect_quiet("value.type -1");
    ck_assert_int_eq(gcp_map_get_int(map, "k"), 3);
}
END_TEST

START_TEST(map_not_found_and_wrong_type)
{
    gcp_value v = {.type = GCP_VALUE_INT, .as.i = 77};
    gcp_map *map = gcp_map_new();

    tu_sink = map;
    ck_assert_int_eq(gcp_map_get(map, "missing", &v), GCP_ENOTFOUND);
    expect_quiet("no key \"missing\"");
    ck_assert_int_eq(v.as.i, 77); /* *out untouched */
    ck_assert_int_eq(gcp_map_remove(map, "missing"), GCP_ENOTFOUND);
    expect_quiet("gcp_map_remove: no key \"missing\"");
    ck_assert_int_eq(gcp_map_get_int(map, "missing"), 0);
    expect_quiet("gcp_map_get_int: no key");
    ck_assert_ptr_null(gcp_map_get_ptr(map, "missing"));
    expect_quiet("gcp_map_get_ptr: no key");

    gcp_map_set_int(map, "i", 5);
    gcp_map_set_double(map, "d", 5.0);
    gcp_map_set_ptr(map, "p", map);
    ck_assert_int_eq(gcp_map_get_int(map, "d"), 0);
    expect_quiet("\"d\" does not hold an int");
    ck_assert_int_eq(gcp_map_get_int(map, "p"), 0);
    expect_quiet("\"p\" does not hold an int");
    ck_assert_ptr_null(gcp_map_get_ptr(map, "i"));
    expect_quiet("\"i\" does not hold a pointer");
    ck_assert_ptr_null(gcp_map_get_ptr(map, "d"));
    expect_quiet("\"d\" does not hold a pointer");
    ck_assert_int_eq(gcp_map_get_int(map, "i"), 5);
    ck_assert_ptr_eq(gcp_map_get_ptr(map, "p"), map);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

START_TEST(vec_capacity_overflow)
{
    tu_log log;

    tu_log_capture(&log);
    ck_assert_ptr_null(gcp_vec_new(SIZE_MAX / sizeof(void *) + 1));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "capacity"));
    ck_assert_ptr_null(gcp_vec_new(SIZE_MAX));
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "capacity"));
    ck_assert_int_eq(log.count, 0);
    tu_log_restore();
}
END_TEST

START_TEST(map_long_and_binary_keys)
{
    enum { LONG = 100000 };
    char *big = malloc(LONG + 1);
    char bytes[256];
    gcp_map *map = gcp_map_new();

    ck_assert_ptr_nonnull(big);
    tu_sink = map;
    memset(big, 'k', LONG);
    big[LONG] = '\0';
    ck_assert_int_eq(gcp_map_set_int(map, big, 1), 0);
    big[LONG - 1] = 'j'; /* differs only in the last byte */
    ck_assert_int_eq(gcp_map_set_int(map, big, 2), 0);
    ck_assert_int_eq(gcp_map_get_int(map, big), 2);
    big[LONG - 1] = 'k';
    ck_assert_int_eq(gcp_map_get_int(map, big), 1);
    free(big);
    for (int i = 1; i < 256; i++)
        bytes[i - 1] = (char)i;
    bytes[255] = '\0';
    ck_assert_int_eq(gcp_map_set_int(map, bytes, 3), 0);
    ck_assert_int_eq(gcp_map_get_int(map, bytes), 3);
    ck_assert_uint_eq(gcp_map_len(map), 3);
}
END_TEST

static size_t heap_in_use_after_collect(void)
{
    collect_clean();
    return GC_get_heap_size() - GC_get_free_bytes();
}

/* Insert/remove churn leaves a tombstone per key; the table must keep
 * working (probes must end) and be rebuilt at its size, not doubled each
 * time tombstones fill it (which would hold ~3 MiB here). */
START_TEST(map_tombstone_churn)
{
    enum { N = 200000, LIVE = 5 };
    char key[32];
    gcp_map *map = gcp_map_new();
    size_t before = heap_in_use_after_collect();

    tu_sink = map;
    for (size_t i = 0; i < N; i++) {
        key_for(key, sizeof key, i);
        REQUIRE_EQ(gcp_map_set_int(map, key, (int64_t)i), 0);
        if (i >= LIVE) {
            key_for(key, sizeof key, i - LIVE);
            REQUIRE_EQ(gcp_map_remove(map, key), 0);
        }
    }
    ck_assert_uint_eq(gcp_map_len(map), LIVE);
    for (size_t i = N - LIVE; i < N; i++) {
        key_for(key, sizeof key, i);
        ck_assert_int_eq(gcp_map_get_int(map, key), (int64_t)i);
    }
    ck_assert_int_eq(gcp_map_get_int(map, "key-0"), 0);
    size_t after = heap_in_use_after_collect();
    ck_assert_msg(after < before + 1024 * 1024, "in use grew from %zu to %zu bytes", before, after);
}
END_TEST

#define DROP_MAPS    200
#define DROP_ENTRIES 1000
static char drop_keys[DROP_ENTRIES][16];

static NOINLINE void build_and_drop_maps(void)
{
    gcp_vec *maps = gcp_vec_new(DROP_MAPS);

    for (size_t m = 0; m < DROP_MAPS; m++) {
        gcp_map *map = gcp_map_new();
        REQUIRE(map != NULL);
        for (size_t i = 0; i < DROP_ENTRIES; i++)
            REQUIRE_EQ(gcp_map_set_int(map, drop_keys[i], (int64_t)i), 0);
        REQUIRE_EQ(gcp_vec_push(maps, map), 0);
    }
    ck_assert_uint_eq(gcp_vec_len(maps), DROP_MAPS);
}

START_TEST(dropped_maps_are_collected)
{
    size_t first = 0;

    for (size_t i = 0; i < DROP_ENTRIES; i++)
        snprintf(drop_keys[i], sizeof drop_keys[i], "entry-%zu", i);
    for (int round = 0; round < 20; round++) {
        build_and_drop_maps();
        collect_clean();
        if (round == 0)
            first = GC_get_heap_size();
    }
    size_t last = GC_get_heap_size();
    ck_assert_msg(last < 3 * first, "GC heap grew from %zu to %zu bytes", first, last);
}
END_TEST

static Suite *make_containers_suite(void)
{
    Suite *s = suite_create("containers");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *limits = tcase_create("limits");

    tcase_set_timeout(core, 60);
    tcase_add_test(core, vec_grows_to_100000);
    tcase_add_test(core, vec_initial_capacity_and_null_items);
    tcase_add_test(core, vec_keeps_elements_alive);
    tcase_add_test(core, vec_releases_cleared_and_popped);
    tcase_add_test(core, map_10000_keys);
    tcase_add_test(core, map_foreach);
    tcase_add_test(core, map_colliding_keys);
    tcase_add_test(core, map_empty_key);
    tcase_add_test(core, map_value_types);
    tcase_add_test(core, map_copies_keys);
    tcase_add_test(core, map_keeps_keys_and_values_alive);
    tcase_add_test(core, map_releases_removed_values);
    suite_add_tcase(s, core);

    tcase_add_checked_fixture(errors, capture_setup, capture_teardown);
    tcase_add_test(errors, vec_errors);
    tcase_add_test(errors, map_null_arguments);
    tcase_add_test(errors, map_bad_value_type);
    tcase_add_test(errors, map_not_found_and_wrong_type);
    suite_add_tcase(s, errors);

    tcase_set_timeout(limits, 120);
    tcase_add_test(limits, vec_capacity_overflow);
    tcase_add_test(limits, map_long_and_binary_keys);
    tcase_add_test(limits, map_tombstone_churn);
    tcase_add_test(limits, dropped_maps_are_collected);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    return tu_run(make_containers_suite());
}
