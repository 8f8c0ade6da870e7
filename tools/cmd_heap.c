/*
 * cmd_heap.c - `gcprof heap`: what a process's RSS is made of, from the
 * breakdowns in a recording (gcprof run --breakdown), or of a program it
 * runs itself, exactly as gcprof run --breakdown would (run_program.c).
 * Shown by heap_show.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "heap_show.h"
#include "options.h"
#include "run_dir.h"
#include "run_program.h"

#define HINT "see gcprof heap --help"

typedef struct opts {
    tool_bd_show show;
    const char *pid_arg, *output;
    const char *recording; /* FILE, or NULL: */
    char **program;        /* -- PROGRAM [ARGS...] */
} opts;

static int help(void)
{
    fputs("Usage: gcprof heap [--json] [--all] [--pid PID] [--svg FILE] RECORDING\n"
          "       gcprof heap [--json] [--all] [--pid PID] [--svg FILE] [-o RECORDING]\n"
          "                   -- PROGRAM [ARGS...]\n"
          "\n"
          "What a process's resident memory (RSS) is made of: the collector's heap\n"
          "(live objects, free slots, free blocks still mapped, its own tables),\n"
          "malloc, thread stacks, code, files and the rest, with the GC heap's size\n"
          "classes and a verdict naming the biggest avoidable cause.\n"
          "\n"
          "The first form reads a recording of gcprof run --breakdown and shows its\n"
          "process's latest breakdown. The second runs PROGRAM as gcprof run\n"
          "--breakdown does (a breakdown of each recorded process at its exit, and\n"
          "whenever gcprof gets SIGUSR1), then shows the program's last one, after\n"
          "PROGRAM's own output.\n"
          "\n"
          "      --json         the breakdown as one JSON line, the recording's record:\n"
          "                     {\"type\":\"breakdown\",\"t\":T,\"pid\":P,\"breakdown\":{...}}\n"
          "      --all          every breakdown in time order (of PID, if given; else of\n"
          "                     every process), each with its pid and time\n"
          "      --pid PID      that process's (default: the program's, the one gcprof\n"
          "                     run started; else the first process with a breakdown)\n"
          "      --svg FILE     also draw the latest breakdown as a chart (SVG)\n"
          "  -o, --output RECORDING\n"
          "                     keep the recording of PROGRAM there (default: a\n"
          "                     temporary file, removed)\n"
          "  -h, --help         show this text\n"
          "\n"
          "Exit status: RECORDING: 0 shown; 1 RECORDING cannot be read, has no\n"
          "breakdown (of PID), or FILE cannot be written; 2 bad arguments.\n"
          "PROGRAM: PROGRAM's status (128+N when signal N killed it), as gcprof run's,\n"
          "but 1 when PROGRAM exited 0 and no breakdown could be shown (so 0 means\n"
          "both went well); 125 when the recording cannot be written, 126 when PROGRAM\n"
          "cannot be executed, 127 when it is not found; 2 bad arguments.\n",
          stdout);
    return tool_stdout_done("heap");
}

#define usage_error(...) tool_usage_error("heap", HINT, __VA_ARGS__)

/* The values, once all are in. -1 to go on, or the status. */
static int check_values(opts *o, const tool_opt *t)
{
    static const char bd_out[] = "standard output has the breakdown";
    long pid;
    int r;

    if (o->pid_arg &&
        (r = tool_opt_count("heap", HINT, "--pid", o->pid_arg, 1, 0x7fffffff, &pid)) >= 0)
        return r;
    if (o->pid_arg)
        o->show.pid = pid;
    if (o->show.svg && (r = tool_opt_file("heap", HINT, "--svg", o->show.svg, bd_out)) >= 0)
        return r;
    if (o->output && (r = tool_opt_file("heap", HINT, t[0].given, o->output, bd_out)) >= 0)
        return r;
    if (o->output && !o->program)
        return usage_error("%s is where PROGRAM's recording goes: name PROGRAM after --",
                           t[0].given);
    if (o->show.svg && ((o->output && tool_out_same_target(o->output, o->show.svg)) ||
                        (o->recording && tool_out_same(o->recording, o->show.svg))))
        return usage_error("--svg '%s' is the recording", o->show.svg);
    return -1;
}

/* FILE, or -- PROGRAM: which one, from the arguments left. */
static int operands(opts *o, char **argv, int n, int dashes)
{
    if (dashes >= 0) {
        if (dashes > 0)
            return usage_error("both a RECORDING ('%s') and a PROGRAM to run: give one", argv[1]);
        if (n == 0)
            return usage_error("no PROGRAM after --");
        o->program = argv + 1;
        return -1;
    }
    if (n == 0)
        return usage_error("no RECORDING given (or -- PROGRAM to run one)");
    if (n > 1)
        return usage_error("more than one RECORDING: '%s', then '%s' (to run a program: "
                           "gcprof heap -- PROGRAM ARGS)",
                           argv[1], argv[2]);
    o->recording = argv[1];
    return -1;
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, opts *o)
{
    int show_help = 0, n, dashes, r;
    tool_opt table[] = {
        TOOL_OPT_VALUE("--output", 'o', &o->output), /* first: check_values names it */
        TOOL_OPT_FLAG("--json", 0, &o->show.json),   TOOL_OPT_FLAG("--all", 0, &o->show.all),
        TOOL_OPT_VALUE("--pid", 0, &o->pid_arg),     TOOL_OPT_VALUE("--svg", 0, &o->show.svg),
        TOOL_OPT_STOP("--help", 'h', &show_help),    TOOL_OPT_END,
    };
    tool_opts how = {"heap", HINT, table, 0, &dashes};

    r = tool_opts_parse(&how, argc, argv, &n);
    if (r == TOOL_OPTS_STOP)
        return help();
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if ((r = operands(o, argv, n, dashes)) >= 0)
        return r;
    return check_values(o, table);
}

/* ---- a recording ---------------------------------------------------------- */

/* Reads and shows path. TOOL_EXIT_OK, TOOL_EXIT_FAIL (said), or -1: it
 * has no breakdown (not said). */
static int show_file(const char *path, const tool_bd_show *s, tool_tl *tl)
{
    char err[512];

    if (tool_tl_read(path, tl, err, sizeof err) < 0) {
        tool_say("heap", "%s", err);
        return TOOL_EXIT_FAIL;
    }
    return tool_bd_show_tl("heap", tl, s);
}

static int show_recording(opts *o)
{
    tool_tl tl;
    int r;

    o->show.name = o->recording;
    r = show_file(o->recording, &o->show, &tl);

    if (r < 0)
        tool_say("heap",
                 "%s has no breakdown: record one with gcprof run --breakdown, or run the "
                 "program with gcprof heap -- PROGRAM",
                 o->recording);
    tool_tl_free(&tl);
    return r < 0 ? TOOL_EXIT_FAIL : r;
}

/* ---- a program ------------------------------------------------------------- */

/* Why a recording of the program holds no breakdown. */
static const char *why_none(const tool_tl *tl)
{
    if (tl->ngcs == 0 && tl->nimages == 0)
        return "no dynamically linked libgc was seen in it (a statically linked one "
               "cannot be seen from outside)";
    if (tl->has_status && tl->status.signaled)
        return "it was killed before it could take one at its exit";
    return "it did not end with a normal exit (it called _exit, or exec'd), or its records "
           "stopped early";
}

static int show_program(opts *o, const char *recording, int code)
{
    tool_tl tl;
    int r;

    o->show.name = o->output ? o->output : "the program's recording";
    r = show_file(recording, &o->show, &tl);

    if (r < 0)
        tool_say("heap", "no breakdown of %s was recorded: %s", o->program[0], why_none(&tl));
    tool_tl_free(&tl);
    if (r == TOOL_EXIT_OK)
        return code;
    return code ? code : TOOL_EXIT_FAIL; /* 0 means a breakdown was shown */
}

static int run_program(opts *o)
{
    tool_run_opts ro = {.cmd = "heap",
                        .report = o->output != NULL,
                        .interval = 0.01,
                        .format = GCP_TL_DAT,
                        .breakdown = 1,
                        .output = o->output,
                        .argv = o->program};
    char dir[PATH_MAX] = "", path[PATH_MAX + 32];

    if (!o->output) { /* a recording of our own, removed after */
        if (tool_tmp_dir(dir, sizeof dir, "gcprof-rec") != 0) {
            tool_say("heap", "cannot make a directory for the recording: %s", strerror(errno));
            return TOOL_EXIT_RUN_FAILED;
        }
        snprintf(path, sizeof path, "%s/recording.dat", dir);
        ro.output = path;
    }
    int code = tool_run_program(&ro);
    if (ro.final)
        code = show_program(o, ro.final, code);
    if (!o->output && ro.final)
        unlink(ro.final);
    if (*dir)
        rmdir(dir);
    free(ro.final);
    return code;
}

int tool_cmd_heap(int argc, char **argv)
{
    opts o;
    int r;

    memset(&o, 0, sizeof o);
    if ((r = parse_args(argc, argv, &o)) >= 0)
        return r;
    return o.program ? run_program(&o) : show_recording(&o);
}
