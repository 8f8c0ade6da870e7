/*
 * run_heap.h - gcprof run --heap-profile: the raw dumps the preload
 * writes into gcprof run's private directory (run_dir.h), converted into
 * pprof files (at the end, and every --heap-every seconds while the
 * program runs).
 */
#ifndef TOOL_RUN_HEAP_H
#define TOOL_RUN_HEAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tool_heap {
    uint64_t rate;      /* mean bytes between samples; 0: no heap profile */
    double every;       /* seconds between profiles while running; 0: at the end */
    const char *output; /* the profile of the program's process (malloc'd) */
    const char *dir;    /* where the dumps are: the private directory */
    long pid;           /* the program's process */
    void *seen; /* the dumps converted so far, as they were then (run_heap.c) */
    size_t nseen;
    atomic_int main_written; /* output holds a profile of this run (gcprof run --metrics) */
} tool_heap;

/* "--heap-profile=BYTES": a positive count of bytes, with an optional
 * K, M or G (binary) suffix. 0, or -1 (said). */
int tool_heap_parse_rate(const char *opt, const char *s, uint64_t *rate);

/* Before the program starts: the output's name (given, or derived from
 * the recording's: FILE's stem + .heap.pb.gz), checked to be writable;
 * dir is the private directory (it must outlive h). 0, or -1 (said). */
int tool_heap_prepare(tool_heap *h, const char *given, const char *recording, const char *dir);

/* Once the program runs: pid is its process; then tool_heap_tick
 * (the private directory's tick, run_dir.h) converts the dumps that
 * changed (written every --heap-every seconds, and on SIGUSR1 to
 * gcprof). */
void tool_heap_watch(tool_heap *h, long pid);
void tool_heap_tick(void *h);

/* After the program ended and the ticks stopped: the last conversion
 * (each profile written is said), the dumps removed. The number written,
 * or -1 (said). */
int tool_heap_finish(tool_heap *h);

#endif
