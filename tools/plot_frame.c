/*
 * plot_frame.c - the frame of `gcprof plot`: where each band goes, the
 * title, legend and axes, the scales of the lanes, and the peak's note.
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char style[] = TOOL_SVG_BASE_STYLE
    ".warn{fill:#b3261e;font-weight:600}\n"
    ".legend{font-size:12px;fill:#333}\n"
    ".rss{fill:none;stroke:#1f6fb4;stroke-width:1.7;stroke-linejoin:round}\n"
    ".rss-area{fill:#1f6fb4;fill-opacity:.08;stroke:none}\n"
    ".rss-dot{fill:#1f6fb4}\n"
    ".heap{fill:none;stroke:#e8710a;stroke-width:1.3;stroke-linejoin:round}\n"
    ".heap-dot{fill:#e8710a}\n"
    ".heap-band{fill:#e8710a;fill-opacity:.22;stroke:#e8710a;stroke-opacity:.8;"
    "stroke-width:1;stroke-linejoin:round}\n"
    ".heap-floor{fill:none;stroke:#a33f00;stroke-width:2;stroke-linejoin:round}\n"
    ".heap-floor-dot{fill:#a33f00}\n"
    ".gc{fill:#6b7a90}\n"
    ".alloc{fill:#2a9d8f;fill-opacity:.8;shape-rendering:crispEdges}\n"
    ".gc-forced{fill:#c62828}\n"
    ".lane-bg{fill:#f6f7f9}\n"
    ".lane-title{font-size:11px;fill:#444;font-weight:600}\n"
    ".lane-note{font-size:10px;fill:#777}\n"
    ".fn{stroke:#fff;stroke-width:.6}\n"
    ".lv0{fill:#8fb4dc}.lv1{fill:#93d0c2}.lv2{fill:#f3c178}"
    ".lv3{fill:#c6a6d6}.lv4{fill:#a9cf8e}.lv5{fill:#f1a7a7}\n"
    ".fn-unfinished{fill-opacity:.5;stroke:#555;stroke-dasharray:3 2}\n"
    ".fn-text{font-size:11px;fill:#1b2631}\n"
    ".label-line{stroke:#7d7d7d;stroke-width:1;stroke-dasharray:4 3}\n"
    ".label-text{font-size:11px;fill:#444}\n"
    ".peak{fill:#1f6fb4;stroke:#fff;stroke-width:1.5}\n"
    ".peak-text{font-size:12px;font-weight:600;fill:#174a7c;paint-order:stroke;"
    "stroke:#fff;stroke-width:3px;stroke-linejoin:round}\n";

/* ---- title and legend ------------------------------------------------- */

static void put_duration(char *buf, size_t size, double s)
{
    snprintf(buf, size, s < 10 ? "%.2f s" : s < 100 ? "%.1f s" : "%.0f s", s);
}

#define DOT  " \xc2\xb7 " /* U+00B7 between facts */
#define WARN DOT "did not finish (recording cut short)"

/* "run.dat · 3.00 s · peak RSS 76.8 MiB · 20 collections (2 forced), ...",
 * cut to the width, keeping the warning of a run that did not finish. */
static void subtitle(FILE *fp, const tool_plot *p)
{
    const tool_summary *sm = p->sm;
    char text[512], dur[32];
    size_t fit = tool_svg_fit(p->f.width - 32, 12),
           warn = p->tl->cut_short ? tool_svg_chars(WARN) : 0;
    int n;

    put_duration(dur, sizeof dur, sm->duration);
    n = snprintf(text, sizeof text, "%.200s" DOT "%s", p->path, dur);
    if (sm->has_rss)
        n += snprintf(text + n, sizeof text - (size_t)n, DOT "peak RSS %.1f MiB", sm->peak_rss);
    if (p->tl->ngcs)
        snprintf(text + n, sizeof text - (size_t)n,
                 DOT "%zu collections (%zu forced), longest pause %.3g ms", p->tl->ngcs,
                 sm->nforced, sm->pause_max * 1e3);
    else if (sm->has_heap)
        snprintf(text + n, sizeof text - (size_t)n, DOT "no collections");
    n = (int)strlen(text);
    if (p->heap_procs > 1) /* heaps of processes do not add up: one is drawn */
        snprintf(text + n, sizeof text - (size_t)n,
                 DOT "GC heap of pid %ld (%.40s), 1 of %zu processes", p->heap_pid,
                 tool_tl_proc_name(p->tl, p->heap_pid), p->heap_procs);
    fputs("<text x=\"16\" y=\"46\" class=\"sub\">", fp);
    tool_svg_put_text(fp, text, fit > warn + 10 ? fit - warn : 10);
    if (warn)
        fputs("<tspan class=\"warn\">" WARN "</tspan>", fp);
    fputs("</text>\n", fp);
}

static double legend(FILE *fp, const tool_plot *p);

void tool_plot_header(FILE *fp, const tool_plot *p)
{
    tool_svg_begin(fp, p->f.width, p->f.height, p->title, style);
    subtitle(fp, p);
    legend(fp, p);
}

/* One legend entry at (*x, *y), a line or a box of the class, wrapping to
 * a new row at the right edge. With fp NULL, only moves (for the layout). */
static void legend_item(FILE *fp, const tool_plot *p, double *x, double *y, int line,
                        const char *cls, const char *text)
{
    double w = 24 + tool_svg_width(tool_svg_chars(text), 12);

    if (*x > 16 && *x + w > p->f.width - 16) {
        *x = 16;
        *y += 18;
    }
    if (fp && line)
        fprintf(fp, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cls,
                *x, *y - 4, *x + 18, *y - 4);
    else if (fp)
        fprintf(fp, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\"/>\n", cls,
                *x + 3, *y - 10);
    if (fp)
        tool_svg_text(fp, *x + 24, *y, "legend", "start", text, 80);
    *x += w + 20;
}

/* Only what the picture shows. Returns the baseline of its last row. */
static double legend(FILE *fp, const tool_plot *p)
{
    double x = 16, y = 70;
    size_t forced = p->sm->nforced;

    if (p->rss.n)
        legend_item(fp, p, &x, &y, 1, "rss", "RSS");
    if (p->heap.n && p->heap_band)
        legend_item(fp, p, &x, &y, 0, "heap-band", "GC heap in use, lowest to highest per pixel");
    else if (p->heap.n)
        legend_item(fp, p, &x, &y, 1, "heap", "GC heap in use");
    if (p->floor.n)
        legend_item(fp, p, &x, &y, 1, "heap-floor",
                    p->heap_band ? "GC heap in use after collections (lowest per pixel)"
                                 : "GC heap in use after each collection");
    if (p->tl->ngcs > forced)
        legend_item(fp, p, &x, &y, 0, "gc", "collection (bar height: its pause)");
    if (forced)
        legend_item(fp, p, &x, &y, 0, "gc-forced", "forced collection");
    if (p->nalloc)
        legend_item(fp, p, &x, &y, 0, "alloc", "allocation rate between heap samples");
    if (p->f.fn_levels)
        legend_item(fp, p, &x, &y, 0, "lv0", "profiled closure");
    if (p->tl->nlabels)
        legend_item(fp, p, &x, &y, 1, "label-line", "label");
    return y;
}

/* ---- layout ----------------------------------------------------------- */

/* A lane above bottom, if shown; returns the bottom of the next one up
 * (above its title row). */
static double stack_lane(tool_lane *l, double bottom, int shown)
{
    l->top = l->bottom = bottom;
    if (!shown)
        return bottom;
    l->top = bottom - TOOL_PLOT_LANE;
    return l->top - TOOL_PLOT_LANE_TITLE;
}

/* Bands from the bottom up, then the chart gets what is left; a picture
 * too small for its lanes grows rather than squeezing the chart away. */
int tool_plot_layout(tool_plot *p, double width, double height)
{
    tool_frame *f = &p->f;
    double xmax = p->sm->duration, ymax, top, y;
    int lanes = (p->tl->ngcs > 0) + (p->nalloc > 0);

    f->width = width;
    f->left = 88; /* room for the lanes' ticks and notes ("3 of 8 levels") */
    f->right = width - 28;
    if (p->tl->t_max - p->tl->origin > xmax)
        xmax = p->tl->t_max - p->tl->origin;
    if (tool_axis_make(&f->x, 0, xmax > 0 ? xmax : 1, (int)((f->right - f->left) / 110), 0) < 0)
        return -2;
    if (tool_plot_place_labels(p) < 0)
        return -1;
    tool_heap_fit(p); /* before the legend, which names what it chose */
    f->fn_levels = tool_plot_levels(p->tl);
    f->labels_top = legend(NULL, p) + 14;
    f->chart_top = f->labels_top + f->label_rows * TOOL_PLOT_LABEL_ROW + 8;
    top = f->chart_top + 150 + lanes * (TOOL_PLOT_LANE + TOOL_PLOT_LANE_TITLE) +
          f->fn_levels * TOOL_PLOT_LEVEL_ROW + 60;
    f->height = height > top ? height : top;
    f->axis_y = f->height - 44;
    f->fn_bottom = f->axis_y - (f->fn_levels ? 4 : 0);
    f->fn_top = f->fn_bottom - f->fn_levels * TOOL_PLOT_LEVEL_ROW;
    y = stack_lane(&f->alloc, f->fn_top - (f->fn_levels ? 6 : 0), p->nalloc > 0);
    y = stack_lane(&f->gc, y, p->tl->ngcs > 0);
    f->chart_bottom = y < f->axis_y ? y - 4 : f->axis_y;
    if (p->bd) { /* below it all, on a height of its own */
        p->bd_top = f->height + 8;
        f->height += 8 + tool_bd_chart_height(&p->bd->b, width - 32);
    }
    ymax = p->sm->peak_rss > p->sm->peak_heap ? p->sm->peak_rss : p->sm->peak_heap;
    /* headroom for the peak's annotation */
    return tool_axis_make(&f->y, 0, ymax > 0 ? ymax * 1.12 : 1,
                          (int)((f->chart_bottom - f->chart_top) / 48), 1) < 0
               ? -2
               : 0;
}

/* A value's line across the plotting area at y (the first, k == 0, is the
 * axis; the others grid), and the value left of it: the memory axis and
 * the lanes' scales. */
static void y_tick(FILE *fp, const tool_frame *f, int k, double y, const char *label)
{
    fprintf(fp, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            k == 0 ? "axis" : "grid", f->left, y, f->right, y);
    tool_svg_text(fp, f->left - 8, y + 4, "tick", "end", label, 20);
}

static void y_axis(FILE *fp, const tool_frame *f, const char *title)
{
    char buf[40];

    for (int k = 0; k <= TOOL_SVG_MAX_TICKS; k++) {
        double v = f->y.lo + k * f->y.step;
        if (v > f->y.hi + f->y.step * 1e-6)
            break;
        y_tick(fp, f, k, tool_px_y(f, v), tool_axis_label(&f->y, v, buf, sizeof buf));
    }
    fprintf(fp,
            "<text class=\"axis-title\" text-anchor=\"middle\" "
            "transform=\"translate(20 %.1f) rotate(-90)\">",
            (f->chart_top + f->chart_bottom) / 2);
    tool_svg_put_text(fp, title, 60);
    fputs("</text>\n", fp);
}

/* Vertical grid lines in the chart, ticks and values under the lanes. */
static void x_axis(FILE *fp, const tool_frame *f, const char *title)
{
    char buf[40];

    for (int k = 0; k <= TOOL_SVG_MAX_TICKS; k++) {
        double t = ceil(f->x.lo / f->x.step) * f->x.step + k * f->x.step, x = tool_px_x(f, t);
        if (t > f->x.hi + f->x.step * 1e-6)
            break;
        fprintf(fp, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
                f->chart_top, x, f->chart_bottom);
        fprintf(fp, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
                f->axis_y, x, f->axis_y + 4);
        tool_svg_text(fp, x, f->axis_y + 17, "tick", "middle",
                      tool_axis_label(&f->x, t, buf, sizeof buf), 20);
    }
    fprintf(fp, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left,
            f->axis_y, f->right, f->axis_y);
    tool_svg_text(fp, (f->left + f->right) / 2, f->axis_y + 36, "axis-title", "middle", title, 60);
}

void tool_plot_axes_titled(FILE *fp, const tool_frame *f, const char *x_title, const char *y_title)
{
    x_axis(fp, f, x_title);
    y_axis(fp, f, y_title);
}

void tool_plot_axes(FILE *fp, const tool_frame *f)
{
    tool_plot_axes_titled(fp, f, "time since start (s)", "memory (MiB)");
}

/* The peak RSS, marked and written next to its point, on the side with room. */
void tool_plot_peak(FILE *fp, const tool_plot *p)
{
    const tool_frame *f = &p->f;
    double x = tool_px_x(f, p->sm->peak_rss_t), y = tool_px_y(f, p->sm->peak_rss), w, ty;
    char text[80], at[32];
    int left;

    if (!p->sm->has_rss)
        return;
    put_duration(at, sizeof at, p->sm->peak_rss_t);
    snprintf(text, sizeof text, "peak %.1f MiB at %s", p->sm->peak_rss, at);
    w = tool_svg_width(tool_svg_chars(text), 12);
    left = x + 8 + w > f->right;
    ty = y - 8 < f->chart_top + 12 ? y + 18 : y - 8;
    fprintf(fp, "<circle class=\"peak\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>\n", x, y);
    tool_svg_text(fp, left ? x - 8 : x + 8, ty, "peak-text", left ? "end" : "start", text, 80);
}

/* ---- lanes ------------------------------------------------------------ */

/* Three or four ticks (0, s, 2s, 3s): readable in a lane's height. The lowest
 * prints as "0", not "0.000". */
static void lane_ticks(FILE *fp, const tool_frame *f, const tool_lane *l)
{
    char buf[40];

    for (int k = 0; k <= TOOL_SVG_MAX_TICKS; k++) {
        double v = l->y.lo + k * l->y.step;
        if (v > l->y.hi + l->y.step * 1e-6)
            break;
        y_tick(fp, f, k, tool_lane_y(l, v),
               k == 0 ? "0" : tool_axis_label(&l->y, v, buf, sizeof buf));
    }
}

void tool_plot_lane(FILE *fp, const tool_frame *f, tool_lane *l, double max, const char *title,
                    const char *note)
{
    double w = f->right - f->left;
    size_t note_chars = tool_svg_chars(note), fit = tool_svg_fit(w, 11);

    /* 60.00006 is 60: rates divide by times that the file rounds */
    max *= 1 - 1e-5;
    /* a rate over a span too short for its digits is huge: the scale keeps finite */
    if (tool_axis_make(&l->y, 0, max > 0 ? max : 1, (int)((l->bottom - l->top - 8) / 16), 1) < 0)
        tool_axis_make(&l->y, 0, max > 0 && max < 1e300 ? max : 1e300, 4, 1);
    fprintf(fp, "<rect class=\"lane-bg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
            f->left, l->top, w, l->bottom - l->top);
    lane_ticks(fp, f, l);
    /* the title first: the note gives way when both do not fit */
    tool_svg_text(fp, f->left, l->top - 5, "lane-title", "start", title, fit);
    if (tool_svg_width(tool_svg_chars(title), 11) + tool_svg_width(note_chars, 10) + 16 < w)
        tool_svg_text(fp, f->right, l->top - 5, "lane-note", "end", note, note_chars);
}
