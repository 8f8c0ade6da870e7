/*
 * cgroup.h - the memory limit of the cgroup the process runs in, and
 * what that cgroup uses: cgroup.c finds the cgroup and reads its files
 * (v1's memory controller or v2), cgroup_cache.c keeps what it found
 * between readings and makes the process's own reading.
 *
 * Nothing here allocates in the collector's heap, and nothing fails: a
 * file that is missing, unreadable or garbled means "no limit known".
 */
#ifndef GCP_CGROUP_H
#define GCP_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

/* A cgroup's directory, root prefix included. Longer: no limit known. */
#define GCP__CGROUP_DIR_MAX 1024

/* The most levels with a limit kept, nearest first: a process nests
 * in a few (a container, its pod, a slice). */
#define GCP__CGROUP_LEVELS 8

/* The cgroups with a memory limit on the process's way up: the
 * interface's version (1: memory.limit_in_bytes and memory.usage_in_bytes
 * of the memory controller; 2: memory.max and memory.current), the
 * process's own cgroup's directory, and each level with a limit, nearest
 * first, as how much of path is its directory. */
typedef struct gcp__cgroup_dir {
    int version; /* 0: none */
    int levels;  /* how many of len hold a level: 1 or more when version > 0 */
    char path[GCP__CGROUP_DIR_MAX];
    size_t len[GCP__CGROUP_LEVELS];
} gcp__cgroup_dir;

/* Find the cgroups whose memory limits bind this process, as seen under
 * root: "" for the system's own files, or a directory (a test's fake
 * tree) holding proc/self/cgroup, proc/self/mountinfo and the mount
 * points they name. The process's cgroup is found through its line of
 * /proc/self/cgroup (v1's memory controller first, else v2's "0::") and
 * the matching cgroup mount of mountinfo; from there the walk goes up to
 * the mount's root (limits are hierarchical; on v1 not past a parent
 * with memory.use_hierarchy 0) and keeps every level with a limit (the
 * nearest GCP__CGROUP_LEVELS): which one binds depends on what each uses,
 * so gcp__cgroup_read tells at each reading. "max", v1's "unlimited"
 * (2^63 less a page) and anything from 2^60 on are no limit. Returns 1
 * with *out set, or 0 (out cleared) when no limit is known. Reads
 * proc/self/cgroup and mountinfo once each; allocates nothing. */
int gcp__cgroup_find(const char *root, gcp__cgroup_dir *out);

/* The levels' files (limit, usage, memory.stat) kept open, read with
 * pread at each reading (a file costs ~6 us to open, read and close
 * here, ~1 us to pread). Zero it before the first gcp__cgroup_files_set. */
#define GCP__CGROUP_FILES 3
typedef struct gcp__cgroup_files {
    int levels; /* how many levels' files are set */
    char path[GCP__CGROUP_LEVELS][GCP__CGROUP_FILES][GCP__CGROUP_DIR_MAX + 32];
    gcp__kept_file f[GCP__CGROUP_LEVELS][GCP__CGROUP_FILES];
} gcp__cgroup_files;

/* Close what files keeps, and name dir's levels' files (opened at the
 * first reading). */
void gcp__cgroup_files_set(gcp__cgroup_files *files, const gcp__cgroup_dir *dir);
/* Close what files keeps; it keeps nothing after. */
void gcp__cgroup_files_close(gcp__cgroup_files *files);

/* One reading, as the policy takes it: the binding level's. */
typedef struct gcp__cgroup_reading {
    uint64_t limit;  /* bytes; 0: no limit known (the rest is 0 too) */
    uint64_t usage;  /* bytes of that cgroup's working set (every process
                      * in it and below; gcp__cgroup_read) */
    uint64_t others; /* usage less this process's RSS at that reading: the
                      * rest of the cgroup's share (0 when RSS is more) */
} gcp__cgroup_reading;

/* Read each level's limit and usage now (three small files a level:
 * kept open in files as gcp__cgroup_files_set named them, or, with files
 * NULL, opened, read and closed), rss this process's RSS (bytes): the
 * level that binds is the one with the least room, limit - (usage - rss)
 * (the nearest on a tie), and *out is its reading; *level (when not NULL)
 * its index in dir->len. A parent with a larger limit binds when its
 * other children leave it less room. 0, or -1 (out cleared) when a
 * level's limit or usage cannot be read or parsed, or its limit is none.
 * The usage is the working set, as kubelet reckons it: memory.current
 * (v2) or memory.usage_in_bytes (v1) less the inactive file cache
 * memory.stat counts (inactive_file, v1's total_inactive_file; 0 when
 * memory.stat cannot be read), which the kernel reclaims before anyone
 * is short: a cgroup doing file I/O sits at its limit in usage, never in
 * working set. */
int gcp__cgroup_read(const gcp__cgroup_dir *dir, gcp__cgroup_files *files, uint64_t rss,
                     gcp__cgroup_reading *out, int *level);

/* What was found, kept between readings. Found again every
 * GCP__CGROUP_REFIND_NS (a process moved to another cgroup, a limit set
 * on another level) and at once when its files cannot be read (the
 * cgroup went). A reading is kept for GCP__CGROUP_KEEP_NS: gc points and
 * adaptive profiles read several times a millisecond; within that time
 * the others' share is taken as unchanged and RSS stays fresh. Zero it,
 * then set root. Not thread-safe: the caller locks. */
#define GCP__CGROUP_REFIND_NS (1000 * 1000000ull)
#define GCP__CGROUP_KEEP_NS   (10 * 1000000ull)
typedef struct gcp__cgroup_cache {
    const char *root; /* as gcp__cgroup_find's */
    gcp__cgroup_dir dir;
    gcp__cgroup_files files;    /* dir's, kept open */
    uint64_t found_ns, read_ns; /* 0: not yet (the clock is never 0) */
    gcp__cgroup_reading last;
} gcp__cgroup_cache;

/* The reading at now_ns (CLOCK_MONOTONIC), rss this process's RSS now
 * (bytes): fresh, or the one kept from less than GCP__CGROUP_KEEP_NS
 * before. */
void gcp__cgroup_cached(gcp__cgroup_cache *c, uint64_t now_ns, uint64_t rss,
                        gcp__cgroup_reading *out);

/* The process's reading at now_ns (the caller's clock, gcp__fast_ns), or
 * none (all 0) when GCPROF_CGROUP is false (read once, at the first
 * call). rss: this process's RSS now, bytes. Its own cache of the
 * system's cgroups: a reading is published lock-free; when it is older
 * than GCP__CGROUP_KEEP_NS, the caller that gets the lock (trylock)
 * reads the files, and the others meanwhile take the previous reading. A
 * forked child finds its cgroup again. Thread-safe. */
void gcp__cgroup_now(uint64_t now_ns, uint64_t rss, gcp__cgroup_reading *out);

#endif /* GCP_CGROUP_H */
