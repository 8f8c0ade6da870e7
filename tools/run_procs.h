/*
 * run_procs.h - noting the processes the program starts (run_procs.c).
 */
#ifndef GCPROF_RUN_PROCS_H
#define GCPROF_RUN_PROCS_H

#include "run_record.h"

#define RUN_PROCS_MAX 1024 /* descendants looked at, and named, at most */

typedef struct run_procs {
    long pid[RUN_PROCS_MAX];     /* seen so far */
    char name[RUN_PROCS_MAX][16]; /* each one's comm when last named */
    size_t n;
} run_procs;

/* Notes each descendant of root not seen before (GCPROF_CHILD) and, when
 * following, samples every descendant's RSS (CHLD). */
void gcprof_procs_scan(run_procs *p, long root, run_output *out, int follow);

#endif
