/*
 * timeline.h - writing timeline records in the formats of
 * doc/timeline-formats.md. Knows nothing of the collector, so the preload
 * library and the gcprof command share it with the in-process monitor.
 * Every writer emits one whole line with a single fwrite-style call
 * sequence on fp; the caller owns fp, its locking and flushing.
 */
#ifndef GCP_TIMELINE_H
#define GCP_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

typedef enum { GCP_TL_DAT = 0, GCP_TL_JSONL = 1 } gcp_tl_format;

typedef struct gcp_tl_sample {
    double t;        /* Unix seconds */
    int has_rss;     /* rss is known (false for heap-only samples) */
    uint64_t rss;    /* bytes */
    int has_heap;    /* the fields below are known (a bdwgc process) */
    uint64_t heap_size, free_bytes, unmapped_bytes, gc_no, bytes_allocated;
} gcp_tl_sample;

typedef struct gcp_tl_gc {
    uint64_t n;                 /* GC_get_gc_no() after it */
    double t;                   /* Unix seconds at its start */
    double pause, mark, reclaim, total; /* seconds */
    uint64_t heap_before, heap_after;   /* heap in use, bytes */
    int forced;
} gcp_tl_gc;

typedef struct gcp_tl_func {
    const char *name;
    int level;
    double t;            /* enter: its start; exit: its end */
    uint64_t rss;        /* at that moment */
    double start;        /* exit only: when it entered */
    uint64_t rss_start;  /* exit only */
} gcp_tl_func;

void gcp__tl_meta(FILE *fp, gcp_tl_format f, const char *cmdline, long pid, double start,
                  double interval);
void gcp__tl_sample(FILE *fp, gcp_tl_format f, const gcp_tl_sample *s);
void gcp__tl_gc(FILE *fp, gcp_tl_format f, const gcp_tl_gc *gc);
void gcp__tl_enter(FILE *fp, gcp_tl_format f, const gcp_tl_func *fn);
void gcp__tl_exit(FILE *fp, gcp_tl_format f, const gcp_tl_func *fn);
void gcp__tl_label(FILE *fp, gcp_tl_format f, double t, const char *text);
void gcp__tl_end(FILE *fp, gcp_tl_format f, double t);

/* The Go-style trace line for one collection. since_start: seconds since
 * the trace began; gc_share: fraction of wall time in collections so far;
 * heap_goal: bytes; procs: marker threads. */
void gcp__tl_gctrace(FILE *fp, const gcp_tl_gc *gc, double since_start, double gc_share,
                     uint64_t heap_goal, int procs);

/* Unix time now, in seconds. */
double gcp__tl_now(void);

#endif /* GCP_TIMELINE_H */
