/*
 * tune_output.c - where `gcprof tune`'s report and plot go: files opened
 * before the runs (an unwritable place fails before hours of runs), written
 * whole and renamed into place after them (commands.h: tool_out), or
 * standard output for the report.
 */
#include "tune.h"

#include <string.h>

#include "commands.h"

/* One file, if path: 0, or -1 (said). */
static int open_one(tool_out *o, const char *path)
{
    const char *why = path ? tool_out_open(o, path) : NULL;

    if (why)
        tool_say("tune", "cannot write '%s': %s", path, why);
    return why ? -1 : 0;
}

/* Closes and names a file: 0, or TOOL_EXIT_FAIL (said). */
static int commit_one(tool_out *o)
{
    const char *why = tool_out_commit(o);

    if (why)
        tool_say("tune", "cannot write '%s': %s", o->path, why);
    return why ? TOOL_EXIT_FAIL : 0;
}

int tool_tune_outputs_open(tool_tune_outputs *out, const char *report, const char *plot)
{
    memset(out, 0, sizeof *out);
    if (report && strcmp(report, "-") == 0)
        report = NULL;
    if (open_one(&out->report, report) != 0)
        return -1;
    if (open_one(&out->plot, plot) != 0) {
        tool_tune_outputs_discard(out);
        return -1;
    }
    return 0;
}

void tool_tune_outputs_discard(tool_tune_outputs *out)
{
    if (out->report.path)
        tool_out_discard(&out->report);
    if (out->plot.path)
        tool_out_discard(&out->plot);
}

int tool_tune_outputs_write(tool_tune_outputs *out, const tool_tune_result *res, char **argv,
                            int json)
{
    FILE *fp = out->report.path ? out->report.fp : stdout;
    int rc;

    if (json)
        tool_tune_print_json(fp, res, argv);
    else
        tool_tune_print_text(fp, res, argv);
    rc = out->report.path ? commit_one(&out->report) : tool_stdout_done("tune");
    if (!out->plot.path)
        return rc;
    int drawn = tool_tune_plot(out->plot.fp, res, argv);
    if (drawn < 0) {
        tool_say("tune", "no plot: %s", drawn == -1 ? "no config ran to its end" : "out of memory");
        tool_out_discard(&out->plot);
        return TOOL_EXIT_FAIL;
    }
    return commit_one(&out->plot) ? TOOL_EXIT_FAIL : rc;
}
