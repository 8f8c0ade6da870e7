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
 * tree. Nothing here allocates (no stdio: a file's lines go through a
 * buffer on the stack, common/lines.c), so the reader may run under its
 * lock whatever malloc is. The policy's readings keep a level's files
 * open and read them with pread (gcp__cgroup_files).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
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

/* One number and a newline (or, with max_ok, "max"): 1 with *out the
 * number, 0 for "max", -1 when garbled. */
static int parse_number(const char *buf, int max_ok, uint64_t *out)
{
    char *end;

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

/* A file holding one number: as parse_number, -1 when unreadable too. */
static int read_number(const char *dir, const char *name, int max_ok, uint64_t *out)
{
    char buf[64];

    if (read_small(dir, name, buf, sizeof buf) <= 0)
        return -1;
    return parse_number(buf, max_ok, out);
}

/* A limit: none (0) when 0 (which cannot hold the process that reads
 * it) or from NO_LIMIT_FROM on. */
static int no_limit(int rc, const uint64_t *limit)
{
    return rc == 1 && (*limit == 0 || *limit >= NO_LIMIT_FROM) ? 0 : rc;
}

/* dir's limit: 1 with *limit, 0 when it has none, -1 when unknown. */
static int read_limit(const char *dir, int version, uint64_t *limit)
{
    return no_limit(read_number(dir, ifaces[version].limit, version == 2, limit), limit);
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

/* ---- a level's files, kept open or not ------------------------------- */

enum { F_LIMIT, F_USAGE, F_STAT };

static const char *file_name(int version, int which)
{
    return which == F_LIMIT   ? ifaces[version].limit
           : which == F_USAGE ? ifaces[version].usage
                              : "memory.stat";
}

void gcp__cgroup_files_set(gcp__cgroup_files *files, const gcp__cgroup_dir *dir)
{
    gcp__cgroup_files_close(files);
    for (int i = 0; i < dir->levels && i < GCP__CGROUP_LEVELS; i++)
        for (int w = 0; w < GCP__CGROUP_FILES; w++) {
            char *path = files->path[i][w];
            int len = snprintf(path, sizeof files->path[i][w], "%.*s/%s", (int)dir->len[i],
                               dir->path, file_name(dir->version, w));
            if (len < 0 || (size_t)len >= sizeof files->path[i][w])
                path[0] = '\0'; /* cannot be opened: no reading */
            files->f[i][w] = (gcp__kept_file)GCP__KEPT_FILE(path, O_RDONLY | O_CLOEXEC, NULL);
        }
    files->levels = dir->levels;
}

void gcp__cgroup_files_close(gcp__cgroup_files *files)
{
    for (int i = 0; i < files->levels; i++)
        for (int w = 0; w < GCP__CGROUP_FILES; w++)
            gcp__kept_close(&files->f[i][w]);
    files->levels = 0;
}

/* Level i's file which: the kept descriptor (files), or one opened now
 * (*opened set: the caller closes it). -1 when it cannot be opened. */
static int level_fd(const gcp__cgroup_dir *dir, gcp__cgroup_files *files, int i, int which,
                    int *opened)
{
    char path[GCP__CGROUP_DIR_MAX + 64];

    *opened = 0;
    if (files)
        return i < files->levels ? gcp__kept_fd_checked(&files->f[i][which]) : -1;
    int len = snprintf(path, sizeof path, "%.*s/%s", (int)dir->len[i], dir->path,
                       file_name(dir->version, which));
    if (len < 0 || (size_t)len >= sizeof path)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *opened = fd >= 0;
    return fd;
}

/* A small file's text from the start, terminated: its length, or -1. */
static ssize_t pread_small(int fd, char *buf, size_t n)
{
    ssize_t len;

    do
        len = pread(fd, buf, n - 1, 0);
    while (len < 0 && errno == EINTR);
    if (len < 0)
        return -1;
    buf[len] = '\0';
    return len;
}

/* Level i's number file which: as parse_number, -1 when unreadable. */
static int level_number(const gcp__cgroup_dir *dir, gcp__cgroup_files *files, int i, int which,
                        uint64_t *out)
{
    char buf[64];
    int opened, fd = level_fd(dir, files, i, which, &opened), rc = -1;

    if (fd >= 0 && pread_small(fd, buf, sizeof buf) > 0)
        rc = parse_number(buf, which == F_LIMIT && dir->version == 2, out);
    if (opened)
        close(fd);
    return rc;
}

/* The inactive file cache level i's usage counts (memory.stat): what the
 * kernel reclaims first, before any process is short. 0 when unknown. */
static uint64_t level_inactive_file(const gcp__cgroup_dir *dir, gcp__cgroup_files *files, int i)
{
    const char *key = ifaces[dir->version].inactive_file;
    stat_key k = {key, strlen(key), 0, 0};
    int opened, fd = level_fd(dir, files, i, F_STAT, &opened);

    if (fd >= 0 && gcp__each_line_fd(fd, stat_line, &k) < 0)
        k.found = 0;
    if (opened)
        close(fd);
    return k.found ? k.value : 0;
}

/* Level i's limit and working set: 0 or -1. */
static int read_level(const gcp__cgroup_dir *dir, gcp__cgroup_files *files, int i, uint64_t *limit,
                      uint64_t *usage)
{
    if (no_limit(level_number(dir, files, i, F_LIMIT, limit), limit) != 1 ||
        level_number(dir, files, i, F_USAGE, usage) != 1)
        return -1;
    uint64_t inactive = level_inactive_file(dir, files, i);
    *usage = *usage > inactive ? *usage - inactive : 0;
    return 0;
}

int gcp__cgroup_read(const gcp__cgroup_dir *dir, gcp__cgroup_files *files, uint64_t rss,
                     gcp__cgroup_reading *out, int *level)
{
    uint64_t limit, usage, least = 0;

    memset(out, 0, sizeof *out);
    if (dir->version < 1 || dir->version > 2 || dir->levels < 1 || dir->levels > GCP__CGROUP_LEVELS)
        return -1;
    for (int i = 0; i < dir->levels; i++) {
        if (read_level(dir, files, i, &limit, &usage) < 0) {
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

/* What follows the directory base in path ("" or "/..."), or NULL when
 * path does not lie at or below it (both absolute). */
static const char *below(const char *path, const char *base)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    if (strncmp(path, base, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return path + n;
}

/* What find reads of root's proc/self/cgroup and mountinfo, for both
 * versions at once (index 1: v1's memory controller, 2: v2): the
 * process's cgroup path in each hierarchy, then its directory and the
 * mount point's length. */
typedef struct found_paths {
    const char *root;
    char cgpath[3][GCP__CGROUP_DIR_MAX];
    int has_path[3], has_dir[3];
    gcp__cgroup_dir dir[3];
    size_t top[3];
} found_paths;

/* A line of proc/self/cgroup: "4:memory:/a/b", "0::/a/b". */
static int cgroup_line(char *line, void *ctx)
{
    found_paths *fp = ctx;
    char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;

    if (!p)
        return 0;
    *p++ = '\0';
    int version = strcmp(line, "0:") == 0 ? 2 : has_word(ctl + 1, "memory") ? 1 : 0;
    if (version && !fp->has_path[version] && p[0] == '/' && strlen(p) < GCP__CGROUP_DIR_MAX) {
        strcpy(fp->cgpath[version], p);
        fp->has_path[version] = 1;
    }
    return 0;
}

/* The directory of cgpath under a mount of root point showing the
 * hierarchy's mroot, into *dir and *top: 0, or -1 when it does not show
 * cgpath or the path is too long. */
static int dir_under(const char *root, const char *point, const char *mroot, const char *cgpath,
                     gcp__cgroup_dir *dir, size_t *top)
{
    const char *rest = below(cgpath, mroot);

    if (!rest)
        return -1;
    int len = snprintf(dir->path, sizeof dir->path, "%s%s", root, point);
    if (len < 0 || (size_t)len >= sizeof dir->path)
        return -1;
    while (len > 0 && dir->path[len - 1] == '/')
        dir->path[--len] = '\0';
    *top = (size_t)len;
    size_t more = strlen(rest);
    if (more >= sizeof dir->path - *top)
        return -1;
    memmove(dir->path + *top, rest, more + 1); /* (snprintf's -Wrestrict under the sanitizers) */
    for (size_t e = strlen(dir->path); e > *top && dir->path[e - 1] == '/';)
        dir->path[--e] = '\0';
    return 0;
}

/* A line of mountinfo: the first cgroup mount of each version showing
 * the process's cgroup. */
static int mountinfo_line(char *line, void *ctx)
{
    found_paths *fp = ctx;
    char *f[64];
    int n = split(line, f, 64), dash = 6;

    while (dash < n && strcmp(f[dash], "-") != 0)
        dash++;
    if (dash + 3 >= n) /* no type, source and options after the "-" */
        return 0;
    const char *type = f[dash + 1], *opts = f[dash + 3];
    int version = strcmp(type, "cgroup2") == 0                              ? 2
                  : strcmp(type, "cgroup") == 0 && has_word(opts, "memory") ? 1
                                                                            : 0;
    if (!version || !fp->has_path[version] || fp->has_dir[version])
        return 0;
    unescape(f[3]);
    unescape(f[4]);
    if (dir_under(fp->root, f[4], f[3], fp->cgpath[version], &fp->dir[version],
                  &fp->top[version]) == 0) {
        fp->dir[version].version = version;
        fp->has_dir[version] = 1;
    }
    return fp->has_dir[1] && fp->has_dir[2];
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
    char file[GCP__CGROUP_DIR_MAX + 64];
    found_paths fp; /* on the stack: ~7 KiB, no malloc */

    memset(out, 0, sizeof *out);
    memset(&fp, 0, sizeof fp);
    fp.root = root;
    /* Each file read once, for both versions. */
    snprintf(file, sizeof file, "%s/proc/self/cgroup", root);
    if (gcp__each_line(file, cgroup_line, &fp) < 0)
        return 0;
    for (int version = 1; version <= 2; version++)
        if (fp.has_path[version] && strstr(fp.cgpath[version], "/..") != NULL)
            fp.has_path[version] = 0; /* outside our cgroup namespace */
    if (!fp.has_path[1] && !fp.has_path[2])
        return 0;
    snprintf(file, sizeof file, "%s/proc/self/mountinfo", root);
    if (gcp__each_line(file, mountinfo_line, &fp) < 0)
        return 0;
    for (int version = 1; version <= 2; version++) {
        if (!fp.has_dir[version])
            continue;
        *out = fp.dir[version];
        if (walk_up(out, fp.top[version]))
            return 1;
    }
    memset(out, 0, sizeof *out);
    return 0;
}
