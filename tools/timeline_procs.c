/*
 * timeline_procs.c - the timeline reader's process records: the images
 * that recorded their collector, the processes the program started, the
 * channels lost, and how the program ended (doc/timeline-formats.md).
 */
#include "timeline_parse.h"

#include <stdlib.h>

int gcp__tlr_add_image(gcp_tlr_ctx *c, double t, long pid, long ppid, const char *exe)
{
    gcp_tlr *tl = c->tl;
    void *p = gcp__tlr_grow(c, tl->images, &c->cap_images, tl->nimages, sizeof *tl->images);
    char *text = p ? gcp__tlr_copy_text(c, exe) : NULL;

    if (!p)
        return -1;
    tl->images = p;
    if (!text)
        return -1;
    tl->images[tl->nimages++] = (gcp_tlr_image){t, pid, ppid, text};
    gcp__tlr_saw_time(tl, t);
    return 0;
}

int gcp__tlr_add_proc(gcp_tlr_ctx *c, const gcp_tlr_proc *pr)
{
    gcp_tlr *tl = c->tl;
    void *p = gcp__tlr_grow(c, tl->procs, &c->cap_procs, tl->nprocs, sizeof *tl->procs);
    char *text = p ? gcp__tlr_copy_text(c, pr->name) : NULL;

    if (!p)
        return -1;
    tl->procs = p;
    if (!text)
        return -1;
    tl->procs[tl->nprocs] = *pr;
    tl->procs[tl->nprocs++].name = text;
    gcp__tlr_saw_time(tl, pr->t);
    return 0;
}

int gcp__tlr_add_lost(gcp_tlr_ctx *c, double t, long pid)
{
    gcp_tlr *tl = c->tl;
    void *p = gcp__tlr_grow(c, tl->losts, &c->cap_losts, tl->nlosts, sizeof *tl->losts);

    if (!p)
        return -1;
    tl->losts = p;
    tl->losts[tl->nlosts++] = (gcp_tlr_lost){t, pid};
    gcp__tlr_saw_time(tl, t);
    return 0;
}

int gcp__tlr_set_status(gcp_tlr_ctx *c, const gcp_tl_status *st)
{
    if (c->tl->has_status)
        return gcp__tlr_fail(c, "a second status record: a recording has one");
    c->tl->has_status = 1;
    c->tl->status = *st;
    gcp__tlr_saw_time(c->tl, st->t);
    return 0;
}

void gcp__tlr_free_procs(gcp_tlr *tl)
{
    for (size_t i = 0; i < tl->nimages; i++)
        free(tl->images[i].exe);
    for (size_t i = 0; i < tl->nprocs; i++)
        free(tl->procs[i].name);
    free(tl->images);
    free(tl->procs);
    free(tl->losts);
}
