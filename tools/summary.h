/*
 * summary.h - a timeline's key numbers: peaks, collections and pauses,
 * closures by name. Times are seconds from the timeline's origin.
 */
#ifndef TOOL_SUMMARY_H
#define TOOL_SUMMARY_H

#include "timeline_read.h"

/* All calls of one closure name. */
typedef struct tool_closure {
    const char *name;
    size_t calls, unfinished;
    double total, max_rise; /* s; MiB, over finished calls */
    int has_rise;
} tool_closure;

typedef struct tool_summary {
    double duration;    /* origin to the end record (or the last record) */
    size_t nrss, nheap; /* samples carrying RSS, the GC heap */
    int has_rss, has_heap;
    double peak_rss, peak_rss_t, peak_heap, peak_heap_t; /* MiB; s from origin */
    /* peak_rss is the highest RSS in any record: samples, and the enter and
     * exit records of closures. When no sample reached it, it came from a
     * closure (peak_rss_closure) and sampled_rss is the samples' own peak
     * (what `gcprof peak` and `mprof peak` print), if any. */
    int peak_rss_closure, has_sampled_rss;
    double sampled_rss;
    size_t nforced;
    double pause_total, pause_max, pause_p99; /* s */
    double gc_total;                          /* s: collections' time (start to end), added up */
    double gc_share;                          /* gc_total / duration */
    tool_closure *closures;                   /* longest total first */
    size_t nclosures;

    /* The interval the samples really came at: the median gap between
     * consecutive RSS samples (a busy machine stretches the asked one), to
     * 0.1 ms, the resolution of their times in the file. */
    int has_interval;
    double interval;
    /* The collector's allocation count (GC_get_total_bytes) over the
     * recording: in each process image (it starts again at an exec), the
     * last heap sample's less the first's, added up; and the seconds from
     * the first of them to the last. */
    int has_allocated;
    double allocated, allocated_span; /* MiB; s */
    /* The collector's own count of collections (GC_get_gc_no) in the heap
     * process: the highest its records carry in each of its images (the
     * count starts again at an exec), added up. Incremental collections
     * send no start or end event, so they have no record (tl->ngcs) but
     * are counted here. */
    int has_gc_count;
    uint64_t gc_count;
    /* Bytes in marked objects after collections (when measured): after
     * the last one, and the highest. */
    int has_live;
    double live_last, live_peak, live_peak_t; /* MiB; s from origin */
    /* Allocation and live bytes are of one process, the one with the most
     * heap and collection records, of heap_procs processes that have some. */
    long heap_pid;
    size_t heap_procs;
    /* Processes: images that recorded their collector, execs among them
     * (a later image of the program's pid), children seen, followed. */
    size_t nimages, nexecs, nchildren, nfollowed;
} tool_summary;

/* Fill *sm from tl (which must outlive it: names point into tl).
 * Returns 0, or -1 when out of memory. */
int tool_summary_make(const tool_tl *tl, tool_summary *sm);

/* Print it (summary_print.c): a block for people, or one JSON object. */
void tool_summary_print_text(const char *path, const tool_tl *tl, const tool_summary *sm);
void tool_summary_print_json(const char *path, const tool_tl *tl, const tool_summary *sm);

/* Free what *sm owns; safe on a zeroed or failed one. */
void tool_summary_free(tool_summary *sm);

/* qsort's comparison of doubles, ascending (summary.c). */
int tool_cmp_double(const void *a, const void *b);

/* How a program ended, as the summary and gcprof tune say it, in buf:
 * "exit status 3", "killed by signal 9 (SIGKILL)" (summary_print.c). */
const char *tool_ending_text(int signaled, int code, char *buf, size_t size);

#endif /* TOOL_SUMMARY_H */
