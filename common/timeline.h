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
    long pid;        /* the process the heap is in; 0: not written */
} gcp_tl_sample;

typedef struct gcp_tl_gc {
    uint64_t n;                 /* GC_get_gc_no() after it */
    double t;                   /* Unix seconds at its start */
    double pause, mark, reclaim, total; /* seconds */
    uint64_t heap_before, heap_after;   /* heap in use (size - free), bytes */
    int forced;
    int has_live;               /* live is known */
    uint64_t live;              /* bytes in marked objects after it */
    long pid;                   /* the process; 0: not written */
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

/* A process image starts recording: the program, an image it exec'd (same
 * pid), or a child followed with gcprof run -f. */
typedef struct gcp_tl_image {
    double t;
    long pid, ppid;
    const char *exe; /* its executable's path */
} gcp_tl_image;
void gcp__tl_image(FILE *fp, gcp_tl_format f, const gcp_tl_image *im);

/* How the program gcprof ran ended (from wait4): its exit status or the
 * signal that killed it, and the kernel's peak RSS (ru_maxrss) of it and
 * of the descendants it waited for. */
typedef struct gcp_tl_status {
    double t;
    long pid;
    int signaled;         /* 1: killed by signal `code`; 0: exit status `code` */
    int code;
    int core;             /* signaled, and a core was dumped */
    uint64_t maxrss;      /* bytes */
} gcp_tl_status;
void gcp__tl_status(FILE *fp, gcp_tl_format f, const gcp_tl_status *st);

/* The collector's records of process pid stop at t: the program closed or
 * replaced the descriptor they came through (why: a word, "closed"). */
void gcp__tl_lost(FILE *fp, gcp_tl_format f, double t, long pid, const char *why);

/* A process the program started, seen by gcprof at t; followed: its
 * collector is recorded too (gcprof run -f). */
typedef struct gcp_tl_child {
    double t;
    long pid, ppid;
    int followed;
    const char *name; /* its command name */
} gcp_tl_child;
void gcp__tl_child(FILE *fp, gcp_tl_format f, const gcp_tl_child *ch);

/* What the Go-style trace line shows of one collection beyond its record,
 * all read by the event hook when it happened (gc_record.h). */
typedef struct gcp_tl_trace {
    double since, share;       /* seconds since the trace began; GC share of wall time */
    double phase[3];           /* seconds: START to MARK_START, marking, MARK_END to END */
    uint64_t heap_size;        /* bytes, at its END */
    int markers;               /* marker threads, at its END */
} gcp_tl_trace;
void gcp__tl_gctrace(FILE *fp, const gcp_tl_gc *gc, const gcp_tl_trace *tr);

/* Unix time now, in seconds. */
double gcp__tl_now(void);

#endif /* GCP_TIMELINE_H */
