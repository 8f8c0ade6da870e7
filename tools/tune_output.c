/*
 * tune_output.c - where `gcprof tune`'s report and plot go: files opened
 * before the runs (an unwritable place fails before hours of runs), written
 * whole and renamed into place after them (commands.h: tool_out), or
 * standard output for the report.
 */
#include "tune.h"

#include <string.h>

#include "commands.h"

int tool_tune_outputs_open(tool_tune_outputs *out, const char *report, const char *plot)
{
    const char *why;

    memset(out, 0, sizeof *out);
    out->report_path = report;
    out->plot_path = plot;
    if (out->report_path && strcmp(out->report_path, "-") != 0) {
        if ((why = tool_out_open(&out->report, out->report_path)) != NULL) {
            tool_say("tune", "cannot write '%s': %s", out->report_path, why);
            return -1;
        }
        out->has_report = 1;
    }
    if (out->plot_path) {
        if ((why = tool_out_open(&out->plot, out->plot_path)) != NULL) {
            tool_say("tune", "cannot write '%s': %s", out->plot_path, why);
            if (out->has_report)
                tool_out_discard(&out->report);
            return -1;
        }
        out->has_plot = 1;
    }
    return 0;
}

void tool_tune_outputs_discard(tool_tune_outputs *out)
{
    if (out->has_report)
        tool_out_discard(&out->report);
    if (out->has_plot)
        tool_out_discard(&out->plot);
}

int tool_tune_outputs_write(tool_tune_outputs *out, const tool_tune_result *res, char **argv,
                            int json)
{
    FILE *fp = out->has_report ? out->report.fp : stdout;
    const char *why;
    int rc = 0;

    if (json)
        tool_tune_print_json(fp, res, argv);
    else
        tool_tune_print_text(fp, res, argv);
    if (!out->has_report)
        rc = tool_stdout_done("tune");
    else if ((why = tool_out_commit(&out->report)) != NULL) {
        tool_say("tune", "cannot write '%s': %s", out->report_path, why);
        rc = TOOL_EXIT_FAIL;
    }
    if (!out->has_plot)
        return rc;
    int drawn = tool_tune_plot(out->plot.fp, res, argv);
    if (drawn < 0) {
        tool_say("tune", "no plot: %s", drawn == -1 ? "no config ran to its end" : "out of memory");
        tool_out_discard(&out->plot);
        return TOOL_EXIT_FAIL;
    }
    if ((why = tool_out_commit(&out->plot)) != NULL) {
        tool_say("tune", "cannot write '%s': %s", out->plot_path, why);
        return TOOL_EXIT_FAIL;
    }
    return rc;
}
