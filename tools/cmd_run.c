/*
 * cmd_run.c - `gcprof run`: run a program and record its memory over
 * time, as `mprof run` does, plus the collector's side when it uses bdwgc.
 *
 * gcprof samples the program's RSS from outside (/proc/PID/statm); the
 * preload library (preload.c) sends collections and heap samples from
 * inside, as whole lines on a pipe. Both go into a temporary file beside
 * FILE, renamed to FILE when the program ends, so a file under its final
 * name is complete (commands.h: tool_out). The program is exec'd
 * directly, never through a shell (run_child.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "listen_addr.h"
#include "options.h"
#include "run_child.h"
#include "run_heap.h"
#include "run_metrics.h"
#include "run_output.h"
#include "run_record.h"
#include "timeline.h"

#define MIN_INTERVAL 0.001 /* times are written to 0.1 ms; finer is a busy loop */
#define MAX_INTERVAL 3600.0
#define METRICS_INTERVAL_MIN 0.01
#define METRICS_INTERVAL_MAX 86400.0

typedef struct run_opts {
    double interval;
    const char *output; /* NULL: mprofile_<time>.<ext> */
    gcp_tl_format format;
    int format_set;
    int trace;
    int follow;  /* -f */
    int no_live; /* --no-live */
    int heap;    /* --heap-profile */
    tool_heap heap_profile;
    const char *heap_output;
    tool_metrics_opts metrics; /* addr, file, interval */
    char **argv; /* the program and its arguments */
} run_opts;

static void usage(FILE *fp)
{
    fputs("Usage: gcprof run [-f] [-i SECONDS] [-o FILE] [--format dat|jsonl] [--trace]"
          " [--no-live]\n"
          "                 [--heap-profile[=BYTES]] [--heap-output FILE] [--heap-every SECONDS]\n"
          "                 [--metrics ADDR] [--metrics-file FILE [--metrics-interval SECONDS]]\n"
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
          "                          .heap.pb.gz; other processes: FILE's stem + .PID.pb.gz)\n"
          "      --heap-every SECONDS\n"
          "                          write the heap profile every SECONDS while PROGRAM\n"
          "                          runs too (default: at its end, and when gcprof\n"
          "                          gets SIGUSR1: kill -USR1 PID of gcprof run)\n"
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

static int parse_format(const char *opt, const char *s, run_opts *o)
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
static int check_values(const tool_opt *t, const char *interval, const char *format, run_opts *o,
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
static int parse_args(int argc, char **argv, run_opts *o)
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
        TOOL_OPT_STOP("--help", 'h', &help),
        TOOL_OPT_END,
    };
    tool_opts how = {"run", "see gcprof run --help", table, 1};
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

static void choose_format(run_opts *o)
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
static void empty_trace_file(const run_opts *o)
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
static int finish_heap(run_opts *o, const char *preload)
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

/* Runs the program into an open output; returns the exit status. */
static int run(run_opts *o, tool_run_output *out)
{
    char preload_buf[PATH_MAX];
    const char *preload = tool_child_find_preload(preload_buf, o->heap, "run");
    tool_child_opts co = {.preload = preload,
                          .format = o->format == GCP_TL_JSONL ? "jsonl" : "dat",
                          .interval = o->interval,
                          .trace = o->trace,
                          .follow = o->follow,
                          .live = !o->no_live,
                          .trace_file = trace_file()};
    tool_child child;
    double start = gcp__tl_now();
    tool_metrics *metrics = NULL;

    o->metrics.format = o->format;
    o->metrics.heap = o->heap ? &o->heap_profile : NULL;
    if ((o->metrics.addr || o->metrics.file) && !(metrics = tool_metrics_start(&o->metrics))) {
        tool_out_discard(&out->file); /* the program never ran */
        return TOOL_EXIT_RUN_FAILED;
    }
    if (o->heap) {
        if (tool_heap_prepare(&o->heap_profile, o->heap_output, out->file.path) != 0) {
            tool_metrics_finish(metrics);
            tool_out_discard(&out->file);
            return TOOL_EXIT_RUN_FAILED;
        }
        co.heap_rate = o->heap_profile.rate;
        co.heap_dir = o->heap_profile.dir;
        co.heap_every = o->heap_profile.every;
        tool_child_catch_dump_signal();
    }
    empty_trace_file(o);
    int r = tool_child_start(&child, o->argv, &co);
    tool_run_result res = {0};

    if (r != 0) {
        int code = tool_child_start_failed("run", o->argv[0], r);
        tool_metrics_finish(metrics);
        tool_out_discard(&out->file);
        if (o->heap)
            tool_heap_finish(&o->heap_profile); /* removes the directory */
        return code < 0 ? TOOL_EXIT_RUN_FAILED : code;
    }
    char *cmdline = join_args(o->argv);
    gcp__tl_meta(out->file.fp, out->format, cmdline, (long)child.pid, start, o->interval);
    free(cmdline);
    if (o->heap)
        tool_heap_watch(&o->heap_profile, (long)child.pid);
    if (metrics)
        tool_metrics_follow(metrics, (long)child.pid);
    out->metrics = metrics;
    tool_run_record(&child, out, o->interval, o->follow, &res);
    out->metrics = NULL;
    int metrics_ok = tool_metrics_finish(metrics) == 0; /* after the last record */
    int code = tool_child_exit_code(res.wstatus);
    int written = tool_run_output_finish(out, o->output != NULL, (long)child.pid, &res) == 0;
    if (written)
        tool_run_report(out, o->argv[0], o->follow, preload, res.wstatus);
    if (o->heap && !finish_heap(o, preload))
        written = 0;
    if (!metrics_ok)
        written = 0;
    free(out->final);
    /* the recording is what was asked for: without it, gcprof failed */
    return written ? code : TOOL_EXIT_RUN_FAILED;
}

int tool_cmd_run(int argc, char **argv)
{
    run_opts o = {.interval = 0.01, .format = GCP_TL_DAT};
    tool_run_output out;

    int p = parse_args(argc, argv, &o);
    if (p != 0)
        return p > 0 ? tool_stdout_done("run") : TOOL_EXIT_RUN_FAILED;
    choose_format(&o);
    char *path = o.output ? strdup(o.output) : default_output(o.format);
    if (!path) {
        tool_say("run", "out of memory");
        return TOOL_EXIT_RUN_FAILED;
    }
    if (tool_run_output_open(&out, "run", path, o.format) != 0) {
        free(path);
        return TOOL_EXIT_RUN_FAILED;
    }
    int code = run(&o, &out);
    free(path);
    return code;
}
