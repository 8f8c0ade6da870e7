/*
 * run_heap.h - gcprof run --heap-profile: the private directory the
 * preload writes its raw dumps to, and their conversion into pprof files
 * (at the end, and every --heap-every seconds while the program runs).
 */
#ifndef TOOL_RUN_HEAP_H
#define TOOL_RUN_HEAP_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct tool_heap {
    uint64_t rate;      /* mean bytes between samples; 0: no heap profile */
    double every;       /* seconds between profiles while running; 0: at the end */
    const char *output; /* the profile of the program's process (malloc'd) */
    char dir[PATH_MAX]; /* gcprof-heap.XXXXXX, mode 0700 */
    long pid;           /* the program's process */
    pthread_t watcher;
    int watching;
    pthread_mutex_t lock; /* one conversion at a time; guards stop */
    pthread_cond_t wake;
    int stop;
    void *seen; /* the dumps converted so far, as they were then (run_heap.c) */
    size_t nseen;
    atomic_int main_written; /* output holds a profile of this run (gcprof run --metrics) */
} tool_heap;

/* "--heap-profile=BYTES": a positive count of bytes, with an optional
 * K, M or G (binary) suffix. 0, or -1 (said). */
int tool_heap_parse_rate(const char *opt, const char *s, uint64_t *rate);

/* Before the program starts: the directory, and the output's name
 * (given, or derived from the recording's: FILE's stem + .heap.pb.gz).
 * 0, or -1 (said). */
int tool_heap_prepare(tool_heap *h, const char *given, const char *recording);

/* While the program runs, a thread converts the dumps that change (every
 * --heap-every seconds, and on SIGUSR1 to gcprof). */
void tool_heap_watch(tool_heap *h, long pid);

/* After the program ended: the last conversion (each profile written is
 * said), the directory removed. The number written, or -1 (said). */
int tool_heap_finish(tool_heap *h);

#endif
