/*
 * run_gc_state.h - what gcprof run --metrics knows of the collector of
 * the program it runs: the preload's records (GCPROF_GC, GCPROF_HEAP,
 * GCPROF_IMAGE, or their JSON lines) folded into the figures of
 * common/gc_metrics.h as they pass through gcprof, plus gcprof's own
 * RSS reads. Nothing is asked of the program.
 *
 * One writer (the recording loop) and any number of readers (the HTTP
 * server's thread, the textfile writer): every figure is under one lock.
 */
#ifndef TOOL_RUN_GC_STATE_H
#define TOOL_RUN_GC_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "gc_metrics.h"
#include "timeline_parse.h"

typedef struct tool_gc_state {
    pthread_mutex_t lock;
    long pid;         /* the program's process; records of others are ignored */
    unsigned images;  /* of the program's process that recorded their collector */
    uint64_t gc_n;    /* n of the latest collection record (this image) */
    uint64_t heap_gc; /* gc_no of the latest heap sample (this image) */
    uint64_t forced;  /* collection records with forced set */
    gcp__hist pauses, durations;
    int has_heap;
    uint64_t heap_size, free_bytes, unmapped_bytes, allocated_bytes;
    int has_live;
    uint64_t live_bytes;
    int has_rss;
    uint64_t rss;
    /* the record loop's alone: the timeline reader's line parsers */
    gcp_tl_format format;
    tool_tl tl;
    tool_tl_ctx ctx;
    char *line; /* one record, NUL-terminated, for the parsers */
} tool_gc_state;

/* 0, or -1 when out of memory. */
int tool_gc_state_init(tool_gc_state *s, gcp_tl_format format);
void tool_gc_state_free(tool_gc_state *s);

/* The program's process, once it runs. */
void tool_gc_state_follow(tool_gc_state *s, long pid);

/* One whole line of the preload's (n bytes, its newline included): the
 * records that feed the metrics are read, the rest passed over. */
void tool_gc_state_line(tool_gc_state *s, const char *line, size_t n);

/* The program's RSS, as gcprof read it (bytes; 0: unknown). */
void tool_gc_state_rss(tool_gc_state *s, uint64_t rss);

/* The exposition (OpenMetrics when asked), malloc'd into *text: 0, or -1
 * when it would take more than 4 MiB or memory ran out. */
int tool_gc_state_text(tool_gc_state *s, int openmetrics, char **text, size_t *len);

#endif
