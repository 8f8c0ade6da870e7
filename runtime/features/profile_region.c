/*
 * profile_region.c - gcp_profile_begin / gcp_profile_end: a profile whose
 * closure is the code between the two calls. Its frame is malloc'ed (the
 * caller's stack frame ends before the region does) and takes the same
 * steps as a closure's (profile.c), out of line.
 */
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "profile_frame.h"

typedef gcp__frame frame;

/* A region's opaque storage: its frame and the serial that proves the
 * frame is still the one begun there. */
static void region_set(gcp_region *region, frame *f, unsigned serial)
{
    memset(region, 0, sizeof *region);
    region->private_[0] = f;
    region->private_[1] = (void *)(uintptr_t)serial;
}

static frame *region_frame(const gcp_region *region)
{
    return region->private_[0];
}

static unsigned region_serial(const gcp_region *region)
{
    return (unsigned)(uintptr_t)region->private_[1];
}

/* The region's baseline collection runs in this frame: made only after
 * gcp_profile_begin cleared where it goes, as gcp__profile_run's is. */
static __attribute__((noinline)) int region_begin(gcp_region *region, const char *name,
                                                  const gcp_config *cfg)
{
    frame *f = malloc(sizeof *f); /* outside the GC heap: not counted */
    if (!f)
        return gcp__fail(GCP_ENOMEM, "gcp_profile_begin: no memory for the region");
    int rc = gcp__config_resolve(cfg, &f->cfg);
    if (rc == 0)
        rc = gcp__frame_begin(f, name, NULL);
    if (rc < 0) {
        free(f);
        return rc;
    }
    /* A serial, not a constant: a freed frame's address may come back for
     * a later region, and must not be taken for the old one. */
    static _Atomic unsigned serials = 1;
    f->is_region = atomic_fetch_add(&serials, 1) | 1u;
    region_set(region, f, f->is_region);
    return 0;
}

int gcp_profile_begin(gcp_region *region, const char *name, const gcp_config *cfg)
{
    GCP__REFUSE_IN_HOOK("gcp_profile_begin");
    if (!region)
        return gcp__fail(GCP_EINVAL, "gcp_profile_begin: region is NULL");
    region_set(region, NULL, 0);
    /* As gcp_profile: what the caller's earlier calls left where our
     * frames go would be a root through the baseline (built -O0 with a 1
     * GiB initial heap, an object of the code before the region was kept
     * by the baseline and counted as collected in it: 31 of 30). */
    if (gcp__config_may_collect(cfg))
        gcp__clear_own_frames();
    int rc = region_begin(region, name, cfg);
    __asm__ volatile("" : : : "memory"); /* a call, not a jump into our frame */
    return rc;
}

/* f is one of this thread's open profiles. Only pointers are compared:
 * a frame that is not in the chain is never read. */
static int open_on_this_thread(const frame *f)
{
    for (const frame *g = gcp__frame_innermost(); g; g = g->parent)
        if (g == f)
            return 1;
    return 0;
}

/* Regions inside f that a non-local exit left open: end them, discarding
 * their reports. 0, or -1 when a closure's profile lies in between (its
 * gcp_profile is still running: ending f now would be out of order). */
static int unwind_inside(frame *f)
{
    for (frame *g = gcp__frame_innermost(); g != f; g = g->parent)
        if (!g->is_region)
            return -1;
    for (frame *g; (g = gcp__frame_innermost()) != f;) {
        gcp_report discarded;
        gcp__frame_stop(g);
        gcp__frame_end(g, -1, &discarded);
        free(g);
    }
    return 0;
}

int gcp_profile_end(gcp_region *region, int status, gcp_report *out)
{
    GCP__REFUSE_IN_HOOK("gcp_profile_end");
    if (!region || !out)
        return gcp__fail(GCP_EINVAL, "gcp_profile_end: %s is NULL", region ? "out" : "region");
    frame *f = region_frame(region);
    if (!f || !open_on_this_thread(f) || f->is_region != region_serial(region))
        return gcp__fail(GCP_ESTATE, "gcp_profile_end: region was not begun, already ended, "
                                     "or begun on another thread");
    int unwound = f != gcp__frame_innermost();
    if (unwound && unwind_inside(f) != 0)
        return gcp__fail(GCP_ESTATE,
                         "gcp_profile_end: region '%s' is not the innermost profile on this "
                         "thread (a gcp_profile inside it is still running)",
                         f->name);
    gcp__frame_stop(f);
    gcp__frame_end(f, status, out);
    if (unwound)
        out->notes |= GCP_NOTE_UNWOUND;
    region_set(region, NULL, 0);
    free(f);
    return 0;
}
