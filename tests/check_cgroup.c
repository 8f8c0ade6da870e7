/*
 * check_cgroup.c - finding the cgroup whose memory limit binds the
 * process (runtime/heap/cgroup.c) on fake trees the test writes
 * (tests/cgroup_tree.c), for cgroup v1 (the memory controller) and v2: a
 * limit found at an ancestor, the smallest on the way up, use_hierarchy,
 * "max", a mount showing a sub-tree, escaped mount points and long
 * mountinfo lines, hybrid hierarchies, and missing and garbled files (no
 * limit, never a crash). The cache and a process that moves:
 * check_cgroup_cache. White-box.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_tree.h"
#include "testutil.h"

/* ---- v1 ---------------------------------------------------------------- */

START_TEST(test_v1_ancestor)
{
    gcp__cgroup_dir d;
    uint64_t limit = 0, usage = 0;

    put("proc/self/cgroup", "9:pids:/a/b/c\n4:memory:/a/b/c\n1:cpu,cpuacct:/\n0::/\n");
    put("proc/self/mountinfo", MI_PROC MI_CPU MI_V1 MI_V2);
    v1_level(V1, 0, 900 * MIB);
    v1_level(V1 "/a", 200 * MIB, 150 * MIB);
    v1_level(V1 "/a/b", 100 * MIB, 60 * MIB);
    v1_level(V1 "/a/b/c", 0, 40 * MIB);
    ck_assert_str_eq(found(), V1 "/a/b");
    ck_assert_int_eq(gcp__cgroup_find(tree_root, &d), 1);
    ck_assert_int_eq(d.version, 1);
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(limit, 100 * MIB);
    ck_assert_uint_eq(usage, 60 * MIB);
    /* Every level with a limit is kept; the one with the least room
     * (limit less usage) binds, the nearest on a tie. (The smallest
     * limit used to win: /a/b here, whatever /a's other children used.) */
    ck_assert_int_eq(d.levels, 2);
    v1_level(V1 "/a", 80 * MIB, 70 * MIB); /* room 10 against /a/b's 40 */
    ck_assert_str_eq(found(), V1 "/a");
    v1_level(V1 "/a", 200 * MIB, 190 * MIB); /* a larger limit, but room 10 */
    ck_assert_str_eq(found(), V1 "/a");
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(limit, 200 * MIB);
    ck_assert_uint_eq(usage, 190 * MIB);
    v1_level(V1 "/a/b/c", 50 * MIB, 40 * MIB); /* room 10 too: the nearest */
    ck_assert_str_eq(found(), V1 "/a/b/c");
    /* A limit at the process's own level. */
    v1_level(V1 "/a/b/c", 10 * MIB, 4 * MIB);
    ck_assert_str_eq(found(), V1 "/a/b/c");
}
END_TEST

/* Room counts this process's RSS as its own: others = usage - rss. The
 * parent's usage counts the process too, so with RSS 30 MiB of the
 * child's 40, the parent (limit 100, usage 95) leaves 35 and the child
 * (limit 50) 40: the parent binds; with a child limit of 40, the child. */
START_TEST(test_least_room_binds)
{
    gcp__cgroup_dir d;
    gcp__cgroup_reading r;
    int level = -1;

    put("proc/self/cgroup", "0::/pod/app\n");
    put("proc/self/mountinfo", MI_V2);
    v2_level(V2 "/pod", 100 * MIB, 95 * MIB);
    v2_level(V2 "/pod/app", 50 * MIB, 40 * MIB);
    ck_assert_int_eq(gcp__cgroup_find(tree_root, &d), 1);
    ck_assert_int_eq(d.levels, 2);
    ck_assert_int_eq(gcp__cgroup_read(&d, NULL, 30 * MIB, &r, &level), 0);
    ck_assert_int_eq(level, 1);
    ck_assert_uint_eq(r.limit, 100 * MIB);
    ck_assert_uint_eq(r.usage, 95 * MIB);
    ck_assert_uint_eq(r.others, 65 * MIB);
    v2_level(V2 "/pod/app", 40 * MIB, 40 * MIB);
    ck_assert_int_eq(gcp__cgroup_read(&d, NULL, 30 * MIB, &r, &level), 0);
    ck_assert_int_eq(level, 0);
    ck_assert_uint_eq(r.limit, 40 * MIB);
    ck_assert_uint_eq(r.others, 10 * MIB);
    /* The page cache counts at each level: the parent's, reclaimable,
     * leaves it room again. */
    v2_level(V2 "/pod/app", 50 * MIB, 40 * MIB);
    v2_level_cache(V2 "/pod", 100 * MIB, 95 * MIB, 20 * MIB);
    ck_assert_int_eq(gcp__cgroup_read(&d, NULL, 30 * MIB, &r, &level), 0);
    ck_assert_int_eq(level, 0);
    /* A level that cannot be read: no reading at all. */
    put(V2 "/pod/memory.current", "lots\n");
    ck_assert_int_eq(gcp__cgroup_read(&d, NULL, 30 * MIB, &r, &level), -1);
    ck_assert_uint_eq(r.limit, 0);
}
END_TEST

/* At most GCP__CGROUP_LEVELS levels, the nearest. */
START_TEST(test_levels_bounded)
{
    char dir[512] = V2, line[512] = "0::";
    gcp__cgroup_dir d;

    put("proc/self/mountinfo", MI_V2);
    for (int i = 0; i < GCP__CGROUP_LEVELS + 3; i++) {
        strcat(dir, "/l");
        strcat(line, "/l");
        v2_level(dir, (uint64_t)(200 - i) * MIB, 0); /* the deeper, the less room */
    }
    strcat(line, "\n");
    put("proc/self/cgroup", line);
    ck_assert_int_eq(gcp__cgroup_find(tree_root, &d), 1);
    ck_assert_int_eq(d.levels, GCP__CGROUP_LEVELS);
    ck_assert_str_eq(found(), dir);
    ck_assert_uint_eq(d.len[GCP__CGROUP_LEVELS - 1],
                      strlen(tree_root) + strlen(dir) - 2 * (GCP__CGROUP_LEVELS - 1));
}
END_TEST

/* A parent whose children are not charged to it binds none of them. */
START_TEST(test_v1_use_hierarchy)
{
    put("proc/self/cgroup", "4:memory:/a/b\n");
    put("proc/self/mountinfo", MI_V1);
    v1_level(V1, 0, 0);
    v1_level(V1 "/a", 100 * MIB, 0);
    v1_level(V1 "/a/b", 0, 0);
    put(V1 "/a/memory.use_hierarchy", "0\n");
    ck_assert_str_eq(found(), "");
    put(V1 "/a/memory.use_hierarchy", "1\n");
    ck_assert_str_eq(found(), V1 "/a");
}
END_TEST

/* A container without a cgroup namespace: the mount shows its own cgroup
 * (mountinfo's root field), at the mount point. */
START_TEST(test_v1_mount_shows_subtree)
{
    put("proc/self/cgroup", "4:memory:/docker/abc/job\n");
    put("proc/self/mountinfo",
        "35 31 0:32 /docker/abc " V1 " ro,relatime - cgroup cgroup rw,memory\n");
    v1_level(V1, 64 * MIB, 10 * MIB); /* the container's cgroup */
    v1_level(V1 "/job", 0, 10 * MIB);
    ck_assert_str_eq(found(), V1);
    /* A cgroup the mount does not show: none. */
    put("proc/self/cgroup", "4:memory:/docker/other\n");
    ck_assert_str_eq(found(), "");
    /* "/docker/abcd" is not below "/docker/abc". */
    put("proc/self/cgroup", "4:memory:/docker/abcd\n");
    ck_assert_str_eq(found(), "");
}
END_TEST

/* mountinfo escapes a space in a mount point as \040; its lines may be
 * long (an overlay's options). */
START_TEST(test_mountinfo_escapes_and_long_lines)
{
    char *mi = malloc(20000);

    ck_assert_ptr_nonnull(mi);
    strcpy(mi, "60 1 0:50 / / rw - overlay overlay rw,lowerdir=");
    for (int i = 0; i < 2000; i++)
        strcat(mi, "/l/x:");
    strcat(mi, "\n35 31 0:32 / /sys/fs/my\\040memory rw - cgroup cgroup rw,memory\n");
    put("proc/self/mountinfo", mi);
    free(mi);
    put("proc/self/cgroup", "4:memory:/a\n");
    v1_level("sys/fs/my memory/a", 30 * MIB, MIB);
    ck_assert_str_eq(found(), "/sys/fs/my memory/a");
}
END_TEST

/* ---- v2 ---------------------------------------------------------------- */

START_TEST(test_v2_ancestor)
{
    put("proc/self/cgroup", "0::/user.slice/app.scope\n");
    put("proc/self/mountinfo", MI_PROC MI_V2);
    /* The root cgroup has no memory.max. */
    put_num(V2, "memory.current", 900 * MIB);
    v2_level(V2 "/user.slice", 100 * MIB, 50 * MIB);
    v2_level(V2 "/user.slice/app.scope", 0, 30 * MIB);
    ck_assert_str_eq(found(), V2 "/user.slice");
    v2_level(V2 "/user.slice/app.scope", 60 * MIB, 30 * MIB);
    ck_assert_str_eq(found(), V2 "/user.slice/app.scope");
    /* "max" all the way up: none. */
    v2_level(V2 "/user.slice", 0, 50 * MIB);
    v2_level(V2 "/user.slice/app.scope", 0, 30 * MIB);
    ck_assert_str_eq(found(), "");
}
END_TEST

/* A container with a cgroup namespace: "0::/", its cgroup at the mount. */
START_TEST(test_v2_namespace_root)
{
    put("proc/self/cgroup", "0::/\n");
    put("proc/self/mountinfo", MI_V2);
    v2_level(V2, 100 * MIB, 20 * MIB);
    ck_assert_str_eq(found(), V2);
}
END_TEST

/* Hybrid: the memory controller on v1 wins; v2 when v1 has no memory
 * line (or no limit). */
START_TEST(test_hybrid)
{
    put("proc/self/mountinfo", MI_V1 MI_V2);
    v1_level(V1 "/a", 100 * MIB, 0);
    v2_level(V2 "/a", 50 * MIB, 0);
    put("proc/self/cgroup", "4:memory:/a\n0::/a\n");
    ck_assert_str_eq(found(), V1 "/a");
    put("proc/self/cgroup", "4:cpu:/a\n0::/a\n");
    ck_assert_str_eq(found(), V2 "/a");
    v1_level(V1 "/a", 0, 0);
    put("proc/self/cgroup", "4:memory:/a\n0::/a\n");
    ck_assert_str_eq(found(), V2 "/a");
}
END_TEST

/* ---- the working set ------------------------------------------------------- */

/* Usage less the inactive file cache (memory.stat): v1's
 * total_inactive_file (the hierarchy's, as usage_in_bytes is), v2's
 * inactive_file; none known (missing, garbled, key absent): usage whole;
 * more than usage: 0. */
START_TEST(test_working_set)
{
    gcp__cgroup_dir d;
    uint64_t limit = 0, usage = 0;
    char path[256];

    put("proc/self/cgroup", "4:memory:/a\n0::/b\n");
    put("proc/self/mountinfo", MI_V1 MI_V2);
    v1_level_cache(V1 "/a", 100 * MIB, 90 * MIB, 30 * MIB);
    ck_assert_int_eq(gcp__cgroup_find(tree_root, &d), 1);
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(limit, 100 * MIB);
    ck_assert_uint_eq(usage, 60 * MIB); /* not 75: the level's own inactive_file is 15 */
    v1_level_cache(V1 "/a", 100 * MIB, 20 * MIB, 30 * MIB);
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 0);

    put("proc/self/cgroup", "0::/b\n");
    v2_level_cache(V2 "/b", 100 * MIB, 90 * MIB, 40 * MIB);
    ck_assert_int_eq(gcp__cgroup_find(tree_root, &d), 1);
    ck_assert_int_eq(d.version, 2);
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 50 * MIB);
    /* No figure to take off: the usage whole. */
    put(V2 "/b/memory.stat", "anon 5\nactive_file 9\n");
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 90 * MIB);
    put(V2 "/b/memory.stat", "inactive_file lots\ninactive_file\n");
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 90 * MIB);
    put(V2 "/b/memory.stat", "inactive_files 5\nx_inactive_file 5\n");
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 90 * MIB);
    snprintf(path, sizeof path, "%s" V2 "/b/memory.stat", tree_root);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 90 * MIB);
    /* The key on the last line, without a newline. */
    put(V2 "/b/memory.stat", "anon 5\ninactive_file 1048576");
    ck_assert_int_eq(read_binding(&d, &limit, &usage), 0);
    ck_assert_uint_eq(usage, 89 * MIB);
}
END_TEST

/* ---- no limit known ------------------------------------------------------ */

START_TEST(test_missing_files)
{
    gcp__cgroup_dir d = {2, 1, "", {0}};
    uint64_t limit, usage;
    char path[256];

    ck_assert_str_eq(found(), ""); /* nothing at all */
    v2_tree();
    ck_assert_str_eq(found(), V2 "/a");
    snprintf(path, sizeof path, "%s/proc/self/mountinfo", tree_root);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_str_eq(found(), "");
    v2_tree();
    snprintf(path, sizeof path, "%s/proc/self/cgroup", tree_root);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_str_eq(found(), "");
    v2_tree();
    snprintf(path, sizeof path, "%s" V2 "/a/memory.max", tree_root);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_str_eq(found(), "");
    /* A limit without a usage: found, but no reading. */
    v2_tree();
    snprintf(path, sizeof path, "%s" V2 "/a/memory.current", tree_root);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_str_eq(found(), V2 "/a");
    d.len[0] = (size_t)snprintf(d.path, sizeof d.path, "%s" V2 "/a", tree_root);
    ck_assert_int_eq(read_binding(&d, &limit, &usage), -1);
    /* No cgroup mount, or no memory controller on v1's. */
    v2_tree();
    put("proc/self/mountinfo", MI_PROC MI_CPU);
    ck_assert_str_eq(found(), "");
    put("proc/self/cgroup", "4:cpu,cpuacct:/a\n");
    ck_assert_str_eq(found(), "");
}
END_TEST

static const char *const garbage[] = {
    "",
    "\n",
    "lots\n",
    "12abc\n",
    "-5\n",
    " 100\n",
    "max",
    "max\nmax\n",
    "0x100000\n",
    "1e9\n",
    "100\n\n",
    "1 2\n",
    "99999999999999999999999\n", /* past 2^64 */
    "0\n",                       /* a limit of 0 holds no process */
    "1152921504606846976\n",     /* 2^60: as good as none */
};

START_TEST(test_garbage_limit)
{
    v2_tree();
    put(V2 "/a/memory.max", garbage[_i]);
    ck_assert_str_eq(found(), "");
    /* The same garbage as usage: found, no reading. */
    v2_tree();
    put(V2 "/a/memory.current", garbage[_i]);
    gcp__cgroup_dir d;
    uint64_t limit, usage;
    if (gcp__cgroup_find(tree_root, &d))
        ck_assert_int_eq(read_binding(&d, &limit, &usage) == 0,
                         strcmp(garbage[_i], "0\n") == 0 ||
                             strcmp(garbage[_i], "1152921504606846976\n") == 0);
}
END_TEST

START_TEST(test_garbage_paths)
{
    char longer[1200];

    put("proc/self/mountinfo", MI_V2);
    v2_level(V2 "/a", 100 * MIB, 0);
    put("proc/self/cgroup", "0::/a/../a\n"); /* outside a cgroup namespace */
    ck_assert_str_eq(found(), "");
    put("proc/self/cgroup", "0::a\n"); /* not absolute */
    ck_assert_str_eq(found(), "");
    put("proc/self/cgroup", "0:/a\n"); /* one colon */
    ck_assert_str_eq(found(), "");
    put("proc/self/cgroup", "garbage\n\n::::\n");
    ck_assert_str_eq(found(), "");
    memset(longer, 'x', sizeof longer);
    memcpy(longer, "0::/a/", 6);
    strcpy(longer + sizeof longer - 2, "\n");
    put("proc/self/cgroup", longer); /* longer than GCP__CGROUP_DIR_MAX */
    ck_assert_str_eq(found(), "");
    put("proc/self/cgroup", "0::/a\n");
    put("proc/self/mountinfo", "30 25 0:26 / " V2 " rw -\n31 25 0:26\n\n");
    ck_assert_str_eq(found(), "");
    put("proc/self/mountinfo", MI_V2);
    ck_assert_str_eq(found(), V2 "/a");
}
END_TEST
static Suite *make_cgroup_suite(void)
{
    Suite *s = suite_create("cgroup");
    TCase *v1 = tcase_create("v1"), *v2 = tcase_create("v2"), *none = tcase_create("none");

    tcase_add_checked_fixture(v1, tree_setup, tree_teardown);
    tcase_add_test(v1, test_v1_ancestor);
    tcase_add_test(v1, test_v1_use_hierarchy);
    tcase_add_test(v1, test_v1_mount_shows_subtree);
    tcase_add_test(v1, test_mountinfo_escapes_and_long_lines);
    suite_add_tcase(s, v1);
    tcase_add_checked_fixture(v2, tree_setup, tree_teardown);
    tcase_add_test(v2, test_v2_ancestor);
    tcase_add_test(v2, test_v2_namespace_root);
    tcase_add_test(v2, test_hybrid);
    tcase_add_test(v2, test_working_set);
    tcase_add_test(v2, test_least_room_binds);
    tcase_add_test(v2, test_levels_bounded);
    suite_add_tcase(s, v2);
    tcase_add_checked_fixture(none, tree_setup, tree_teardown);
    tcase_add_test(none, test_missing_files);
    tcase_add_loop_test(none, test_garbage_limit, 0, TU_ROWS(garbage));
    tcase_add_test(none, test_garbage_paths);
    suite_add_tcase(s, none);
    return s;
}

int main(void)
{
    return tu_run(make_cgroup_suite());
}
