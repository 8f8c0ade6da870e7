/*
 * fuzz_args_plot.c - `gcprof plot`'s argument parser for fuzz_args.c: the
 * command's own source, included, so its static parser is the one fuzzed.
 */
#include "../tools/plot.c"

int fuzz_args_plot(int argc, char **argv);

/* parse_args, and what its result promises. */
int fuzz_args_plot(int argc, char **argv)
{
    opts o = {.width = 1000, .height = 600};
    int rc = parse_args(argc, argv, &o);

    if (!(rc == -1 || rc == TOOL_EXIT_OK || rc == TOOL_EXIT_FAIL || rc == TOOL_EXIT_USAGE))
        __builtin_trap();
    if (rc == -1 && !(o.in && o.out && *o.out && o.width >= 320 && o.width <= 20000 &&
                      o.height >= 240 && o.height <= 20000))
        __builtin_trap();
    return rc;
}
