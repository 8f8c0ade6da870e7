/*
 * plot_render.c - one timeline into one SVG: what `gcprof plot` draws,
 * without the command around it (plot.c), so fuzz/fuzz_plot.c can draw
 * hostile files exactly as the command does.
 */
#include "plot.h"

#include <stdlib.h>
#include <string.h>

int gcp__plot_make(gcp_plot *p, gcp_summary *sm, const gcp_tlr *tl, const char *path,
                   const char *title, double width, double height)
{
    memset(p, 0, sizeof *p);
    memset(sm, 0, sizeof *sm);
    p->path = path;
    p->tl = tl;
    p->sm = sm;
    p->title = title ? title : *tl->cmdline ? tl->cmdline : path;
    p->heap_pid = gcp__tlr_heap_pid(tl, &p->heap_procs); /* heaps of processes do not add up */
    if (gcp__summary_make(tl, sm) < 0 || gcp__series_rss(tl, &p->rss) < 0 ||
        gcp__heap_make(tl, p) < 0 || gcp__alloc_make(tl, p) < 0)
        return -1;
    int r = gcp__plot_layout(p, width, height);
    if (r < 0)
        return r;
    gcp__series_thin(&p->rss, GCP_PLOT_MAX_POINTS);
    return 0;
}

int gcp__plot_render(FILE *fp, const gcp_plot *p)
{
    gcp__plot_header(fp, p);
    gcp__plot_axes(fp, &p->f);
    gcp__series_draw(fp, &p->f, &p->rss, "rss", 1);
    if (gcp__heap_draw(fp, p) < 0)
        return -1;
    gcp__plot_peak(fp, p);
    if (gcp__plot_gcs(fp, p) < 0)
        return -1;
    gcp__alloc_draw(fp, p);
    if (gcp__plot_funcs(fp, p) < 0)
        return -1;
    gcp__plot_labels(fp, p);
    fputs("</svg>\n", fp);
    return 0;
}

void gcp__plot_free(gcp_plot *p)
{
    free(p->label_row);
    free(p->alloc);
    gcp__series_free(&p->rss);
    gcp__series_free(&p->heap);
    gcp__series_free(&p->floor);
    memset(p, 0, sizeof *p);
}
