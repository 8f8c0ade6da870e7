/*
 * tune_run.c - one run of the program for `gcprof tune`: started as
 * `gcprof run` starts it (run_child.c: no shell, the preload library, a
 * process group of its own), recorded by `gcprof run`'s loop into a
 * temporary file, which the summary's code (summary.c) reads back for the
 * collections and their time; wall time, CPU time and peak RSS come from
 * gcprof's own clock and wait4's rusage.
 */
#define _GNU_SOURCE
#include "tune.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "run_child.h"
#include "run_dir.h"
#include "run_output.h"
#include "run_record.h"
#include "summary.h"
#include "timeline_read.h"
#include "units.h"

/* Seconds between RSS samples and heap samples: nothing tune reports
 * comes from them (peak RSS is the kernel's), so few. */
#define TUNE_INTERVAL 0.05

int tool_tune_session_open(tool_tune_session *s, char **argv, int show_output)
{
    memset(s, 0, sizeof *s);
    s->argv = argv;
    s->show_output = show_output;
    s->tty = isatty(STDERR_FILENO);
    if (tool_tmp_dir(s->dir, sizeof s->dir, "gcprof-tune") != 0) {
        tool_say("tune", "cannot make a temporary directory for the recordings: %s",
                 strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s/run.dat", s->dir);
    s->preload = tool_child_find_preload(s->preload_buf, 0, "tune");
    return 0;
}

void tool_tune_session_close(tool_tune_session *s)
{
    tool_tmp_dir_remove(s->dir); /* tool_out removed its temporary files */
    s->dir[0] = s->path[0] = '\0';
}

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The collections and their time, from the recording (summary.c). */
static void collector_figures(const tool_tune_session *s, tool_tune_run *r)
{
    tool_tl tl;
    tool_summary sm;
    char err[512];

    if (tool_tl_read(s->path, &tl, err, sizeof err) < 0) {
        tool_say("tune", "run %d: %s", r->seq, err);
        tool_tl_free(&tl);
        return;
    }
    if (tool_summary_make(&tl, &sm) == 0 && sm.has_gc_count) {
        /* the count is the heap process's (the program, or what it
         * execs): so are the records held against it, and their time */
        size_t n = 0;
        double t = 0;
        for (size_t i = 0; i < tl.ngcs; i++) {
            const gcp_tl_gc *g = &tl.gcs[i];
            if (tool_tl_pid_of(&tl, g->pid) != sm.heap_pid)
                continue;
            n++;
            t += g->total > g->pause ? g->total : g->pause; /* as summary.c adds them */
        }
        r->has_gcs = 1;
        r->gcs = sm.gc_count;
        /* incremental collections send no events: their time is unknown */
        r->has_gc_time = n >= sm.gc_count;
        r->gc_time = t;
    }
    tool_summary_free(&sm);
    tool_tl_free(&tl);
}

/* The recording, or, when it cannot be made, a stream to /dev/null in its
 * place: the run goes on without its collector figures. 0, or -1 (said). */
static int recording_open(tool_tune_session *s, tool_run_output *out, int *recorded)
{
    *recorded = tool_run_output_open(out, "tune", s->path, GCP_TL_DAT) == 0;
    if (*recorded)
        return 0;
    memset(out, 0, sizeof *out);
    out->cmd = "tune";
    out->format = GCP_TL_DAT;
    out->file.fd = -1;
    if ((out->file.fp = fopen("/dev/null", "we")) == NULL) {
        tool_say("tune", "cannot open /dev/null: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int tool_tune_run_one(tool_tune_session *s, const tool_tune_config *c, tool_tune_run *r)
{
    tool_child_opts co = {.preload = s->preload,
                          .format = "dat",
                          .interval = TUNE_INTERVAL,
                          .live = 0, /* live bytes: a walk of the mark bits tune needs not */
                          .env = c->env,
                          .null_stdin = 1,
                          .null_output = !s->show_output};
    tool_run_output out;
    tool_run_result res = {0};
    tool_child child;
    int recorded;

    if (recording_open(s, &out, &recorded) != 0)
        return TOOL_EXIT_FAIL;
    int rc = tool_child_start(&child, s->argv, &co);
    if (rc != 0) {
        if (recorded)
            tool_out_discard(&out.file);
        else
            fclose(out.file.fp);
        rc = tool_child_start_failed("tune", s->argv[0], rc);
        return rc < 0 ? TOOL_EXIT_FAIL : rc;
    }
    if (s->progress[0])
        fprintf(stderr, "%s%s%s", s->tty ? "\r" : "", s->progress, s->tty ? "\033[K" : "\n");
    tool_run_record(&child, &out, TUNE_INTERVAL, 0, &res);
    if (s->progress[0] && s->tty) /* messages from here on get lines of their own */
        fputs("\r\033[K", stderr);
    if (recorded)
        recorded = tool_run_output_finish(&out, 1, (long)child.pid, &res) == 0;
    else
        fclose(out.file.fp);
    free(out.final);
    r->wstatus = res.wstatus;
    r->wall = (double)(child.end_ns - child.start_ns) / 1e9;
    r->cpu = seconds(child.usage.ru_utime) + seconds(child.usage.ru_stime);
    r->rss = (double)res.maxrss / GCP__MIB_F;
    if (child.stopped) /* cut short by a signal to gcprof: no figure of the program's */
        r->state = TOOL_TUNE_STOPPED;
    else if (WIFEXITED(res.wstatus) && WEXITSTATUS(res.wstatus) == 0 && !child.suspended)
        r->state = TOOL_TUNE_OK;
    else
        r->state = TOOL_TUNE_FAILED;
    if (child.suspended)
        tool_say("tune",
                 "run %d: '%s' was stopped by SIG%s (job control: a background process group "
                 "that read or set the terminal?), and killed: a failed run",
                 r->seq, s->argv[0], sigabbrev_np(child.suspended));
    if (recorded) {
        collector_figures(s, r);
    } else {
        r->unrecorded = 1; /* said */
        if (s->preload)
            tool_say("tune", "run %d: no recording: its collections and GC time are unknown",
                     r->seq);
    }
    unlink(s->path);
    return 0;
}
