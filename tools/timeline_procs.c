/*
 * timeline_procs.c - the timeline reader's process records: the images
 * that recorded their collector, the processes the program started, the
 * channels lost, how the program ended (doc/timeline-formats.md), and the
 * child processes mprof's CHLD lines name.
 */
#define _GNU_SOURCE /* qsort_r */
#include "timeline_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int tool_tl_add_image(tool_tl_ctx *c, double t, long pid, long ppid, const char *exe)
{
    tool_tl *tl = c->tl;
    void *p = tool_tl_grow(c, tl->images, &c->cap_images, tl->nimages, sizeof *tl->images);
    char *text = p ? tool_tl_copy_text(c, exe) : NULL;

    if (!p)
        return -1;
    tl->images = p;
    if (!text)
        return -1;
    tl->images[tl->nimages++] = (tool_tl_image){t, pid, ppid, text};
    tool_tl_saw_time(tl, t);
    return 0;
}

int tool_tl_add_proc(tool_tl_ctx *c, const tool_tl_proc *pr)
{
    tool_tl *tl = c->tl;
    void *p = tool_tl_grow(c, tl->procs, &c->cap_procs, tl->nprocs, sizeof *tl->procs);
    char *text = p ? tool_tl_copy_text(c, pr->name) : NULL;

    if (!p)
        return -1;
    tl->procs = p;
    if (!text)
        return -1;
    tool_tl_saw_time(tl, pr->t);
    tl->procs[tl->nprocs] = *pr;
    tl->procs[tl->nprocs++].name = text;
    return 0;
}

/* By pid, then by place in the file (qsort_r: no file-static base). */
static int by_pid_then_place(const void *a, const void *b, void *procs)
{
    const tool_tl_proc *p = procs;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    if (p[x].pid != p[y].pid)
        return (p[x].pid > p[y].pid) - (p[x].pid < p[y].pid);
    return (x > y) - (x < y);
}

/* A pid named twice is one process that exec'd after it was first seen
 * (under its parent's name): one entry, at its first sighting, with the
 * last name. Sorting, not a search per line: a file may name many. */
int tool_tl_merge_procs(tool_tl_ctx *c)
{
    tool_tl *tl = c->tl;
    size_t n = tl->nprocs, *idx = malloc((n ? n : 1) * sizeof *idx), kept = 0;
    char *drop = calloc(n ? n : 1, 1);

    if (!idx || !drop) {
        free(idx);
        free(drop);
        return tool_tl_fail(c, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, by_pid_then_place, tl->procs);
    for (size_t s = 0, e; s < n; s = e) {
        for (e = s + 1; e < n && tl->procs[idx[e]].pid == tl->procs[idx[s]].pid; e++)
            drop[idx[e]] = 1;
        for (size_t k = s; k + 1 < e; k++) /* earlier names give way to the last */
            free(tl->procs[idx[k]].name);
        tl->procs[idx[s]].name = tl->procs[idx[e - 1]].name;
    }
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            tl->procs[kept++] = tl->procs[i];
    tl->nprocs = kept;
    free(idx);
    free(drop);
    return 0;
}

int tool_tl_add_lost(tool_tl_ctx *c, double t, long pid)
{
    tool_tl *tl = c->tl;
    void *p = tool_tl_grow(c, tl->losts, &c->cap_losts, tl->nlosts, sizeof *tl->losts);

    if (!p)
        return -1;
    tl->losts = p;
    tl->losts[tl->nlosts++] = (tool_tl_lost){t, pid};
    tool_tl_saw_time(tl, t);
    return 0;
}

int tool_tl_set_status(tool_tl_ctx *c, const gcp_tl_status *st)
{
    if (c->tl->has_status)
        return tool_tl_fail(c, "a second status record: a recording has one");
    c->tl->has_status = 1;
    c->tl->status = *st;
    tool_tl_saw_time(c->tl, st->t);
    return 0;
}

void tool_tl_free_procs(tool_tl *tl)
{
    for (size_t i = 0; i < tl->nimages; i++)
        free(tl->images[i].exe);
    for (size_t i = 0; i < tl->nprocs; i++)
        free(tl->procs[i].name);
    free(tl->images);
    free(tl->procs);
    free(tl->losts);
}

long tool_tl_pid_of(const tool_tl *tl, long pid)
{
    return pid ? pid : tl->pid;
}

/* The distinct pids of heap and collection records, with their counts. */
static size_t heap_pids(const tool_tl *tl, long *pids, size_t *counts, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < tl->ngcs + tl->nsamples; i++) {
        int gc = i < tl->ngcs;
        if (!gc && !tl->samples[i - tl->ngcs].has_heap)
            continue;
        long pid = tool_tl_pid_of(tl, gc ? tl->gcs[i].pid : tl->samples[i - tl->ngcs].pid);
        size_t k = 0;
        while (k < n && pids[k] != pid)
            k++;
        if (k == n && n == max)
            continue; /* more processes than we name: not counted */
        if (k == n) {
            pids[n] = pid;
            counts[n++] = 0;
        }
        counts[k]++;
    }
    return n;
}

long tool_tl_heap_pid(const tool_tl *tl, size_t *nprocs)
{
    long pids[TOOL_TL_MAX_PROCS];
    size_t counts[TOOL_TL_MAX_PROCS], best = 0;
    size_t n = heap_pids(tl, pids, counts, TOOL_TL_MAX_PROCS);

    for (size_t k = 1; k < n; k++)
        if (counts[k] > counts[best])
            best = k;
    *nprocs = n;
    return n ? pids[best] : 0;
}

size_t tool_tl_heap_procs(const tool_tl *tl, long *pids, size_t max)
{
    size_t counts[TOOL_TL_MAX_PROCS];

    return heap_pids(tl, pids, counts, max < TOOL_TL_MAX_PROCS ? max : TOOL_TL_MAX_PROCS);
}

const char *tool_tl_proc_name(const tool_tl *tl, long pid)
{
    const char *name = NULL;
    double t = 0;

    for (size_t i = 0; i < tl->nimages; i++) /* its latest image */
        if (tl->images[i].pid == pid && (!name || tl->images[i].t >= t)) {
            const char *slash = strrchr(tl->images[i].exe, '/');
            name = slash ? slash + 1 : tl->images[i].exe;
            t = tl->images[i].t;
        }
    for (size_t i = 0; !name && i < tl->nprocs; i++)
        if (tl->procs[i].pid == pid)
            name = tl->procs[i].name;
    return name ? name : "?";
}

/* ---- mprof's children (CHLD) ------------------------------------------- */

/* FNV-1a: ids are short decimal numbers. */
static size_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)(h ^ (h >> 32));
}

/* The slot of id in the table: where it is, or the empty one it would take. */
static size_t *child_slot(tool_tl_ctx *r, const tool_tl *tl, const char *id)
{
    size_t mask = r->child_cap - 1, i = hash_id(id) & mask;

    while (r->child_slots[i] && strcmp(tl->children[r->child_slots[i] - 1].id, id) != 0)
        i = (i + 1) & mask;
    return &r->child_slots[i];
}

/* Room for one more child with the table at most half full; -1: no memory. */
static int child_room(tool_tl_ctx *r, const tool_tl *tl)
{
    size_t cap = r->child_cap ? r->child_cap * 2 : 256, *old = r->child_slots;

    if (2 * (tl->nchildren + 1) <= r->child_cap)
        return 0;
    if (cap > SIZE_MAX / 2 / sizeof *old || !(r->child_slots = calloc(cap, sizeof *old))) {
        r->child_slots = old;
        return -1;
    }
    r->child_cap = cap;
    for (size_t i = 0; i < tl->nchildren; i++)
        *child_slot(r, tl, tl->children[i].id) = i + 1;
    free(old);
    return 0;
}

/* Each child's peak: a hash table by id, so that many distinct ids (mprof
 * writes one per child process) take linear time, not quadratic. */
int tool_tl_add_child(tool_tl_ctx *c, const char *id, double mib, double t)
{
    tool_tl_ctx *r = c;
    tool_tl *tl = c->tl;
    tool_tl_child *ch;
    size_t *slot;

    (void)t; /* not a time of this process: mprof plots children apart */
    if (r->child_cap && *(slot = child_slot(r, tl, id))) {
        ch = &tl->children[*slot - 1];
        if (mib > ch->peak_mib)
            ch->peak_mib = mib;
        return 0;
    }
    if (child_room(r, tl) < 0)
        return tool_tl_fail(c, "out of memory");
    void *p = tool_tl_grow(c, tl->children, &c->cap_children, tl->nchildren, sizeof *ch);
    if (!p)
        return -1;
    tl->children = p;
    ch = &tl->children[tl->nchildren];
    if (!(ch->id = tool_tl_copy_text(c, id)))
        return -1;
    ch->peak_mib = mib;
    /* stored as copied: copy_text turns bad bytes into '?', so look up that */
    *child_slot(r, tl, ch->id) = ++tl->nchildren;
    return 0;
}
