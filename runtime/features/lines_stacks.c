/*
 * lines_stacks.c - gcp_profile_lines_by_caller: the line table from a
 * heap profile at every allocation, taken around the closure, each
 * allocation charged to the line of the caller's file that its call stack
 * passes through, innermost first. So a helper's allocations (in another
 * file, a library, the runtime's containers) count at the caller's line
 * that called it, as memory_profiler charges a Python function's lines;
 * and the program's own GC_MALLOC calls count as gcp_alloc's do.
 *
 * The stacks are symbolised by the pprof module (DWARF lines, inlined
 * frames expanded), which must be there: GCP_ENOTFOUND otherwise.
 */
#include "gate.h"
#include "heap_profile.h"
#include "lines.h"

#include <string.h>

#define WHO "gcp_profile_lines_by_caller"

/* file names `want` as the compiler saw it (__FILE__: relative to where
 * it ran, maybe "../src/x.c") when DWARF's name is it or ends in it after
 * a '/' (DWARF's names are the compilation directory joined to it). */
static int same_file(const char *dwarf, const char *want)
{
    size_t a = strlen(dwarf), b = strlen(want);

    if (a == b)
        return strcmp(dwarf, want) == 0;
    return a > b && dwarf[a - b - 1] == '/' && strcmp(dwarf + a - b, want) == 0;
}

/* One stack's allocations on the line they are charged to: the innermost
 * frame in the caller's file, else the innermost with a line, else "(no
 * site)", looking no further than the gate. GCP_ENOMEM (said) stops the
 * walk. */
static int charge_stack(const gcp_pprof_module_sample *s, void *arg)
{
    gcp_line_report *lr = arg;
    const gcp_pprof_module_frame *at = NULL, *known = NULL;
    const char *file = GCP__UNKNOWN_SITE_FILE, *type = NULL;
    int line = 0;

    if (s->value[0] <= 0 && s->value[3] <= 0)
        return 0;
    for (size_t d = 0; d < s->depth && !at; d++) {
        const gcp_pprof_module_frame *f = &s->frames[d];
        if (gcp__gate_contains(f->address))
            break; /* the closure's stack ends here */
        if (!*f->file || f->line <= 0)
            continue;
        if (!known)
            known = f;
        if (same_file(f->file, lr->file))
            at = f;
    }
    if (at) {
        file = lr->file;
        line = (int)at->line;
    } else if (known) {
        file = known->file;
        line = (int)known->line;
    }
    if ((*s->type && !(type = gcp__lines_keep(lr, s->type))) ||
        gcp__lines_add(lr, file, line, type, (uint64_t)s->value[0], (uint64_t)s->value[1],
                       (uint64_t)(s->value[3] > 0 ? s->value[3] : 0)) != 0)
        return gcp__fail(GCP_ENOMEM, WHO ": no memory for the report");
    return 0;
}

/* The closure under the profile of every allocation the caller took;
 * its forced collection (or ours) is the sweep that "live after" reads. */
static int profile_sampled(const char *name, gcp_fn fn, void *env, const gcp_config *cfg,
                           gcp_report *out)
{
    /* Through the gate: frames beyond it are never charged (the
     * profiler's, and the code that asked for the table, which is in the
     * caller's file too). */
    gcp__gated g = {fn, env};
    int rc = gcp_profile(name, gcp__gate_run, &g, cfg, out);
    if (rc == 0)
        gcp__lines_collected(out);
    return rc;
}

int gcp_profile_lines_by_caller(const char *name, gcp_fn fn, void *env, const gcp_config *cfg,
                                const char *file, gcp_report *out, gcp_line_report **lines)
{
    if (!lines || !file || !out || !fn)
        return gcp__fail(GCP_EINVAL, WHO ": %s is NULL",
                         !lines  ? "lines"
                         : !file ? "file"
                         : !out  ? "out"
                                 : "fn");
    *lines = NULL;
    int rc = gcp__heap_profile_own(WHO); /* refused in the hook, like the rest */
    if (rc != 0)
        return rc; /* nothing taken, nothing to give back */
    rc = profile_sampled(name, fn, env, cfg, out);
    gcp_line_report *lr = rc == 0 ? gcp__lines_new(name, file) : NULL;
    if (rc == 0 && !lr)
        rc = gcp__fail(GCP_ENOMEM, WHO ": no memory for the report");
    /* Every path gives the profile back; only a good one reads it. */
    int taken = gcp__heap_profile_release(WHO, rc == 0 ? charge_stack : NULL, lr);
    if (rc == 0)
        rc = taken;
    if (rc == 0 && gcp__lines_finish(lr, out) != 0)
        rc = gcp__fail(GCP_ENOMEM, WHO ": no memory for the report");
    if (rc != 0) {
        gcp_line_report_free(lr);
        return rc;
    }
    *lines = lr;
    return 0;
}
