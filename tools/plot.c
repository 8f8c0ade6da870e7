/*
 * plot.c - `gcprof plot FILE -o OUT.svg`: one self-contained SVG of a
 * timeline (RSS and GC heap over time, collections, closures, labels), to
 * paste into a bug report. Written to a temporary file beside OUT.svg, then
 * renamed (commands.h: gcprof_out), so a failed run never leaves half a
 * picture.
 */
#include "commands.h"
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: gcprof plot FILE -o OUT.svg [--title TEXT] [--width PX] [--height PX]";

static const char style[] =
    "svg{font-family:" GCP_SVG_FONTS "}\n"
    "text{fill:#222}\n"
    ".title{font-size:16px;font-weight:600}\n"
    ".sub{font-size:12px;fill:#555}\n"
    ".warn{fill:#b3261e;font-weight:600}\n"
    ".legend{font-size:12px;fill:#333}\n"
    ".tick{font-size:11px;fill:#555}\n"
    ".axis-title{font-size:12px;fill:#444}\n"
    ".grid{stroke:#e8e8e8;stroke-width:1}\n"
    ".axis{stroke:#9a9a9a;stroke-width:1}\n"
    ".rss{fill:none;stroke:#1f6fb4;stroke-width:1.7;stroke-linejoin:round}\n"
    ".rss-area{fill:#1f6fb4;fill-opacity:.08;stroke:none}\n"
    ".rss-dot{fill:#1f6fb4}\n"
    ".heap{fill:none;stroke:#e8710a;stroke-width:1.3;stroke-linejoin:round}\n"
    ".heap-dot{fill:#e8710a}\n"
    ".gc{fill:#6b7a90}\n"
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

/* ---- drawing ---------------------------------------------------------- */

static void put_duration(char *buf, size_t size, double s)
{
    snprintf(buf, size, s < 10 ? "%.2f s" : s < 100 ? "%.1f s" : "%.0f s", s);
}

#define DOT  " \xc2\xb7 " /* U+00B7 between facts */
#define WARN DOT "did not finish (recording cut short)"

/* "run.dat · 3.00 s · peak RSS 76.8 MiB · 20 collections (2 forced), ...",
 * cut to the width, keeping the warning of a run that did not finish. */
static void subtitle(FILE *fp, const gcp_plot *p)
{
    const gcp_summary *sm = p->sm;
    char text[512], dur[32];
    size_t fit = gcp__svg_fit(p->f.width - 32, 12),
           warn = p->tl->cut_short ? gcp__svg_chars(WARN) : 0;
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
    fputs("<text x=\"16\" y=\"46\" class=\"sub\">", fp);
    gcp__svg_put_text(fp, text, fit > warn + 10 ? fit - warn : 10);
    if (warn)
        fputs("<tspan class=\"warn\">" WARN "</tspan>", fp);
    fputs("</text>\n", fp);
}

static void header(FILE *fp, const gcp_plot *p)
{
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\">\n<title>",
            p->f.width, p->f.height, p->f.width, p->f.height);
    gcp__svg_put_text(fp, p->title, 300);
    fprintf(fp, "</title>\n<style>\n%s</style>\n", style);
    fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", fp);
    /* bold, and often full of wide characters: a wider guess per character */
    gcp__svg_text(fp, 16, 26, "title", "start", p->title, gcp__svg_fit(p->f.width - 32, 18.5));
    subtitle(fp, p);
}

/* One legend entry at (*x, *y), a line or a box of the class, wrapping to
 * a new row at the right edge. With fp NULL, only moves (for the layout). */
static void legend_item(FILE *fp, const gcp_plot *p, double *x, double *y, int line,
                        const char *cls, const char *text)
{
    double w = 24 + gcp__svg_width(gcp__svg_chars(text), 12);

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
        gcp__svg_text(fp, *x + 24, *y, "legend", "start", text, 40);
    *x += w + 20;
}

/* Only what the picture shows. Returns the baseline of its last row. */
static double legend(FILE *fp, const gcp_plot *p)
{
    double x = 16, y = 70;
    size_t forced = p->sm->nforced;

    if (p->rss.n)
        legend_item(fp, p, &x, &y, 1, "rss", "RSS");
    if (p->heap.n)
        legend_item(fp, p, &x, &y, 1, "heap", "GC heap in use");
    if (p->tl->ngcs > forced)
        legend_item(fp, p, &x, &y, 0, "gc", "collection (bar height: pause)");
    if (forced)
        legend_item(fp, p, &x, &y, 0, "gc-forced", "forced collection");
    if (p->f.fn_levels)
        legend_item(fp, p, &x, &y, 0, "lv0", "profiled closure");
    if (p->tl->nlabels)
        legend_item(fp, p, &x, &y, 1, "label-line", "label");
    return y;
}

/* ---- layout ----------------------------------------------------------- */

/* Bands from the bottom up, then the chart gets what is left; a picture
 * too small for its lanes grows rather than squeezing the chart away. */
static int layout(gcp_plot *p, double width, double height)
{
    gcp_frame *f = &p->f;
    double xmax = p->sm->duration, ymax, top;

    f->width = width;
    f->left = 88; /* room for the lane notes ("max 0.142 ms") */
    f->right = width - 28;
    if (p->tl->t_max - p->tl->origin > xmax)
        xmax = p->tl->t_max - p->tl->origin;
    gcp__axis_make(&f->x, 0, xmax > 0 ? xmax : 1, (int)((f->right - f->left) / 110), 0);
    if (gcp__plot_place_labels(p) < 0)
        return -1;
    f->fn_levels = gcp__plot_levels(p->tl);
    f->labels_top = legend(NULL, p) + 14;
    f->chart_top = f->labels_top + f->label_rows * GCP_PLOT_LABEL_ROW + 8;
    top = f->chart_top + 140 + (p->tl->ngcs ? GCP_PLOT_GC_LANE + 10 : 0) +
          f->fn_levels * GCP_PLOT_LEVEL_ROW + 60;
    f->height = height > top ? height : top;
    f->axis_y = f->height - 44;
    f->fn_bottom = f->axis_y - (f->fn_levels ? 4 : 0);
    f->fn_top = f->fn_bottom - f->fn_levels * GCP_PLOT_LEVEL_ROW;
    f->gc_bottom = f->fn_top - (f->fn_levels && p->tl->ngcs ? 6 : 0);
    f->gc_top = f->gc_bottom - (p->tl->ngcs ? GCP_PLOT_GC_LANE : 0);
    f->chart_bottom = f->gc_top - (f->gc_top < f->axis_y ? 10 : 0);
    ymax = p->sm->peak_rss > p->sm->peak_heap ? p->sm->peak_rss : p->sm->peak_heap;
    /* headroom for the peak's annotation */
    gcp__axis_make(&f->y, 0, ymax > 0 ? ymax * 1.12 : 1,
                   (int)((f->chart_bottom - f->chart_top) / 48), 1);
    return 0;
}

static void y_axis(FILE *fp, const gcp_frame *f)
{
    char buf[40];

    for (int k = 0;; k++) {
        double v = f->y.lo + k * f->y.step, y = gcp__px_y(f, v);
        if (v > f->y.hi + f->y.step * 1e-6)
            break;
        fprintf(fp, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                k == 0 ? "axis" : "grid", f->left, y, f->right, y);
        gcp__svg_text(fp, f->left - 8, y + 4, "tick", "end",
                      gcp__axis_label(&f->y, v, buf, sizeof buf), 20);
    }
    fprintf(fp,
            "<text class=\"axis-title\" text-anchor=\"middle\" "
            "transform=\"translate(20 %.1f) rotate(-90)\">memory (MiB)</text>\n",
            (f->chart_top + f->chart_bottom) / 2);
}

/* Vertical grid lines in the chart, ticks and values under the lanes. */
static void x_axis(FILE *fp, const gcp_frame *f)
{
    char buf[40];

    for (int k = 0;; k++) {
        double t = ceil(f->x.lo / f->x.step) * f->x.step + k * f->x.step, x = gcp__px_x(f, t);
        if (t > f->x.hi + f->x.step * 1e-6)
            break;
        fprintf(fp, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
                f->chart_top, x, f->chart_bottom);
        fprintf(fp, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
                f->axis_y, x, f->axis_y + 4);
        gcp__svg_text(fp, x, f->axis_y + 17, "tick", "middle",
                      gcp__axis_label(&f->x, t, buf, sizeof buf), 20);
    }
    fprintf(fp, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left,
            f->axis_y, f->right, f->axis_y);
    gcp__svg_text(fp, (f->left + f->right) / 2, f->axis_y + 36, "axis-title", "middle",
                  "time since start (s)", 40);
}

/* The peak RSS, marked and written next to its point, on the side with room. */
static void peak(FILE *fp, const gcp_plot *p)
{
    const gcp_frame *f = &p->f;
    double x = gcp__px_x(f, p->sm->peak_rss_t), y = gcp__px_y(f, p->sm->peak_rss), w, ty;
    char text[80], at[32];
    int left;

    if (!p->sm->has_rss)
        return;
    put_duration(at, sizeof at, p->sm->peak_rss_t);
    snprintf(text, sizeof text, "peak %.1f MiB at %s", p->sm->peak_rss, at);
    w = gcp__svg_width(gcp__svg_chars(text), 12);
    left = x + 8 + w > f->right;
    ty = y - 8 < f->chart_top + 12 ? y + 18 : y - 8;
    fprintf(fp, "<circle class=\"peak\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>\n", x, y);
    gcp__svg_text(fp, left ? x - 8 : x + 8, ty, "peak-text", left ? "end" : "start", text, 80);
}

static int render(FILE *fp, gcp_plot *p)
{
    header(fp, p);
    legend(fp, p);
    x_axis(fp, &p->f);
    y_axis(fp, &p->f);
    gcp__series_draw(fp, &p->f, &p->rss, "rss", 1);
    gcp__series_draw(fp, &p->f, &p->heap, "heap", 0);
    peak(fp, p);
    if (gcp__plot_gcs(fp, p) < 0 || gcp__plot_funcs(fp, p) < 0)
        return -1;
    gcp__plot_labels(fp, p);
    fputs("</svg>\n", fp);
    return 0;
}

/* ---- the command ------------------------------------------------------ */

typedef struct opts {
    const char *in, *out, *title;
    const char *width_arg, *height_arg; /* as given */
    double width, height;
} opts;

/* One line, "gcprof plot: <what> (usage: ...)"; returns the status. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    gcprof_vsay("plot", usage, fmt, ap);
    va_end(ap);
    return GCPROF_EXIT_USAGE;
}

/* "--name VALUE" or "--name=VALUE" (and "-o VALUE") at argv[*i]; 1 if it
 * matched, *val NULL when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0 || (argv[*i][n] != '\0' && argv[*i][n] != '='))
        return 0;
    *val = argv[*i][n] == '=' ? argv[*i] + n + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

static int pixels(const char *s, long lo, long hi, double *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (double)v;
    return 0;
}

/* A valued option at argv[*i], given once: 1 taken, 0 not one, -1 an
 * error shown. */
static int take_option(int argc, char **argv, int *i, opts *o)
{
    static const char *const names[] = {"-o", "--output", "--title", "--width", "--height"};
    const char **slots[] = {&o->out, &o->out, &o->title, &o->width_arg, &o->height_arg};
    const char *a = argv[*i], *v;

    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (!opt_value(argc, argv, i, names[k], &v))
            continue;
        size_t len = strcspn(a, "="); /* the option as typed */
        if (!v) {
            usage_error("missing value for %.*s", (int)len, a);
            return -1;
        }
        if (*slots[k]) {
            usage_error("%.*s given twice: '%s', then '%s'", (int)len, a, *slots[k], v);
            return -1;
        }
        *slots[k] = v;
        return 1;
    }
    return 0;
}

/* What the values say, once all are in. -1 to go on, or the status. */
static int check_values(opts *o)
{
    if (!o->in)
        return usage_error("no FILE given");
    if (!o->out)
        return usage_error("no output given: -o OUT.svg");
    if (!*o->out)
        return usage_error("empty file name for -o");
    if (o->width_arg && pixels(o->width_arg, 320, 20000, &o->width) < 0)
        return usage_error("bad width for --width: '%s': want pixels from 320 to 20000",
                           o->width_arg);
    if (o->height_arg && pixels(o->height_arg, 240, 20000, &o->height) < 0)
        return usage_error("bad height for --height: '%s': want pixels from 240 to 20000",
                           o->height_arg);
    struct stat in, out; /* a plot over its own recording loses the recording */
    if (stat(o->in, &in) == 0 && stat(o->out, &out) == 0 && in.st_dev == out.st_dev &&
        in.st_ino == out.st_ino)
        return usage_error("-o '%s' is the input FILE '%s'", o->out, o->in);
    return -1;
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, opts *o)
{
    int options = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = 0;
        if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            printf("%s\nExit status: 0 success, 1 FILE cannot be read or is not a recording, "
                   "or OUT.svg cannot be written; 2 bad arguments.\n",
                   usage);
            return gcprof_stdout_done("plot");
        }
        if (options && strcmp(a, "--") == 0)
            options = 0;
        else if (options && (r = take_option(argc, argv, &i, o)) != 0) {
            if (r < 0)
                return GCPROF_EXIT_USAGE;
        } else if (options && a[0] == '-' && a[1] != '\0')
            return usage_error("unknown option '%s'", a);
        else if (o->in)
            return usage_error("more than one FILE: '%s', then '%s'", o->in, a);
        else
            o->in = a;
    }
    return check_values(o);
}

/* Into a temporary file renamed to out once complete (commands.h:
 * gcprof_out); "-" is standard output. */
static int write_svg(gcp_plot *p, const char *out)
{
    gcprof_out file = {0};
    FILE *fp = stdout;
    const char *why;

    if (strcmp(out, "-") != 0) {
        if ((why = gcprof_out_open(&file, out)) != NULL) {
            gcprof_say("plot", "cannot write %s: %s", out, why);
            return GCPROF_EXIT_FAIL;
        }
        fp = file.fp;
    }
    if (render(fp, p) < 0) {
        if (fp != stdout)
            gcprof_out_discard(&file);
        gcprof_say("plot", "cannot write %s: out of memory", out);
        return GCPROF_EXIT_FAIL;
    }
    if (fp == stdout)
        return gcprof_stdout_done("plot");
    if ((why = gcprof_out_commit(&file)) != NULL) {
        gcprof_say("plot", "cannot write %s: %s", out, why);
        return GCPROF_EXIT_FAIL;
    }
    return GCPROF_EXIT_OK;
}

static int plot_file(const opts *o)
{
    gcp_plot p = {.path = o->in};
    gcp_summary sm = {0};
    gcp_tlr tl;
    char err[512];
    int status = GCPROF_EXIT_FAIL;

    if (gcp__tlr_read(o->in, &tl, err, sizeof err) < 0) {
        gcprof_say("plot", "%s", err);
        return GCPROF_EXIT_FAIL;
    }
    p.tl = &tl;
    p.sm = &sm;
    p.title = o->title ? o->title : *tl.cmdline ? tl.cmdline : o->in;
    if (gcp__summary_make(&tl, &sm) < 0 || gcp__series_rss(&tl, &p.rss) < 0 ||
        gcp__series_heap(&tl, &p.heap) < 0 || layout(&p, o->width, o->height) < 0) {
        gcprof_say("plot", "%s: out of memory", o->in);
    } else {
        gcp__series_thin(&p.rss, GCP_PLOT_MAX_POINTS);
        gcp__series_thin(&p.heap, GCP_PLOT_MAX_POINTS);
        status = write_svg(&p, o->out);
    }
    free(p.label_row);
    gcp__series_free(&p.rss);
    gcp__series_free(&p.heap);
    gcp__summary_free(&sm);
    gcp__tlr_free(&tl);
    return status;
}

int gcprof_cmd_plot(int argc, char **argv)
{
    opts o = {.width = 1000, .height = 600};
    int rc = parse_args(argc, argv, &o);

    return rc >= 0 ? rc : plot_file(&o);
}
