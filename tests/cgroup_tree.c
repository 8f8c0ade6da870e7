/*
 * cgroup_tree.c - fake cgroup trees for the reader's tests (cgroup_tree.h).
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH | FTW_PHYS */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_tree.h"

char tree_root[64];

static void mkdirs(const char *path)
{
    char buf[1024];

    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

/* tree_root/rel holds text (its folders made). */
void put(const char *rel, const char *text)
{
    char path[1024], dir[1024];

    snprintf(path, sizeof path, "%s/%s", tree_root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdirs(dir);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

void put_num(const char *dir, const char *file, uint64_t v)
{
    char rel[512], text[32];

    snprintf(rel, sizeof rel, "%s/%s", dir, file);
    snprintf(text, sizeof text, "%llu\n", (unsigned long long)v);
    put(rel, text);
}

/* A level: limit in limit_file (0: none_text there), usage, and
 * memory.stat's text. */
static void level(const char *dir, const char *limit_file, const char *none_text,
                  const char *usage_file, const char *stat, uint64_t limit, uint64_t usage)
{
    char rel[512];

    snprintf(rel, sizeof rel, "%s/%s", dir, limit_file);
    if (limit)
        put_num(dir, limit_file, limit);
    else
        put(rel, none_text);
    put_num(dir, usage_file, usage);
    snprintf(rel, sizeof rel, "%s/memory.stat", dir);
    put(rel, stat);
}

/* memory.stat as the kernels write it, abridged. v1's own inactive_file
 * counts this level only, total_inactive_file its children too (which its
 * usage counts): the test sets the own one to half, to tell them apart.
 * v2's workingset_refault_file ends in _file too, and is not it. */
void v1_level_cache(const char *dir, uint64_t limit, uint64_t usage, uint64_t inactive_file)
{
    char stat[512];
    unsigned long long in = inactive_file;

    snprintf(stat, sizeof stat,
             "cache 4096\nrss 8192\nactive_anon 8192\ninactive_file %llu\nactive_file 4096\n"
             "hierarchical_memory_limit 9223372036854771712\ntotal_cache 8192\n"
             "total_rss 8192\ntotal_active_file 7\ntotal_inactive_file %llu\n"
             "total_unevictable 0\n",
             in / 2, in);
    level(dir, "memory.limit_in_bytes", V1_UNLIMITED, "memory.usage_in_bytes", stat, limit, usage);
}

void v2_level_cache(const char *dir, uint64_t limit, uint64_t usage, uint64_t inactive_file)
{
    char stat[512];

    snprintf(stat, sizeof stat,
             "anon 8192\nfile 4096\nkernel 0\nactive_anon 0\ninactive_anon 8192\n"
             "active_file 7\ninactive_file %llu\nunevictable 0\nslab_reclaimable 0\n"
             "workingset_refault_file 123456789\n",
             (unsigned long long)inactive_file);
    level(dir, "memory.max", "max\n", "memory.current", stat, limit, usage);
}

void v1_level(const char *dir, uint64_t limit, uint64_t usage)
{
    v1_level_cache(dir, limit, usage, 0);
}

void v2_level(const char *dir, uint64_t limit, uint64_t usage)
{
    v2_level_cache(dir, limit, usage, 0);
}

void tree_setup(void)
{
    snprintf(tree_root, sizeof tree_root, "/tmp/check_cgroup.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tree_root));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tree_teardown(void)
{
    nftw(tree_root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The binding level's directory at a reading with no RSS of this
 * process's, relative to tree_root ("" when none); the nearest level's
 * when no reading can be made. */
const char *found(void)
{
    static gcp__cgroup_dir d;
    static char dir[GCP__CGROUP_DIR_MAX];
    gcp__cgroup_reading r;
    size_t n = strlen(tree_root);
    int level = 0;

    if (!gcp__cgroup_find(tree_root, &d)) {
        ck_assert_int_eq(d.version, 0);
        ck_assert_int_eq(d.levels, 0);
        return "";
    }
    ck_assert_int_ge(d.levels, 1);
    if (gcp__cgroup_read(&d, NULL, 0, &r, &level) < 0)
        level = 0;
    ck_assert_int_eq(strncmp(d.path, tree_root, n), 0);
    snprintf(dir, sizeof dir, "%.*s", (int)d.len[level], d.path);
    return dir + n;
}

int read_binding(const gcp__cgroup_dir *d, uint64_t *limit, uint64_t *usage)
{
    gcp__cgroup_reading r;
    int rc = gcp__cgroup_read(d, NULL, 0, &r, NULL);

    *limit = r.limit;
    *usage = r.usage;
    return rc;
}

void v2_tree(void)
{
    put("proc/self/cgroup", "0::/a\n");
    put("proc/self/mountinfo", MI_V2);
    v2_level(V2 "/a", 100 * MIB, 10 * MIB);
}
