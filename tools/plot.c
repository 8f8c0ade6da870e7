/*
 * plot.c - `gcprof plot FILE -o OUT.svg`: one self-contained SVG of a
 * timeline (RSS and GC heap over time, collections and their pauses, the
 * allocation rate, closures, labels), to paste into a bug report. Written
 * to a temporary file beside OUT.svg, then renamed (commands.h:
 * tool_out), so a failed run never leaves half a picture.
 */
#include "commands.h"
#include "options.h"
#include "plot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: gcprof plot FILE -o OUT.svg [--title TEXT] [--width PX] [--height PX]";

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
    tool_vsay("plot", usage, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_USAGE;
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
    if (tool_out_same(o->in, o->out)) /* a plot over its own recording loses the recording */
        return usage_error("-o '%s' is the input FILE '%s'", o->out, o->in);
    return -1;
}

/* GNU's layout: usage, what it does, the options, the exit statuses. */
static int help(void)
{
    fputs("Usage: gcprof plot FILE -o OUT.svg [--title TEXT] [--width PX] [--height PX]\n"
          "\n"
          "Draws a recording as an SVG picture: RSS and the GC heap over time, the\n"
          "collections and their pauses, the allocation rate, profiled closures and\n"
          "labels.\n"
          "\n"
          "  -o, --output OUT.svg  where to write the picture (required)\n"
          "      --title TEXT      the picture's title (default: the recorded command\n"
          "                        line, or FILE)\n"
          "      --width PX        its width, 320 to 20000 pixels (default 1000)\n"
          "      --height PX       its height, 240 to 20000 pixels (default 600)\n"
          "  -h, --help            show this help\n"
          "\n"
          "Exit status: 0 success, 1 FILE cannot be read or is not a recording, or\n"
          "OUT.svg cannot be written; 2 bad arguments.\n",
          stdout);
    return tool_stdout_done("plot");
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, opts *o)
{
    int show_help = 0, n;
    tool_opt table[] = {
        TOOL_OPT_VALUE("--output", 'o', &o->out),
        TOOL_OPT_VALUE("--title", 0, &o->title),
        TOOL_OPT_VALUE("--width", 0, &o->width_arg),
        TOOL_OPT_VALUE("--height", 0, &o->height_arg),
        TOOL_OPT_STOP("--help", 'h', &show_help),
        TOOL_OPT_END,
    };
    tool_opts how = {"plot", usage, table, 0, NULL};
    int r = tool_opts_parse(&how, argc, argv, &n);

    if (r == TOOL_OPTS_STOP)
        return help();
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if (n > 1)
        return usage_error("more than one FILE: '%s', then '%s'", argv[1], argv[2]);
    o->in = n ? argv[1] : NULL;
    return check_values(o);
}

static int render(FILE *fp, const void *p)
{
    return tool_plot_render(fp, p);
}

static int plot_file(const opts *o)
{
    tool_plot p;
    tool_summary sm;
    tool_tl tl;
    char err[512];
    int status = TOOL_EXIT_FAIL, r;

    if (tool_tl_read(o->in, &tl, err, sizeof err) < 0) {
        tool_say("plot", "%s", err);
        return TOOL_EXIT_FAIL;
    }
    r = tool_plot_make(&p, &sm, &tl, o->in, o->title, o->width, o->height);
    if (r == -2)
        tool_say("plot", "%s: cannot plot: its times or sizes span more than an axis can show",
                 o->in);
    else if (r < 0)
        tool_say("plot", "%s: out of memory", o->in);
    else
        status = tool_out_write("plot", o->out, render, &p); /* "-": standard output */
    tool_plot_free(&p);
    tool_summary_free(&sm);
    tool_tl_free(&tl);
    return status;
}

int tool_cmd_plot(int argc, char **argv)
{
    opts o = {.width = 1000, .height = 600};
    int rc = parse_args(argc, argv, &o);

    return rc >= 0 ? rc : plot_file(&o);
}
