/*
 * plot_render.c - one timeline into one SVG: what `gcprof plot` draws,
 * without the command around it (plot.c), so fuzz/fuzz_plot.c can draw
 * hostile files exactly as the command does.
 */
#include "plot.h"

#include <stdlib.h>
#include <string.h>

/* The main process's last breakdown, if the file has one: -1 when out
 * of memory (the reader checked it: it parses). */
static int breakdown(tool_plot *p)
{
    char err[160];

    p->bd_rec = tool_tl_last_breakdown(p->tl, tool_tl_breakdown_pid(p->tl));
    if (!p->bd_rec)
        return 0;
    if (!(p->bd = malloc(sizeof *p->bd)))
        return -1;
    if (tool_bd_parse(p->bd_rec->json, p->bd, err, sizeof err) == 0)
        return 0;
    free(p->bd);
    p->bd = NULL;
    return -1;
}

int tool_plot_make(tool_plot *p, tool_summary *sm, const tool_tl *tl, const char *path,
                   const char *title, double width, double height)
{
    memset(p, 0, sizeof *p);
    memset(sm, 0, sizeof *sm);
    p->path = path;
    p->tl = tl;
    p->sm = sm;
    p->title = title ? title : *tl->cmdline ? tl->cmdline : path;
    p->heap_pid = tool_tl_heap_pid(tl, &p->heap_procs); /* heaps of processes do not add up */
    if (tool_summary_make(tl, sm) < 0 || tool_series_rss(tl, &p->rss) < 0 ||
        tool_heap_make(tl, p) < 0 || tool_alloc_make(tl, p) < 0 || breakdown(p) < 0)
        return -1;
    int r = tool_plot_layout(p, width, height);
    if (r < 0)
        return r;
    tool_series_thin(&p->rss, TOOL_PLOT_MAX_POINTS);
    return 0;
}

int tool_plot_render(FILE *fp, const tool_plot *p)
{
    tool_plot_header(fp, p);
    tool_plot_axes(fp, &p->f);
    tool_series_draw(fp, &p->f, &p->rss, "rss", 1);
    if (tool_heap_draw(fp, p) < 0)
        return -1;
    tool_plot_peak(fp, p);
    if (tool_plot_gcs(fp, p) < 0)
        return -1;
    tool_alloc_draw(fp, p);
    if (tool_plot_funcs(fp, p) < 0)
        return -1;
    tool_plot_labels(fp, p);
    if (p->bd) {
        char caption[200];
        tool_bd_chart(fp, &p->bd->b, 16, p->bd_top, p->f.width - 32,
                      tool_bd_caption(p->tl, p->bd_rec, &p->bd->b, caption, sizeof caption));
    }
    fputs("</svg>\n", fp);
    return 0;
}

void tool_plot_free(tool_plot *p)
{
    free(p->label_row);
    free(p->alloc);
    free(p->bd);
    tool_series_free(&p->rss);
    tool_series_free(&p->heap);
    tool_series_free(&p->floor);
    memset(p, 0, sizeof *p);
}
