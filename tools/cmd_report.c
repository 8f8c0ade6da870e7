/*
 * cmd_report.c - `gcprof peak` (what `mprof peak` prints, so scripts keep
 * working) and `gcprof summary` (a readable block, or one JSON object).
 */
#include "commands.h"
#include "options.h"
#include "summary.h"
#include "timeline_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char peak_usage[] = "usage: gcprof peak [--func NAME] FILE...";
static const char summary_usage[] = "usage: gcprof summary [--json] FILE...";
static const char statuses[] = "Exit status: 0 success, 1 a FILE cannot be read or is not a "
                               "recording,\n2 bad arguments.";

/* One line, "gcprof CMD: <what> (usage: ...)"; returns the status. */
__attribute__((format(printf, 3, 4))) static int usage_error(const char *cmd, const char *usage,
                                                             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, usage, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_USAGE;
}

static const char peak_help[] =
    "Usage: gcprof peak [--func NAME] FILE...\n"
    "\n"
    "Prints the peak RSS of each recording, as `mprof peak` prints it (the\n"
    "highest of its RSS samples, and a line per child of mprof's CHLD lines).\n"
    "\n"
    "      --func NAME  the peak within the calls of the profiled closure NAME\n"
    "                   (NaN MiB when the recording has none)\n"
    "  -h, --help       show this help\n"
    "\n";
static const char summary_help[] =
    "Usage: gcprof summary [--json] FILE...\n"
    "\n"
    "Summarises each recording: how the program ended, its peaks (sampled and\n"
    "the kernel's), live heap, allocation, collections and pauses, children\n"
    "and profiled closures.\n"
    "\n"
    "      --json       one JSON object per FILE instead of a readable block\n"
    "  -h, --help       show this help\n"
    "\n";

/* GNU's layout: usage, what it does, the options, the exit statuses. */
static int help(const char *cmd, const char *text)
{
    printf("%s%s\n", text, statuses);
    return tool_stdout_done(cmd);
}

/* ---- peak ------------------------------------------------------------- */

/* mprof peak --func: the samples inside any call of that closure (named
 * as mprof keys it: spaces are '_' in .dat files). */
static int in_func(const tool_tl *tl, const char *func, double t, int *found)
{
    int in = 0;

    for (size_t i = 0; i < tl->nfuncs; i++) {
        const tool_tl_func *f = &tl->funcs[i];
        if (f->unfinished || !tool_tl_same_name(f->name, func))
            continue;
        *found = 1;
        in |= f->start <= t && t <= f->end;
    }
    return in;
}

/* One file's lines, as mprof.py's peak_action prints them:
 * "{}\t{:.3f} MiB", then "  Child {}\t\t\t{:.3f} MiB" per CHLD number. */
static int peak_one(const char *path, const char *func)
{
    char err[512];
    tool_tl tl;
    int any = 0, found = func == NULL;
    double peak = 0;

    if (tool_tl_read(path, &tl, err, sizeof err) < 0) {
        tool_say("peak", "%s", err);
        return TOOL_EXIT_FAIL;
    }
    for (size_t i = 0; i < tl.nsamples; i++) {
        const tool_tl_sample *s = &tl.samples[i];
        if (!s->has_rss || (func && !in_func(&tl, func, s->t, &found)))
            continue;
        if (!any || s->rss_mib > peak)
            peak = s->rss_mib;
        any = 1;
    }
    if (!func && tl.has_cut_rss && (!any || tl.cut_rss_mib > peak)) {
        peak = tl.cut_rss_mib; /* mprof reads the cut-off last line too */
        any = 1;
    }
    if (!func && !any) {
        tool_say("peak", "%s: no RSS samples, only GC heap ones", path);
        tool_tl_free(&tl);
        return TOOL_EXIT_FAIL;
    }
    if (any && found)
        printf("%s\t%.3f MiB\n", path, peak);
    else
        printf("%s\tNaN MiB\n", path); /* mprof's answer when the function is not there */
    for (size_t i = 0; i < tl.nchildren; i++)
        printf("  Child %s\t\t\t%.3f MiB\n", tl.children[i].id, tl.children[i].peak_mib);
    tool_tl_free(&tl);
    return TOOL_EXIT_OK;
}

/* The options of peak or summary: opt, and --help. -1 to go on, with the
 * files moved to argv[1..*nfiles] (options and files in any order); else
 * the exit status (help shown, or an error). */
static int parse(const char *cmd, const char *usage, tool_opt opt, int argc, char **argv,
                 int *nfiles)
{
    int show_help = 0;
    tool_opt table[] = {opt, TOOL_OPT_STOP("--help", 'h', &show_help), TOOL_OPT_END};
    tool_opts how = {cmd, usage, table, 0, NULL};
    int r = tool_opts_parse(&how, argc, argv, nfiles);

    if (r == TOOL_OPTS_STOP)
        return help(cmd, strcmp(cmd, "peak") == 0 ? peak_help : summary_help);
    return r == TOOL_OPTS_OK ? -1 : TOOL_EXIT_USAGE;
}

/* peak's options, as parse's, and at least one FILE. */
static int parse_peak(int argc, char **argv, int *nfiles, const char **func)
{
    tool_opt opt = TOOL_OPT_VALUE("--func", 0, func);
    int status = parse("peak", peak_usage, opt, argc, argv, nfiles);

    if (status >= 0)
        return status;
    if (*func && !**func)
        return usage_error("peak", peak_usage, "missing value for --func: want a closure NAME");
    return *nfiles ? -1 : usage_error("peak", peak_usage, "no FILE given");
}

int tool_cmd_peak(int argc, char **argv)
{
    const char *func = NULL;
    int nfiles, status = parse_peak(argc, argv, &nfiles, &func);

    if (status >= 0)
        return status;
    status = 0;
    for (int i = 1; i <= nfiles; i++)
        status |= peak_one(argv[i], func);
    return tool_stdout_done("peak") ? TOOL_EXIT_FAIL : status;
}

/* ---- summary ---------------------------------------------------------- */

static int summary_one(const char *path, int json)
{
    char err[512];
    tool_summary sm;
    tool_tl tl;

    if (tool_tl_read(path, &tl, err, sizeof err) < 0) {
        tool_say("summary", "%s", err);
        return TOOL_EXIT_FAIL;
    }
    if (tool_summary_make(&tl, &sm) < 0) {
        tool_say("summary", "%s: out of memory", path);
        tool_summary_free(&sm);
        tool_tl_free(&tl);
        return TOOL_EXIT_FAIL;
    }
    if (json) {
        tool_summary_print_json(path, &tl, &sm);
    } else {
        tool_summary_print_text(path, &tl, &sm);
        if (tl.dropped_last_line)
            printf("note: the last line of %s was cut off, and was ignored\n", path);
        if (tl.has_meta && !tl.has_end)
            printf("warning: %s ends without an end record: the run did not finish cleanly\n",
                   path);
        else if (tl.cut_short) /* an mprof file: it never has one */
            printf("warning: %s ends in a cut-off line: the run did not finish cleanly\n", path);
    }
    tool_summary_free(&sm);
    tool_tl_free(&tl);
    return 0;
}

/* summary's options, as parse's, and at least one FILE. */
static int parse_summary(int argc, char **argv, int *nfiles, int *json)
{
    tool_opt opt = TOOL_OPT_FLAG("--json", 0, json);
    int status = parse("summary", summary_usage, opt, argc, argv, nfiles);

    if (status >= 0 || *nfiles)
        return status;
    return usage_error("summary", summary_usage, "no FILE given");
}

int tool_cmd_summary(int argc, char **argv)
{
    int nfiles, json = 0, status = parse_summary(argc, argv, &nfiles, &json);

    if (status >= 0)
        return status;
    status = 0;
    for (int i = 1; i <= nfiles; i++) {
        if (i > 1 && !json)
            putchar('\n');
        status |= summary_one(argv[i], json);
    }
    return tool_stdout_done("summary") ? TOOL_EXIT_FAIL : status;
}
