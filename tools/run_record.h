/*
 * run_record.h - the recording loop of `gcprof run`: RSS samples from
 * /proc, and the preload library's lines copied in whole.
 */
#ifndef GCPROF_RUN_RECORD_H
#define GCPROF_RUN_RECORD_H

#include <stdio.h>

#include "commands.h"
#include "run_child.h"
#include "timeline.h"

typedef struct run_output {
    gcprof_out file; /* written to file.fp until the program ends */
    gcp_tl_format format;
    unsigned long rss_samples, heap_samples, collections; /* written so far */
} run_output;

/* Samples the program's RSS every interval and copies the preload's lines
 * until the program exits; then drains the pipe. *wstatus: its status. */
void gcprof_record(gcprof_child *c, run_output *out, double interval, int *wstatus);

#endif
