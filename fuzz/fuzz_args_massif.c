/*
 * fuzz_args_massif.c - `gcprof massif`'s argument parser for fuzz_args.c:
 * the command's own source, included, so its static parser is the one
 * fuzzed (and no recording is read).
 */
#include "../tools/cmd_massif.c"

#include <string.h>

int fuzz_args_massif(int argc, char **argv);

/* parse, and what its result promises: -1 with exactly one RECORDING (an
 * argument given), a pid of 0 (none) or in range, no empty output; or an
 * exit status. */
int fuzz_args_massif(int argc, char **argv)
{
    char **given = malloc((size_t)argc * sizeof *given);
    const char *out = NULL;
    long pid = 0;
    int rc, found = 0;

    if (!given)
        return 0;
    memcpy(given, argv, (size_t)argc * sizeof *given);
    rc = parse(argc, argv, &out, &pid);
    if (!(rc == -1 || rc == TOOL_EXIT_OK || rc == TOOL_EXIT_FAIL || rc == TOOL_EXIT_USAGE))
        __builtin_trap();
    for (int k = 1; rc == -1 && k < argc; k++)
        found |= argv[1] == given[k];
    if (rc == -1 && (!found || argc < 2 || pid < 0 || pid > 0x7fffffff || (out && !*out)))
        __builtin_trap();
    free(given);
    return rc;
}
