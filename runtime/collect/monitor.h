/*
 * monitor.h - what the monitor's files share (collect/monitor*.c): the
 * options' check and the timeline stream under its lock. Nothing else
 * includes it.
 */
#ifndef GCP_MONITOR_H
#define GCP_MONITOR_H

#include <stdatomic.h>
#include <stdio.h>

#include "gcprof.h"
#include "timeline.h"

#define GCP__MONITOR_MIN_INTERVAL                                                                  \
    0.001 /* as gcprof run: times are written to 0.1 ms; finer is a busy loop */
#define GCP__MONITOR_MAX_INTERVAL     3600.0
#define GCP__MONITOR_DEFAULT_INTERVAL 0.01 /* what an interval of 0 means */

/* 0, or GCP_EINVAL naming what is wrong with o (monitor_options.c). */
int gcp__monitor_options_check(const gcp_monitor_options *o);

/* Lock the stream and return it (NULL when only tracing), with its format
 * and, if said_no_rss is not NULL, the flag for the "not marked" label;
 * gcp__monitor_unlock always follows. */
FILE *gcp__monitor_lock(gcp_tl_format *format, int **said_no_rss);
void gcp__monitor_unlock(void);
/* A monitor runs (read relaxed: a marker may just miss a start or stop).
 * Inline: every profile asks twice, and most find none. */
extern _Atomic int gcp__monitor_on;
static inline int gcp__monitor_active(void)
{
    return atomic_load_explicit(&gcp__monitor_on, memory_order_relaxed);
}
/* 0 when this process's monitor runs; else GCP_ESTATE naming fn. */
int gcp__monitor_not_running(const char *fn);

#endif /* GCP_MONITOR_H */
