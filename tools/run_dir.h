/*
 * run_dir.h - gcprof run's private directory, GCPROF_PRELOAD_HEAP_DIR
 * (run_dir.c): made mode 0700 before the program starts, for
 * --heap-profile (the preload writes its heap dumps there) and --breakdown.
 * The preload watches the file "request" in it: gcprof, sent SIGUSR1,
 * replaces that file, and every recorded process then writes a heap dump
 * and takes a breakdown (whichever of the two it was asked for).
 *
 * While the program runs, a thread passes SIGUSR1 on, every 0.1 s, then
 * calls the caller's tick (--heap-profile converts the dumps that
 * changed).
 */
#ifndef TOOL_RUN_DIR_H
#define TOOL_RUN_DIR_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>

typedef struct tool_run_dir {
    char path[PATH_MAX]; /* $TMPDIR/gcprof-heap.XXXXXX (else /tmp/...) */
    void (*tick)(void *arg);
    void *arg;
    pthread_t watcher;
    int watching;
    pthread_mutex_t lock; /* guards stop */
    pthread_cond_t wake;
    int stop;
} tool_run_dir;

/* A new directory, $TMPDIR/STEM.XXXXXX (else under /tmp), mode 0700, its
 * name in buf. 0, or -1 (errno). */
int tool_tmp_dir(char *buf, size_t size, const char *stem);

/* Removes the directory at path and the files in it (path "": none). */
void tool_tmp_dir_remove(const char *path);

/* Makes the directory; from then on SIGUSR1 to gcprof is caught as a
 * request (run_child.h). 0, or -1 (said: "gcprof CMD: ..."). */
int tool_run_dir_make(tool_run_dir *d, const char *cmd);

/* Once the program runs: a thread passes requests on, then calls
 * tick(arg) (NULL: none), every 0.1 s. */
void tool_run_dir_watch(tool_run_dir *d, void (*tick)(void *arg), void *arg);

/* Stops the thread (a tick under way ends first). */
void tool_run_dir_stop(tool_run_dir *d);

/* Removes the directory and what is left in it. */
void tool_run_dir_remove(tool_run_dir *d);

#endif
