/*
 * cmd_flame.c - `gcprof flame`: a heap profile as a flame graph, one SVG
 * file (the tree and layout: heap_flame.c; the drawing: flame_svg.c),
 * written to a temporary file beside OUT.svg and renamed (commands.h:
 * tool_out).
 */
#include "commands.h"
#include "heap_cmd.h"
#include "heap_view.h"
#include "options.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define HINT "see gcprof flame --help"

static void usage(void)
{
    fputs("Usage: gcprof flame [--inuse|--alloc] [--objects|--space] [--width PX]\n"
          "                    -o OUT.svg FILE\n"
          "\n"
          "Draws a heap profile (pprof's format, gzip'd or not, from gcprof or any\n"
          "producer) as a flame graph: each box is a function, on top of its caller,\n"
          "the outermost frames at the bottom; stacks that share callers share their\n"
          "boxes, and a box's width is its share of the value. Siblings are in name\n"
          "order, so the x axis is no time order. Hover a box for its whole name, its\n"
          "value and its share. The SVG has no script: any browser shows it.\n"
          "\n" TOOL_HV_PICK_HELP "  -o, --output OUT.svg    where to write ('-': standard output)\n"
          "      --width PX          the picture's width (default 1200; 600 to 20000)\n"
          "  -h, --help              show this text\n"
          "\n"
          "Boxes narrower than 0.1 px are left out. The file is written beside OUT.svg,\n"
          "as OUT.svg.tmp.XXXXXX (mode 0644 & ~umask), and renamed over it when\n"
          "complete. An option given twice is an error, and so are --inuse with --alloc\n"
          "and --objects with --space.\n"
          "\n"
          "Exit status: 0 success, 1 FILE cannot be read or is not a heap profile, or\n"
          "OUT.svg cannot be written; 2 bad arguments.\n",
          stdout);
}

typedef struct flame_opts {
    const char *in, *out;
    int vi;
    long width;
} flame_opts;

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, flame_opts *o)
{
    int show_help = 0, n, r;
    const char *width = NULL;
    tool_hv_pick pk = {0};
    tool_opt table[] = {
        TOOL_HV_PICK_OPTS(&pk),
        TOOL_OPT_VALUE("--output", 'o', &o->out),
        TOOL_OPT_VALUE("--width", 0, &width),
        TOOL_OPT_STOP("--help", 'h', &show_help),
        TOOL_OPT_END,
    };
    tool_opts how = {"flame", HINT, table, 0, NULL};

    r = tool_opts_parse(&how, argc, argv, &n);
    if (r == TOOL_OPTS_STOP) {
        usage();
        return tool_stdout_done("flame");
    }
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if ((r = tool_hv_pick_value("flame", HINT, &pk, &o->vi)) >= 0)
        return r;
    if (width && (r = tool_opt_count("flame", HINT, "--width", width, 600, 20000, &o->width)) >= 0)
        return r;
    if (n > 1) {
        tool_say("flame", "more than one FILE: '%s', then '%s' (" HINT ")", argv[1], argv[2]);
        return TOOL_EXIT_USAGE;
    }
    o->in = n ? argv[1] : NULL;
    if (!o->in) {
        tool_say("flame", "no FILE given (" HINT ")");
        return TOOL_EXIT_USAGE;
    }
    if (!o->out) {
        tool_say("flame", "no output given: -o OUT.svg (" HINT ")");
        return TOOL_EXIT_USAGE;
    }
    if (!*o->out) {
        tool_say("flame", "empty file name for %s (" HINT ")", table[4].given); /* -o */
        return TOOL_EXIT_USAGE;
    }
    struct stat in, out; /* a picture over its own profile loses the profile */
    if (stat(o->in, &in) == 0 && stat(o->out, &out) == 0 && in.st_dev == out.st_dev &&
        in.st_ino == out.st_ino) {
        tool_say("flame", "-o '%s' is the input FILE '%s' (" HINT ")", o->out, o->in);
        return TOOL_EXIT_USAGE;
    }
    return -1;
}

/* Into a temporary file renamed to OUT once complete; "-" is standard
 * output. */
static int write_svg(const flame_opts *o, tool_flame *f, int64_t period)
{
    tool_flame_svg s = {o->in, o->vi, period, (double)o->width};
    tool_out file = {0};
    const char *why;

    if (strcmp(o->out, "-") == 0) {
        tool_flame_svg_write(stdout, f, &s);
        return tool_stdout_done("flame");
    }
    if ((why = tool_out_open(&file, o->out)) != NULL) {
        tool_say("flame", "cannot write %s: %s", o->out, why);
        return TOOL_EXIT_FAIL;
    }
    tool_flame_svg_write(file.fp, f, &s);
    if ((why = tool_out_commit(&file)) != NULL) {
        tool_say("flame", "cannot write %s: %s", o->out, why);
        return TOOL_EXIT_FAIL;
    }
    return TOOL_EXIT_OK;
}

int tool_cmd_flame(int argc, char **argv)
{
    flame_opts o = {.width = 1200};
    pprof_profile p;
    tool_flame f;
    int status = parse_args(argc, argv, &o);

    if (status >= 0)
        return status;
    if ((status = tool_heap_load("flame", o.in, &p)) != 0)
        return status;
    if (tool_flame_make(&p, o.vi, &f) < 0) {
        tool_say("flame", "%s: out of memory", o.in);
        tool_heap_free(&p);
        return TOOL_EXIT_FAIL;
    }
    status = write_svg(&o, &f, p.period);
    tool_flame_free(&f);
    tool_heap_free(&p);
    return status;
}
