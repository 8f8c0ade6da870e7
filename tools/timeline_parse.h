/*
 * timeline_parse.h - inside the timeline reader: the two line parsers
 * (timeline_dat.c, timeline_jsonl.c) turn one line into calls of the
 * record adders of timeline_read.c, which own storage, limits and
 * cross-record checks. Every function returning int returns 0, or -1
 * after tool_tl_fail() has put the reason in the context.
 */
#ifndef TOOL_TIMELINE_PARSE_H
#define TOOL_TIMELINE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "timeline_read.h"

typedef struct tool_tl_enter {
    char *name;
    int level;
    double t, rss_mib;
} tool_tl_enter;

typedef struct tool_tl_ctx {
    tool_tl *tl;
    size_t records;        /* all records so far, against TOOL_TL_MAX_RECORDS */
    size_t text_bytes;     /* all names and labels so far */
    tool_tl_enter *enters; /* entered, not yet exited */
    size_t nenters;
    size_t cap_samples, cap_gcs, cap_funcs, cap_labels, cap_children, cap_enters;
    size_t cap_images, cap_procs, cap_losts, cap_breakdowns;
    /* mprof's children by id: an open-addressing table of their indices
     * + 1 (0: empty), at most half full (timeline_procs.c). */
    size_t *child_slots;
    size_t child_cap; /* a power of two, or 0 */
    char msg[256];    /* the reason, without "FILE:LINE: " */
} tool_tl_ctx;

int tool_tl_fail(tool_tl_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Numbers as the formats write them: s[0..n) must be all of the number.
 * Decimal only (no NaN, inf, hex); a double must be finite. */
int tool_tl_parse_double(const char *s, size_t n, double *out);
int tool_tl_parse_u64(const char *s, size_t n, uint64_t *out);

/* The record adders. Strings are copied. */
int tool_tl_set_cmdline(tool_tl_ctx *c, const char *text);
int tool_tl_set_meta(tool_tl_ctx *c, long pid, double start, double interval);
int tool_tl_add_sample(tool_tl_ctx *c, const tool_tl_sample *s);
int tool_tl_add_gc(tool_tl_ctx *c, const gcp_tl_gc *gc);
int tool_tl_add_enter(tool_tl_ctx *c, const char *name, int level, double t, double rss_mib);
int tool_tl_add_exit(tool_tl_ctx *c, const tool_tl_func *f); /* f->name is copied */
int tool_tl_add_label(tool_tl_ctx *c, double t, const char *text);
int tool_tl_add_child(tool_tl_ctx *c, const char *id, double mib, double t);
int tool_tl_set_end(tool_tl_ctx *c, double t);
/* The end (timeline_funcs.c): open enters become unfinished closures;
 * then what the enters hold is freed. */
int tool_tl_close_unfinished(tool_tl_ctx *c);
void tool_tl_free_enters(tool_tl_ctx *c);

/* Process records (timeline_procs.c). */
int tool_tl_add_image(tool_tl_ctx *c, double t, long pid, long ppid, const char *exe);
int tool_tl_add_proc(tool_tl_ctx *c, const tool_tl_proc *p); /* p->name is copied */
/* One entry per pid, with its last name (after reading). */
int tool_tl_merge_procs(tool_tl_ctx *c);
int tool_tl_add_lost(tool_tl_ctx *c, double t, long pid);
int tool_tl_set_status(tool_tl_ctx *c, const gcp_tl_status *st);
void tool_tl_free_procs(tool_tl *tl);

/* Breakdown records (timeline_breakdown.c): json[0..n) is the object,
 * checked and copied. */
int tool_tl_add_breakdown(tool_tl_ctx *c, double t, long pid, const char *json, size_t n);
void tool_tl_free_breakdowns(tool_tl *tl);

/* Shared by the record adders (timeline_read.c). */
void *tool_tl_grow(tool_tl_ctx *c, void *arr, size_t *cap, size_t n, size_t elsize);
char *tool_tl_copy_text(tool_tl_ctx *c, const char *s);
/* The same for p (malloc'd), made fit in place: p, or NULL (said; p freed). */
char *tool_tl_own_text(tool_tl_ctx *c, char *p);
void tool_tl_saw_time(tool_tl *tl, double t);

/* One line (NUL-terminated, without its newline, no NUL inside). */
int tool_tl_dat_line(tool_tl_ctx *c, char *line);
int tool_tl_jsonl_line(tool_tl_ctx *c, char *line);

/* 1 if line, the cut-off last line of a .dat file, is a MEM line mprof
 * would still read; *rss_mib is its RSS. */
int tool_tl_dat_cut_mem(char *line, double *rss_mib);

#endif /* TOOL_TIMELINE_PARSE_H */
