/*
 * check_cgroup_cache.c - the cgroup reader's cache (runtime/heap/
 * cgroup_cache.c) on fake trees (tests/cgroup_tree.c): a reading kept for
 * GCP__CGROUP_KEEP_NS, the others' share, a limit changed in place, and a
 * process that moves: found again within GCP__CGROUP_REFIND_NS, at once
 * when its cgroup goes. Time is the test's (the cache takes it as an
 * argument). And the process's own reading on the real system. White-box.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_tree.h"
#include "testutil.h"

#define SEC 1000000000ull

START_TEST(test_cache_keeps_reading)
{
    gcp__cgroup_cache c;
    gcp__cgroup_reading r;
    const uint64_t t0 = 5 * SEC;

    memset(&c, 0, sizeof c);
    c.root = tree_root;
    v2_tree();
    gcp__cgroup_cached(&c, t0, 4 * MIB, &r);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    ck_assert_uint_eq(r.usage, 10 * MIB);
    ck_assert_uint_eq(r.others, 6 * MIB); /* usage less this process's RSS */
    v2_level(V2 "/a", 90 * MIB, 20 * MIB);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_KEEP_NS - 1, 5 * MIB, &r);
    ck_assert_uint_eq(r.usage, 10 * MIB); /* kept */
    ck_assert_uint_eq(r.others, 6 * MIB);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_KEEP_NS, 5 * MIB, &r);
    ck_assert_uint_eq(r.limit, 90 * MIB); /* read again: a limit changed in place */
    ck_assert_uint_eq(r.usage, 20 * MIB);
    ck_assert_uint_eq(r.others, 15 * MIB);
    /* RSS above the cgroup's usage (pages charged elsewhere): others 0. */
    gcp__cgroup_cached(&c, t0 + 2 * GCP__CGROUP_KEEP_NS, 30 * MIB, &r);
    ck_assert_uint_eq(r.others, 0);
    ck_assert_uint_eq(r.usage, 20 * MIB);
}
END_TEST

/* A cgroup doing file I/O: its usage at the limit is page cache the
 * kernel reclaims first, not the others' share. */
START_TEST(test_cache_page_cache_not_others)
{
    gcp__cgroup_cache c;
    gcp__cgroup_reading r;

    memset(&c, 0, sizeof c);
    c.root = tree_root;
    v2_tree();
    v2_level_cache(V2 "/a", 100 * MIB, 99 * MIB, 80 * MIB);
    gcp__cgroup_cached(&c, 5 * SEC, 15 * MIB, &r);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    ck_assert_uint_eq(r.usage, 19 * MIB);
    ck_assert_uint_eq(r.others, 4 * MIB);
}
END_TEST

START_TEST(test_cache_moved_process)
{
    gcp__cgroup_cache c;
    gcp__cgroup_reading r;
    const uint64_t t0 = 5 * SEC, step = GCP__CGROUP_KEEP_NS;
    char path[256];

    memset(&c, 0, sizeof c);
    c.root = tree_root;
    put("proc/self/mountinfo", MI_V2);
    v2_level(V2 "/a", 100 * MIB, 10 * MIB);
    v2_level(V2 "/b", 50 * MIB, 10 * MIB);
    put("proc/self/cgroup", "0::/a\n");
    gcp__cgroup_cached(&c, t0, MIB, &r);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    /* Moved to /b: seen within a second, the old cgroup still readable. */
    put("proc/self/cgroup", "0::/b\n");
    gcp__cgroup_cached(&c, t0 + step, MIB, &r);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_REFIND_NS, MIB, &r);
    ck_assert_uint_eq(r.limit, 50 * MIB);
    /* Moved back, and /b removed: found again at the next reading. */
    put("proc/self/cgroup", "0::/a\n");
    snprintf(path, sizeof path, "%s" V2 "/b/memory.max", tree_root);
    /* The cache keeps the files open: a removed cgroup's file read
     * through a kept descriptor fails (kernfs: ENODEV), a removed regular
     * file's does not, so it is emptied first. */
    put(V2 "/b/memory.max", "");
    ck_assert_int_eq(unlink(path), 0);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_REFIND_NS + step, MIB, &r);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    /* Moved where there is no limit: none, and found again later. */
    put("proc/self/cgroup", "0::/c\n");
    snprintf(path, sizeof path, "%s" V2 "/a/memory.max", tree_root);
    put(V2 "/a/memory.max", "");
    ck_assert_int_eq(unlink(path), 0);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_REFIND_NS + 2 * step, MIB, &r);
    ck_assert_uint_eq(r.limit, 0);
    ck_assert_uint_eq(r.usage, 0);
    ck_assert_uint_eq(r.others, 0);
    v2_level(V2 "/c", 70 * MIB, 0);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_REFIND_NS + 3 * step, MIB, &r);
    ck_assert_uint_eq(r.limit, 0); /* not looked for again yet */
    gcp__cgroup_cached(&c, t0 + 3 * GCP__CGROUP_REFIND_NS, MIB, &r);
    ck_assert_uint_eq(r.limit, 70 * MIB);
}
END_TEST

/* The real system: whatever it has, a reading, or none. No assumption
 * about this machine's limits; tests/check_cgroup_limit.sh sets one. */
START_TEST(test_real_system)
{
    gcp__cgroup_dir d;
    gcp__cgroup_reading r;
    uint64_t limit = 0, usage = 0;

    if (gcp__cgroup_find("", &d)) {
        ck_assert_int_ge(d.version, 1);
        ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
        ck_assert_uint_gt(limit, 0);
    }
    gcp__cgroup_now(gcp__now_ns(), tu_rss_bytes(), &r);
    ck_assert(r.limit > 0 || (r.usage == 0 && r.others == 0));
}
END_TEST
static Suite *make_cgroup_cache_suite(void)
{
    Suite *s = suite_create("cgroup_cache");
    TCase *cache = tcase_create("cache"), *real = tcase_create("real");

    tcase_add_checked_fixture(cache, tree_setup, tree_teardown);
    tcase_add_test(cache, test_cache_keeps_reading);
    tcase_add_test(cache, test_cache_page_cache_not_others);
    tcase_add_test(cache, test_cache_moved_process);
    suite_add_tcase(s, cache);
    tcase_add_test(real, test_real_system);
    suite_add_tcase(s, real);
    return s;
}

int main(void)
{
    return tu_run(make_cgroup_cache_suite());
}
