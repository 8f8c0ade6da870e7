/*
 * timeline_read.h - loading a timeline file (doc/timeline-formats.md), in
 * either format, into arrays in memory, for `gcprof peak`, `summary` and
 * `plot`. The reader is strict: a malformed line is an error naming the file
 * and line, never a crash; input that would need unbounded memory is refused.
 *
 *     tool_tl tl;
 *     char err[512];
 *     if (tool_tl_read("run.dat", &tl, err, sizeof err) < 0)
 *         fprintf(stderr, "gcprof plot: %s\n", err);   // "run.dat:7: ..."
 *     ...
 *     tool_tl_free(&tl);
 */
#ifndef TOOL_TIMELINE_READ_H
#define TOOL_TIMELINE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "timeline.h" /* gcp_tl_format, gcp_tl_gc */

/* Limits: a longer line, or more records in all, is an error. */
#define TOOL_TL_MAX_LINE    65536
#define TOOL_TL_MAX_RECORDS 50000000u
/* Times (Unix seconds), sizes (MiB) and durations above this are refused:
 * 1e13 s is 300,000 years, 1e13 MiB more than 2^64 bytes. So every sum and
 * difference a report or a plot takes of them stays finite. */
#define TOOL_TL_MAX_VALUE 1e13

/* One MEM / GCPROF_HEAP line, or one JSON "sample". */
typedef struct tool_tl_sample {
    double t;       /* Unix seconds */
    int has_rss;    /* rss_mib is known */
    double rss_mib; /* as written in .dat (so `peak` matches mprof); bytes/2^20 from JSON */
    int has_heap;   /* the fields below are known */
    uint64_t heap_size, free_bytes, unmapped_bytes, gc_no, bytes_allocated;
    long pid;       /* the heap's process; 0: the file does not say (the program's) */
} tool_tl_sample;

/* What the collector had handed out at a heap sample (bytes): the heap
 * less its free bytes, both mapped (0 without heap figures). */
static inline uint64_t tool_tl_heap_in_use(const tool_tl_sample *s)
{
    return s->free_bytes < s->heap_size ? s->heap_size - s->free_bytes : 0;
}

/* A profiled closure: FUNC / "exit", or an enter that never exited. */
typedef struct tool_tl_func {
    char *name;        /* owned by the tool_tl; like all its text, see tool_tl_utf8_len */
    int level;         /* nesting depth, 0 = outermost */
    double start, end; /* Unix seconds; unfinished: end = the file's last time */
    double rss_start_mib;
    double rss_end_mib; /* unfinished: = rss_start_mib */
    int unfinished;     /* entered, but the file ends before it returned */
} tool_tl_func;

typedef struct tool_tl_label {
    double t;
    char *text; /* owned by the tool_tl */
} tool_tl_label;

/* mprof's CHLD lines (mprof run --include-children): kept only so that
 * `gcprof peak` prints what `mprof peak` prints for such files. */
typedef struct tool_tl_child {
    char *id;        /* the child's number, as written */
    double peak_mib; /* max over its lines */
} tool_tl_child;

/* A process image that recorded its collector (GCPROF_IMAGE): the
 * program, an image it exec'd (same pid, later t), a followed child. */
typedef struct tool_tl_image {
    double t;
    long pid, ppid;
    char *exe; /* owned by the tool_tl */
} tool_tl_image;

/* A process the program started, as gcprof saw it (GCPROF_CHILD). */
typedef struct tool_tl_proc {
    double t;
    long pid, ppid;
    int followed;
    char *name; /* owned by the tool_tl */
} tool_tl_proc;

/* The collector's records of a process stopped here (GCPROF_LOST). */
typedef struct tool_tl_lost {
    double t;
    long pid;
} tool_tl_lost;

/* A breakdown of a process's RSS (GCPROF_BREAKDOWN, "breakdown"): the
 * JSON object as written, one line; checked when the file was read, so
 * breakdown_json.h's tool_bd_parse takes it. */
typedef struct tool_tl_breakdown {
    double t;
    long pid;
    char *json; /* owned by the tool_tl */
} tool_tl_breakdown;

/* A whole file. Arrays are in file order (funcs: finished ones in the order
 * they ended, then the unfinished ones). */
typedef struct tool_tl {
    gcp_tl_format format;
    char *cmdline; /* "" when the file has none */
    int has_meta;  /* GCPROF_META / "meta" seen; then: */
    long pid;
    double start, interval; /* Unix seconds, seconds */

    tool_tl_sample *samples;
    size_t nsamples;
    gcp_tl_gc *gcs; /* times in seconds, as in timeline.h */
    size_t ngcs;
    tool_tl_func *funcs;
    size_t nfuncs;
    tool_tl_label *labels;
    size_t nlabels;
    tool_tl_child *children;
    size_t nchildren;
    tool_tl_image *images;
    size_t nimages;
    tool_tl_proc *procs;
    size_t nprocs;
    tool_tl_lost *losts;
    size_t nlosts;
    tool_tl_breakdown *breakdowns;
    size_t nbreakdowns;
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
} tool_tl;

/* Load path into *tl (always initialised, so tool_tl_free is safe either
 * way). Returns 0, or -1 with "FILE:LINE: what is wrong" (or "FILE: why it
 * cannot be read") in err. A file without samples is an error. */
int tool_tl_read(const char *path, tool_tl *tl, char *err, size_t errsize);

/* Processes (timeline_procs.c). A record's process: its pid, or the meta
 * record's when it has none (version 1). */
#define TOOL_TL_MAX_PROCS 64 /* processes told apart; more are left out */
long tool_tl_pid_of(const tool_tl *tl, long pid);
/* The process with the most heap and collection records (0: none), and
 * how many processes have such records. */
long tool_tl_heap_pid(const tool_tl *tl, size_t *nprocs);
/* Those processes, in file order (collections first), up to max. */
size_t tool_tl_heap_procs(const tool_tl *tl, long *pids, size_t max);
/* A process's name: its latest image's executable, or its command name. */
const char *tool_tl_proc_name(const tool_tl *tl, long pid);

/* Breakdowns (timeline_breakdown.c). The process whose breakdown is shown
 * when none is named: the meta record's if it has one, else the first
 * breakdown's (0: the file has none). A process's latest breakdown, or
 * NULL. */
long tool_tl_breakdown_pid(const tool_tl *tl);
const tool_tl_breakdown *tool_tl_last_breakdown(const tool_tl *tl, long pid);

/* 1 if name and keyed are one closure's name, allowing for .dat's FUNC
 * (and mprof's --func), which has '_' where the name has ' '. */
int tool_tl_same_name(const char *name, const char *keyed);

/* Free what *tl owns and zero it. */
void tool_tl_free(tool_tl *tl);

/* The length of the valid UTF-8 character at s (1 to 4), or 0 if s is at its
 * end or at a byte that starts no valid character. Text in a tool_tl is
 * valid UTF-8 without control characters (bad bytes became '?'). */
size_t tool_tl_utf8_len(const char *s);

#endif /* TOOL_TIMELINE_READ_H */
