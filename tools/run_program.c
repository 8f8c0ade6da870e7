/*
 * run_program.c - running a program into a recording (run_program.h).
 *
 * gcprof samples the program's RSS from outside (/proc/PID/statm); the
 * preload library (preload.c) sends collections, heap samples and
 * breakdowns from inside, as whole lines on a pipe. Both go into a
 * temporary file beside FILE, renamed to FILE when the program ends, so a
 * file under its final name is complete (commands.h: tool_out). The
 * program is exec'd directly, never through a shell (run_child.c).
 */
#define _GNU_SOURCE
#include "run_program.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "run_child.h"
#include "run_dir.h"
#include "run_output.h"
#include "run_record.h"

void tool_run_choose_format(tool_run_opts *o)
{
    size_t n = o->output ? strlen(o->output) : 0;

    if (!o->format_set && n > 6 && strcmp(o->output + n - 6, ".jsonl") == 0)
        o->format = GCP_TL_JSONL;
}

/* mprof's default name, in the current directory. */
static char *default_output(gcp_tl_format f)
{
    char name[64];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(name, sizeof name, "mprofile_%Y%m%d%H%M%S", &tm);
    strcat(name, f == GCP_TL_JSONL ? ".jsonl" : ".dat");
    return strdup(name);
}

static char *join_args(char **argv)
{
    size_t n = 1;

    for (char **a = argv; *a; a++)
        n += strlen(*a) + 1;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    for (char **a = argv; *a; a++)
        p += sprintf(p, "%s%s", a == argv ? "" : " ", *a);
    *p = '\0';
    return s;
}

/* The user's GCPROF_TRACE_FILE (doc/environment.md), or NULL: stderr. */
static const char *trace_file(void)
{
    const char *path = getenv("GCPROF_TRACE_FILE");

    return path && *path ? path : NULL;
}

/* The trace file the preload appends to, in every image and followed
 * child: emptied once here. Like a shell's 2>: links are followed. */
static void empty_trace_file(const tool_run_opts *o)
{
    const char *path = trace_file();

    if (!o->trace || !path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd); /* else the preload says it cannot write there */
}

/* The heap profiles, after the program: said, and whether all were
 * written. */
static int finish_heap(tool_run_opts *o, const char *preload)
{
    tool_heap *h = &o->heap_profile;
    int n = tool_heap_finish(h);

    if (n == 0) /* each profile written was said */
        tool_say("run", "no heap profile: %s",
                 !preload ? "no preload library"
                          : "no allocation through a dynamically linked libgc was seen (a "
                            "statically linked one cannot be seen from outside; without -f, "
                            "the processes the program starts are not sampled)");
    free((char *)h->output);
    return n >= 0;
}

/* Before the program ran, or when it could not: nothing is left. */
static int give_up(tool_run_output *out, tool_metrics *metrics, tool_run_dir *dir, int status)
{
    tool_metrics_finish(metrics);
    tool_out_discard(&out->file);
    if (dir)
        tool_run_dir_remove(dir);
    return status;
}

/* The private directory (--heap-profile, --breakdown) and the heap
 * profile's output, in co. 0, or -1 (said). */
static int prepare_dir(tool_run_opts *o, tool_run_output *out, tool_run_dir *dir,
                       tool_child_opts *co)
{
    if (!o->heap && !o->breakdown)
        return 0;
    if (tool_run_dir_make(dir, o->cmd) != 0)
        return -1;
    co->heap_dir = dir->path;
    co->breakdown = o->breakdown;
    if (!o->heap)
        return 0;
    if (tool_heap_prepare(&o->heap_profile, o->heap_output, out->file.path, dir->path) != 0)
        return -1;
    co->heap_rate = o->heap_profile.rate;
    co->heap_every = o->heap_profile.every;
    return 0;
}

/* Runs the program into an open output; returns the exit status. */
static int run(tool_run_opts *o, tool_run_output *out)
{
    char preload_buf[PATH_MAX];
    const char *preload = tool_child_find_preload(preload_buf, o->heap, o->cmd);
    tool_child_opts co = {.preload = preload,
                          .format = o->format == GCP_TL_JSONL ? "jsonl" : "dat",
                          .interval = o->interval,
                          .trace = o->trace,
                          .follow = o->follow,
                          .live = !o->no_live,
                          .trace_file = trace_file()};
    tool_child child;
    tool_run_dir dir;
    double start = gcp__tl_now();
    tool_metrics *metrics = NULL;

    memset(&dir, 0, sizeof dir);
    o->metrics.format = o->format;
    o->metrics.heap = o->heap ? &o->heap_profile : NULL;
    if ((o->metrics.addr || o->metrics.file) && !(metrics = tool_metrics_start(&o->metrics)))
        return give_up(out, NULL, NULL, TOOL_EXIT_RUN_FAILED); /* the program never ran */
    if (prepare_dir(o, out, &dir, &co) != 0)
        return give_up(out, metrics, &dir, TOOL_EXIT_RUN_FAILED);
    empty_trace_file(o);
    int r = tool_child_start(&child, o->argv, &co);
    tool_run_result res = {0};

    if (r != 0) {
        int code = tool_child_start_failed(o->cmd, o->argv[0], r);
        if (o->heap)
            free((char *)o->heap_profile.output);
        return give_up(out, metrics, &dir, code < 0 ? TOOL_EXIT_RUN_FAILED : code);
    }
    char *cmdline = join_args(o->argv);
    gcp__tl_meta(out->file.fp, out->format, cmdline, (long)child.pid, start, o->interval);
    free(cmdline);
    if (o->heap)
        tool_heap_watch(&o->heap_profile, (long)child.pid);
    if (dir.path[0])
        tool_run_dir_watch(&dir, o->heap ? tool_heap_tick : NULL, &o->heap_profile);
    if (metrics)
        tool_metrics_follow(metrics, (long)child.pid);
    out->metrics = metrics;
    tool_run_record(&child, out, o->interval, o->follow, &res);
    out->metrics = NULL;
    int metrics_ok = tool_metrics_finish(metrics) == 0; /* after the last record */
    int code = tool_child_exit_code(res.wstatus);
    int written = tool_run_output_finish(out, o->output != NULL, (long)child.pid, &res) == 0;
    if (written && o->report)
        tool_run_report(out, o->argv[0], o->follow, preload, res.wstatus);
    tool_run_dir_stop(&dir);
    if (o->heap && !finish_heap(o, preload))
        written = 0;
    tool_run_dir_remove(&dir);
    if (!metrics_ok)
        written = 0;
    o->final = out->final;
    /* the recording is what was asked for: without it, gcprof failed */
    return written ? code : TOOL_EXIT_RUN_FAILED;
}

int tool_run_program(tool_run_opts *o)
{
    tool_run_output out;

    o->final = NULL;
    tool_run_choose_format(o);
    char *path = o->output ? strdup(o->output) : default_output(o->format);
    if (!path) {
        tool_say(o->cmd, "out of memory");
        return TOOL_EXIT_RUN_FAILED;
    }
    if (tool_run_output_open(&out, o->cmd, path, o->format) != 0) {
        free(path);
        return TOOL_EXIT_RUN_FAILED;
    }
    int code = run(o, &out);
    free(path);
    return code;
}
