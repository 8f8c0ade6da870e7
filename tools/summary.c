/*
 * summary.c - the numbers `gcprof summary` prints (and `plot` annotates),
 * computed from a loaded timeline.
 */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

static double heap_in_use_mib(const tool_tl_sample *s)
{
    return (double)tool_tl_heap_in_use(s) / 1048576.0;
}

/* An RSS reading at Unix time t: the peak if it is the highest so far. */
static void rss_at(const tool_tl *tl, tool_summary *sm, double mib, double t, int closure)
{
    if (sm->has_rss && mib <= sm->peak_rss)
        return;
    sm->has_rss = 1;
    sm->peak_rss = mib;
    sm->peak_rss_t = t - tl->origin;
    sm->peak_rss_closure = closure;
}

/* RSS is in samples and in closures' enter and exit records: a closure
 * that allocates and frees between two samples peaks only in its own. */
static void rss_peak(const tool_tl *tl, tool_summary *sm)
{
    for (size_t i = 0; i < tl->nsamples; i++)
        if (tl->samples[i].has_rss)
            rss_at(tl, sm, tl->samples[i].rss_mib, tl->samples[i].t, 0);
    sm->has_sampled_rss = sm->has_rss;
    sm->sampled_rss = sm->peak_rss;
    for (size_t i = 0; i < tl->nfuncs; i++) {
        const tool_tl_func *f = &tl->funcs[i];
        rss_at(tl, sm, f->rss_start_mib, f->start, 1);
        if (!f->unfinished) /* else: its end is the file's, not a reading */
            rss_at(tl, sm, f->rss_end_mib, f->end, 1);
    }
    if (tl->has_enter_rss)
        rss_at(tl, sm, tl->enter_rss_mib, tl->enter_rss_t, 1);
}

static void peaks(const tool_tl *tl, tool_summary *sm)
{
    rss_peak(tl, sm);
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *s = &tl->samples[i];
        sm->nrss += s->has_rss != 0;
        sm->nheap += s->has_heap != 0;
        if (s->has_heap && (!sm->has_heap || heap_in_use_mib(s) > sm->peak_heap)) {
            sm->has_heap = 1;
            sm->peak_heap = heap_in_use_mib(s);
            sm->peak_heap_t = s->t - tl->origin;
        }
    }
    /* the heap is fullest just before a collection, between samples */
    for (size_t i = 0; i < tl->ngcs; i++) {
        double before = (double)tl->gcs[i].heap_before / 1048576.0;
        if (!sm->has_heap || before > sm->peak_heap) {
            sm->has_heap = 1;
            sm->peak_heap = before;
            sm->peak_heap_t = tl->gcs[i].t - tl->origin;
        }
    }
}

int tool_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int pauses(const tool_tl *tl, tool_summary *sm)
{
    double *p;

    if (tl->ngcs == 0)
        return 0;
    if (!(p = malloc(tl->ngcs * sizeof *p)))
        return -1;
    for (size_t i = 0; i < tl->ngcs; i++) {
        const gcp_tl_gc *g = &tl->gcs[i];
        p[i] = g->pause;
        sm->pause_total += g->pause;
        sm->nforced += g->forced != 0;
        sm->gc_total += g->total > g->pause ? g->total : g->pause;
    }
    qsort(p, tl->ngcs, sizeof *p, tool_cmp_double);
    sm->pause_max = p[tl->ngcs - 1];
    sm->pause_p99 = p[(tl->ngcs * 99 + 99) / 100 - 1]; /* nearest rank */
    sm->gc_share = sm->duration > 0 ? sm->gc_total / sm->duration : 0;
    free(p);
    return 0;
}

static int cmp_func_name(const void *a, const void *b)
{
    return strcmp((*(const tool_tl_func *const *)a)->name, (*(const tool_tl_func *const *)b)->name);
}

static int cmp_closure_total(const void *a, const void *b)
{
    const tool_closure *x = a, *y = b;

    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The calls of each closure name, longest total first. */
static int closures(const tool_tl *tl, tool_summary *sm)
{
    const tool_tl_func **by_name;
    size_t n = tl->nfuncs;

    if (n == 0)
        return 0;
    by_name = malloc(n * sizeof *by_name);
    sm->closures = calloc(n, sizeof *sm->closures);
    if (!by_name || !sm->closures) {
        free(by_name);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        by_name[i] = &tl->funcs[i];
    qsort(by_name, n, sizeof *by_name, cmp_func_name);
    for (size_t i = 0; i < n; i++) {
        const tool_tl_func *f = by_name[i];
        tool_closure *c = &sm->closures[sm->nclosures];
        if (i > 0 && strcmp(f->name, by_name[i - 1]->name) == 0)
            c--;
        else
            sm->nclosures++;
        c->name = f->name;
        c->calls++;
        c->unfinished += f->unfinished != 0;
        c->total += f->end - f->start;
        if (!f->unfinished && (!c->has_rise || f->rss_end_mib - f->rss_start_mib > c->max_rise)) {
            c->has_rise = 1;
            c->max_rise = f->rss_end_mib - f->rss_start_mib;
        }
    }
    free(by_name);
    qsort(sm->closures, sm->nclosures, sizeof *sm->closures, cmp_closure_total);
    return 0;
}

/* The median gap between consecutive RSS samples of the program. */
static int real_interval(const tool_tl *tl, tool_summary *sm)
{
    double *t = malloc((tl->nsamples ? tl->nsamples : 1) * sizeof *t);
    size_t n = 0;

    if (!t)
        return -1;
    for (size_t i = 0; i < tl->nsamples; i++)
        if (tl->samples[i].has_rss)
            t[n++] = tl->samples[i].t;
    qsort(t, n, sizeof *t, tool_cmp_double); /* records are not in time order */
    for (size_t i = 1; i < n; i++)
        t[i - 1] = t[i] - t[i - 1];
    if (n >= 2) {
        qsort(t, n - 1, sizeof *t, tool_cmp_double);
        sm->has_interval = 1;
        /* sample times are written to 0.1 ms: no finer than that */
        sm->interval = (double)(long long)(t[(n - 1) / 2] * 1e4 + 0.5) / 1e4;
    }
    free(t);
    return 0;
}

/* The image of process pid that sample time t falls in: how many of its
 * image records came at or before t. */
static size_t image_at(const tool_tl *tl, long pid, double t)
{
    size_t k = 0;

    for (size_t i = 0; i < tl->nimages; i++)
        k += tl->images[i].pid == pid && tl->images[i].t <= t;
    return k;
}

/* The collector's count starts again in each image (exec): the total is
 * the sum of each image's last sample less its first. */
static int allocation(const tool_tl *tl, tool_summary *sm)
{
    size_t nseg = tl->nimages + 1;
    const tool_tl_sample **first = calloc(nseg, sizeof *first), **last = calloc(nseg, sizeof *last);

    if (!first || !last) {
        free(first);
        free(last);
        return -1;
    }
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *s = &tl->samples[i];
        if (!s->has_heap || tool_tl_pid_of(tl, s->pid) != sm->heap_pid)
            continue;
        size_t k = image_at(tl, sm->heap_pid, s->t);
        if (!first[k] || s->t < first[k]->t)
            first[k] = s;
        if (!last[k] || s->t > last[k]->t)
            last[k] = s;
    }
    double t0 = 0, t1 = 0;
    for (size_t k = 0; k < nseg; k++) {
        if (!first[k] || first[k] == last[k] || last[k]->bytes_allocated < first[k]->bytes_allocated)
            continue;
        if (!sm->has_allocated || first[k]->t < t0)
            t0 = first[k]->t;
        if (!sm->has_allocated || last[k]->t > t1)
            t1 = last[k]->t;
        sm->has_allocated = 1;
        sm->allocated += (double)(last[k]->bytes_allocated - first[k]->bytes_allocated) / 1048576.0;
    }
    sm->allocated_span = t1 - t0;
    free(first);
    free(last);
    return 0;
}

/* The count n at time t, into the highest of its image: a record before
 * the process's first image record is of that image. */
static void count_at(const tool_tl *tl, tool_summary *sm, uint64_t *top, double t, uint64_t n)
{
    size_t k = image_at(tl, sm->heap_pid, t);

    k = k ? k : 1;
    if (n > top[k])
        top[k] = n;
    sm->has_gc_count = 1;
}

/* The highest count in each image of the heap process, added up. */
static int gc_count(const tool_tl *tl, tool_summary *sm)
{
    size_t nseg = tl->nimages + 2;
    uint64_t *top = calloc(nseg, sizeof *top);

    if (!top)
        return -1;
    for (size_t i = 0; i < tl->nsamples; i++) {
        const tool_tl_sample *s = &tl->samples[i];
        if (s->has_heap && tool_tl_pid_of(tl, s->pid) == sm->heap_pid)
            count_at(tl, sm, top, s->t, s->gc_no);
    }
    for (size_t i = 0; i < tl->ngcs; i++) {
        const gcp_tl_gc *g = &tl->gcs[i];
        if (tool_tl_pid_of(tl, g->pid) == sm->heap_pid)
            count_at(tl, sm, top, g->t, g->n);
    }
    for (size_t k = 0; k < nseg; k++)
        sm->gc_count += top[k];
    free(top);
    return 0;
}

static void live(const tool_tl *tl, tool_summary *sm)
{
    double last_t = 0;

    for (size_t i = 0; i < tl->ngcs; i++) {
        const gcp_tl_gc *g = &tl->gcs[i];
        double mib = (double)g->live / 1048576.0;
        if (!g->has_live || tool_tl_pid_of(tl, g->pid) != sm->heap_pid)
            continue;
        if (!sm->has_live || g->t >= last_t) {
            last_t = g->t;
            sm->live_last = mib;
        }
        if (!sm->has_live || mib > sm->live_peak) {
            sm->live_peak = mib;
            sm->live_peak_t = g->t - tl->origin;
        }
        sm->has_live = 1;
    }
}

static void processes(const tool_tl *tl, tool_summary *sm)
{
    size_t own = 0;

    sm->nimages = tl->nimages;
    for (size_t i = 0; i < tl->nimages; i++)
        own += tl->has_meta && tl->images[i].pid == tl->pid;
    sm->nexecs = own > 1 ? own - 1 : 0;
    sm->nchildren = tl->nprocs;
    for (size_t i = 0; i < tl->nprocs; i++)
        sm->nfollowed += tl->procs[i].followed != 0;
}

int tool_summary_make(const tool_tl *tl, tool_summary *sm)
{
    memset(sm, 0, sizeof *sm);
    sm->duration = tl->t_max - tl->origin; /* the end record's time, if it is the last */
    peaks(tl, sm);
    sm->heap_pid = tool_tl_heap_pid(tl, &sm->heap_procs);
    live(tl, sm);
    processes(tl, sm);
    return allocation(tl, sm) < 0 || gc_count(tl, sm) < 0 || pauses(tl, sm) < 0 ||
                   closures(tl, sm) < 0 || real_interval(tl, sm) < 0
               ? -1
               : 0;
}

void tool_summary_free(tool_summary *sm)
{
    free(sm->closures);
    memset(sm, 0, sizeof *sm);
}
