/*
 * run_procs.h - noting the processes the program starts (run_procs.c).
 */
#ifndef TOOL_RUN_PROCS_H
#define TOOL_RUN_PROCS_H

#include "run_record.h"

#define TOOL_PROCS_MAX 1024 /* descendants looked at, and named, at most */

typedef struct tool_procs {
    long pid[TOOL_PROCS_MAX];      /* seen so far */
    char name[TOOL_PROCS_MAX][16]; /* each one's comm when last named */
    size_t n;
} tool_procs;

/* Notes each descendant of root not seen before (GCPROF_CHILD) and, when
 * following, samples every descendant's RSS (CHLD). */
void tool_procs_scan(tool_procs *p, long root, tool_run_output *out, int follow);

#endif
