/*
 * plot_lanes.c - the parts of `gcprof plot` drawn along the time axis:
 * a bar per collection (height: its pause, on a scale in ms), profiled
 * closures as bars stacked by nesting level, and labels as dashed lines
 * with their text.
 * Whatever would fall on the same pixels is drawn once, so a file with a
 * million events still makes a small picture.
 */
#include "plot.h"

#include <stdlib.h>
#include <string.h>

#define LABEL_FONT  11.0
#define LABEL_CHARS 40 /* longer labels are cut, with an ellipsis */
#define FN_FONT     11.0
#define UNFINISHED  " (unfinished)"

/* ---- labels ----------------------------------------------------------- */

static int cmp_time(const void *a, const void *b)
{
    const tool_tl_label *x = *(const tool_tl_label *const *)a;
    const tool_tl_label *y = *(const tool_tl_label *const *)b;

    return (x->t > y->t) - (x->t < y->t);
}

/* Where label l's text goes: right of its line, or left of it near the
 * right edge. Returns 0 if it fits nowhere. */
static int label_span(const tool_plot *p, const tool_tl_label *l, double *x0, double *x1,
                      int *at_end)
{
    size_t n = tool_svg_chars(l->text);
    double x = tool_px_x(&p->f, l->t - p->tl->origin);
    double w = tool_svg_width(n < LABEL_CHARS ? n : LABEL_CHARS, LABEL_FONT);

    *at_end = x + 4 + w > p->f.width - 4;
    *x0 = *at_end ? x - 4 - w : x + 4;
    *x1 = *x0 + w;
    return *x0 >= 2;
}

/* Greedy rows, in time order: a text takes the first row where it clears
 * the text before it. */
int tool_plot_place_labels(tool_plot *p)
{
    const tool_tl *tl = p->tl;
    const tool_tl_label **order;
    double row_end[TOOL_PLOT_LABEL_ROWS];

    p->f.label_rows = 0;
    if (tl->nlabels == 0)
        return 0;
    p->label_row = malloc(tl->nlabels * sizeof *p->label_row);
    order = malloc(tl->nlabels * sizeof *order);
    if (!p->label_row || !order) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < tl->nlabels; i++)
        order[i] = &tl->labels[i];
    qsort(order, tl->nlabels, sizeof *order, cmp_time);
    for (int r = 0; r < TOOL_PLOT_LABEL_ROWS; r++)
        row_end[r] = -1e9;
    for (size_t i = 0; i < tl->nlabels; i++) {
        size_t k = (size_t)(order[i] - tl->labels);
        double x0, x1;
        int at_end, r = 0;
        p->label_row[k] = -1;
        if (!label_span(p, order[i], &x0, &x1, &at_end))
            continue;
        while (r < TOOL_PLOT_LABEL_ROWS && x0 < row_end[r] + 10)
            r++;
        if (r == TOOL_PLOT_LABEL_ROWS)
            continue; /* the line alone; its text is in the tooltip */
        p->label_row[k] = r;
        row_end[r] = x1;
        if (r + 1 > p->f.label_rows)
            p->f.label_rows = r + 1;
    }
    free(order);
    return 0;
}

void tool_plot_labels(FILE *fp, const tool_plot *p)
{
    const tool_frame *f = &p->f;
    long last_px = -100;

    for (size_t i = 0; i < p->tl->nlabels; i++) {
        const tool_tl_label *l = &p->tl->labels[i];
        int row = p->label_row[i], at_end;
        double x = tool_px_x(f, l->t - p->tl->origin), x0, x1;
        double top = row < 0 ? f->chart_top : f->labels_top + row * TOOL_PLOT_LABEL_ROW + 3;
        if (row < 0 && (long)x < last_px + 4)
            continue; /* a line is there, or close enough */
        last_px = (long)x;
        fprintf(fp, "<line class=\"label-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\">",
                x, top, x, f->axis_y);
        fprintf(fp, "<title>%.3f s: ", l->t - p->tl->origin);
        tool_svg_put_text(fp, l->text, 500);
        fputs("</title></line>\n", fp);
        if (row < 0 || !label_span(p, l, &x0, &x1, &at_end))
            continue;
        tool_svg_text(fp, at_end ? x1 : x0, f->labels_top + row * TOOL_PLOT_LABEL_ROW + 11,
                      "label-text", at_end ? "end" : "start", l->text, LABEL_CHARS);
    }
}

/* ---- collections ------------------------------------------------------ */

typedef struct column {
    double pause; /* the longest in this pixel column */
    size_t n, which;
    int forced;
} column;

static void gc_tooltip(FILE *fp, const tool_plot *p, const column *c)
{
    const gcp_tl_gc *g = &p->tl->gcs[c->which];

    if (c->n > 1) {
        fprintf(fp, "<title>%zu collections here, longest pause %.3f ms%s</title>", c->n,
                c->pause * 1e3, c->forced ? ", some forced" : "");
        return;
    }
    fprintf(fp,
            "<title>collection %llu at %.3f s%s: pause %.3f ms (mark %.3f, reclaim %.3f), "
            "heap in use %.1f \xe2\x86\x92 %.1f MiB</title>",
            (unsigned long long)g->n, g->t - p->tl->origin, g->forced ? " (forced)" : "",
            g->pause * 1e3, g->mark * 1e3, g->reclaim * 1e3, (double)g->heap_before / 1048576.0,
            (double)g->heap_after / 1048576.0);
}

/* Its scale in ms, from 0 to at least the longest pause; where several
 * collections share a pixel column, its bar is their longest. */
static void gc_lane_frame(FILE *fp, const tool_plot *p, tool_lane *l, int crowded)
{
    char note[80];

    snprintf(note, sizeof note, "%slongest %.3g ms",
             crowded ? "a bar per pixel column: its longest pause \xc2\xb7 " : "",
             p->sm->pause_max * 1e3);
    tool_plot_lane(fp, &p->f, l, p->sm->pause_max * 1e3, "GC pause (world stopped), ms", note);
}

/* Collections into pixel columns; returns whether any column has several. */
static int gc_columns(const tool_plot *p, column *cols, size_t ncols)
{
    const tool_frame *f = &p->f;
    int crowded = 0;

    for (size_t i = 0; i < p->tl->ngcs; i++) {
        const gcp_tl_gc *g = &p->tl->gcs[i];
        double x = tool_px_x(f, g->t - p->tl->origin) - f->left;
        column *c = &cols[x <= 0 ? 0 : x >= (double)(ncols - 1) ? ncols - 1 : (size_t)x];
        if (c->n++ == 0 || g->pause > c->pause) {
            c->pause = g->pause;
            c->which = i;
        }
        c->forced |= g->forced;
        crowded |= c->n > 1;
    }
    return crowded;
}

int tool_plot_gcs(FILE *fp, const tool_plot *p)
{
    const tool_frame *f = &p->f;
    size_t ncols = (size_t)(f->right - f->left) + 1;
    tool_lane l = f->gc;
    column *cols;

    if (p->tl->ngcs == 0)
        return 0;
    if (!(cols = calloc(ncols, sizeof *cols)))
        return -1;
    fputs("<g id=\"pauses\">\n", fp);
    gc_lane_frame(fp, p, &l, gc_columns(p, cols, ncols));
    for (size_t i = 0; i < ncols; i++) {
        const column *c = &cols[i];
        double h = l.bottom - tool_lane_y(&l, c->pause * 1e3);
        if (c->n == 0)
            continue;
        h = h < 2 ? 2 : h; /* a pause too short to see is still a collection */
        fprintf(fp, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"2.2\" height=\"%.1f\">",
                c->forced ? "gc-forced" : "gc", f->left + (double)i - 1.1, l.bottom - h, h);
        gc_tooltip(fp, p, c);
        fputs("</rect>\n", fp);
        if (c->forced)
            fprintf(fp, "<circle class=\"gc-forced\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\"/>\n",
                    f->left + (double)i, l.bottom - h - 3.5);
    }
    fputs("</g>\n", fp);
    free(cols);
    return 0;
}

/* ---- closures --------------------------------------------------------- */

static int all_levels(const tool_tl *tl)
{
    int levels = 0;

    for (size_t i = 0; i < tl->nfuncs; i++)
        if (tl->funcs[i].level + 1 > levels)
            levels = tl->funcs[i].level + 1;
    return levels;
}

int tool_plot_levels(const tool_tl *tl)
{
    int levels = all_levels(tl);

    return levels < TOOL_PLOT_MAX_LEVELS ? levels : TOOL_PLOT_MAX_LEVELS;
}

static int cmp_level_start(const void *a, const void *b)
{
    const tool_tl_func *x = *(const tool_tl_func *const *)a;
    const tool_tl_func *y = *(const tool_tl_func *const *)b;

    if (x->level != y->level)
        return x->level - y->level;
    return (x->start > y->start) - (x->start < y->start);
}

/* Calls that touch on screen, drawn as one bar. */
typedef struct run {
    double x0, x1;
    size_t n;
    const tool_tl_func *first;
    int one_name; /* all its calls have the first one's name */
} run;

static void fn_bar(FILE *fp, const tool_plot *p, const run *r)
{
    const tool_tl_func *fn = r->first;
    double y = p->f.fn_top + fn->level * TOOL_PLOT_LEVEL_ROW + 1, w = r->x1 - r->x0;
    int unfinished = r->n == 1 && fn->unfinished;
    size_t fit = tool_svg_fit(w - 8, FN_FONT);

    fprintf(fp,
            "<rect class=\"fn lv%d%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "rx=\"2\">",
            fn->level, unfinished ? " fn-unfinished" : "", r->x0, y, w, TOOL_PLOT_LEVEL_ROW - 3);
    if (r->n > 1) {
        fprintf(fp, "<title>%zu calls, too close together to draw apart</title></rect>\n", r->n);
        if (r->one_name && fit >= 4) {
            fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"fn-text\">", r->x0 + 4, y + 11);
            tool_svg_put_text(fp, fn->name, fit > 12 ? fit - 10 : fit);
            fprintf(fp, " \xc3\x97%zu</text>\n", r->n); /* "name ×1000" */
        }
        return;
    }
    fputs("<title>", fp);
    tool_svg_put_text(fp, fn->name, 200);
    fprintf(fp, ": %.3f s from %.3f s%s, RSS %.1f \xe2\x86\x92 %.1f MiB</title></rect>\n",
            fn->end - fn->start, fn->start - p->tl->origin,
            unfinished ? " (unfinished: the run ended inside it)" : "", fn->rss_start_mib,
            fn->rss_end_mib);
    if (fit < 4)
        return;
    fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"fn-text\">", r->x0 + 4, y + 11);
    if (unfinished && fit >= sizeof UNFINISHED + 3) {
        tool_svg_put_text(fp, fn->name, fit - (sizeof UNFINISHED - 1));
        fputs(UNFINISHED, fp);
    } else {
        tool_svg_put_text(fp, fn->name, fit);
    }
    fputs("</text>\n", fp);
}

int tool_plot_funcs(FILE *fp, const tool_plot *p)
{
    const tool_tl *tl = p->tl;
    const tool_tl_func **order;
    run r = {0};

    if (p->f.fn_levels == 0)
        return 0;
    if (!(order = malloc(tl->nfuncs * sizeof *order)))
        return -1;
    for (size_t i = 0; i < tl->nfuncs; i++)
        order[i] = &tl->funcs[i];
    qsort(order, tl->nfuncs, sizeof *order, cmp_level_start);
    tool_svg_text(fp, p->f.left - 8, p->f.fn_top + 12, "lane-title", "end", "closures", 20);
    if (all_levels(tl) > p->f.fn_levels) {
        char note[48];
        snprintf(note, sizeof note, "%d of %d levels", p->f.fn_levels, all_levels(tl));
        tool_svg_text(fp, p->f.left - 8, p->f.fn_top + 26, "lane-note", "end", note, 20);
    }
    for (size_t i = 0; i < tl->nfuncs && order[i]->level < p->f.fn_levels; i++) {
        const tool_tl_func *fn = order[i];
        double x0 = tool_px_x(&p->f, fn->start - tl->origin);
        double x1 = tool_px_x(&p->f, fn->end - tl->origin);
        x1 = x1 < x0 + 1.5 ? x0 + 1.5 : x1;
        if (r.n > 0 && fn->level == r.first->level && x0 <= r.x1 + 0.5) {
            r.x1 = x1 > r.x1 ? x1 : r.x1;
            r.n++;
            r.one_name &= strcmp(fn->name, r.first->name) == 0;
            continue;
        }
        if (r.n > 0)
            fn_bar(fp, p, &r);
        r = (run){x0, x1, 1, fn, 1};
    }
    if (r.n > 0)
        fn_bar(fp, p, &r);
    free(order);
    return 0;
}
