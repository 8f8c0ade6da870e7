/*
 * run_output.h - gcprof run's recording file: opened before the program
 * runs, finished (how it ended, the end mark, its name) after, and what
 * is said about it (run_output.c).
 */
#ifndef TOOL_RUN_OUTPUT_H
#define TOOL_RUN_OUTPUT_H

#include "run_record.h"

/* The temporary file, created now so that an unwritable place fails
 * before the program runs. 0, or -1 (said, as "gcprof CMD: ..."; so are
 * later failures). */
int tool_run_output_open(tool_run_output *out, const char *cmd, const char *path, gcp_tl_format f);

/* How the program ended, a sample if none could be taken, the end mark;
 * then the file takes its name (`named`: the user's, else a new one). 0,
 * or -1 (said). */
int tool_run_output_finish(tool_run_output *out, int named, long pid,
                           const tool_run_result *res);

/* "wrote FILE (N samples, M collections)" and what was not recorded. */
void tool_run_report(const tool_run_output *out, const char *program, int follow,
                     const char *preload, int wstatus);

#endif
