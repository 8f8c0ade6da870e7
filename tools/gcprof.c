/*
 * gcprof.c - the gcprof command: runs a program and records its memory
 * (run), reads the recordings back (peak, summary, plot, heap, massif), reads heap
 * profiles in pprof's format (top, flame, diff) and makes them from raw
 * heap dumps (pprof), and runs a program under the collector's settings
 * to say which suit it (tune). Also the
 * messages the subcommands share (commands.h); their output files are
 * out_file.c's.
 */
#define _GNU_SOURCE
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "safe_file.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} command;

static const command commands[] = {
    {"run", tool_cmd_run, "run a program and record its memory over time"},
    {"peak", tool_cmd_peak, "print the peak memory of a recording"},
    {"summary", tool_cmd_summary, "summarise a recording: memory, collections, pauses"},
    {"massif", tool_cmd_massif, "write a recording's GC heap as valgrind massif's output"},
    {"plot", tool_cmd_plot, "plot a recording"},
    {"heap", tool_cmd_heap, "what a program's RSS is made of: GC heap, malloc, stacks, code..."},
    {"top", tool_cmd_top, "the functions that hold the most of a heap profile"},
    {"flame", tool_cmd_flame, "draw a heap profile as a flame graph (SVG)"},
    {"diff", tool_cmd_diff, "what grew between two heap profiles, by stack"},
    {"pprof", tool_cmd_pprof, "convert a raw heap dump into a heap profile (pprof)"},
    {"tune", tool_cmd_tune, "run a program under the collector's settings, say which is best"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* ---- messages ---------------------------------------------------------- */

void tool_vsay(const char *cmd, const char *hint, const char *fmt, va_list ap)
{
    char *msg;

    if (vasprintf(&msg, fmt, ap) < 0) {
        fprintf(stderr, "gcprof%s%s: out of memory\n", cmd ? " " : "", cmd ? cmd : "");
        return;
    }
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    fprintf(stderr, "gcprof%s%s: %s%s%s%s\n", cmd ? " " : "", cmd ? cmd : "", msg, hint ? " (" : "",
            hint ? hint : "", hint ? ")" : "");
    free(msg);
}

void tool_say(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, NULL, fmt, ap);
    va_end(ap);
}

int tool_usage_error(const char *cmd, const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, hint, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_USAGE;
}

int tool_stdout_done(const char *cmd)
{
    if (gcp__flushed(stdout))
        return TOOL_EXIT_OK;
    tool_say(cmd, "cannot write standard output: %s", strerror(errno ? errno : EIO));
    return TOOL_EXIT_FAIL;
}

/* ---- the command ------------------------------------------------------- */

static void usage(void)
{
    fputs("Usage: gcprof COMMAND [ARGS...]\n"
          "       gcprof --help | --version\n"
          "\n"
          "Memory over time for programs that use bdwgc, the Boehm collector.\n"
          "Recordings are mprof .dat files (or JSON lines), readable by mprof;\n"
          "heap profiles are pprof's format, gcprof's own or any producer's.\n"
          "\n"
          "Commands:\n",
          stdout);
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-9s %s\n", commands[i].name, commands[i].what);
    fputs("\n'gcprof COMMAND --help' describes each one.\n"
          "\n"
          "Exit status:\n"
          "  0    success\n"
          "  1    peak, summary, plot, heap, massif: a FILE cannot be read or is not\n"
          "       a recording (heap: or has no breakdown; massif: or no heap\n"
          "       samples), or the output cannot be written;\n"
          "       top, flame, diff: the same for heap profiles; pprof: the\n"
          "       same for a raw heap dump; tune: every run of PROGRAM failed, or an\n"
          "       output cannot be written\n"
          "  2    bad arguments: unknown command or option, missing or bad value\n"
          "  run and heap -- PROGRAM exit with PROGRAM's status (128+N when signal N\n"
          "  killed it; heap: 1 for 0 when no breakdown could be shown), or,\n"
          "  as timeout(1) and env(1) do:\n"
          "  125  gcprof run or heap -- PROGRAM failed: the recording cannot be written\n"
          "       (run: or bad arguments)\n"
          "  126  run, heap, tune: PROGRAM was found but cannot be executed\n"
          "  127  run, heap, tune: PROGRAM was not found\n"
          "  tune, stopped by signal N, writes its report, then ends by N (a shell's\n"
          "       128+N: 130 for SIGINT)\n"
          "\n"
          "Errors are one line on stderr: 'gcprof COMMAND: what is wrong'.\n"
          "Output files are written beside the target and renamed over it: never\n"
          "half-written, never written through a symlink, mode 0644 & ~umask.\n",
          stdout);
}

static int no_command(const char *name)
{
    if (!name)
        tool_say(NULL, "no command given: want run, peak, summary, massif, plot, heap, top, "
                       "flame, diff, pprof or tune (see gcprof --help)");
    else
        tool_say(NULL,
                 "unknown command '%s': want run, peak, summary, massif, plot, heap, top, flame, "
                 "diff, pprof or tune (see gcprof --help)",
                 name);
    return TOOL_EXIT_USAGE;
}

/* Options end at the command: what follows is the command's. */
int main(int argc, char **argv)
{
    int help = 0, version = 0, n;
    tool_opt table[] = {
        TOOL_OPT_STOP("--help", 'h', &help),
        TOOL_OPT_STOP("--version", 'V', &version),
        TOOL_OPT_END,
    };
    tool_opts how = {NULL, "see gcprof --help", table, 1, NULL};
    int r = tool_opts_parse(&how, argc, argv, &n);

    if (r == TOOL_OPTS_ERROR)
        return TOOL_EXIT_USAGE;
    if (help || (n > 0 && strcmp(argv[1], "help") == 0)) {
        usage();
        return tool_stdout_done(NULL);
    }
    if (version) {
        printf("gcprof %s\n", PACKAGE_VERSION);
        return tool_stdout_done(NULL);
    }
    if (n == 0)
        return no_command(NULL);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(n, argv + 1);
    return no_command(argv[1]);
}
