/*
 * tune_stats.c - what `gcprof tune` makes of its runs: per config the
 * median and range of each figure over the rounds used, the paired ratios
 * to the defaults (config over defaults in the same round), the Pareto
 * front of median wall time and median peak RSS, and the recommendation.
 */
#include "tune.h"

#include <stdlib.h>
#include <string.h>

#include "summary.h" /* tool_cmp_double */

/* Median and range of v[0..n) (sorted in place); n == 0: unknown. */
static tool_tune_stat stat_of(double *v, size_t n)
{
    tool_tune_stat s = {n, 0, 0, 0};

    if (n == 0)
        return s;
    qsort(v, n, sizeof *v, tool_cmp_double);
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.lo = v[0];
    s.hi = v[n - 1];
    return s;
}

static const tool_tune_run *run_at(const tool_tune_result *res, size_t round, size_t config)
{
    return &res->runs[round * res->nconfigs + config];
}

/* Rounds in which every config ran to its end (well or not), from the
 * first: runs go round after round, so those are the leading ones. */
static size_t complete_rounds(const tool_tune_result *res)
{
    for (size_t r = 0; r < res->rounds; r++)
        for (size_t c = 0; c < res->nconfigs; c++) {
            int st = run_at(res, r, c)->state;
            if (st != TOOL_TUNE_OK && st != TOOL_TUNE_FAILED)
                return r;
        }
    return res->rounds;
}

static double figure(const tool_tune_run *run, int which)
{
    return which == TOOL_TUNE_WALL ? run->wall : which == TOOL_TUNE_CPU ? run->cpu : run->rss;
}

/* Config c over the defaults, round by round, where both ran well. */
static void ratios(const tool_tune_result *res, size_t c, tool_tune_row *row, double *v)
{
    for (int which = TOOL_TUNE_WALL; which <= TOOL_TUNE_RSS; which++) {
        size_t n = 0;
        for (size_t r = 0; r < res->used; r++) {
            const tool_tune_run *base = run_at(res, r, 0), *run = run_at(res, r, c);
            if (base->state == TOOL_TUNE_OK && run->state == TOOL_TUNE_OK &&
                figure(base, which) > 0)
                v[n++] = figure(run, which) / figure(base, which);
        }
        row->vs[which] = stat_of(v, n);
    }
}

/* One config's figures over the rounds used; v: room for them. */
static void row_of(const tool_tune_result *res, size_t c, tool_tune_row *row, double *v)
{
    size_t n = res->used;
    double *wall = v, *cpu = v + n, *rss = v + 2 * n, *gct = v + 3 * n, *gcs = v + 4 * n;
    size_t ngc = 0, ngct = 0;

    for (size_t r = 0; r < n; r++) {
        const tool_tune_run *run = run_at(res, r, c);
        if (run->state == TOOL_TUNE_FAILED && row->failed++ == 0)
            row->fail_wstatus = run->wstatus;
        row->stopped += run->state == TOOL_TUNE_STOPPED;
        if (run->state != TOOL_TUNE_OK)
            continue;
        wall[row->ok] = run->wall;
        cpu[row->ok] = run->cpu;
        rss[row->ok] = run->rss;
        row->ok++;
        row->unrecorded += run->unrecorded != 0;
        if (run->has_gcs)
            gcs[ngc++] = (double)run->gcs;
        if (run->has_gcs && run->has_gc_time)
            gct[ngct++] = run->gc_time;
    }
    row->wall = stat_of(wall, row->ok);
    row->cpu = stat_of(cpu, row->ok);
    row->rss = stat_of(rss, row->ok);
    /* a figure of some runs only is no median of the config's: unknown */
    if (ngc < row->ok)
        ngc = ngct = 0;
    row->gcs = stat_of(gcs, ngc);
    row->gc_time_unknown = ngct < ngc;
    row->gc_time = stat_of(gct, row->gc_time_unknown ? 0 : ngct);
    row->eligible = row->ok > 0 && row->failed == 0;
    ratios(res, c, row, v);
}

/* Whether a is at least as good as b on both, and better on one. */
static int dominates(const tool_tune_row *a, const tool_tune_row *b)
{
    return a->wall.med <= b->wall.med && a->rss.med <= b->rss.med &&
           (a->wall.med < b->wall.med || a->rss.med < b->rss.med);
}

static void front(tool_tune_result *res)
{
    for (size_t i = 0; i < res->nconfigs; i++) {
        tool_tune_row *row = &res->rows[i];
        row->front = row->eligible;
        for (size_t j = 0; j < res->nconfigs && row->front; j++)
            if (res->rows[j].eligible && dominates(&res->rows[j], row))
                row->front = 0;
    }
}

/* Whether a comes before b: by key (wall or RSS), then by the other. */
static int before(const tool_tune_row *a, const tool_tune_row *b, int by_rss)
{
    double a1 = by_rss ? a->rss.med : a->wall.med, b1 = by_rss ? b->rss.med : b->wall.med;
    double a2 = by_rss ? a->wall.med : a->rss.med, b2 = by_rss ? b->wall.med : b->rss.med;

    return a1 < b1 || (a1 == b1 && a2 < b2);
}

/* The fastest under the limit (complete rounds only: every config had
 * its chance), and the smallest. */
static void choose(tool_tune_result *res)
{
    res->best = res->lowest = -1;
    for (size_t i = 0; i < res->nconfigs; i++) {
        const tool_tune_row *row = &res->rows[i];
        if (!row->eligible)
            continue;
        if (res->lowest < 0 || before(row, &res->rows[res->lowest], 1))
            res->lowest = (long)i;
        if (res->complete == 0 || (res->max_rss > 0 && row->rss.med > res->max_rss))
            continue;
        if (res->best < 0 || before(row, &res->rows[res->best], 0))
            res->best = (long)i;
    }
}

int tool_tune_stats_make(tool_tune_result *res)
{
    size_t any = 0;

    res->complete = complete_rounds(res);
    for (size_t c = 0; c < res->nconfigs && res->rounds > 0; c++)
        any += run_at(res, 0, c)->state == TOOL_TUNE_OK ||
               run_at(res, 0, c)->state == TOOL_TUNE_FAILED;
    /* no round complete: the first one's runs, for what they show */
    res->used = res->complete ? res->complete : any ? 1 : 0;
    res->rows = calloc(res->nconfigs ? res->nconfigs : 1, sizeof *res->rows);
    double *v = malloc((5 * res->used + 1) * sizeof *v);
    if (!res->rows || !v) {
        free(v);
        tool_tune_stats_free(res);
        return -1;
    }
    for (size_t c = 0; c < res->nconfigs; c++)
        row_of(res, c, &res->rows[c], v);
    free(v);
    front(res);
    choose(res);
    return 0;
}

void tool_tune_stats_free(tool_tune_result *res)
{
    free(res->rows);
    res->rows = NULL;
}
