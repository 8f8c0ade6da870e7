/*
 * fuzz_args_tune.c - `gcprof tune`'s argument parser for fuzz_args.c: the
 * command's own source, included, so its static parser is the one fuzzed
 * (and never runs a program).
 */
#include "../tools/cmd_tune.c"

int fuzz_args_tune(int argc, char **argv);

/* parse_args, and what its result promises. */
int fuzz_args_tune(int argc, char **argv)
{
    tune_opts o = {.rounds = 3};
    int rc = parse_args(argc, argv, &o);

    if (rc != -1 && rc != TOOL_EXIT_OK && rc != TOOL_EXIT_FAIL && rc != TOOL_EXIT_USAGE)
        __builtin_trap();
    if (rc != -1)
        return rc;
    /* go on: a program after "--", rounds and a grid within the bounds,
     * a limit above 0, outputs that are files and not one file */
    if (!(o.argv && o.argv[0] && o.argv > argv && o.argv < argv + argc))
        __builtin_trap();
    if (o.rounds < 1 || o.rounds > MAX_ROUNDS || o.warmup > MAX_WARMUP ||
        tool_tune_grid_size(o.full) * o.rounds > TOOL_TUNE_MAX_RUNS)
        __builtin_trap();
    if (o.max_rss < 0 || o.max_rss > MAX_RSS_MIB || (o.output && !*o.output) ||
        (o.plot && (!*o.plot || strcmp(o.plot, "-") == 0)) ||
        (o.output && o.plot && strcmp(o.output, o.plot) == 0))
        __builtin_trap();
    return rc;
}
