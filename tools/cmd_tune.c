/*
 * cmd_tune.c - `gcprof tune`: runs a program under a grid of the
 * collector's settings (tune_grid.c), round after round, and says which
 * setting is fastest within a peak RSS, against the defaults. This file
 * is the command: its options, the rounds, the progress line, a stop by
 * signal, and where the report goes (doc/tune.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "commands.h"
#include "options.h"
#include "run_child.h"
#include "tune.h"

#define MAX_ROUNDS  100
#define MAX_WARMUP  10
#define MAX_RSS_MIB 1e9 /* a petabyte: beyond, a typo */

typedef struct tune_opts {
    size_t rounds, warmup;
    double max_rss; /* MiB; 0: no limit */
    int full, json, quiet, show_output;
    const char *output, *plot; /* NULL: standard output; no plot */
    char **argv;               /* the program and its arguments */
} tune_opts;

static const char hint[] = "see gcprof tune --help";

static void usage(void)
{
    fputs("Usage: gcprof tune [--runs N] [--max-rss MIB] [--grid axes|full] [--json]\n"
          "                   [--plot FILE.svg] [-o FILE] [--warmup N] [--show-output]\n"
          "                   [--quiet]\n"
          "                   -- PROGRAM [ARGS...]\n"
          "\n"
          "Runs PROGRAM under settings of the collector (bdwgc's environment\n"
          "variables), round-robin, and prints a row per config: medians and ranges\n"
          "of wall time, CPU time, peak RSS, time in collections and collections,\n"
          "the Pareto front of wall time and peak RSS marked; then the fastest config\n"
          "whose median peak RSS is within --max-rss, with its ratios to the defaults.\n"
          "\n"
          "  --runs N          rounds: each runs every config once (default 3; 1 to 100)\n"
          "  --max-rss MIB     recommend only configs with a median peak RSS at most this\n"
          "  --grid axes|full  axes (default): the defaults and each setting alone;\n"
          "                    full: every combination\n"
          "  --json            the report as JSON, each run's figures too\n"
          "  --plot FILE.svg   median peak RSS over median wall time, the front joined\n"
          "  -o, --output FILE write the report to FILE, not standard output\n"
          "  --warmup N        runs of the defaults first, not counted: caches warm for\n"
          "                    every config alike (default 1; 0 to 10)\n"
          "  --show-output     keep PROGRAM's standard output and error (default:\n"
          "                    /dev/null); they are gcprof's own: with --json, write\n"
          "                    it with -o\n"
          "  --quiet           no progress line on stderr\n"
          "  -h, --help        show this text\n"
          "\n"
          "Settings (unset: bdwgc's default):\n",
          stdout);
    for (size_t i = 0; i < TOOL_TUNE_AXES; i++) {
        const tool_tune_axis *a = &tool_tune_axes[i];
        printf("  %-22s unset (%s)", a->var, a->builtin);
        for (size_t v = 0; v < 4 && a->values[v]; v++)
            printf(", %s", a->values[v]);
        putchar('\n');
    }
    printf("\nThe grid: axes %zu configs, full %zu; at most %d runs (configs x rounds).\n",
           tool_tune_grid_size(0), tool_tune_grid_size(1), TOOL_TUNE_MAX_RUNS);
    fputs("PROGRAM reads /dev/null; it runs with execvp(3), no shell, in a process group\n"
          "of its own, with gcprof's preload library (collections and their time, as\n"
          "gcprof run records them). SIGINT, SIGTERM or SIGHUP stops the runs: the\n"
          "program is ended, the report covers the rounds complete by then, and gcprof\n"
          "then ends by that signal (a shell's status 128+N: 130 SIGINT, 143 SIGTERM,\n"
          "129 SIGHUP).\n"
          "\n"
          "Exit status: 0 report made; 1 every run failed, or gcprof failed (an output\n"
          "cannot be written, stopped by a signal or not); 2 bad arguments; 126\n"
          "PROGRAM cannot be executed; 127 PROGRAM not found; killed by signal N (128+N)\n"
          "when it stopped the runs and the report was written.\n",
          stdout);
}

/* One line, "gcprof tune: <what> (see gcprof tune --help)"; returns 2. */
#define bad_usage(...) tool_usage_error("tune", hint, __VA_ARGS__)

/* A count into *out: -1 to go on, or 2 (said). */
static int parse_count(const char *opt, const char *s, long lo, long hi, size_t *out)
{
    long v;
    int r = tool_opt_count("tune", hint, opt, s, lo, hi, &v);

    if (r < 0)
        *out = (size_t)v;
    return r;
}

static int parse_mib(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !isfinite(v) || v <= 0 || v > MAX_RSS_MIB)
        return bad_usage("bad value for %s: '%s': want MiB, a number above 0", opt, s);
    *out = v;
    return 0;
}

enum { OPT_RUNS, OPT_MAX_RSS, OPT_GRID, OPT_OUTPUT, OPT_PLOT, OPT_WARMUP };

/* The values, once all are in (v: --runs, --max-rss, --grid, --warmup as
 * given): 0, or 2 (said). */
static int check_values(const tool_opt *t, const char *const v[4], tune_opts *o)
{
    const char *runs = v[0], *max_rss = v[1], *grid = v[2], *warmup = v[3];

    if (runs && parse_count(t[OPT_RUNS].given, runs, 1, MAX_ROUNDS, &o->rounds) >= 0)
        return TOOL_EXIT_USAGE;
    if (warmup && parse_count(t[OPT_WARMUP].given, warmup, 0, MAX_WARMUP, &o->warmup) >= 0)
        return TOOL_EXIT_USAGE;
    if (max_rss && parse_mib(t[OPT_MAX_RSS].given, max_rss, &o->max_rss))
        return TOOL_EXIT_USAGE;
    if (grid && strcmp(grid, "axes") != 0 && strcmp(grid, "full") != 0)
        return bad_usage("bad value for --grid: '%s': want axes or full", grid);
    o->full = grid && strcmp(grid, "full") == 0;
    if (o->output && tool_opt_file("tune", hint, t[OPT_OUTPUT].given, o->output, NULL) >= 0)
        return TOOL_EXIT_USAGE;
    if (o->plot &&
        tool_opt_file("tune", hint, "--plot", o->plot, "standard output has the report") >= 0)
        return TOOL_EXIT_USAGE;
    if (o->output && o->plot && strcmp(o->output, "-") != 0 &&
        tool_out_same_target(o->output, o->plot))
        return bad_usage("%s and --plot name one file: '%s'", t[OPT_OUTPUT].given, o->plot);
    size_t n = tool_tune_grid_size(o->full);
    if (n * o->rounds > TOOL_TUNE_MAX_RUNS)
        return bad_usage("%zu configs x %zu rounds is %zu runs, more than %d: fewer --runs%s", n,
                         o->rounds, n * o->rounds, TOOL_TUNE_MAX_RUNS,
                         o->full ? ", or --grid axes" : "");
    return 0;
}

/* The options before "--" (the program and its arguments come after it,
 * untouched): -1 to go on, or the exit status (help shown, an error said). */
static int parse_args(int argc, char **argv, tune_opts *o)
{
    const char *v[4] = {NULL, NULL, NULL, NULL}; /* --runs, --max-rss, --grid, --warmup */
    int help = 0, n, dashes;
    tool_opt table[] = {
        [OPT_RUNS] = TOOL_OPT_VALUE("--runs", 0, &v[0]),
        [OPT_MAX_RSS] = TOOL_OPT_VALUE("--max-rss", 0, &v[1]),
        [OPT_GRID] = TOOL_OPT_VALUE("--grid", 0, &v[2]),
        [OPT_OUTPUT] = TOOL_OPT_VALUE("--output", 'o', &o->output),
        [OPT_PLOT] = TOOL_OPT_VALUE("--plot", 0, &o->plot),
        [OPT_WARMUP] = TOOL_OPT_VALUE("--warmup", 0, &v[3]),
        TOOL_OPT_FLAG("--json", 0, &o->json),
        TOOL_OPT_FLAG("--show-output", 0, &o->show_output),
        TOOL_OPT_FLAG("--quiet", 0, &o->quiet),
        TOOL_OPT_STOP("--help", 'h', &help),
        TOOL_OPT_END,
    };
    tool_opts how = {"tune", hint, table, 0, &dashes};

    int r = tool_opts_parse(&how, argc, argv, &n); /* puts NULL at argv[n + 1] */
    if (r == TOOL_OPTS_STOP) {
        usage();
        return tool_stdout_done("tune");
    }
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if (dashes < 0 && n > 0)
        return bad_usage("missing '--' before the program '%s'", argv[1]);
    if (dashes > 0)
        return bad_usage("unexpected argument '%s' before '--'", argv[1]);
    if (dashes < 0 || n == 0)
        return bad_usage("no program to run: name it after --");
    char **program = argv + 1; /* dashes == 0: all of argv[1..n] came after "--" */
    int rc = check_values(table, v, o);
    o->argv = program;
    return rc ? rc : -1;
}

/* The environment's own settings of the grid's variables are not used:
 * every config sets or unsets each one. */
static void note_environment(void)
{
    for (size_t i = 0; i < TOOL_TUNE_AXES; i++) {
        const char *v = getenv(tool_tune_axes[i].var);
        if (v)
            tool_say("tune",
                     "note: %s=%s from the environment is not used (each config sets it, "
                     "or unsets it for the default)",
                     tool_tune_axes[i].var, v);
    }
}

static double since(uint64_t start_ns)
{
    return (double)(gcp__now_ns() - start_ns) / 1e9;
}

/* The warm-up runs (caches, a JIT's or compiler's files: the first run is
 * no config's lot), then round after round, each config once a round,
 * each round starting one config further on (no config is always a
 * round's first): until all ran, a signal came, or a run failed for gcprof
 * (its status). */
static int run_rounds(const tune_opts *o, tool_tune_session *s, tool_tune_result *res,
                      tool_tune_run *runs)
{
    uint64_t start = gcp__now_ns();
    size_t n = res->nconfigs, total = n * o->rounds, seq = 0;
    tool_tune_run warm;
    int rc = 0;

    for (size_t w = 0; w < o->warmup && !rc && !tool_child_stop_signal(); w++) {
        if (!o->quiet)
            snprintf(s->progress, sizeof s->progress,
                     "gcprof tune: warm-up %zu/%zu (not counted): default, %.1f s elapsed", w + 1,
                     o->warmup, since(start));
        memset(&warm, 0, sizeof warm);
        rc = tool_tune_run_one(s, &res->configs[0], &warm);
    }
    for (size_t r = 0; r < o->rounds && !rc; r++)
        for (size_t k = 0; k < n && !rc && !tool_child_stop_signal(); k++) {
            size_t c = (k + r) % n;
            tool_tune_run *run = &runs[r * n + c];
            run->seq = (int)++seq;
            if (!o->quiet)
                snprintf(s->progress, sizeof s->progress,
                         "gcprof tune: run %zu/%zu (round %zu/%zu): %s, %.1f s elapsed", seq, total,
                         r + 1, o->rounds, res->configs[c].label, since(start));
            rc = tool_tune_run_one(s, &res->configs[c], run);
        }
    res->elapsed = since(start);
    res->stop_signal = tool_child_stop_signal();
    return rc;
}

/* Whether any run ended well; if none did, why the first one failed. */
static int any_ok(const tool_tune_result *res, const char *program)
{
    const tool_tune_run *first = NULL;
    char why[96];

    for (size_t i = 0; i < res->rounds * res->nconfigs; i++) {
        if (res->runs[i].state == TOOL_TUNE_OK)
            return 1;
        if (res->runs[i].state == TOOL_TUNE_FAILED && (!first || res->runs[i].seq < first->seq))
            first = &res->runs[i];
    }
    if (first)
        tool_say("tune", "every run of '%s' failed (the first: %s)", program,
                 tool_tune_status_text(first->wstatus, why, sizeof why));
    return 0;
}

/* The runs, the figures, the outputs: the exit status. */
static int tune(const tune_opts *o, tool_tune_result *res, tool_tune_outputs *out)
{
    tool_tune_session s;
    tool_tune_run *runs = calloc(res->nconfigs * o->rounds, sizeof *runs);

    if (!runs || tool_tune_session_open(&s, o->argv, o->show_output) != 0) {
        if (!runs)
            tool_say("tune", "out of memory");
        free(runs);
        tool_tune_outputs_discard(out);
        return TOOL_EXIT_FAIL;
    }
    res->runs = runs;
    int rc = run_rounds(o, &s, res, runs);
    tool_tune_session_close(&s);
    if (rc == 0 && tool_tune_stats_make(res) != 0) {
        tool_say("tune", "out of memory");
        rc = TOOL_EXIT_FAIL;
    }
    if (rc != 0) { /* said: the program cannot run, or gcprof failed */
        tool_tune_outputs_discard(out);
    } else {
        rc = tool_tune_outputs_write(out, res, o->argv, o->json);
        if (rc == 0 && !res->stop_signal && !any_ok(res, o->argv[0]))
            rc = TOOL_EXIT_FAIL;
    }
    tool_tune_stats_free(res);
    free(runs);
    return rc;
}

/* Stopped by a signal, once the report is out: gcprof ends by that signal,
 * its default action, so that a shell (a loop of tunes) sees the stop as
 * what it was. Returns only if the signal does not end it. */
static void end_by_signal(int sig)
{
    sigset_t set;

    fflush(NULL);
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

int tool_cmd_tune(int argc, char **argv)
{
    tune_opts o = {.rounds = 3, .warmup = 1};
    tool_tune_result res = {0};
    tool_tune_config *configs;
    tool_tune_outputs out;

    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    tool_child_stop_on_signals(); /* before any file: out_file.c leaves them to us */
    note_environment();
    if (tool_tune_grid_make(o.full, &configs, &res.nconfigs) != 0) {
        tool_say("tune", "out of memory");
        return TOOL_EXIT_FAIL;
    }
    if (tool_tune_outputs_open(&out, o.output, o.plot) != 0) {
        free(configs);
        return TOOL_EXIT_FAIL;
    }
    res.configs = configs;
    res.rounds = o.rounds;
    res.warmup = o.warmup;
    res.max_rss = o.max_rss;
    rc = tune(&o, &res, &out);
    free(configs);
    if (rc == 0 && res.stop_signal)
        end_by_signal(res.stop_signal);
    return rc;
}
