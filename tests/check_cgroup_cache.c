/*
 * check_cgroup_cache.c - the cgroup reader's cache (runtime/heap/
 * cgroup_cache.c) on fake trees (tests/cgroup_tree.c): a reading kept for
 * GCP__CGROUP_KEEP_NS, the others' share, a limit changed in place, and a
 * process that moves: found again within GCP__CGROUP_REFIND_NS, at once
 * when its cgroup goes. Time is the test's (the cache takes it as an
 * argument). And the process's own reading on the real system. White-box.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Closes the lowest descriptor open on a file under tree_root, as a
 * program closing descriptors it does not know would; returns it. */
static int close_lowest_tree_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int lowest = -1;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char link[64], target[512];
        int fd = atoi(e->d_name);
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0 || fd == dirfd(d))
            continue;
        target[n] = '\0';
        if (strncmp(target, tree_root, strlen(tree_root)) == 0 && (lowest < 0 || fd < lowest))
            lowest = fd;
    }
    closedir(d);
    ck_assert_int_eq(close(lowest), 0);
    return lowest;
}

/* The program closed a descriptor of the cache's and got its number back for a
 * file of its own: the cache reads its cgroup's files again (opened anew),
 * never the program's file, and closes nothing of the program's when it
 * finds the cgroup again. */
START_TEST(test_cache_descriptor_taken_over)
{
    gcp__cgroup_cache c;
    gcp__cgroup_reading r;
    const uint64_t t0 = 5 * SEC;
    char decoy_path[] = "/tmp/gcprof-decoy.XXXXXX";

    memset(&c, 0, sizeof c);
    c.root = tree_root;
    v2_tree();
    gcp__cgroup_cached(&c, t0, 4 * MIB, &r);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    int lowest = close_lowest_tree_fd();
    int decoy = mkstemp(decoy_path); /* the lowest free number: one of ours */
    ck_assert_int_eq(decoy, lowest);
    unlink(decoy_path);
    /* a limit or usage, to be read by mistake (the first opened, lowest) */
    ck_assert_int_eq(write(decoy, "1073741824\n", 11), 11);
    v2_level(V2 "/a", 90 * MIB, 20 * MIB);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_KEEP_NS, 5 * MIB, &r);
    ck_assert_uint_eq(r.limit, 90 * MIB);
    ck_assert_uint_eq(r.usage, 20 * MIB);
    gcp__cgroup_cached(&c, t0 + GCP__CGROUP_REFIND_NS, 5 * MIB, &r); /* closes the old */
    ck_assert_uint_eq(r.limit, 90 * MIB);
    ck_assert_int_ne(fcntl(decoy, F_GETFD), -1); /* still the program's */
    char buf[16] = "";
    ck_assert_int_eq(pread(decoy, buf, sizeof buf - 1, 0), 11);
    ck_assert_str_eq(buf, "1073741824\n");
    close(decoy);
    gcp__cgroup_files_close(&c.files);
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
    tcase_add_test(cache, test_cache_descriptor_taken_over);
    suite_add_tcase(s, cache);
    tcase_add_test(real, test_real_system);
    suite_add_tcase(s, real);
    return s;
}

int main(void)
{
    return tu_run(make_cgroup_cache_suite());
}
