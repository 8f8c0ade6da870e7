/*
 * run_metrics.h - gcprof run --metrics ADDR and --metrics-file FILE: the
 * collector's metrics of the program gcprof runs, with the names the
 * runtime serves (common/gc_metrics.h), served over HTTP and written as a
 * node_exporter textfile while it runs. All of it happens in gcprof, from
 * the records the preload sends anyway: the program does nothing more.
 */
#ifndef TOOL_RUN_METRICS_H
#define TOOL_RUN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "run_heap.h"
#include "timeline.h"

typedef struct tool_metrics_opts {
    const char *addr;      /* --metrics: "PORT", ":PORT", "HOST:PORT", "[V6]:PORT"; or NULL */
    const char *file;      /* --metrics-file, or NULL */
    double interval;       /* --metrics-interval: seconds between writes of file */
    gcp_tl_format format;  /* the preload's lines' */
    const tool_heap *heap; /* --heap-profile's, for /debug/pprof/heap; NULL: none */
} tool_metrics_opts;

typedef struct tool_metrics tool_metrics;

/* Before the program starts: listens (and says where), writes the file a
 * first time. NULL when either fails (said), so that the program never
 * runs unwatched. */
tool_metrics *tool_metrics_start(const tool_metrics_opts *o);

/* The program's process, once started: its records alone count. */
void tool_metrics_follow(tool_metrics *m, long pid);

/* From the recording loop: each whole line of the preload's, and each RSS
 * read of the program's process (bytes; 0: unknown). */
void tool_metrics_line(tool_metrics *m, const char *line, size_t n);
void tool_metrics_rss(tool_metrics *m, uint64_t rss);

/* After the last record was read: stops serving, writes the file a last
 * time, frees m. 0, or -1 when that write failed (said). */
int tool_metrics_finish(tool_metrics *m);

#endif
