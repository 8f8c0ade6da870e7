/*
 * cgroup.c - find the cgroup whose memory limit binds the process, and
 * read its limit and usage (cgroup.h).
 *
 * /proc/self/cgroup names the process's cgroup per hierarchy:
 * "4:memory:/a/b" for v1's memory controller, "0::/a/b" for v2.
 * /proc/self/mountinfo says where that hierarchy is mounted ("cgroup"
 * with the memory option, or "cgroup2") and which of its directories the
 * mount shows (its root field: "/" on a host, the container's own cgroup
 * in a container without a cgroup namespace). The cgroup's directory is
 * the mount point plus the path below that root.
 *
 * Every path is read under a root prefix, so a test can hand it a fake
 * tree. Files are read with one open/read/close each, into the stack.
 */
#define _GNU_SOURCE /* getline */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "lines.h"

/* From here on a limit means none (v1 writes 2^63 less a page). */
#define NO_LIMIT_FROM ((uint64_t)1 << 60)

typedef struct iface {
    const char *limit, *usage; /* file names */
    const char *inactive_file; /* memory.stat's key for the inactive file cache */
} iface;

static const iface ifaces[3] = {
    {NULL, NULL, NULL},
    /* v1's total_ counts the children too, as usage_in_bytes does */
    {"memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"},
    {"memory.max", "memory.current", "inactive_file"},
};

/* dir/name into buf: 0, or -1 when it does not fit. */
static int join(char *buf, size_t n, const char *dir, const char *name)
{
    int len = snprintf(buf, n, "%s/%s", dir, name);

    return len >= 0 && (size_t)len < n ? 0 : -1;
}

/* A small file's text, terminated: its length, or -1. */
static ssize_t read_small(const char *dir, const char *name, char *buf, size_t n)
{
    char path[GCP__CGROUP_DIR_MAX + 64];
    ssize_t len = 0, got;

    if (join(path, sizeof path, dir, name) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while ((size_t)len < n - 1 && (got = read(fd, buf + len, n - 1 - (size_t)len)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            close(fd);
            return -1;
        }
        len += got;
    }
    close(fd);
    buf[len] = '\0';
    return len;
}

/* A file holding one number and a newline (or, with max_ok, "max"):
 * 1 with *out the number, 0 for "max", -1 when unreadable or garbled. */
static int read_number(const char *dir, const char *name, int max_ok, uint64_t *out)
{
    char buf[64], *end;

    if (read_small(dir, name, buf, sizeof buf) <= 0)
        return -1;
    if (max_ok && strcmp(buf, "max\n") == 0)
        return 0;
    if (buf[0] < '0' || buf[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno == ERANGE || (*end != '\0' && strcmp(end, "\n") != 0))
        return -1;
    *out = (uint64_t)v;
    return 1;
}

/* dir's limit: 1 with *limit, 0 when it has none, -1 when unknown. */
static int read_limit(const char *dir, int version, uint64_t *limit)
{
    int rc = read_number(dir, ifaces[version].limit, version == 2, limit);

    if (rc == 1 && (*limit == 0 || *limit >= NO_LIMIT_FROM))
        rc = 0; /* 0 cannot hold the process that reads it */
    return rc;
}

/* memory.stat's line for one key. */
typedef struct stat_key {
    const char *key;
    size_t len;
    uint64_t value;
    int found;
} stat_key;

static int stat_line(char *line, void *ctx)
{
    stat_key *k = ctx;
    char *end;

    if (strncmp(line, k->key, k->len) != 0 || line[k->len] != ' ')
        return 0;
    errno = 0;
    unsigned long long v = strtoull(line + k->len + 1, &end, 10);
    if (errno == 0 && end != line + k->len + 1 && *end == '\0') {
        k->value = (uint64_t)v;
        k->found = 1;
    }
    return 1;
}

/* The inactive file cache dir's usage counts (memory.stat): what the
 * kernel reclaims first, before any process is short. 0 when unknown. */
static uint64_t read_inactive_file(const char *dir, int version)
{
    char path[GCP__CGROUP_DIR_MAX + 64];
    stat_key k = {ifaces[version].inactive_file, strlen(ifaces[version].inactive_file), 0, 0};

    if (join(path, sizeof path, dir, "memory.stat") < 0 ||
        gcp__each_line(path, stat_line, &k) < 0 || !k.found)
        return 0;
    return k.value;
}

/* One level's limit and working set: 0 or -1. */
static int read_level(const char *dir, int version, uint64_t *limit, uint64_t *usage)
{
    if (read_limit(dir, version, limit) != 1 ||
        read_number(dir, ifaces[version].usage, 0, usage) != 1)
        return -1;
    uint64_t inactive = read_inactive_file(dir, version);
    *usage = *usage > inactive ? *usage - inactive : 0;
    return 0;
}

int gcp__cgroup_read(const gcp__cgroup_dir *dir, uint64_t rss, gcp__cgroup_reading *out,
                     int *level)
{
    char path[GCP__CGROUP_DIR_MAX];
    uint64_t limit, usage, least = 0;

    memset(out, 0, sizeof *out);
    if (dir->version < 1 || dir->version > 2 || dir->levels < 1 ||
        dir->levels > GCP__CGROUP_LEVELS)
        return -1;
    for (int i = 0; i < dir->levels; i++) {
        if (dir->len[i] >= sizeof path)
            return -1;
        memcpy(path, dir->path, dir->len[i]);
        path[dir->len[i]] = '\0';
        if (read_level(path, dir->version, &limit, &usage) < 0) {
            memset(out, 0, sizeof *out);
            return -1;
        }
        uint64_t others = usage > rss ? usage - rss : 0;
        uint64_t room = limit > others ? limit - others : 0;
        if (i == 0 || room < least) {
            least = room;
            out->limit = limit;
            out->usage = usage;
            out->others = others;
            if (level)
                *level = i;
        }
    }
    return 0;
}

/* mountinfo's octal escapes (\040 for a space, ...), in place. */
static void unescape(char *s)
{
    char *w = s;

    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

/* word is one of list's comma-separated words. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list;; p++) {
        if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
        if (!(p = strchr(p, ',')))
            return 0;
    }
}

/* Split line at spaces into at most max fields; how many. */
static int split(char *line, char **f, int max)
{
    int n = 0;

    for (char *save = NULL, *t = strtok_r(line, " \n", &save); t && n < max;
         t = strtok_r(NULL, " \n", &save))
        f[n++] = t;
    return n;
}

/* The process's cgroup path in the hierarchy of version (1: the memory
 * controller's), from root's proc/self/cgroup, into path: 0 or -1. */
static int self_cgroup(const char *root, int version, char *path, size_t n)
{
    char file[GCP__CGROUP_DIR_MAX + 64], *line = NULL;
    size_t cap = 0;
    int rc = -1;

    snprintf(file, sizeof file, "%s/proc/self/cgroup", root);
    FILE *fp = fopen(file, "re");
    if (!fp)
        return -1;
    while (rc < 0 && getline(&line, &cap, fp) > 0) {
        char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;
        if (!p)
            continue;
        *p++ = '\0';
        p[strcspn(p, "\n")] = '\0';
        int match = version == 2 ? strcmp(line, "0:") == 0 : has_word(ctl + 1, "memory");
        if (match && p[0] == '/' && strlen(p) < n) {
            strcpy(path, p);
            rc = 0;
        }
    }
    free(line);
    fclose(fp);
    return rc;
}

/* path lies at or below the directory base (both absolute). */
static size_t below(const char *path, const char *base)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    if (strncmp(path, base, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return 0;
    return n + 1; /* how much of path base covers, plus one: never 0 */
}

/* The cgroup directory of cgpath in version's hierarchy, from root's
 * mountinfo: its path in *dir and the mount point's length in *top.
 * 0, or -1 when no mount shows it. */
static int mounted_dir(const char *root, int version, const char *cgpath, gcp__cgroup_dir *dir,
                       size_t *top)
{
    char file[GCP__CGROUP_DIR_MAX + 64], *line = NULL, *f[64];
    size_t cap = 0;
    int rc = -1;

    snprintf(file, sizeof file, "%s/proc/self/mountinfo", root);
    FILE *fp = fopen(file, "re");
    if (!fp)
        return -1;
    while (rc < 0 && getline(&line, &cap, fp) > 0) {
        int n = split(line, f, 64), dash = 6;
        while (dash < n && strcmp(f[dash], "-") != 0)
            dash++;
        if (dash + 3 >= n) /* no type, source and options after the "-" */
            continue;
        const char *type = f[dash + 1], *opts = f[dash + 3];
        if (version == 2 ? strcmp(type, "cgroup2") != 0
                         : strcmp(type, "cgroup") != 0 || !has_word(opts, "memory"))
            continue;
        unescape(f[3]);
        unescape(f[4]);
        size_t skip = below(cgpath, f[3]);
        if (!skip)
            continue;
        const char *rest = cgpath + skip - 1;
        int len = snprintf(dir->path, sizeof dir->path, "%s%s", root, f[4]);
        if (len < 0 || (size_t)len >= sizeof dir->path)
            continue;
        while (len > 0 && dir->path[len - 1] == '/')
            dir->path[--len] = '\0';
        *top = (size_t)len;
        len = snprintf(dir->path + len, sizeof dir->path - (size_t)len, "%s", rest);
        if (len < 0 || (size_t)len >= sizeof dir->path - *top)
            continue;
        for (size_t e = strlen(dir->path); e > *top && dir->path[e - 1] == '/';)
            dir->path[--e] = '\0';
        dir->version = version;
        rc = 0;
    }
    free(line);
    fclose(fp);
    return rc;
}

/* A v1 parent whose children are not charged to it (use_hierarchy 0):
 * its limit binds no child. Unreadable: charged (every kernel since 5.15
 * has no other way). */
static int parent_charged(const char *parent)
{
    uint64_t v;

    return read_number(parent, "memory.use_hierarchy", 0, &v) != 1 || v != 0;
}

/* Up from dir to the mount point (top: its length), every level with a
 * limit (the nearest GCP__CGROUP_LEVELS) into dir->len. 1, or 0 when
 * there is none. */
static int walk_up(gcp__cgroup_dir *dir, size_t top)
{
    char level[GCP__CGROUP_DIR_MAX];
    size_t len = strlen(dir->path);
    uint64_t limit;

    memcpy(level, dir->path, len + 1);
    dir->levels = 0;
    for (;;) {
        if (read_limit(level, dir->version, &limit) == 1 && dir->levels < GCP__CGROUP_LEVELS)
            dir->len[dir->levels++] = len;
        if (len <= top)
            break;
        while (len > top && level[len] != '/')
            len--;
        level[len] = '\0'; /* the parent */
        if (dir->version == 1 && !parent_charged(level))
            break;
    }
    return dir->levels > 0;
}

int gcp__cgroup_find(const char *root, gcp__cgroup_dir *out)
{
    char cgpath[GCP__CGROUP_DIR_MAX];
    size_t top;

    for (int version = 1; version <= 2; version++) {
        memset(out, 0, sizeof *out);
        if (self_cgroup(root, version, cgpath, sizeof cgpath) < 0 ||
            strstr(cgpath, "/..") != NULL || /* outside our cgroup namespace */
            mounted_dir(root, version, cgpath, out, &top) < 0)
            continue;
        if (walk_up(out, top))
            return 1;
    }
    memset(out, 0, sizeof *out);
    return 0;
}
