/*
 * breakdown_svg.c - a breakdown as a chart (breakdown_svg.h), with the
 * primitives of svg.c: the bar, the legend, the verdict.
 */
#include "breakdown_svg.h"

#include <inttypes.h>
#include <string.h>

#include "svg.h"
#include "units.h"

#define BAR_H    28.0  /* px */
#define ROW_H    18.0  /* a legend row */
#define LINE_H   16.0  /* a verdict line */
#define CAPTION  22.0  /* the caption's row, above the bar */
#define TWO_COLS 700.0 /* from this width, the legend has two columns */

/* A colour per row, in gcp__row order: the GC heap's rows in the
 * timeline's heap oranges, malloc in its RSS blue. */
static const char chart_style[] =
    ".bd-caption{font-size:13px;font-weight:600;fill:#222}\n"
    ".bd-bar-bg{fill:#f6f7f9;stroke:#9a9a9a;stroke-width:1}\n"
    ".bd-seg{stroke:#fff;stroke-width:.8}\n"
    ".bd-legend{font-size:12px;fill:#333}\n"
    ".bd-figures{font-size:12px;fill:#333;font-variant-numeric:tabular-nums}\n"
    ".bd-verdict{font-size:12px;fill:#222}\n"
    ".bd-gc_live{fill:#e8710a}.bd-gc_fragmentation{fill:#f3a35c}"
    ".bd-gc_free_mapped{fill:#f9d3a8}.bd-gc_internal{fill:#a33f00}\n"
    ".bd-malloc{fill:#1f6fb4}.bd-stacks{fill:#6b7a90}.bd-code{fill:#2a9d8f}"
    ".bd-file_data{fill:#93d0c2}.bd-file_other{fill:#c6a6d6}.bd-anon_other{fill:#cfcfcf}\n";

static double mib(uint64_t x)
{
    return (double)x / GCP__MIB_F;
}

static double share(const gcp__breakdown *b, uint64_t x)
{
    return b->sum ? 100.0 * (double)x / (double)b->sum : 0;
}

static int columns(double width)
{
    return width >= TWO_COLS ? 2 : 1;
}

/* ---- the verdict, wrapped ------------------------------------------------- */

/* One verdict line at (x, y) if fp; returns 1 (a line). */
static int put_line(FILE *fp, const char *line, double x, double y)
{
    if (fp)
        tool_svg_text(fp, x, y, "bd-verdict", "start", line, strlen(line));
    return 1;
}

/* The verdict's lines (each of its own lines wrapped at spaces to fit
 * chars), drawn from baseline y when fp; returns how many. */
static int wrap(FILE *fp, const char *text, size_t fit, double x, double y)
{
    char buf[sizeof((gcp__breakdown *)0)->verdict], line[sizeof buf], *save = NULL;
    int n = 0;

    snprintf(buf, sizeof buf, "%s", text);
    for (char *para = buf, *next; para; para = next) {
        if ((next = strchr(para, '\n')) != NULL)
            *next++ = '\0';
        line[0] = '\0';
        for (char *w = strtok_r(para, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            size_t len = strlen(line);
            if (len && tool_svg_chars(line) + 1 + tool_svg_chars(w) > fit) {
                n += put_line(fp, line, x, y + n * LINE_H);
                line[0] = '\0';
                len = 0;
            }
            snprintf(line + len, sizeof line - len, "%s%s", len ? " " : "", w);
        }
        if (line[0])
            n += put_line(fp, line, x, y + n * LINE_H);
    }
    return n;
}

/* ---- the chart --------------------------------------------------------- */

static double legend_height(double width)
{
    int cols = columns(width);

    return (GCP__ROWS + cols - 1) / cols * ROW_H;
}

double tool_bd_chart_height(const gcp__breakdown *b, double width)
{
    int lines = wrap(NULL, b->verdict, tool_svg_fit(width, 12), 0, 0);

    return CAPTION + BAR_H + 14 + legend_height(width) + 8 + lines * LINE_H + 8;
}

/* The bar: a segment per row that has bytes, its figures in a tooltip. */
static void bar(FILE *fp, const gcp__breakdown *b, double x, double y, double width)
{
    double at = x;

    fprintf(fp,
            "<rect class=\"bd-bar-bg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", x,
            y, width, BAR_H);
    for (int i = 0; i < GCP__ROWS && b->sum; i++) {
        double w = width * (double)b->row[i] / (double)b->sum;
        if (b->row[i] == 0)
            continue;
        if (w > x + width - at) /* rows above the total: a damaged record */
            w = x + width - at;
        fprintf(fp,
                "<rect class=\"bd-seg bd-%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                "height=\"%.1f\"><title>",
                gcp__row_name[i], at, y, w, BAR_H);
        tool_svg_put_text(fp, gcp__row_label[i], 80);
        fprintf(fp, ": %.1f MiB, %.1f%%</title></rect>\n", mib(b->row[i]), share(b, b->row[i]));
        at += w;
    }
}

static void legend(FILE *fp, const gcp__breakdown *b, double x, double y, double width)
{
    int cols = columns(width);
    double colw = width / cols;
    size_t fit = tool_svg_fit(colw - 150, 12);
    char figures[64];

    for (int i = 0; i < GCP__ROWS; i++) {
        double cx = x + (i % cols) * colw, cy = y + (i / cols) * ROW_H + 12;
        fprintf(fp, "<g class=\"bd-item\" data-row=\"%s\" data-bytes=\"%" PRIu64 "\">\n",
                gcp__row_name[i], b->row[i]);
        fprintf(fp, "<rect class=\"bd-%s\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\"/>\n",
                gcp__row_name[i], cx, cy - 10);
        tool_svg_text(fp, cx + 18, cy, "bd-legend", "start", gcp__row_label[i], fit);
        snprintf(figures, sizeof figures, "%.1f MiB %5.1f%%", mib(b->row[i]), share(b, b->row[i]));
        tool_svg_text(fp, cx + colw - 16, cy, "bd-figures", "end", figures, sizeof figures);
        fputs("</g>\n", fp);
    }
}

void tool_bd_chart(FILE *fp, const gcp__breakdown *b, double x, double y, double width,
                   const char *caption)
{
    double legend_top = y + CAPTION + BAR_H + 14;

    fprintf(fp, "<g id=\"breakdown\">\n<style>\n%s</style>\n", chart_style);
    tool_svg_text(fp, x, y + 15, "bd-caption", "start", caption, tool_svg_fit(width, 13.5));
    bar(fp, b, x, y + CAPTION, width);
    legend(fp, b, x, legend_top, width);
    wrap(fp, b->verdict, tool_svg_fit(width, 12), x, legend_top + legend_height(width) + 8 + 12);
    fputs("</g>\n", fp);
}

void tool_bd_svg(FILE *fp, const gcp__breakdown *b, const char *title, const char *caption,
                 double width)
{
    double height = 40 + tool_bd_chart_height(b, width - 32);

    tool_svg_begin(fp, width, height, title, TOOL_SVG_BASE_STYLE);
    tool_bd_chart(fp, b, 16, 40, width - 32, caption);
    fputs("</svg>\n", fp);
}

const char *tool_bd_caption(const tool_tl *tl, const tool_tl_breakdown *r, const gcp__breakdown *b,
                            char *buf, size_t size)
{
    snprintf(buf, size, "What RSS was made of: pid %ld (%.60s) at %.2f s, RSS %.1f MiB", r->pid,
             tool_tl_proc_name(tl, r->pid), r->t - tl->origin, mib(b->sum));
    return buf;
}
