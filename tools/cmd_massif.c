/*
 * cmd_massif.c - `gcprof massif`: a recording's GC heap over time as
 * valgrind massif's output file (massif.out.PID), so that ms_print and
 * massif-visualizer show it as they show massif's own runs, without
 * valgrind's cost.
 *
 * One snapshot per GCPROF_HEAP sample of the chosen process (gcprof run
 * takes one every interval): useful-heap is what bdwgc has handed out
 * (the heap less its free bytes: live objects and garbage not yet
 * collected), extra-heap its free bytes still mapped, stacks 0 (massif
 * measures them only with --stacks=yes). Massif's snapshots come at
 * allocations; these at the sampling interval, so a peak between two
 * samples is not seen (`gcprof summary` has the collector's own peaks).
 * The snapshot with the most in all is the peak; it carries massif's tree,
 * one node without call stacks (those are in gcprof run --heap-profile's
 * pprof file).
 */
#include "commands.h"
#include "options.h"
#include "timeline_read.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define HINT "see gcprof massif --help"

static const char help_text[] =
    "Usage: gcprof massif [-o FILE] [--pid PID] RECORDING\n"
    "\n"
    "Writes RECORDING's GC heap over time as valgrind massif's output, for\n"
    "ms_print and massif-visualizer: one snapshot per heap sample of the\n"
    "process (useful-heap: what the collector has handed out, live or not\n"
    "yet collected; extra-heap: its free bytes still mapped).\n"
    "\n"
    "  -o, --output FILE  where to write (default massif.out.PID in the\n"
    "                     current directory; - for standard output)\n"
    "      --pid PID      the process to show, when the recording has several\n"
    "                     (default: the one with the most heap records)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 success, 1 RECORDING cannot be read or has no GC heap\n"
    "samples for the process, or FILE cannot be written, 2 bad arguments.\n";

/* The snapshots: the process's heap samples in time order. */
typedef struct massif_doc {
    const tool_tl *tl;
    long pid;
    const tool_tl_sample **snaps;
    size_t n, peak;
} massif_doc;

static int by_time(const void *a, const void *b)
{
    const tool_tl_sample *x = *(const tool_tl_sample *const *)a;
    const tool_tl_sample *y = *(const tool_tl_sample *const *)b;

    return x->t < y->t ? -1 : x->t > y->t ? 1 : (x < y ? -1 : x > y);
}

/* The samples of pid with heap figures, sorted; the peak's index. Returns
 * 0, or -1 when out of memory. */
static int collect_snapshots(massif_doc *d)
{
    d->snaps = calloc(d->tl->nsamples ? d->tl->nsamples : 1, sizeof *d->snaps);
    if (!d->snaps)
        return -1;
    for (size_t i = 0; i < d->tl->nsamples; i++) {
        const tool_tl_sample *s = &d->tl->samples[i];
        if (s->has_heap && tool_tl_pid_of(d->tl, s->pid) == d->pid)
            d->snaps[d->n++] = s;
    }
    qsort(d->snaps, d->n, sizeof *d->snaps, by_time);
    /* The most in all (the heap's size, as massif's peak counts extra
     * too), then the most in use: the heap's size often stays put. */
    for (size_t i = 1; i < d->n; i++) {
        const tool_tl_sample *s = d->snaps[i], *p = d->snaps[d->peak];
        if (s->heap_size > p->heap_size ||
            (s->heap_size == p->heap_size && tool_tl_heap_in_use(s) > tool_tl_heap_in_use(p)))
            d->peak = i;
    }
    return 0;
}

/* Milliseconds since the recording's start, whole (massif's time_unit ms). */
static uint64_t ms_since(const tool_tl *tl, double t)
{
    double ms = (t - tl->origin) * 1e3;

    return ms > 0 ? (uint64_t)(ms + 0.5) : 0;
}

static int write_massif(FILE *fp, const void *arg)
{
    const massif_doc *d = arg;
    const char *cmd = *d->tl->cmdline ? d->tl->cmdline : tool_tl_proc_name(d->tl, d->pid);

    fprintf(fp, "desc: (gcprof massif) the GC heap of process %ld, sampled by gcprof run\n",
            d->pid);
    fprintf(fp, "cmd: %s\ntime_unit: ms\n", cmd && *cmd ? cmd : "(unknown)");
    for (size_t i = 0; i < d->n; i++) {
        const tool_tl_sample *s = d->snaps[i];
        fprintf(fp,
                "#-----------\nsnapshot=%zu\n#-----------\ntime=%" PRIu64 "\nmem_heap_B=%" PRIu64
                "\nmem_heap_extra_B=%" PRIu64 "\nmem_stacks_B=0\n",
                i, ms_since(d->tl, s->t), tool_tl_heap_in_use(s),
                s->heap_size - tool_tl_heap_in_use(s));
        if (i == d->peak)
            fprintf(fp,
                    "heap_tree=peak\nn0: %" PRIu64 " (heap allocation functions) bdwgc's heap "
                    "in use; call stacks: gcprof run --heap-profile\n",
                    tool_tl_heap_in_use(s));
        else
            fputs("heap_tree=empty\n", fp);
    }
    return 0;
}

/* The options; -1 to go on with RECORDING in argv[1], else the status. */
static int parse(int argc, char **argv, const char **out, long *pid)
{
    const char *pid_s = NULL;
    int help = 0, nfiles = 0;
    tool_opt table[] = {TOOL_OPT_VALUE("--output", 'o', out), TOOL_OPT_VALUE("--pid", 0, &pid_s),
                        TOOL_OPT_STOP("--help", 'h', &help), TOOL_OPT_END};
    tool_opts how = {"massif", HINT, table, 0, NULL};
    int r = tool_opts_parse(&how, argc, argv, &nfiles);

    if (r == TOOL_OPTS_STOP) {
        fputs(help_text, stdout);
        return tool_stdout_done("massif");
    }
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if (*out && tool_opt_file("massif", HINT, table[0].given, *out, NULL) >= 0)
        return TOOL_EXIT_USAGE;
    if (pid_s && tool_opt_count("massif", HINT, table[1].given, pid_s, 1, 0x7fffffff, pid) >= 0)
        return TOOL_EXIT_USAGE;
    if (nfiles != 1)
        return tool_usage_error("massif", HINT,
                                nfiles ? "one RECORDING only, got %d files" : "no RECORDING given",
                                nfiles);
    return -1;
}

int tool_cmd_massif(int argc, char **argv)
{
    const char *out = NULL;
    long pid = 0;
    char err[512], name[64];
    int status = parse(argc, argv, &out, &pid);
    tool_tl tl;

    if (status >= 0)
        return status;
    if (tool_tl_read(argv[1], &tl, err, sizeof err) < 0) {
        tool_say("massif", "%s", err);
        return TOOL_EXIT_FAIL;
    }
    size_t nprocs;
    massif_doc d = {&tl, pid ? pid : tool_tl_heap_pid(&tl, &nprocs), NULL, 0, 0};
    if (collect_snapshots(&d) < 0) {
        tool_say("massif", "%s: out of memory", argv[1]);
        status = TOOL_EXIT_FAIL;
    } else if (d.n == 0) {
        if (pid)
            tool_say("massif", "%s: no GC heap samples for process %ld", argv[1], pid);
        else
            tool_say("massif",
                     "%s: no GC heap samples (recorded without the collector's "
                     "preload library, or not a bdwgc program)",
                     argv[1]);
        status = TOOL_EXIT_FAIL;
    } else {
        snprintf(name, sizeof name, "massif.out.%ld", d.pid);
        status = tool_out_write("massif", out ? out : name, write_massif, &d);
        if (status == TOOL_EXIT_OK && (!out || (out[0] != '-' || out[1])))
            fprintf(stderr, "gcprof massif: wrote %s (%zu snapshots)\n", out ? out : name, d.n);
    }
    free(d.snaps);
    tool_tl_free(&tl);
    return status;
}
