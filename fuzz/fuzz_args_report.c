/*
 * fuzz_args_report.c - `gcprof peak` and `gcprof summary`'s argument
 * parsers for fuzz_args.c: the commands' own source, included, so their
 * static parsers are the ones fuzzed.
 */
#include "../tools/cmd_report.c"

#include <string.h>

int fuzz_args_report(int argc, char **argv, int summary);

/* parse_peak or parse_summary, and what their results promise: -1 with at
 * least one FILE, each an argument given; or an exit status. */
int fuzz_args_report(int argc, char **argv, int summary)
{
    char **given = malloc((size_t)argc * sizeof *given);
    const char *func = NULL;
    int nfiles = 0, json = 0, rc;

    if (!given)
        return 0;
    memcpy(given, argv, (size_t)argc * sizeof *given);
    rc = summary ? parse_summary(argc, argv, &nfiles, &json)
                 : parse_peak(argc, argv, &nfiles, &func);
    if (!(rc == -1 || rc == TOOL_EXIT_OK || rc == TOOL_EXIT_FAIL || rc == TOOL_EXIT_USAGE))
        __builtin_trap();
    for (int i = 1; rc == -1 && i <= nfiles; i++) {
        int found = 0;
        for (int k = 1; k < argc; k++)
            found |= argv[i] == given[k];
        if (!found || nfiles >= argc)
            __builtin_trap();
    }
    if (rc == -1 && nfiles < 1)
        __builtin_trap();
    free(given);
    return rc;
}
