/*
 * cmd_run.c - `gcprof run`: run a program and record its memory over
 * time, as `mprof run` does, plus the collector's side when it uses bdwgc.
 * Here its arguments; running and recording are run_program.c's.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "listen_addr.h"
#include "options.h"
#include "run_program.h"

#define MIN_INTERVAL 0.001 /* times are written to 0.1 ms; finer is a busy loop */
#define MAX_INTERVAL 3600.0
#define METRICS_INTERVAL_MIN 0.01
#define METRICS_INTERVAL_MAX 86400.0

static void usage(FILE *fp)
{
    fputs("Usage: gcprof run [-f] [-i SECONDS] [-o FILE] [--format dat|jsonl] [--trace]\n"
          "                 [--no-live] [--heap-profile[=BYTES]] [--heap-output FILE]\n"
          "                 [--heap-every SECONDS] [--breakdown] [--metrics ADDR]\n"
          "                 [--metrics-file FILE [--metrics-interval SECONDS]]\n"
          "                 -- PROGRAM [ARGS...]\n"
          "\n"
          "Runs PROGRAM and records its memory over time: its RSS every interval and,\n"
          "when it uses bdwgc (the Boehm collector), the collector's heap and every\n"
          "collection, through a library preloaded into it.\n"
          "\n"
          "  -i, --interval SECONDS  sampling interval (default 0.01; 0.001 to 3600)\n"
          "  -o, --output FILE       where to write (default mprofile_YYYYMMDDhhmmss.dat)\n"
          "      --format dat|jsonl  mprof's .dat lines (default) or JSON lines;\n"
          "                          jsonl is the default when FILE ends in .jsonl\n"
          "  -f, --follow            record the processes PROGRAM starts too (their\n"
          "                          collections, and their RSS as mprof's CHLD lines),\n"
          "                          and wait for every one of them to end, orphans\n"
          "                          included; a signal after PROGRAM ended stops that\n"
          "      --trace             print a Go-style line per collection on stderr\n"
          "                          (or to the file named by GCPROF_TRACE_FILE, emptied\n"
          "                          first, then appended to by every process image)\n"
          "      --no-live           do not count the bytes in marked objects after\n"
          "                          each collection (a pass over the mark bits)\n"
          "      --heap-profile[=BYTES]\n"
          "                          also sample the collector's allocations with their\n"
          "                          call stacks, one sample every BYTES allocated on\n"
          "                          average (default 512K; K, M, G allowed; 1: every\n"
          "                          allocation), and write a pprof heap profile\n"
          "      --heap-output FILE  where (default: the recording's name with\n"
          "                          .heap.pb.gz; other processes: FILE's stem +\n"
          "                          .PID.pb.gz)\n"
          "      --heap-every SECONDS\n"
          "                          write the heap profile every SECONDS while PROGRAM\n"
          "                          runs too (default: at its end, and when gcprof\n"
          "                          gets SIGUSR1: kill -USR1 PID of gcprof run)\n"
          "      --breakdown         also record what each recorded process's RSS is made\n"
          "                          of (GC heap, malloc, stacks, code...) at its exit, and\n"
          "                          when gcprof gets SIGUSR1 (gcprof heap FILE shows it)\n"
          "      --metrics ADDR      serve the collector's metrics for Prometheus while\n"
          "                          PROGRAM runs, at http://ADDR/metrics (and the latest\n"
          "                          heap profile at /debug/pprof/heap); ADDR is PORT,\n"
          "                          :PORT, HOST:PORT or [IPV6]:PORT, no host: 127.0.0.1;\n"
          "                          port 0: any free one (said on stderr)\n"
          "      --metrics-file FILE write the same text to FILE (node_exporter's textfile\n"
          "                          collector), whole, every interval and at the end\n"
          "      --metrics-interval SECONDS\n"
          "                          for --metrics-file (default 15; 0.01 to 86400)\n"
          "  -h, --help              show this text\n"
          "\n"
          "An option given twice is an error. PROGRAM is run with execvp(3), with its\n"
          "arguments exactly as given: no shell is involved. Without -f, only PROGRAM's\n"
          "own process is recorded (and what it execs); the processes it starts are\n"
          "named in the file, not followed. The RSS is that of PROGRAM's process alone;\n"
          "the file also holds how it ended and the kernel's peak RSS (ru_maxrss) of\n"
          "it and the children it waited for. The file is written beside FILE, as\n"
          "FILE.tmp.XXXXXX (mode 0644 & ~umask), and renamed to FILE when PROGRAM ends;\n"
          "the default name never replaces a file (-2, -3, ... are added).\n"
          "\n"
          "Exit status: PROGRAM's (128+N when signal N killed it); 125 when gcprof run\n"
          "fails (bad arguments, the recording cannot be written), 126 when PROGRAM\n"
          "cannot be executed, 127 when it is not found.\n",
          fp);
}

/* One line, "gcprof run: <what> (see gcprof run --help)"; returns -1. */
__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay("run", "see gcprof run --help", fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_interval(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !isfinite(v) || v < MIN_INTERVAL || v > MAX_INTERVAL)
        return bad_usage("bad interval for %s: '%s': want seconds from %g to %g", opt, s,
                         MIN_INTERVAL, MAX_INTERVAL);
    *out = v;
    return 0;
}

static int parse_format(const char *opt, const char *s, tool_run_opts *o)
{
    if (strcmp(s, "dat") != 0 && strcmp(s, "jsonl") != 0)
        return bad_usage("bad format for %s: '%s': want dat or jsonl", opt, s);
    o->format = strcmp(s, "jsonl") == 0 ? GCP_TL_JSONL : GCP_TL_DAT;
    o->format_set = 1;
    return 0;
}

/* Standard output is the program's; "" names nothing. */
static int check_output_name(const char *opt, const char *s)
{
    if (!*s)
        return bad_usage("empty file name for %s", opt);
    if (strcmp(s, "-") == 0)
        return bad_usage("bad file name for %s: '-': standard output is the program's "
                         "(./- names a file)",
                         opt);
    return 0;
}

enum { OPT_INTERVAL, OPT_OUTPUT, OPT_FORMAT, OPT_HEAP, OPT_HEAP_EVERY, OPT_METRICS_INTERVAL };

/* --metrics, --metrics-file and --metrics-interval: -1 at a bad one (said). */
static int check_metrics(const char *opt, const char *interval, tool_metrics_opts *m)
{
    char why[160], *end;
    gcp__listen_addr a;

    if (m->addr && gcp__listen_addr_parse(m->addr, &a, why, sizeof why) != 0)
        return bad_usage("bad address for --metrics: '%s': %s", m->addr, why);
    if (m->file && check_output_name("--metrics-file", m->file) < 0)
        return -1;
    if (interval && !m->file)
        return bad_usage("--metrics-interval needs --metrics-file");
    m->interval = 15.0;
    if (interval) {
        m->interval = strtod(interval, &end);
        if (end == interval || *end != '\0' || !(m->interval >= METRICS_INTERVAL_MIN) ||
            !(m->interval <= METRICS_INTERVAL_MAX))
            return bad_usage("bad interval for %s: '%s': want seconds from %g to %g", opt, interval,
                             METRICS_INTERVAL_MIN, METRICS_INTERVAL_MAX);
    }
    return 0;
}

/* The values, once all are in: -1 at the first bad one (said). t: the
 * table, for the options as typed. */
static int check_values(const tool_opt *t, const char *interval, const char *format, tool_run_opts *o,
                        const char *rate, const char *every, const char *metrics_every)
{
    if (check_metrics(t[OPT_METRICS_INTERVAL].given, metrics_every, &o->metrics) < 0)
        return -1;
    if (interval && parse_interval(t[OPT_INTERVAL].given, interval, &o->interval) < 0)
        return -1;
    o->heap_profile.rate = o->heap ? 512u << 10 : 0;
    if (rate && tool_heap_parse_rate(t[OPT_HEAP].given, rate, &o->heap_profile.rate) < 0)
        return -1;
    if (every && parse_interval(t[OPT_HEAP_EVERY].given, every, &o->heap_profile.every) < 0)
        return -1;
    if ((every || o->heap_output) && !o->heap)
        return bad_usage("%s needs --heap-profile", every ? "--heap-every" : "--heap-output");
    if (o->heap_output && check_output_name("--heap-output", o->heap_output) < 0)
        return -1;
    if (o->output && check_output_name(t[OPT_OUTPUT].given, o->output) < 0)
        return -1;
    if (format && parse_format(t[OPT_FORMAT].given, format, o) < 0)
        return -1;
    return 0;
}

/* 0: run; 1: help shown; -1: error shown. Options end at PROGRAM: the
 * rest is its command line, untouched. */
static int parse_args(int argc, char **argv, tool_run_opts *o)
{
    const char *interval = NULL, *format = NULL, *rate = NULL, *every = NULL;
    const char *metrics_every = NULL;
    int help = 0, n;
    tool_opt table[] = {
        [OPT_INTERVAL] = TOOL_OPT_VALUE("--interval", 'i', &interval),
        [OPT_OUTPUT] = TOOL_OPT_VALUE("--output", 'o', &o->output),
        [OPT_FORMAT] = TOOL_OPT_VALUE("--format", 0, &format),
        [OPT_HEAP] = TOOL_OPT_OPTIONAL("--heap-profile", &rate, &o->heap),
        [OPT_HEAP_EVERY] = TOOL_OPT_VALUE("--heap-every", 0, &every),
        [OPT_METRICS_INTERVAL] = TOOL_OPT_VALUE("--metrics-interval", 0, &metrics_every),
        TOOL_OPT_VALUE("--metrics", 0, &o->metrics.addr),
        TOOL_OPT_VALUE("--metrics-file", 0, &o->metrics.file),
        TOOL_OPT_VALUE("--heap-output", 0, &o->heap_output),
        TOOL_OPT_FLAG("--follow", 'f', &o->follow),
        TOOL_OPT_FLAG("--trace", 0, &o->trace),
        TOOL_OPT_FLAG("--no-live", 0, &o->no_live),
        TOOL_OPT_FLAG("--breakdown", 0, &o->breakdown),
        TOOL_OPT_STOP("--help", 'h', &help),
        TOOL_OPT_END,
    };
    tool_opts how = {"run", "see gcprof run --help", table, 1, NULL};
    int r = tool_opts_parse(&how, argc, argv, &n);

    if (r == TOOL_OPTS_STOP) {
        usage(stdout);
        return 1;
    }
    if (r != TOOL_OPTS_OK ||
        check_values(table, interval, format, o, rate, every, metrics_every) < 0)
        return -1;
    if (n == 0)
        return bad_usage("no program to run: name it after --");
    o->argv = argv + 1;
    return 0;
}

int tool_cmd_run(int argc, char **argv)
{
    tool_run_opts o = {.cmd = "run", .report = 1, .interval = 0.01, .format = GCP_TL_DAT};

    int p = parse_args(argc, argv, &o);
    if (p != 0)
        return p > 0 ? tool_stdout_done("run") : TOOL_EXIT_RUN_FAILED;
    int code = tool_run_program(&o);
    free(o.final);
    return code;
}
