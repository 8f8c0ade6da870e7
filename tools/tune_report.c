/*
 * tune_report.c - what `gcprof tune` prints: the table (a row per config:
 * medians and ranges, the Pareto front marked) and the recommendation,
 * with its ratios to the defaults.
 */
#define _GNU_SOURCE /* strsignal */
#include "tune.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "summary.h" /* tool_ending_text */

#define CELL 48

const char *tool_tune_status_text(int wstatus, char *buf, size_t size)
{
    if (WIFSIGNALED(wstatus))
        return tool_ending_text(1, WTERMSIG(wstatus), buf, size);
    return tool_ending_text(0, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, buf, size);
}

/* "0.192 (0.188-0.201)" with the given decimals; "-" when unknown. */
static const char *cell(char *buf, const tool_tune_stat *s, int decimals)
{
    if (s->n == 0)
        snprintf(buf, CELL, "-");
    else
        snprintf(buf, CELL, "%.*f (%.*f-%.*f)", decimals, s->med, decimals, s->lo, decimals, s->hi);
    return buf;
}

/* Collections are whole, their median maybe not. */
static const char *count_cell(char *buf, const tool_tune_stat *s)
{
    return cell(buf, s, s->n && s->med != floor(s->med) ? 1 : 0);
}

static const char *runs_cell(char *buf, const tool_tune_row *row)
{
    if (row->failed)
        snprintf(buf, CELL, "%zu+%zu failed", row->ok, row->failed);
    else if (row->ok)
        snprintf(buf, CELL, "%zu", row->ok);
    else
        snprintf(buf, CELL, row->stopped ? "stopped" : "not run");
    return buf;
}

enum { COL_RUNS, COL_WALL, COL_CPU, COL_RSS, COL_GC, COL_GCS, NCOLS };

static void cells(const tool_tune_row *row, char c[NCOLS][CELL])
{
    runs_cell(c[COL_RUNS], row);
    cell(c[COL_WALL], &row->wall, 3);
    cell(c[COL_CPU], &row->cpu, 3);
    cell(c[COL_RSS], &row->rss, 1);
    cell(c[COL_GC], &row->gc_time, 3);
    count_cell(c[COL_GCS], &row->gcs);
}

static const char *const titles[NCOLS] = {"runs",         "wall s", "CPU s",
                                          "peak RSS MiB", "GC s",   "collections"};

static void table(FILE *fp, const tool_tune_result *res)
{
    int label_w = 6, w[NCOLS];
    char c[NCOLS][CELL];

    for (int k = 0; k < NCOLS; k++)
        w[k] = (int)strlen(titles[k]);
    for (size_t i = 0; i < res->nconfigs; i++) {
        int n = (int)strlen(res->configs[i].label);
        label_w = n > label_w ? n : label_w;
        cells(&res->rows[i], c);
        for (int k = 0; k < NCOLS; k++)
            w[k] = (int)strlen(c[k]) > w[k] ? (int)strlen(c[k]) : w[k];
    }
    fprintf(fp, "  %-*s", label_w, "config");
    for (int k = 0; k < NCOLS; k++)
        fprintf(fp, "  %-*s", k == NCOLS - 1 ? 0 : w[k], titles[k]);
    fputc('\n', fp);
    for (size_t i = 0; i < res->nconfigs; i++) {
        cells(&res->rows[i], c);
        fprintf(fp, "%c %-*s", res->rows[i].front ? '*' : ' ', label_w, res->configs[i].label);
        for (int k = 0; k < NCOLS; k++)
            fprintf(fp, "  %-*s", k == NCOLS - 1 ? 0 : w[k], c[k]);
        fputc('\n', fp);
    }
}

/* Runs that ran to their end, well or not. */
static size_t runs_done(const tool_tune_result *res)
{
    size_t n = 0;

    for (size_t i = 0; i < res->rounds * res->nconfigs; i++)
        n += res->runs[i].state == TOOL_TUNE_OK || res->runs[i].state == TOOL_TUNE_FAILED;
    return n;
}

static void header(FILE *fp, const tool_tune_result *res, char **argv)
{
    size_t total = res->rounds * res->nconfigs;

    fprintf(
        fp,
        "gcprof tune: %s: %zu configs, %zu round%s (%zu runs, after %zu warm-up run%s), %.1f s\n",
        argv[0], res->nconfigs, res->rounds, res->rounds == 1 ? "" : "s", total, res->warmup,
        res->warmup == 1 ? "" : "s", res->elapsed);
    if (res->stop_signal)
        fprintf(fp, "stopped by signal %d (%s) with %zu of %zu runs done: %zu complete round%s%s\n",
                res->stop_signal, strsignal(res->stop_signal), runs_done(res), total, res->complete,
                res->complete == 1 ? "" : "s",
                res->complete ? "" : "; the figures are the first round's runs");
    fprintf(fp, "medians over %zu round%s, (min-max); each round runs every config once\n\n",
            res->used, res->used == 1 ? "" : "s");
}

static void notes(FILE *fp, const tool_tune_result *res, const char *program)
{
    int unknown_time = 0, any_gcs = 0;
    char why[96];

    fputs("\n* on the Pareto front: no other config has a median wall time and a median\n"
          "  peak RSS both as low, and one lower\n",
          fp);
    for (size_t i = 0; i < res->nconfigs; i++) {
        const tool_tune_row *row = &res->rows[i];
        unknown_time |= row->gc_time_unknown;
        any_gcs |= row->gcs.n > 0;
        if (row->failed)
            fprintf(fp, "%s: %zu of %zu runs failed (the first: %s): not recommended\n",
                    res->configs[i].label, row->failed, row->failed + row->ok,
                    tool_tune_status_text(row->fail_wstatus, why, sizeof why));
        if (row->unrecorded)
            fprintf(fp,
                    "%s: %zu run%s' recording could not be written: collections and GC s\n"
                    "  unknown for it\n",
                    res->configs[i].label, row->unrecorded, row->unrecorded == 1 ? "" : "s");
    }
    if (unknown_time)
        fputs("GC s '-': incremental collections send no start or end event (bdwgc 8.2), so\n"
              "  their time is not measured; collections is the collector's own count\n",
              fp);
    if (!any_gcs && res->used)
        fprintf(fp,
                "GC s, collections '-': no collector records from %s (no dynamically\n"
                "  linked libgc, or no preload library)\n",
                program);
}

static void ratio_line(FILE *fp, const char *what, const tool_tune_stat *s)
{
    if (s->n)
        fprintf(fp, "    %-10s %.3fx (%.3f-%.3f)\n", what, s->med, s->lo, s->hi);
    else
        fprintf(fp, "    %-10s -\n", what);
}

static void no_recommendation(FILE *fp, const tool_tune_result *res)
{
    if (res->complete == 0)
        fputs("no recommendation: no round was completed\n", fp);
    else if (res->lowest < 0)
        fputs("no recommendation: every config had a run that failed\n", fp);
    else
        fprintf(fp,
                "no recommendation: no config has a median peak RSS of at most %.1f MiB;\n"
                "  the lowest is %s (%s) at %.1f MiB\n",
                res->max_rss, res->configs[res->lowest].label,
                res->configs[res->lowest].assign[0] ? res->configs[res->lowest].assign
                                                    : "no variable set",
                res->rows[res->lowest].rss.med);
}

static void recommendation(FILE *fp, const tool_tune_result *res, char **argv)
{
    if (res->best < 0) {
        no_recommendation(fp, res);
        return;
    }
    const tool_tune_config *c = &res->configs[res->best];
    const tool_tune_row *row = &res->rows[res->best];
    if (res->best == 0)
        fputs("recommended: the defaults (none of the variables set)\n", fp);
    else
        fprintf(fp, "recommended: %s\n", c->assign);
    if (res->max_rss > 0)
        fprintf(fp,
                "  the fastest by median wall time of the configs whose median peak RSS\n"
                "  is at most %.1f MiB\n",
                res->max_rss);
    else
        fputs("  the fastest by median wall time\n", fp);
    if (res->best == 0)
        return;
    fprintf(fp, "  against the defaults, the median of %zu paired round%s (min-max):\n",
            row->vs[TOOL_TUNE_WALL].n, row->vs[TOOL_TUNE_WALL].n == 1 ? "" : "s");
    ratio_line(fp, "wall time", &row->vs[TOOL_TUNE_WALL]);
    ratio_line(fp, "CPU time", &row->vs[TOOL_TUNE_CPU]);
    ratio_line(fp, "peak RSS", &row->vs[TOOL_TUNE_RSS]);
    const tool_tune_stat *w = &row->vs[TOOL_TUNE_WALL];
    if (w->n && w->lo <= 1 && w->hi >= 1)
        fputs("  its wall time ratios run from 1 or below to 1 or above: within these rounds'\n"
              "  noise it is no faster than the defaults (more --runs tell more)\n",
              fp);
    else if (w->n && w->lo > 1)
        fputs("  slower than the defaults in every round: the price of the peak RSS limit\n", fp);
    fprintf(fp, "  run as: %s %s%s\n", c->assign, argv[0], argv[1] ? " ..." : "");
}

void tool_tune_print_text(FILE *fp, const tool_tune_result *res, char **argv)
{
    header(fp, res, argv);
    table(fp, res);
    notes(fp, res, argv[0]);
    fputc('\n', fp);
    recommendation(fp, res, argv);
}
