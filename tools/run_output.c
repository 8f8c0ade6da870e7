/*
 * run_output.c - gcprof run's recording file (run_output.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "commands.h"
#include "run_child.h"
#include "run_output.h"
#include "timeline.h"

/* A full disk midway: said at once; the program goes on, and what was
 * written before is kept (a file cut short is still readable). */
static void write_failed(tool_out *o, int err)
{
    const tool_run_output *out = (const tool_run_output *)o; /* its first member */

    tool_say(out->cmd,
             "cannot write '%s': %s; keeping what was written so far, the program "
             "goes on unrecorded",
             o->path, strerror(err));
}

/* The temporary file, created now so that an unwritable place fails
 * before the program runs. */
int tool_run_output_open(tool_run_output *out, const char *cmd, const char *path, gcp_tl_format f)
{
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    out->format = f;
    const char *why = tool_out_open(&out->file, path);
    if (why)
        tool_say(cmd, "cannot write '%s': %s", path, why);
    else
        out->file.on_write_error = write_failed;
    return why ? -1 : 0;
}

/* How the program ended, a sample if none could be taken, the end mark;
 * then the file takes its name. */
int tool_run_output_finish(tool_run_output *out, int named, long pid,
                           const tool_run_result *res)
{
    gcp_tl_status st = {.t = res->end, .pid = pid, .maxrss = res->maxrss};

    if (WIFSIGNALED(res->wstatus)) {
        st.signaled = 1;
        st.code = WTERMSIG(res->wstatus);
        st.core = WCOREDUMP(res->wstatus) != 0;
    } else {
        st.code = WIFEXITED(res->wstatus) ? WEXITSTATUS(res->wstatus) : 0;
    }
    gcp__tl_status(out->file.fp, out->format, &st);
    if (out->rss_samples == 0 && res->maxrss > 0) {
        /* It ended before the first sample: its one RSS figure is the
         * kernel's peak, at its end, so every reader (mprof too) has one. */
        gcp_tl_sample s = {.t = res->end, .has_rss = 1, .rss = res->maxrss};
        gcp__tl_sample(out->file.fp, out->format, &s);
        out->rss_samples++;
    }
    gcp__tl_end(out->file.fp, out->format, gcp__tl_now());
    const char *path = out->file.path, *why;
    char *final = NULL;
    if (named)
        why = tool_out_commit_cut(&out->file, 1);
    else
        why = tool_out_commit_new(&out->file, 1, &final);
    int write_err = out->file.write_err; /* the last flush may be the one that failed */
    if (why && final) /* written, but not under its name */
        tool_say(out->cmd,
                 "cannot name the recording '%s': %s; it is in '%s' (the program's "
                 "exit status was %d)",
                 path, why, final, tool_child_exit_code(res->wstatus));
    else if (why)
        tool_say(out->cmd, "cannot write '%s': %s (the program's exit status was %d)", path, why,
                 tool_child_exit_code(res->wstatus));
    else if (write_err) /* kept, but cut short: not the recording asked for */
        tool_say(out->cmd,
                 "the recording in '%s' is cut short: %s (the program's exit status "
                 "was %d)",
                 final ? final : path, strerror(write_err), tool_child_exit_code(res->wstatus));
    out->final = final ? final : why ? NULL : strdup(path);
    return why || write_err ? -1 : 0;
}

/* What the file says beyond its counts: what was not recorded, and why. */
static void report_gaps(const tool_run_output *out, const char *program, int follow)
{
    if (out->lost)
        tool_say(out->cmd,
                 "note: the collector's records stop early: %s closed or replaced "
                 "the descriptor they came through (GCPROF_LOST in the file)",
                 program);
    if (out->children && !follow)
        tool_say(out->cmd, "note: %lu process%s %s started %s not followed (-f follows them)",
                 out->children, out->children == 1 ? "" : "es", program,
                 out->children == 1 ? "was" : "were");
}

void tool_run_report(const tool_run_output *out, const char *program, int follow,
                     const char *preload, int wstatus)
{
    const char *path = out->final ? out->final : out->file.path;
    const char *s = out->rss_samples == 1 ? "" : "s";
    unsigned long n = out->rss_samples, gcs = out->collections;

    if ((gcs || out->heap_samples) && out->breakdowns)
        tool_say(out->cmd, "wrote %s (%lu sample%s, %lu collection%s, %lu breakdown%s)", path, n,
                 s, gcs, gcs == 1 ? "" : "s", out->breakdowns, out->breakdowns == 1 ? "" : "s");
    else if (gcs || out->heap_samples)
        tool_say(out->cmd, "wrote %s (%lu sample%s, %lu collection%s)", path, n, s, gcs,
                 gcs == 1 ? "" : "s");
    else if (!preload)
        tool_say(out->cmd, "wrote %s (%lu sample%s, RSS only)", path, n, s);
    else if (tool_child_exit_code(wstatus) > 128) /* killed early: cannot tell */
        tool_say(out->cmd, "wrote %s (%lu sample%s, 0 collections)", path, n, s);
    else /* the preload found no GC_* symbols to hook */
        tool_say(out->cmd,
                 "wrote %s (%lu sample%s, RSS only: no dynamically linked libgc in %s; a "
                 "program with libgc linked in statically cannot be recorded from inside)",
                 path, n, s, program);
    report_gaps(out, program, follow);
}

