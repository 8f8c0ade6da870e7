/*
 * fuzz_args_run.c - `gcprof run`'s argument parser for fuzz_args.c: the
 * command's own source, included, so its static parser is the one fuzzed
 * (and never runs a program).
 */
#include "../tools/cmd_run.c"

int fuzz_args_run(int argc, char **argv);

/* parse_args, and what its result promises. */
int fuzz_args_run(int argc, char **argv)
{
    tool_run_opts o = {.interval = 0.01, .format = GCP_TL_DAT};
    int rc = parse_args(argc, argv, &o);

    if (rc < -1 || rc > 1)
        __builtin_trap();
    if (rc == 0 && !(o.argv && o.argv[0] && o.argv > argv && o.argv < argv + argc &&
                     o.interval >= MIN_INTERVAL && o.interval <= MAX_INTERVAL &&
                     (!o.output || (*o.output && strcmp(o.output, "-") != 0))))
        __builtin_trap();
    /* --heap-profile: a rate of at least one byte; --heap-every and
     * --heap-output only with it, an output that is not "" or "-" */
    if (rc == 0 && (!o.heap != !o.heap_profile.rate || o.heap_profile.rate > 1ull << 40 ||
                    (!o.heap && (o.heap_output || o.heap_profile.every != 0)) ||
                    (o.heap_profile.every != 0 && !(o.heap_profile.every >= MIN_INTERVAL &&
                                                    o.heap_profile.every <= MAX_INTERVAL)) ||
                    (o.heap_output && (!*o.heap_output || strcmp(o.heap_output, "-") == 0))))
        __builtin_trap();
    tool_run_choose_format(&o);
    return rc;
}
