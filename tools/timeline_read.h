/*
 * timeline_read.h - loading a timeline file (doc/timeline-formats.md), in
 * either format, into arrays in memory, for `gcprof peak`, `summary` and
 * `plot`. The reader is strict: a malformed line is an error naming the file
 * and line, never a crash; input that would need unbounded memory is refused.
 *
 *     gcp_tlr tl;
 *     char err[512];
 *     if (gcp__tlr_read("run.dat", &tl, err, sizeof err) < 0)
 *         fprintf(stderr, "gcprof plot: %s\n", err);   // "run.dat:7: ..."
 *     ...
 *     gcp__tlr_free(&tl);
 */
#ifndef GCP_TIMELINE_READ_H
#define GCP_TIMELINE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "timeline.h" /* gcp_tl_format, gcp_tl_gc */

/* Limits: a longer line, or more records in all, is an error. */
#define GCP_TLR_MAX_LINE    65536
#define GCP_TLR_MAX_RECORDS 50000000u
/* Times (Unix seconds), sizes (MiB) and durations above this are refused:
 * 1e13 s is 300,000 years, 1e13 MiB more than 2^64 bytes. So every sum and
 * difference a report or a plot takes of them stays finite. */
#define GCP_TLR_MAX_VALUE 1e13

/* One MEM / GCPROF_HEAP line, or one JSON "sample". */
typedef struct gcp_tlr_sample {
    double t;       /* Unix seconds */
    int has_rss;    /* rss_mib is known */
    double rss_mib; /* as written in .dat (so `peak` matches mprof); bytes/2^20 from JSON */
    int has_heap;   /* the fields below are known */
    uint64_t heap_size, free_bytes, unmapped_bytes, gc_no, bytes_allocated;
    long pid;       /* the heap's process; 0: the file does not say (the program's) */
} gcp_tlr_sample;

/* A profiled closure: FUNC / "exit", or an enter that never exited. */
typedef struct gcp_tlr_func {
    char *name;        /* owned by the gcp_tlr; like all its text, see gcp__tlr_utf8_len */
    int level;         /* nesting depth, 0 = outermost */
    double start, end; /* Unix seconds; unfinished: end = the file's last time */
    double rss_start_mib;
    double rss_end_mib; /* unfinished: = rss_start_mib */
    int unfinished;     /* entered, but the file ends before it returned */
} gcp_tlr_func;

typedef struct gcp_tlr_label {
    double t;
    char *text; /* owned by the gcp_tlr */
} gcp_tlr_label;

/* mprof's CHLD lines (mprof run --include-children): kept only so that
 * `gcprof peak` prints what `mprof peak` prints for such files. */
typedef struct gcp_tlr_child {
    char *id;        /* the child's number, as written */
    double peak_mib; /* max over its lines */
} gcp_tlr_child;

/* A process image that recorded its collector (GCPROF_IMAGE): the
 * program, an image it exec'd (same pid, later t), a followed child. */
typedef struct gcp_tlr_image {
    double t;
    long pid, ppid;
    char *exe; /* owned by the gcp_tlr */
} gcp_tlr_image;

/* A process the program started, as gcprof saw it (GCPROF_CHILD). */
typedef struct gcp_tlr_proc {
    double t;
    long pid, ppid;
    int followed;
    char *name; /* owned by the gcp_tlr */
} gcp_tlr_proc;

/* The collector's records of a process stopped here (GCPROF_LOST). */
typedef struct gcp_tlr_lost {
    double t;
    long pid;
} gcp_tlr_lost;

/* A whole file. Arrays are in file order (funcs: finished ones in the order
 * they ended, then the unfinished ones). */
typedef struct gcp_tlr {
    gcp_tl_format format;
    char *cmdline; /* "" when the file has none */
    int has_meta;  /* GCPROF_META / "meta" seen; then: */
    long pid;
    double start, interval; /* Unix seconds, seconds */

    gcp_tlr_sample *samples;
    size_t nsamples;
    gcp_tl_gc *gcs; /* times in seconds, as in timeline.h */
    size_t ngcs;
    gcp_tlr_func *funcs;
    size_t nfuncs;
    gcp_tlr_label *labels;
    size_t nlabels;
    gcp_tlr_child *children;
    size_t nchildren;
    gcp_tlr_image *images;
    size_t nimages;
    gcp_tlr_proc *procs;
    size_t nprocs;
    gcp_tlr_lost *losts;
    size_t nlosts;
    int has_status;       /* GCPROF_STATUS: how the program ended */
    gcp_tl_status status; /* times in seconds, maxrss in bytes */

    int has_end; /* the end record was there: the run finished cleanly */
    double end_t;
    /* The file shows that its recording was cut short: a gcprof recording
     * (it has a meta record, and gcprof's writers always end with an end
     * record) without its end record, or any file whose last line has no
     * newline. mprof's own files have no end record at all, so for them
     * only a cut-off last line tells. */
    int cut_short;
    int has_enter_rss;    /* the highest RSS of any enter record (enters */
    double enter_rss_mib; /* that an exit closed are not kept), and when */
    double enter_rss_t;
    int dropped_last_line; /* a cut-off last line (no newline, no end record) was ignored */
    int has_cut_rss;       /* ...and it was a MEM line with its RSS whole: */
    double cut_rss_mib;    /* mprof counts it, so `peak` does too */
    double t_min, t_max;   /* earliest and latest time in any record */
    double origin;         /* "0 s" in reports: the meta start, or t_min */
} gcp_tlr;

/* Load path into *tl (always initialised, so gcp__tlr_free is safe either
 * way). Returns 0, or -1 with "FILE:LINE: what is wrong" (or "FILE: why it
 * cannot be read") in err. A file without samples is an error. */
int gcp__tlr_read(const char *path, gcp_tlr *tl, char *err, size_t errsize);

/* Processes (timeline_procs.c). A record's process: its pid, or the meta
 * record's when it has none (version 1). */
#define GCP_TLR_MAX_PROCS 64 /* processes told apart; more are left out */
long gcp__tlr_pid_of(const gcp_tlr *tl, long pid);
/* The process with the most heap and collection records (0: none), and
 * how many processes have such records. */
long gcp__tlr_heap_pid(const gcp_tlr *tl, size_t *nprocs);
/* Those processes, in file order (collections first), up to max. */
size_t gcp__tlr_heap_procs(const gcp_tlr *tl, long *pids, size_t max);
/* A process's name: its latest image's executable, or its command name. */
const char *gcp__tlr_proc_name(const gcp_tlr *tl, long pid);

/* Free what *tl owns and zero it. */
void gcp__tlr_free(gcp_tlr *tl);

/* The length of the valid UTF-8 character at s (1 to 4), or 0 if s is at its
 * end or at a byte that starts no valid character. Text in a gcp_tlr is
 * valid UTF-8 without control characters (bad bytes became '?'). */
size_t gcp__tlr_utf8_len(const char *s);

#endif /* GCP_TIMELINE_READ_H */
