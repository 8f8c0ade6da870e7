/*
 * gcprof.c - the gcprof command: runs a program and records its memory
 * (run), and reads the recordings back (peak, summary, plot).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "commands.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} command;

static const command commands[] = {
    {"run", gcprof_cmd_run, "run a program and record its memory over time"},
    {"peak", gcprof_cmd_peak, "print the peak memory of a recording"},
    {"summary", gcprof_cmd_summary, "summarise a recording: memory, collections, pauses"},
    {"plot", gcprof_cmd_plot, "plot a recording"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *fp)
{
    fputs("Usage: gcprof COMMAND [ARGS...]\n"
          "       gcprof --help | --version\n"
          "\n"
          "Memory over time for programs that use bdwgc, the Boehm collector.\n"
          "Recordings are mprof .dat files (or JSON lines), readable by mprof.\n"
          "\n"
          "Commands:\n",
          fp);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].what);
    fputs("\n'gcprof COMMAND --help' describes each one.\n", fp);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("gcprof %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gcprof: unknown command '%s' (see gcprof --help)\n", name);
    return 2;
}
