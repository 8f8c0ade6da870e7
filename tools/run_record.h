/*
 * run_record.h - the recording loop of `gcprof run`: RSS samples from
 * /proc, and the preload library's lines copied in whole.
 */
#ifndef TOOL_RUN_RECORD_H
#define TOOL_RUN_RECORD_H

#include <stdio.h>

#include "commands.h"
#include "run_child.h"
#include "run_metrics.h"
#include "timeline.h"

typedef struct tool_run_output {
    tool_out file;   /* written to file.fp until the program ends; the first member */
    const char *cmd; /* "run" or "tune", for messages */
    gcp_tl_format format;
    unsigned long rss_samples, heap_samples, collections; /* written so far */
    unsigned long images;   /* process images that recorded their collector */
    unsigned long breakdowns;
    unsigned long children; /* processes the program started, seen */
    int lost;               /* the collector's channel closed early */
    char *final;            /* the name the file took (malloc'd) */
    tool_metrics *metrics;  /* --metrics, --metrics-file: fed each line; or NULL */
} tool_run_output;

typedef struct tool_run_result {
    int wstatus;     /* as wait(2) gives it */
    uint64_t maxrss; /* bytes: the kernel's peak RSS (ru_maxrss) */
    double end;      /* Unix seconds, when its exit was seen */
} tool_run_result;

/* Samples the program's RSS every interval, notes the processes it starts
 * (and samples them when following), and copies the preload's lines until
 * the program exits; then drains the pipe. Following, it goes on until
 * every process the program started has ended too (gcprof is their
 * subreaper: run_child.c), or a signal asks it to stop. */
void tool_run_record(tool_child *c, tool_run_output *out, double interval, int follow,
                     tool_run_result *res);

#endif
