/*
 * monitor_env.c - the monitor asked for by the environment:
 * GCPROF_MONITOR_OUT, _INTERVAL, _FORMAT, GCPROF_TRACE, GCPROF_TRACE_FILE.
 *
 * Children inherit the environment, so several processes may be told to
 * write the same file. The first process to start a monitor from it sets
 * GCPROF_MONITOR_PID to its pid; a process that finds another pid there
 * writes FILE with its own pid before the extension (run.dat ->
 * run.4242.dat), so no two processes write, or replace, one file.
 * Nothing is read in a secure-execution process (env.c). A bad value
 * here, at gcp_init, is a warning naming the variable: no caller could see
 * a return code, and the monitor and the trace stay off.
 */
#include "start.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "safe_file.h"

/* ---- whose file ------------------------------------------------------- */

/* 1 when the variables were meant for this process: GCPROF_MONITOR_PID
 * is unset (then it becomes ours, for the children to see) or our pid. */
static int meant_for_us(void)
{
    double pid;
    char me[24];
    int rc = gcp__env_number("GCPROF_MONITOR_PID", &pid);

    if (rc < 0) { /* whose it is cannot be told: not ours, so no file is shared */
        gcp__log(GCP_LOG_WARN, "%s; this process writes files of its own", gcp_last_error());
        return 0;
    }
    if (rc > 0)
        return pid == (double)getpid();
    snprintf(me, sizeof me, "%ld", (long)getpid());
    setenv("GCPROF_MONITOR_PID", me, 1);
    return 1;
}

/* path with ".PID" before the extension of its last component (malloc'd):
 * run.dat -> run.4242.dat, trace -> trace.4242, .hidden -> .hidden.4242. */
static char *per_process(const char *path)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot > base ? (size_t)(dot - path) : strlen(path);
    size_t size = strlen(path) + 24;
    char *s = malloc(size);

    if (s)
        snprintf(s, size, "%.*s.%ld%s", (int)stem, path, (long)getpid(), path + stem);
    return s;
}

static char *own_name(const char *path, int ours)
{
    return ours ? strdup(path) : per_process(path);
}

/* ---- the trace stream and the start ------------------------------------ */

static gcp__file trace_file; /* the stream GCPROF_TRACE_FILE opened, if any */

/* GCPROF_TRACE_FILE, opened safely; NULL (stderr) when unset or refused. */
static FILE *open_trace(int ours)
{
    const char *v = gcp__env_text("GCPROF_TRACE_FILE"), *why;
    int owned;
    FILE *fp;

    if (!v)
        return NULL;
    int shared = !strcmp(v, "/dev/stderr") || !strcmp(v, "/dev/stdout");
    char *name = shared ? strdup(v) : own_name(v, ours);
    if (!name) {
        gcp__log(GCP_LOG_ERROR, "GCPROF_TRACE_FILE: out of memory");
        return NULL;
    }
    fp = gcp__stream_open(&trace_file, name, &owned, &why);
    if (!fp)
        gcp__log(GCP_LOG_ERROR, "GCPROF_TRACE_FILE: cannot write '%s': %s; tracing to stderr",
                 name, why);
    free(name);
    return fp;
}

static void stop_at_exit(void)
{
    if (gcp_monitor_running())
        gcp_monitor_stop(); /* in a forked child: not running, a no-op */
    if (trace_file.fp)
        gcp__file_commit(&trace_file); /* flushed and closed; renamed at open */
}

void gcp__monitor_from_env(void)
{
    gcp_monitor_options o;
    char *path = NULL;
    int trace;

    /* set, even to a bad value: read again below, and reported */
    if (!gcp__env_text("GCPROF_MONITOR_OUT") && gcp__env_bool("GCPROF_TRACE", &trace) == 0)
        return;
    if (gcp_monitor_options_init_env(&o) < 0) { /* no caller to tell: warn */
        gcp__log(GCP_LOG_WARN, "%s; no monitor or trace from the environment",
                 gcp_last_error());
        return;
    }
    if (!o.path && !o.trace)
        return;
    int ours = meant_for_us();
    if (o.path && !(o.path = path = own_name(o.path, ours))) {
        gcp__log(GCP_LOG_ERROR, "GCPROF_MONITOR_OUT: out of memory");
        return;
    }
    if (o.trace)
        o.trace_fp = open_trace(ours);
    if (gcp_monitor_start(&o) == 0)
        atexit(stop_at_exit);
    else if (trace_file.fp)
        gcp__file_commit(&trace_file);
    free(path); /* the monitor keeps its own copy */
}
