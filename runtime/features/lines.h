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
    gcp_line_summary sum;
};

#endif
