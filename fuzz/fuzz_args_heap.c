/*
 * fuzz_args_heap.c - `gcprof heap`'s argument parser for fuzz_args.c: the
 * command's own source, included, so its static parser is the one fuzzed
 * (and never runs a program or reads a recording).
 */
#include "../tools/cmd_heap.c"

int fuzz_args_heap(int argc, char **argv);

/* parse_args, and what its result promises: to go on (-1), a RECORDING or
 * a PROGRAM (never both), a pid in range, -o only with a PROGRAM, no
 * output named "" or "-". */
int fuzz_args_heap(int argc, char **argv)
{
    opts o;
    int rc;

    memset(&o, 0, sizeof o);
    rc = parse_args(argc, argv, &o);
    if (rc != -1 && rc != TOOL_EXIT_OK && rc != TOOL_EXIT_USAGE && rc != TOOL_EXIT_FAIL)
        __builtin_trap();
    if (rc == -1 && (!o.recording == !o.program || (o.program && !o.program[0]) || o.show.pid < 0 ||
                     o.show.pid > 0x7fffffff || (o.pid_arg && o.show.pid == 0) ||
                     (o.output && (!o.program || !*o.output || strcmp(o.output, "-") == 0)) ||
                     (o.show.svg && (!*o.show.svg || strcmp(o.show.svg, "-") == 0))))
        __builtin_trap();
    return rc;
}
