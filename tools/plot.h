/*
 * plot.h - inside `gcprof plot`: the picture's layout, shared by the parts
 * that draw it (plot.c: the command; plot_frame.c: layout, legend, axes;
 * plot_series.c: the RSS line; plot_heap.c: the GC heap; plot_lanes.c:
 * collections, closures, labels; plot_alloc.c: the allocation rate).
 */
#ifndef GCP_PLOT_H
#define GCP_PLOT_H

#include <stdio.h>

#include "summary.h"
#include "svg.h"
#include "timeline_read.h"

#define GCP_PLOT_MAX_POINTS 2000 /* per line; beyond, min/max per time bucket */
#define GCP_PLOT_MAX_LEVELS 6    /* closure rows shown */
#define GCP_PLOT_LABEL_ROWS 3
#define GCP_PLOT_LABEL_ROW  15.0 /* px */
#define GCP_PLOT_LEVEL_ROW  17.0 /* px */
#define GCP_PLOT_LANE       60.0 /* px: the pause and allocation lanes */
#define GCP_PLOT_LANE_TITLE 18.0 /* px: the row above such a lane, for its title */
#define GCP_PLOT_TOOTH_PX   8.0  /* a sawtooth's narrowest readable tooth */
#define GCP_PLOT_CROWDED    16   /* narrower teeth than this: the heap as a band */

/* A line's points: t in seconds from the origin, v in MiB. */
typedef struct gcp_pt {
    double t, v;
} gcp_pt;

typedef struct gcp_series {
    gcp_pt *pts;
    size_t n;
} gcp_series;

/* A lane with a scale of its own, and its title in the row above it. */
typedef struct gcp_lane {
    double top, bottom; /* equal when there is no lane */
    gcp_axis y;         /* set by the one who draws it */
} gcp_lane;

/* Where everything goes, in px. Bands from the top: title, legend, label
 * texts, the chart, the pause lane, the allocation lane, the closures lane,
 * the time axis. */
typedef struct gcp_frame {
    double width, height;
    double left, right; /* the plotting area, all bands */
    double labels_top;  /* label text rows start here */
    int label_rows;
    double chart_top, chart_bottom;
    gcp_lane gc, alloc;
    double fn_top, fn_bottom;
    int fn_levels;
    double axis_y; /* the time axis line */
    gcp_axis x, y; /* s from origin; MiB */
} gcp_frame;

/* Bytes the program allocated from one heap sample to the next. */
typedef struct gcp_span {
    double t0, t1; /* s from the origin */
    double bytes;
    uint64_t gcs; /* collections in between: the rise of gc_no */
} gcp_span;

/* Everything one plot needs. */
typedef struct gcp_plot {
    const gcp_tlr *tl;
    const gcp_summary *sm;
    const char *path, *title;
    gcp_frame f;
    gcp_series rss;
    gcp_series heap;  /* heap in use: samples, and before and after each collection */
    gcp_series floor; /* heap in use after each collection, by time */
    int heap_band;    /* collections too close for a sawtooth: draw a band */
    gcp_span *alloc;  /* between consecutive heap samples, by time */
    size_t nalloc;
    double allocated; /* MiB the program allocated in all, by the last heap sample */
    int *label_row;   /* per label: its text row, or -1 for a line only */
    long heap_pid;    /* the heap and allocation drawn are this process's: */
    size_t heap_procs; /* the one with the most records, of this many */
} gcp_plot;

/* A value far off the axis (a collection of 1e10 s on an axis of 1e-300 s)
 * lands far off the picture, never at infinity: pixels are printed and
 * cast to integers. */
static inline double gcp__px_clamp(double px)
{
    return px >= -1e9 && px <= 1e9 ? px : px > 1e9 ? 1e9 : -1e9; /* NaN: -1e9 */
}

static inline double gcp__px_x(const gcp_frame *f, double t)
{
    return gcp__px_clamp(f->left + (t - f->x.lo) / (f->x.hi - f->x.lo) * (f->right - f->left));
}

static inline double gcp__px_y(const gcp_frame *f, double v)
{
    return gcp__px_clamp(f->chart_bottom - (v - f->y.lo) / (f->y.hi - f->y.lo) *
                                               (f->chart_bottom - f->chart_top));
}

/* In a lane: its scale's top tick stays 8 px below the lane's top, room for
 * the forced collections' marks. */
static inline double gcp__lane_y(const gcp_lane *l, double v)
{
    return gcp__px_clamp(l->bottom - (v - l->y.lo) / (l->y.hi - l->y.lo) * (l->bottom - l->top - 8));
}

/* plot_render.c: the whole picture, apart from the command (plot.c), so the
 * fuzz target (fuzz/fuzz_plot.c) draws what `gcprof plot` draws.
 * gcp__plot_make fills *p from tl (sm: its summary, filled too; both must
 * outlive p) and returns 0, -1 when out of memory, or -2 when tl cannot be
 * drawn (a time or size range no axis can show); gcp__plot_render writes
 * the SVG (0, or -1: no memory); gcp__plot_free frees what p owns, made or
 * not. Not thread-safe only in that p is not shared. */
int gcp__plot_make(gcp_plot *p, gcp_summary *sm, const gcp_tlr *tl, const char *path,
                   const char *title, double width, double height);
int gcp__plot_render(FILE *fp, const gcp_plot *p);
void gcp__plot_free(gcp_plot *p);

/* plot_frame.c */
/* -1: no memory; -2: times or sizes beyond what an axis can show */
int gcp__plot_layout(gcp_plot *p, double width, double height);
void gcp__plot_header(FILE *fp, const gcp_plot *p);             /* title, legend */
void gcp__plot_axes(FILE *fp, const gcp_frame *f);
void gcp__plot_peak(FILE *fp, const gcp_plot *p);
/* A lane's background, its scale from 0 to max (y.hi a round number at
 * least max, give or take 1e-5 of it), grid and ticks; its title left and
 * a note right in the row above it. */
void gcp__plot_lane(FILE *fp, const gcp_frame *f, gcp_lane *l, double max, const char *title,
                    const char *note);

/* plot_series.c. The builders return 0, or -1 when out of memory. */
int gcp__series_rss(const gcp_tlr *tl, gcp_series *s);
void gcp__series_sort(gcp_series *s);
void gcp__series_thin(gcp_series *s, size_t max_points);
void gcp__series_draw(FILE *fp, const gcp_frame *f, const gcp_series *s, const char *cls, int area);
void gcp__series_free(gcp_series *s);

/* plot_heap.c */
int gcp__heap_make(const gcp_tlr *tl, gcp_plot *p); /* heap, floor; -1: no memory */
void gcp__heap_fit(gcp_plot *p);                    /* once f.x is known: heap_band, thinning */
int gcp__heap_draw(FILE *fp, const gcp_plot *p);    /* -1: no memory */

/* plot_alloc.c */
int gcp__alloc_make(const gcp_tlr *tl, gcp_plot *p); /* alloc, allocated; -1: no memory */
void gcp__alloc_draw(FILE *fp, const gcp_plot *p);

/* plot_lanes.c */
int gcp__plot_place_labels(gcp_plot *p); /* sets label_row, f.label_rows; -1: no memory */
int gcp__plot_levels(const gcp_tlr *tl); /* closure rows needed, 0 to MAX_LEVELS */
void gcp__plot_labels(FILE *fp, const gcp_plot *p);
int gcp__plot_gcs(FILE *fp, const gcp_plot *p);
int gcp__plot_funcs(FILE *fp, const gcp_plot *p);

#endif /* GCP_PLOT_H */
