/*
 * run_child.h - starting the program for `gcprof run` and `gcprof tune`
 * and watching it: the environment that turns the preload library on, the
 * pipe it writes to, exec failures reported back, signals forwarded (run)
 * or taken as a request to stop (tune), the exit status and the rusage.
 */
#ifndef TOOL_RUN_CHILD_H
#define TOOL_RUN_CHILD_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

typedef struct tool_child_opts {
    const char *preload;    /* the preload library, or NULL for RSS only */
    const char *format;     /* "dat" or "jsonl" */
    double interval;        /* seconds */
    int trace;              /* --trace */
    int follow;             /* -f: children record too */
    int live;               /* measure live bytes after each collection */
    const char *trace_file; /* where trace lines go (GCPROF_TRACE_FILE), or NULL: stderr */
    uint64_t heap_rate;     /* --heap-profile: mean bytes between samples; 0: off */
    const char *heap_dir;   /* the private directory (run_dir.h), or NULL: none */
    double heap_every;      /* seconds between dumps; 0: at the end only */
    int breakdown;          /* --breakdown: at each process's exit and on request */
    /* The program's environment beyond the preload's: each "NAME=VALUE"
     * is set, each bare "NAME" unset; NULL-terminated, or NULL. */
    char *const *env;
    int null_stdin;  /* stdin from /dev/null */
    int null_output; /* stdout and stderr to /dev/null */
} tool_child_opts;

typedef struct tool_child {
    pid_t pid;
    int data_fd;               /* read end of the preload's pipe, non-blocking */
    sigset_t waiting;          /* the signal mask to wait with (SIGCHLD let in) */
    uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC: before the fork; when reaped */
    struct rusage usage;       /* wait4's, once reaped: it and the children it waited for */
    int stopped;               /* once reaped: stopped by tool_child_stop_on_signals' stop */
    int suspended;             /* tune: the job-control signal that stopped it, then killed */
} tool_child;

/* The preload library's real path in buf[PATH_MAX] (GCPROF_PRELOAD, else
 * the installed one; its -heap build for --heap-profile), or NULL, warned
 * as "gcprof CMD: warning: ...": then only RSS is recorded. */
const char *tool_child_find_preload(char *buf, int heap, const char *cmd);

/* Forks and execs argv[0] (searched in PATH) with argv, by execvp: no
 * shell, and the arguments reach the program exactly as given (only a file
 * without a #! line runs under /bin/sh, as POSIX's execvp does). Returns 0,
 * or the errno of what failed (-1 for fork or pipe, with errno set; exec
 * errors come back from the child through a close-on-exec pipe). */
int tool_child_start(tool_child *c, char **argv, const tool_child_opts *o);

/* What tool_child_start's non-zero result r means, said as "gcprof CMD:
 * cannot run 'PROGRAM': why": the exit status, as a shell's (127 not
 * found, 126 cannot be executed), or -1 when the failure was gcprof's (no
 * fork or pipe). */
int tool_child_start_failed(const char *cmd, const char *program, int r);

/* 1 once the program has exited (status in *wstatus, and the kernel's
 * peak RSS of it and the descendants it waited for, in bytes, in *maxrss;
 * c->end_ns and c->usage set), 0 while it runs. gcprof tune's program
 * (tool_child_stop_on_signals) is watched for job control's stops too:
 * one that is stopped (SIGTTOU, SIGTTIN, SIGTSTP, SIGSTOP) is killed with
 * its group (c->suspended says which); and once it has ended, SIGKILL
 * goes to what is left of its group, before it is reaped. */
int tool_child_done(tool_child *c, int *wstatus, uint64_t *maxrss);

/* Whether SIGINT, SIGTERM or SIGHUP came after the program had ended. */
int tool_child_stop_asked(void);

/* gcprof tune's way with SIGINT, SIGTERM and SIGHUP, from now on (those
 * ignored on entry stay ignored): none is forwarded; the first is kept
 * (tool_child_stop_signal) and the running program is stopped: SIGTERM to
 * its process group, SIGKILL TOOL_CHILD_GRACE seconds later if it still
 * runs (tool_child_done sends that). Programs that end by themselves have
 * what is left of their group killed too (tool_child_done), without
 * grace. Programs started from now on lead a process
 * group of their own. Call it before opening any output file, so that
 * out_file.c leaves the signals to it. */
#define TOOL_CHILD_GRACE 2.0
void tool_child_stop_on_signals(void);

/* The first signal since tool_child_stop_on_signals, or 0. */
int tool_child_stop_signal(void);

/* SIGUSR1 sent to gcprof asks for a heap profile now (not forwarded):
 * caught from here on; tool_child_dump_asked says, once, that it came. */
void tool_child_catch_dump_signal(void);
int tool_child_dump_asked(void);

/* Following (the subreaper of the program's descendants), after it ended:
 * reaps those that have ended; 1 while some still run. */
int tool_child_orphans(void);

/* The program's exit status as a shell reports it (128+N if signal N). */
int tool_child_exit_code(int wstatus);

#endif
