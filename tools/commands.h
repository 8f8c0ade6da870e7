/*
 * commands.h - the gcprof command's subcommands, and what they share
 * (gcprof.c): the exit statuses, the one-line messages, the output files.
 * Each subcommand takes the arguments after "gcprof" (argv[0] is its name)
 * and returns the exit status. Errors are one line on stderr,
 * "gcprof <cmd>: <what>", naming the option and the value at fault.
 *
 * Names: what the command's files (tools/, but for the preload library's
 * preload*) share starts with tool_ (TOOL_ for macros), apart from the
 * library's gcp_/gcp__ and the preload library's preload_.
 */
#ifndef TOOL_COMMANDS_H
#define TOOL_COMMANDS_H

#include <stdarg.h>
#include <stdio.h>

int tool_cmd_run(int argc, char **argv);     /* cmd_run.c */
int tool_cmd_peak(int argc, char **argv);    /* cmd_report.c */
int tool_cmd_summary(int argc, char **argv); /* cmd_report.c */
int tool_cmd_plot(int argc, char **argv);    /* plot.c */
int tool_cmd_heap(int argc, char **argv);    /* cmd_heap.c */
int tool_cmd_top(int argc, char **argv);     /* cmd_top.c */
int tool_cmd_flame(int argc, char **argv);   /* cmd_flame.c */
int tool_cmd_diff(int argc, char **argv);    /* cmd_diff.c */
int tool_cmd_pprof(int argc, char **argv);   /* cmd_pprof.c */
int tool_cmd_tune(int argc, char **argv);    /* cmd_tune.c */
int tool_cmd_massif(int argc, char **argv);  /* cmd_massif.c */

/* ---- exit statuses (listed by gcprof --help) ---------------------------
 * `run` passes its program's status on, 128+N for signal N, so its own
 * failures use the statuses of timeout(1) and env(1), which programs
 * rarely return: 125, 126, 127. */
enum {
    TOOL_EXIT_OK = 0,
    TOOL_EXIT_FAIL = 1,          /* peak ... pprof: unreadable input, unwritable output */
    TOOL_EXIT_USAGE = 2,         /* bad arguments (gcprof, peak ... pprof) */
    TOOL_EXIT_RUN_FAILED = 125,  /* run: bad arguments, the recording cannot be written */
    TOOL_EXIT_CANNOT_EXEC = 126, /* run: the program was found but cannot be executed */
    TOOL_EXIT_NOT_FOUND = 127,   /* run: no such program */
};

/* ---- messages ---------------------------------------------------------- */

/* "gcprof CMD: <formatted>\n" on stderr (CMD NULL: "gcprof: "), with control
 * characters shown as '?': a value with a newline stays on one line. */
void tool_say(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same, ending in " (HINT)" unless hint is NULL. */
void tool_vsay(const char *cmd, const char *hint, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The same with HINT, returning TOOL_EXIT_USAGE: a bad argument. */
int tool_usage_error(const char *cmd, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Flushes standard output: 0, or TOOL_EXIT_FAIL after saying why. */
int tool_stdout_done(const char *cmd);

/* ---- output files -------------------------------------------------------
 * Written to a new file beside the target, PATH.tmp.XXXXXX (its last
 * component cut to fit NAME_MAX when PATH's is long), created with
 * O_CREAT|O_EXCL|O_NOFOLLOW and mode 0644 & ~umask, then renamed over PATH.
 * So PATH is whole or untouched, a symlink planted at PATH is replaced and
 * never written through, and no file is group- or world-writable. A PATH
 * that is a directory, a device, a FIFO, or a link to one of those or into
 * /proc (/dev/stdout) is refused: the rename would replace it.
 * SIGINT, SIGTERM and SIGHUP (unless ignored or caught when the file is
 * opened) remove the temporary file before they end gcprof.
 * Once a write fails (a full disk), the file keeps what was written before
 * and later writes are dropped: it never gets a hole or a later line after
 * a cut one. */
typedef struct tool_out tool_out;
struct tool_out {
    const char *path; /* the target, not owned */
    char *tmp;        /* the file being written */
    FILE *fp;
    int write_err;    /* read-only: the errno of the first failed write, or 0 */
    /* Set by the caller if it wants to hear of the first failed write at
     * once (called from inside a write to fp, once). */
    void (*on_write_error)(tool_out *o, int err);
    int fd; /* private */
};

/* Creates the temporary file. Returns NULL, or why PATH cannot be written
 * (a static string; nothing is left behind). */
const char *tool_out_open(tool_out *o, const char *path);

/* Closes the file and renames it to PATH. Returns NULL, or why it failed
 * (the temporary file is removed, PATH left as it was). A failed write is
 * a failure, unless keep_cut: then what was written before it is renamed
 * to PATH all the same (readers take such a file as cut short), and NULL
 * returned; write_err says so. */
const char *tool_out_commit(tool_out *o);
const char *tool_out_commit_cut(tool_out *o, int keep_cut);

/* As tool_out_commit_cut, but never replaces a file: when PATH exists,
 * the first free PATH-2, PATH-3, ... (numbered before the extension) is
 * taken. *final: the name used (malloc'd), or NULL. When the file was
 * written but could not be given a name, it is kept: the error is returned
 * and *final is the temporary file's name. */
const char *tool_out_commit_new(tool_out *o, int keep_cut, char **final);

/* Closes and removes the temporary file; PATH is left as it was. */
void tool_out_discard(tool_out *o);

/* PATH written whole by write(fp, arg) (which returns 0, or -1: out of
 * memory), or standard output for "-". Returns TOOL_EXIT_OK, or
 * TOOL_EXIT_FAIL after saying why ("gcprof CMD: cannot write PATH: ..."). */
int tool_out_write(const char *cmd, const char *path, int (*write)(FILE *fp, const void *arg),
                   const void *arg);

/* 1 if a and b name one existing file (an output that would replace its
 * own input). */
int tool_out_same(const char *a, const char *b);

/* 1 if writing a and writing b would write one file: the same name, one
 * existing file (tool_out_same), or one name in one directory reached by
 * two paths (./x and x, a symlinked directory) though neither exists yet. */
int tool_out_same_target(const char *a, const char *b);

#endif
