/*
 * plot.h - inside `gcprof plot`: the picture's layout, shared by the parts
 * that draw it (plot.c: frame, axes, lines; plot_series.c: the RSS and heap
 * lines; plot_lanes.c: collections, closures, labels).
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
#define GCP_PLOT_GC_LANE    46.0 /* px */

/* A line's points: t in seconds from the origin, v in MiB. */
typedef struct gcp_pt {
    double t, v;
} gcp_pt;

typedef struct gcp_series {
    gcp_pt *pts;
    size_t n;
} gcp_series;

/* Where everything goes, in px. Bands from the top: title, legend, label
 * texts, the chart, the collections lane, the closures lane, the time axis. */
typedef struct gcp_frame {
    double width, height;
    double left, right; /* the plotting area, all bands */
    double labels_top;  /* label text rows start here */
    int label_rows;
    double chart_top, chart_bottom;
    double gc_top, gc_bottom; /* equal when there is no lane */
    double fn_top, fn_bottom;
    int fn_levels;
    double axis_y; /* the time axis line */
    gcp_axis x, y; /* s from origin; MiB */
} gcp_frame;

/* Everything one plot needs. */
typedef struct gcp_plot {
    const gcp_tlr *tl;
    const gcp_summary *sm;
    const char *path, *title;
    gcp_frame f;
    gcp_series rss, heap;
    int *label_row; /* per label: its text row, or -1 for a line only */
} gcp_plot;

static inline double gcp__px_x(const gcp_frame *f, double t)
{
    return f->left + (t - f->x.lo) / (f->x.hi - f->x.lo) * (f->right - f->left);
}

static inline double gcp__px_y(const gcp_frame *f, double v)
{
    return f->chart_bottom - (v - f->y.lo) / (f->y.hi - f->y.lo) * (f->chart_bottom - f->chart_top);
}

/* plot_series.c. The builders return 0, or -1 when out of memory. */
int gcp__series_rss(const gcp_tlr *tl, gcp_series *s);
int gcp__series_heap(const gcp_tlr *tl, gcp_series *s); /* with each collection's drop */
void gcp__series_thin(gcp_series *s, size_t max_points);
void gcp__series_draw(FILE *fp, const gcp_frame *f, const gcp_series *s, const char *cls, int area);
void gcp__series_free(gcp_series *s);

/* plot_lanes.c */
int gcp__plot_place_labels(gcp_plot *p); /* sets label_row, f.label_rows; -1: no memory */
int gcp__plot_levels(const gcp_tlr *tl); /* closure rows needed, 0 to MAX_LEVELS */
void gcp__plot_labels(FILE *fp, const gcp_plot *p);
int gcp__plot_gcs(FILE *fp, const gcp_plot *p);
int gcp__plot_funcs(FILE *fp, const gcp_plot *p);

#endif /* GCP_PLOT_H */
