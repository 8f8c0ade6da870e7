/*
 * profile_frame.h - one profile in progress, shared by profile.c (the
 * sequence and the report) and profile_gc.c (the profiler's own
 * collections, by auto_gc mode).
 */
#ifndef GCP_PROFILE_FRAME_H
#define GCP_PROFILE_FRAME_H

#include "collect.h"

#include <string.h>

/* A batch's hand-over from one task to the next (profile_carry.c): the
 * previous task's last census, while it stays the baseline a collection
 * would give. */
typedef struct gcp__carry {
    int armed;
    uint64_t gc_no;       /* the collection it was taken by */
    uint64_t total_bytes; /* GC_get_total_bytes when armed */
    unsigned long log_calls;
    gcp__counts live, allocated;
} gcp__carry;

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
    gcp__carry *carry; /* a batch's task: the hand-over, else NULL */
    struct gcp__frame *parent;
} gcp__frame;

/* One profile of fn(env) into *out, the dead stack cleared already where
 * its frame goes (profile_api.c); carry: a batch's hand-over, else NULL. */
int gcp__profile_run(const char *name, gcp_fn fn, void *env, const gcp_config *cfg, gcp_report *out,
                     gcp__carry *carry);

/* The steps of a profile for any config (profile.c, out of line), and
 * the innermost open profile of this thread (NULL: none). */
int gcp__frame_begin(gcp__frame *f, const char *name, gcp__carry *carry);
void gcp__frame_end(gcp__frame *f, int status, gcp_report *r);
gcp__frame *gcp__frame_innermost(void);

/* The closure's figures stop here: call right after it returns, before
 * anything of the profiler's own (such as clearing the stack) runs.
 * Inlined, so the clearing starts at the API function's own frame: a
 * frame of its own would sit where the closure's outermost frame was and
 * keep its words (seen under ASan at -O1: one of 400,000 objects pinned). */
static inline __attribute__((always_inline)) void gcp__frame_stop(gcp__frame *f)
{
    f->end_ns = gcp__stamp();
    if (f->cfg.auto_gc != GCP_AUTO_GC_OFF)
        gcp__clear_own_frames();
}

/* Before the closure: the baseline collection and census, and the hold on
 * automatic collection, as f->cfg.auto_gc says. */
void gcp__profile_gc_begin(gcp__frame *f);

/* After it: release the hold, then collect as the mode says, filling r's
 * gc_collected, gc_reason, gc_objects_collected, bytes_reclaimed and
 * notes. Returns 1 when a collection ran after the closure. */
int gcp__profile_gc_end(gcp__frame *f, gcp_report *r);

/* gcp__profile_gc_end for auto_gc=off (inline: the light profile calls it
 * directly, profile.c): nothing collected by the profiler; the closure's
 * dead objects are 0 when no collection ran during it (gc_count), else
 * unknown (already -1). */
#define GCP__REASON_OFF "no collection: auto_gc=off"
static inline void gcp__profile_gc_end_off(gcp_report *r)
{
    memcpy(r->gc_reason, GCP__REASON_OFF, sizeof GCP__REASON_OFF);
    r->gc_collected = 0;
    if (r->gc_count == 0)
        r->gc_objects_collected = r->bytes_reclaimed = 0;
    else
        r->notes |= GCP_NOTE_COLLECTED_UNKNOWN;
}

/* Arm c with the latest collection's census, when the profiler has just
 * collected after a batch's task and nothing can have changed the live
 * set since but what _take checks for. */
void gcp__carry_arm(gcp__carry *c);
/* 1 with the armed census when it is still what a new baseline collection
 * would find (and disarm); 0 when c is NULL, unarmed or stale. */
int gcp__carry_take(gcp__carry *c, gcp__counts *live, gcp__counts *allocated);

#endif /* GCP_PROFILE_FRAME_H */
