/*
 * lines.h - the line report's layout, shared by lines.c (building it) and
 * lines_print.c (text and JSON).
 */
#ifndef GCP_LINES_H
#define GCP_LINES_H

#include "collect.h"

typedef struct line_row {
    size_t file; /* index into files */
    int line;
    uint64_t allocations, bytes_allocated;
    uint64_t bytes_live; /* of those bytes, live after the forced collection */
    const char *type;    /* what GCP_NEW allocated there, or NULL */
} line_row;

/* Two sites of different types on one line. */
#define GCP__SEVERAL_TYPES "(several types)"

typedef struct file_group {
    char *name;
    uint64_t allocations, bytes_allocated, bytes_live;
} file_group;

struct gcp_line_report {
    char name[128];
    char *file;        /* the caller's file */
    file_group *files; /* in print order: the caller's file first (when it
                          has rows), "(no site)" last, others by bytes */
    size_t n_files;
    line_row *rows; /* by file (in files' order), then line */
    size_t n;
    size_t cap; /* rows and files each have room for this many */
    char **kept; /* strings the rows point at that the report owns */
    size_t n_kept;
    gcp_line_summary sum;
};

/* Building one (lines.c): a new report for the caller's file, rows added
 * (room is made as they come; a second add to a (file, line) adds up),
 * then ordered and summed against the closure's profile report. Each
 * returns NULL or -1 when out of memory. */
gcp_line_report *gcp__lines_new(const char *name, const char *file);
int gcp__lines_add(gcp_line_report *lr, const char *file, int line, const char *type,
                   uint64_t allocs, uint64_t bytes, uint64_t live);
int gcp__lines_finish(gcp_line_report *lr, const gcp_report *out);
/* The census after a line profile reads the latest collection's marks:
 * the profile's own forced collection when it ran one, else one of ours. */
static inline void gcp__lines_collected(const gcp_report *out)
{
    if (out->profiler_gc_time == 0 || (out->notes & GCP_NOTE_FORCED_GC_SKIPPED))
        gcp_collect();
}

/* A copy of str that lives as long as the report (one per distinct
 * string); NULL when out of memory. */
const char *gcp__lines_keep(gcp_line_report *lr, const char *str);

#endif
