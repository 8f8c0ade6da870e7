/*
 * tune_plot.c - `gcprof tune --plot FILE.svg`: each config's median peak
 * RSS over its median wall time, whiskers from min to max, the Pareto
 * front joined and labelled, the defaults and the recommendation marked.
 * Axes and text are gcprof plot's (plot_frame.c, svg.c).
 */
#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "svg.h"

#define WIDTH  960.0
#define HEIGHT 620.0

static const char style[] = TOOL_SVG_BASE_STYLE
    ".whisker{stroke:#9bb7d4;stroke-width:1.2}\n"
    ".dot{fill:#1f6fb4;fill-opacity:.55}\n"
    ".dot-front{fill:#1f6fb4}\n"
    ".dot-default{fill:none;stroke:#222;stroke-width:1.6}\n"
    ".dot-best{fill:none;stroke:#2a9d38;stroke-width:2.4}\n"
    ".front{fill:none;stroke:#e8710a;stroke-width:1.6;stroke-dasharray:5 3}\n"
    ".label{font-size:11px;fill:#1b2631;paint-order:stroke;stroke:#fff;stroke-width:3px;"
    "stroke-linejoin:round}\n";

/* An axis over [lo, hi] with a little room, starting at a tick. */
static int axis(tool_axis *a, double lo, double hi, int want)
{
    double pad = hi > lo ? (hi - lo) * 0.08 : (hi > 0 ? hi * 0.1 : 1);

    lo = lo - pad > 0 ? lo - pad : 0;
    if (tool_axis_make(a, lo, hi + pad, want, 1) < 0)
        return -1;
    return tool_axis_make(a, floor(lo / a->step) * a->step, hi + pad, want, 1);
}

/* The frame: the axes over every drawn config's whiskers. -1: none drawn. */
static int layout(const tool_tune_result *res, tool_frame *f)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;

    for (size_t i = 0; i < res->nconfigs; i++) {
        const tool_tune_row *r = &res->rows[i];
        if (r->ok == 0)
            continue;
        x0 = fmin(x0, r->wall.lo);
        x1 = fmax(x1, r->wall.hi);
        y0 = fmin(y0, r->rss.lo);
        y1 = fmax(y1, r->rss.hi);
    }
    if (!(x1 >= x0))
        return -1;
    f->width = WIDTH;
    f->height = HEIGHT;
    f->left = 88;
    f->right = WIDTH - 40;
    f->chart_top = 64;
    f->chart_bottom = f->axis_y = HEIGHT - 56;
    if (axis(&f->x, x0, x1, (int)((f->right - f->left) / 110)) < 0 ||
        axis(&f->y, y0, y1, (int)((f->chart_bottom - f->chart_top) / 48)) < 0)
        return -1;
    return 0;
}

/* The front, left to right: no two of its points have the same median
 * wall time (the one with more RSS would not be on it), so each step
 * takes the next larger one. */
static void front_line(FILE *fp, const tool_tune_result *res, const tool_frame *f)
{
    const char *sep = "";
    double last = -INFINITY;

    fputs("<polyline class=\"front\" points=\"", fp);
    for (;;) {
        long next = -1;
        for (size_t i = 0; i < res->nconfigs; i++) {
            const tool_tune_row *r = &res->rows[i];
            if (r->front && r->wall.med > last &&
                (next < 0 || r->wall.med < res->rows[next].wall.med))
                next = (long)i;
        }
        if (next < 0)
            break;
        last = res->rows[next].wall.med;
        fprintf(fp, "%s%.1f,%.1f", sep, tool_px_x(f, last), tool_px_y(f, res->rows[next].rss.med));
        sep = " ";
    }
    fputs("\"/>\n", fp);
}

/* Labels placed so far, as boxes: a new one goes where it meets none. */
typedef struct boxes {
    double (*b)[4]; /* x0, y0, x1, y1 */
    size_t n;
} boxes;

static int meets(const boxes *placed, const double *b)
{
    for (size_t i = 0; i < placed->n; i++)
        if (b[0] < placed->b[i][2] && placed->b[i][0] < b[2] && b[1] < placed->b[i][3] &&
            placed->b[i][1] < b[3])
            return 1;
    return 0;
}

/* The label beside the point at (x, y): right or left of it, above or
 * below, further out, at the first place no other label takes (else the
 * first place), and inside the chart. */
static void label(FILE *fp, const tool_frame *f, boxes *placed, double x, double y,
                  const char *text)
{
    static const double dy[] = {-8, 16, -22, 30, -36, 44};
    double w = tool_svg_width(tool_svg_chars(text), 11), box[4] = {0, 0, 0, 0}, pick[4];
    int found = 0, pick_left = 0;

    for (size_t k = 0; k < 2 * sizeof dy / sizeof dy[0] && !found; k++) {
        int left = (int)(k % 2) ^ (x + 12 + w > f->right);
        double ty = y + dy[k / 2], tx = left ? x - 12 : x + 12;
        box[0] = left ? tx - w : tx;
        box[1] = ty - 10;
        box[2] = left ? tx : tx + w;
        box[3] = ty + 3;
        found = box[1] > f->chart_top && box[3] < f->chart_bottom && box[0] > f->left &&
                !meets(placed, box);
        if (found || k == 0) {
            memcpy(pick, box, sizeof pick);
            pick_left = left;
        }
    }
    placed->b[placed->n][0] = pick[0];
    placed->b[placed->n][1] = pick[1];
    placed->b[placed->n][2] = pick[2];
    placed->b[placed->n++][3] = pick[3];
    tool_svg_text(fp, pick_left ? pick[2] : pick[0], pick[3] - 3, "label",
                  pick_left ? "end" : "start", text, 60);
}

/* One config: whiskers, the dot (a tooltip with its label), its rings,
 * and its label when it is on the front or the defaults. */
static void point(FILE *fp, const tool_tune_result *res, const tool_frame *f, size_t i,
                  boxes *placed)
{
    const tool_tune_row *r = &res->rows[i];
    double x = tool_px_x(f, r->wall.med), y = tool_px_y(f, r->rss.med);

    fprintf(fp, "<line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            tool_px_x(f, r->wall.lo), y, tool_px_x(f, r->wall.hi), y);
    fprintf(fp, "<line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
            tool_px_y(f, r->rss.lo), x, tool_px_y(f, r->rss.hi));
    fprintf(fp, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"><title>",
            r->front ? "dot-front" : "dot", x, y);
    tool_svg_put_text(fp, res->configs[i].label, 100);
    fprintf(fp, ": %.3f s, %.1f MiB</title></circle>\n", r->wall.med, r->rss.med);
    if (i == 0)
        fprintf(fp, "<circle class=\"dot-default\" cx=\"%.1f\" cy=\"%.1f\" r=\"8\"/>\n", x, y);
    if ((long)i == res->best)
        fprintf(fp, "<circle class=\"dot-best\" cx=\"%.1f\" cy=\"%.1f\" r=\"11\"/>\n", x, y);
    if (r->front || i == 0)
        label(fp, f, placed, x, y, res->configs[i].label);
}

static void subtitle(FILE *fp, const tool_tune_result *res)
{
    char text[400];

    snprintf(text, sizeof text,
             "medians of %zu round%s, whiskers min to max; dashed: the Pareto front "
             "(labelled); black ring: the defaults%s",
             res->used, res->used == 1 ? "" : "s", res->best >= 0 ? "; green: recommended" : "");
    tool_svg_text(fp, 16, 46, "sub", "start", text, tool_svg_fit(WIDTH - 32, 12));
}

int tool_tune_plot(FILE *fp, const tool_tune_result *res, char **argv)
{
    tool_frame f = {0};
    char title[300];

    if (layout(res, &f) < 0)
        return -1;
    snprintf(title, sizeof title, "gcprof tune: %.200s", argv[0]);
    tool_svg_begin(fp, f.width, f.height, title, style);
    subtitle(fp, res);
    tool_plot_axes_titled(fp, &f, "median wall time (s)", "median peak RSS (MiB)");
    front_line(fp, res, &f);
    boxes placed = {calloc(res->nconfigs, sizeof *placed.b), 0};
    if (!placed.b)
        return -2;
    for (size_t i = 0; i < res->nconfigs; i++) /* the front's labels first */
        if (res->rows[i].ok && res->rows[i].front)
            point(fp, res, &f, i, &placed);
    for (size_t i = 0; i < res->nconfigs; i++)
        if (res->rows[i].ok && !res->rows[i].front)
            point(fp, res, &f, i, &placed);
    free(placed.b);
    fputs("</svg>\n", fp);
    return 0;
}
