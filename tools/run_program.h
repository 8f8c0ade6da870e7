/*
 * run_program.h - running a program into a recording (run_program.c):
 * what `gcprof run` does once its arguments are in (cmd_run.c), and what
 * `gcprof heap -- PROGRAM` does, as `gcprof run --breakdown` would
 * (cmd_heap.c). The same exit statuses either way (commands.h).
 */
#ifndef TOOL_RUN_PROGRAM_H
#define TOOL_RUN_PROGRAM_H

#include "run_heap.h"
#include "run_metrics.h"
#include "timeline.h"

typedef struct tool_run_opts {
    const char *cmd;    /* messages say "gcprof CMD: " */
    int report;         /* say where the recording went and what it holds */
    double interval;    /* seconds between RSS samples */
    const char *output; /* NULL: mprofile_<time>.<ext>, never replacing a file */
    gcp_tl_format format;
    int format_set; /* format was given (else: by the output's extension) */
    int trace;
    int follow;  /* -f */
    int no_live; /* --no-live */
    int heap;    /* --heap-profile */
    tool_heap heap_profile;
    const char *heap_output;
    int breakdown;             /* --breakdown: at each process's exit, and on SIGUSR1 */
    tool_metrics_opts metrics; /* addr, file, interval */
    char **argv;               /* the program and its arguments */
    char *final;               /* out: the recording's name (malloc'd), or NULL: none was written */
} tool_run_opts;

/* JSON lines when the output ends in .jsonl and no format was given. */
void tool_run_choose_format(tool_run_opts *o);

/* Runs o->argv and records it. Returns the exit status: the program's
 * (128+N for signal N), or TOOL_EXIT_RUN_FAILED (the recording could not
 * be written), _CANNOT_EXEC, _NOT_FOUND; each failure said. */
int tool_run_program(tool_run_opts *o);

#endif
