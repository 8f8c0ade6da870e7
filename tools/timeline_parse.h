/*
 * timeline_parse.h - inside the timeline reader: the two line parsers
 * (timeline_dat.c, timeline_jsonl.c) turn one line into calls of the
 * record adders of timeline_read.c, which own storage, limits and
 * cross-record checks. Every function returning int returns 0, or -1
 * after gcp__tlr_fail() has put the reason in the context.
 */
#ifndef GCP_TIMELINE_PARSE_H
#define GCP_TIMELINE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "timeline_read.h"

typedef struct gcp_tlr_enter {
    char *name;
    int level;
    double t, rss_mib;
} gcp_tlr_enter;

typedef struct gcp_tlr_ctx {
    gcp_tlr *tl;
    size_t records;        /* all records so far, against GCP_TLR_MAX_RECORDS */
    size_t text_bytes;     /* all names and labels so far */
    gcp_tlr_enter *enters; /* entered, not yet exited */
    size_t nenters;
    size_t cap_samples, cap_gcs, cap_funcs, cap_labels, cap_children, cap_enters;
    size_t cap_images, cap_procs, cap_losts;
    char msg[256]; /* the reason, without "FILE:LINE: " */
} gcp_tlr_ctx;

int gcp__tlr_fail(gcp_tlr_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Numbers as the formats write them: s[0..n) must be all of the number.
 * Decimal only (no NaN, inf, hex); a double must be finite. */
int gcp__tlr_parse_double(const char *s, size_t n, double *out);
int gcp__tlr_parse_u64(const char *s, size_t n, uint64_t *out);

/* The record adders. Strings are copied. */
int gcp__tlr_set_cmdline(gcp_tlr_ctx *c, const char *text);
int gcp__tlr_set_meta(gcp_tlr_ctx *c, long pid, double start, double interval);
int gcp__tlr_add_sample(gcp_tlr_ctx *c, const gcp_tlr_sample *s);
int gcp__tlr_add_gc(gcp_tlr_ctx *c, const gcp_tl_gc *gc);
int gcp__tlr_add_enter(gcp_tlr_ctx *c, const char *name, int level, double t, double rss_mib);
int gcp__tlr_add_exit(gcp_tlr_ctx *c, const gcp_tlr_func *f); /* f->name is copied */
int gcp__tlr_add_label(gcp_tlr_ctx *c, double t, const char *text);
int gcp__tlr_add_child(gcp_tlr_ctx *c, const char *id, double mib, double t);
int gcp__tlr_set_end(gcp_tlr_ctx *c, double t);

/* Process records (timeline_procs.c). */
int gcp__tlr_add_image(gcp_tlr_ctx *c, double t, long pid, long ppid, const char *exe);
int gcp__tlr_add_proc(gcp_tlr_ctx *c, const gcp_tlr_proc *p); /* p->name is copied */
/* One entry per pid, with its last name (after reading). */
int gcp__tlr_merge_procs(gcp_tlr_ctx *c);
int gcp__tlr_add_lost(gcp_tlr_ctx *c, double t, long pid);
int gcp__tlr_set_status(gcp_tlr_ctx *c, const gcp_tl_status *st);
void gcp__tlr_free_procs(gcp_tlr *tl);

/* Shared by the record adders (timeline_read.c). */
void *gcp__tlr_grow(gcp_tlr_ctx *c, void *arr, size_t *cap, size_t n, size_t elsize);
char *gcp__tlr_copy_text(gcp_tlr_ctx *c, const char *s);
void gcp__tlr_saw_time(gcp_tlr *tl, double t);

/* One line (NUL-terminated, without its newline, no NUL inside). */
int gcp__tlr_dat_line(gcp_tlr_ctx *c, char *line);
int gcp__tlr_jsonl_line(gcp_tlr_ctx *c, char *line);

/* 1 if line, the cut-off last line of a .dat file, is a MEM line mprof
 * would still read; *rss_mib is its RSS. */
int gcp__tlr_dat_cut_mem(char *line, double *rss_mib);

#endif /* GCP_TIMELINE_PARSE_H */
