/*
 * profile_frame.h - one profile in progress, shared by profile.c (the
 * sequence and the report) and profile_gc.c (the profiler's own
 * collections, by auto_gc mode).
 */
#ifndef GCP_PROFILE_FRAME_H
#define GCP_PROFILE_FRAME_H

#include "collect.h"

typedef struct gcp__frame {
    gcp_config cfg;
    char name[sizeof(((gcp_report *)0)->function_name)];
    size_t name_len; /* strlen(name) */
    int depth;
    unsigned notes;
    int baseline_ran, held;
    int hooked; /* our collection-event hook is installed for it */
    unsigned releases_at_start;
    uint64_t start_ns, end_ns;       /* gcp__stamp()s */
    uint64_t rss_before, rss_at_end; /* 0 with heap_only */
    uint64_t monitor_rss;            /* RSS the timeline's enter marker shows */
    uint64_t heap_before, gc_no_before;
    uint64_t freed_before; /* explicitly freed bytes, unhooked profiles only */
    gcp__counts allocated_before, live_before;
    gcp__counts allocated_at_census; /* all threads, with live_before */
    uint64_t others_before; /* objects other threads had allocated */
    gcp__gc_totals gc_before;
    gcp__marks marks;
    gcp__overlap overlap;
    unsigned long failed_before; /* runtime allocations that had failed */
    int disabled_before;         /* GC_disable was in force at the start */
    unsigned is_region; /* non-zero (its serial): allocated by gcp_profile_begin,
                           so it may be unwound */
    uint64_t profiler_gc_ns;
    double monitor_start; /* Unix time of its enter marker, or 0 */
    gcp_gc_stats stats_before;
    struct gcp__frame *parent;
} gcp__frame;

/* Before the closure: the baseline collection and census, and the hold on
 * automatic collection, as f->cfg.auto_gc says. */
void gcp__profile_gc_begin(gcp__frame *f);

/* After it: release the hold, then collect as the mode says, filling r's
 * gc_collected, gc_reason, gc_objects_collected, bytes_reclaimed and
 * notes. Returns 1 when a collection ran after the closure. */
int gcp__profile_gc_end(gcp__frame *f, gcp_report *r);

#endif /* GCP_PROFILE_FRAME_H */
