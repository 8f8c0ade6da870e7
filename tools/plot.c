/*
 * plot.c - `gcprof plot FILE -o OUT.svg`: one self-contained SVG of a
 * timeline (RSS and GC heap over time, collections and their pauses, the
 * allocation rate, closures, labels), to paste into a bug report. Written
 * to a temporary file beside OUT.svg, then renamed (commands.h:
 * tool_out), so a failed run never leaves half a picture.
 */
#include "commands.h"
#include "plot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
            return tool_stdout_done("plot");
        }
        if (options && strcmp(a, "--") == 0)
            options = 0;
        else if (options && (r = take_option(argc, argv, &i, o)) != 0) {
            if (r < 0)
                return TOOL_EXIT_USAGE;
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
 * tool_out); "-" is standard output. */
static int write_svg(const tool_plot *p, const char *out)
{
    tool_out file = {0};
    FILE *fp = stdout;
    const char *why;

    if (strcmp(out, "-") != 0) {
        if ((why = tool_out_open(&file, out)) != NULL) {
            tool_say("plot", "cannot write %s: %s", out, why);
            return TOOL_EXIT_FAIL;
        }
        fp = file.fp;
    }
    if (tool_plot_render(fp, p) < 0) {
        if (fp != stdout)
            tool_out_discard(&file);
        tool_say("plot", "cannot write %s: out of memory", out);
        return TOOL_EXIT_FAIL;
    }
    if (fp == stdout)
        return tool_stdout_done("plot");
    if ((why = tool_out_commit(&file)) != NULL) {
        tool_say("plot", "cannot write %s: %s", out, why);
        return TOOL_EXIT_FAIL;
    }
    return TOOL_EXIT_OK;
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
        status = write_svg(&p, o->out);
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
