/*
 * heap_show.h - what `gcprof heap` shows of a recording's breakdowns
 * (heap_show.c): a process's latest one as the text the library prints
 * (common/breakdown_print.c), or every one in time order; as text or as
 * JSON records; and the chart of the latest (breakdown_svg.h).
 */
#ifndef TOOL_HEAP_SHOW_H
#define TOOL_HEAP_SHOW_H

#include "timeline_read.h"

typedef struct tool_bd_show {
    int json;         /* each as the recording's record, one JSON line */
    int all;          /* every breakdown (of pid, when given), in time order */
    long pid;         /* 0: the default process (tool_tl_breakdown_pid) */
    const char *svg;  /* the chart of the process's latest breakdown goes here, or NULL */
    const char *name; /* the recording, in messages */
} tool_bd_show;

/* Shows tl's breakdowns on standard output ("gcprof CMD: ..." for what
 * is said). TOOL_EXIT_OK; TOOL_EXIT_FAIL, said (no breakdown of that
 * pid, an output that cannot be written); or -1 when tl has no breakdown
 * at all, not said (the caller knows why). */
int tool_bd_show_tl(const char *cmd, const tool_tl *tl, const tool_bd_show *s);

#endif /* TOOL_HEAP_SHOW_H */
