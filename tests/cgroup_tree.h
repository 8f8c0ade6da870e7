/*
 * cgroup_tree.h - fake cgroup trees for the reader's tests (check_cgroup,
 * check_cgroup_cache): a fresh root directory a test fills with
 * proc/self/cgroup, proc/self/mountinfo and the cgroup files under the
 * mount points those name, as runtime/heap/cgroup.c reads them.
 */
#ifndef CGROUP_TREE_H
#define CGROUP_TREE_H

#include <stdint.h>

#define MIB          ((uint64_t)1 << 20)
#define V1           "/sys/fs/cgroup/memory"
#define V2           "/sys/fs/cgroup"
#define V1_UNLIMITED "9223372036854771712\n" /* v1's "no limit": 2^63 less a page */

/* mountinfo lines: /proc, v1's memory and cpu hierarchies, v2's. */
#define MI_PROC "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
#define MI_V1   "35 31 0:32 / " V1 " rw,relatime shared:12 - cgroup cgroup rw,memory\n"
#define MI_CPU  "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
#define MI_V2   "30 25 0:26 / " V2 " rw,nosuid,nodev - cgroup2 cgroup2 rw,nsdelegate\n"

/* The tree's root: a fresh directory between tree_setup and
 * tree_teardown (a Check fixture's pair), removed whole after. */
extern char tree_root[64];
void tree_setup(void);
void tree_teardown(void);

/* root/rel holds text (its folders made); dir/file one number. */
void put(const char *rel, const char *text);
void put_num(const char *dir, const char *file, uint64_t v);
/* A cgroup level: limit (0: v1's unlimited, v2's "max"), usage, and
 * memory.stat with no inactive file cache; _cache: with inactive_file
 * bytes of it (v1: total_inactive_file, v2: inactive_file). */
void v1_level(const char *dir, uint64_t limit, uint64_t usage);
void v2_level(const char *dir, uint64_t limit, uint64_t usage);
void v1_level_cache(const char *dir, uint64_t limit, uint64_t usage, uint64_t inactive_file);
void v2_level_cache(const char *dir, uint64_t limit, uint64_t usage, uint64_t inactive_file);
/* A v2 tree: the process in /a, limited to 100 MiB, using 10. */
void v2_tree(void);

/* The directory of the level that binds (gcp__cgroup_find, then
 * gcp__cgroup_read with no RSS of this process's), relative to the root
 * ("" when none; the nearest level's when no reading can be made). */
const char *found(void);
/* gcp__cgroup_read with no RSS of this process's: the binding level's
 * limit and usage. */
int read_binding(const gcp__cgroup_dir *d, uint64_t *limit, uint64_t *usage);

#endif
