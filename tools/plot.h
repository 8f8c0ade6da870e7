/*
 * plot.h - inside `gcprof plot`: the picture's layout, shared by the parts
 * that draw it (plot.c: the command; plot_frame.c: layout, legend, axes;
 * plot_series.c: the RSS line; plot_heap.c: the GC heap; plot_lanes.c:
 * collections, closures, labels; plot_alloc.c: the allocation rate;
 * breakdown_svg.c: the breakdown's chart below it all).
 */
#ifndef TOOL_PLOT_H
#define TOOL_PLOT_H

#include <stdio.h>

#include "breakdown_json.h"
#include "breakdown_svg.h"
#include "summary.h"
#include "svg.h"
#include "timeline_read.h"

#define TOOL_PLOT_MAX_POINTS 2000 /* per line; beyond, min/max per time bucket */
#define TOOL_PLOT_MAX_LEVELS 6    /* closure rows shown */
#define TOOL_PLOT_LABEL_ROWS 3
#define TOOL_PLOT_LABEL_ROW  15.0 /* px */
#define TOOL_PLOT_LEVEL_ROW  17.0 /* px */
#define TOOL_PLOT_LANE       60.0 /* px: the pause and allocation lanes */
#define TOOL_PLOT_LANE_TITLE 18.0 /* px: the row above such a lane, for its title */
#define TOOL_PLOT_TOOTH_PX   8.0  /* a sawtooth's narrowest readable tooth */
#define TOOL_PLOT_CROWDED    16   /* narrower teeth than this: the heap as a band */

/* A line's points: t in seconds from the origin, v in MiB. */
typedef struct tool_pt {
    double t, v;
} tool_pt;

typedef struct tool_series {
    tool_pt *pts;
    size_t n;
} tool_series;

/* A lane with a scale of its own, and its title in the row above it. */
typedef struct tool_lane {
    double top, bottom; /* equal when there is no lane */
    tool_axis y;        /* set by the one who draws it */
} tool_lane;

/* Where everything goes, in px. Bands from the top: title, legend, label
 * texts, the chart, the pause lane, the allocation lane, the closures lane,
 * the time axis. */
typedef struct tool_frame {
    double width, height;
    double left, right; /* the plotting area, all bands */
    double labels_top;  /* label text rows start here */
    int label_rows;
    double chart_top, chart_bottom;
    tool_lane gc, alloc;
    double fn_top, fn_bottom;
    int fn_levels;
    double axis_y; /* the time axis line */
    tool_axis x, y; /* s from origin; MiB */
} tool_frame;

/* Bytes the program allocated from one heap sample to the next. */
typedef struct tool_span {
    double t0, t1; /* s from the origin */
    double bytes;
    uint64_t gcs; /* collections in between: the rise of gc_no */
} tool_span;

/* Everything one plot needs. */
typedef struct tool_plot {
    const tool_tl *tl;
    const tool_summary *sm;
    const char *path, *title;
    tool_frame f;
    tool_series rss;
    tool_series heap;  /* heap in use: samples, and before and after each collection */
    tool_series floor; /* heap in use after each collection, by time */
    int heap_band;     /* collections too close for a sawtooth: draw a band */
    tool_span *alloc;  /* between consecutive heap samples, by time */
    size_t nalloc;
    double allocated;  /* MiB the program allocated in all, by the last heap sample */
    int *label_row;    /* per label: its text row, or -1 for a line only */
    long heap_pid;     /* the heap and allocation drawn are this process's: */
    size_t heap_procs; /* the one with the most records, of this many */
    tool_bd *bd;       /* the main process's last breakdown, or NULL */
    const tool_tl_breakdown *bd_rec; /* its record */
    double bd_top;     /* its chart's top, below the time axis */
} tool_plot;

/* A value far off the axis (a collection of 1e10 s on an axis of 1e-300 s)
 * lands far off the picture, never at infinity: pixels are printed and
 * cast to integers. */
static inline double tool_px_clamp(double px)
{
    return px >= -1e9 && px <= 1e9 ? px : px > 1e9 ? 1e9 : -1e9; /* NaN: -1e9 */
}

static inline double tool_px_x(const tool_frame *f, double t)
{
    return tool_px_clamp(f->left + (t - f->x.lo) / (f->x.hi - f->x.lo) * (f->right - f->left));
}

static inline double tool_px_y(const tool_frame *f, double v)
{
    return tool_px_clamp(f->chart_bottom -
                         (v - f->y.lo) / (f->y.hi - f->y.lo) * (f->chart_bottom - f->chart_top));
}

/* In a lane: its scale's top tick stays 8 px below the lane's top, room for
 * the forced collections' marks. */
static inline double tool_lane_y(const tool_lane *l, double v)
{
    return tool_px_clamp(l->bottom -
                         (v - l->y.lo) / (l->y.hi - l->y.lo) * (l->bottom - l->top - 8));
}

/* plot_render.c: the whole picture, apart from the command (plot.c), so the
 * fuzz target (fuzz/fuzz_plot.c) draws what `gcprof plot` draws.
 * tool_plot_make fills *p from tl (sm: its summary, filled too; both must
 * outlive p) and returns 0, -1 when out of memory, or -2 when tl cannot be
 * drawn (a time or size range no axis can show); tool_plot_render writes
 * the SVG (0, or -1: no memory); tool_plot_free frees what p owns, made or
 * not. Not thread-safe only in that p is not shared. */
int tool_plot_make(tool_plot *p, tool_summary *sm, const tool_tl *tl, const char *path,
                   const char *title, double width, double height);

int tool_plot_render(FILE *fp, const tool_plot *p);
void tool_plot_free(tool_plot *p);

/* plot_frame.c */
/* -1: no memory; -2: times or sizes beyond what an axis can show */
int tool_plot_layout(tool_plot *p, double width, double height);
void tool_plot_header(FILE *fp, const tool_plot *p); /* title, legend */
void tool_plot_axes(FILE *fp, const tool_frame *f);
/* The same axes with other titles (gcprof tune's scatter plot): the grid
 * spans chart_top to chart_bottom, the x axis lies at axis_y, and the y
 * axis's ticks start at y.lo (a multiple of y.step). */
void tool_plot_axes_titled(FILE *fp, const tool_frame *f, const char *x_title, const char *y_title);
void tool_plot_peak(FILE *fp, const tool_plot *p);
/* A lane's background, its scale from 0 to max (y.hi a round number at
 * least max, give or take 1e-5 of it), grid and ticks; its title left and
 * a note right in the row above it. */
void tool_plot_lane(FILE *fp, const tool_frame *f, tool_lane *l, double max, const char *title,
                    const char *note);

/* plot_series.c. The builders return 0, or -1 when out of memory. */
int tool_series_room(tool_series *s, size_t n); /* s emptied, room for n points */
int tool_series_rss(const tool_tl *tl, tool_series *s);
void tool_series_sort(tool_series *s);
void tool_series_thin(tool_series *s, size_t max_points);
void tool_series_draw(FILE *fp, const tool_frame *f, const tool_series *s, const char *cls,
                      int area);
void tool_series_free(tool_series *s);

/* plot_heap.c */
int tool_heap_make(const tool_tl *tl, tool_plot *p); /* heap, floor; -1: no memory */
void tool_heap_fit(tool_plot *p);                    /* once f.x is known: heap_band, thinning */
int tool_heap_draw(FILE *fp, const tool_plot *p);    /* -1: no memory */

/* plot_alloc.c */
int tool_alloc_make(const tool_tl *tl, tool_plot *p); /* alloc, allocated; -1: no memory */
void tool_alloc_draw(FILE *fp, const tool_plot *p);

/* plot_lanes.c */
int tool_plot_place_labels(tool_plot *p); /* sets label_row, f.label_rows; -1: no memory */
int tool_plot_levels(const tool_tl *tl);  /* closure rows needed, 0 to MAX_LEVELS */
void tool_plot_labels(FILE *fp, const tool_plot *p);
int tool_plot_gcs(FILE *fp, const tool_plot *p);
int tool_plot_funcs(FILE *fp, const tool_plot *p);

#endif /* TOOL_PLOT_H */
