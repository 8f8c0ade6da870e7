/*
 * cmd_run.c - `gcprof run`: run a program and record its memory over
 * time, as `mprof run` does, plus the collector's side when it uses bdwgc.
 *
 * gcprof samples the program's RSS from outside (/proc/PID/statm); the
 * preload library (preload.c) sends collections and heap samples from
 * inside, as whole lines on a pipe. Both go into FILE.tmp, renamed to
 * FILE when the program ends, so a file under its final name is complete.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "run_child.h"
#include "run_record.h"
#include "timeline.h"

#ifndef GCPROF_PKGLIBDIR
#define GCPROF_PKGLIBDIR "/usr/local/lib/gcprof"
#endif

#define MAX_INTERVAL 3600.0

typedef struct run_opts {
    double interval;
    const char *output; /* NULL: mprofile_<time>.<ext> */
    gcp_tl_format format;
    int format_set;
    int trace;
    char **argv; /* the program and its arguments */
} run_opts;

static void usage(FILE *fp)
{
    fputs("Usage: gcprof run [-i SECONDS] [-o FILE] [--format dat|jsonl] [--trace]"
          " -- PROGRAM [ARGS...]\n"
          "\n"
          "Runs PROGRAM and records its memory over time: its RSS every interval and,\n"
          "when it uses bdwgc (the Boehm collector), the collector's heap and every\n"
          "collection, through a library preloaded into it.\n"
          "\n"
          "  -i, --interval SECONDS  sampling interval (default 0.01; at most 3600)\n"
          "  -o, --output FILE       where to write (default mprofile_YYYYMMDDhhmmss.dat)\n"
          "      --format dat|jsonl  mprof's .dat lines (default) or JSON lines;\n"
          "                          jsonl is the default when FILE ends in .jsonl\n"
          "      --trace             print a Go-style line per collection on stderr\n"
          "                          (or to the file named by GCPROF_TRACE_FILE)\n"
          "  -h, --help              show this text\n"
          "\n"
          "Only PROGRAM's own process is recorded: processes it starts are not\n"
          "followed, and the RSS is that of PROGRAM's process alone. The file is\n"
          "written as FILE.tmp and renamed to FILE when PROGRAM ends. The exit\n"
          "status is PROGRAM's (128+N when signal N killed it).\n",
          fp);
}

static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "gcprof run: %s%s%s%s (see gcprof run --help)\n", what, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "");
    return -1;
}

static int parse_interval(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > MAX_INTERVAL) {
        fprintf(stderr,
                "gcprof run: bad interval for -i: '%s' (want seconds, more than 0 and at "
                "most 3600)\n",
                s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_format(const char *s, run_opts *o)
{
    if (strcmp(s, "dat") != 0 && strcmp(s, "jsonl") != 0)
        return bad_usage("unknown format for --format (want dat or jsonl):", s);
    o->format = strcmp(s, "jsonl") == 0 ? GCP_TL_JSONL : GCP_TL_DAT;
    o->format_set = 1;
    return 0;
}

/* The value of an option: attached ("-i0.5", "--interval=0.5") or the
 * next argument. NULL (reported) when missing. */
static const char *option_value(int argc, char **argv, int *i, const char *s, const char *l)
{
    const char *a = argv[*i];
    size_t ll = strlen(l);

    if ((s && strcmp(a, s) == 0) || strcmp(a, l) == 0) {
        if (*i + 1 >= argc) {
            bad_usage("missing value for", a);
            return NULL;
        }
        return argv[++*i];
    }
    if (strncmp(a, l, ll) == 0 && a[ll] == '=')
        return a + ll + 1;
    return a + strlen(s); /* "-i0.5" */
}

/* s: the short form ("-i"), or NULL; l: the long one. */
static int is_option(const char *a, const char *s, const char *l)
{
    size_t ll = strlen(l);

    return (s && strncmp(a, s, strlen(s)) == 0) ||
           (strncmp(a, l, ll) == 0 && (a[ll] == '\0' || a[ll] == '='));
}

/* 0: run; 1: help shown; -1: error shown. */
static int parse_args(int argc, char **argv, run_opts *o)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--trace") == 0) {
            o->trace = 1;
            continue;
        }
        if (is_option(a, "-i", "--interval")) {
            if (!(v = option_value(argc, argv, &i, "-i", "--interval")) ||
                parse_interval(v, &o->interval) != 0)
                return -1;
        } else if (is_option(a, "-o", "--output")) {
            if (!(v = option_value(argc, argv, &i, "-o", "--output")))
                return -1;
            o->output = v;
        } else if (is_option(a, NULL, "--format")) {
            if (!(v = option_value(argc, argv, &i, NULL, "--format")) || parse_format(v, o) != 0)
                return -1;
        } else {
            return bad_usage("unknown option", a);
        }
    }
    if (i >= argc)
        return bad_usage("no program to run", NULL);
    o->argv = argv + i;
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

/* The preload library, or NULL (warned once) to record RSS alone. */
static const char *find_preload(char *buf)
{
    const char *env = getenv("GCPROF_PRELOAD");
    const char *path = env && *env ? env : GCPROF_PKGLIBDIR "/libgcprof-preload.so";

    if (!realpath(path, buf)) {
        fprintf(stderr, "gcprof run: warning: no preload library '%s' (%s); recording RSS only\n",
                path, strerror(errno));
        return NULL;
    }
    if (strpbrk(buf, " :")) { /* LD_PRELOAD's separators */
        fprintf(stderr,
                "gcprof run: warning: preload path '%s' has a space or ':'; recording "
                "RSS only\n",
                buf);
        return NULL;
    }
    return buf;
}

/* FILE.tmp, created now so that an unwritable place fails before the
 * program runs. */
static int open_output(run_output *out, const char *path, gcp_tl_format f)
{
    struct stat st;

    memset(out, 0, sizeof *out);
    out->format = f;
    /* The rename would replace a device or a pipe by a regular file. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "gcprof run: cannot write '%s': %s\n", path,
                S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
        return -1;
    }
    if (asprintf(&out->tmp, "%s.tmp", path) < 0)
        return -1;
    out->path = path;
    out->fp = fopen(out->tmp, "we");
    if (!out->fp) {
        fprintf(stderr, "gcprof run: cannot write '%s': %s\n", path, strerror(errno));
        free(out->tmp);
        return -1;
    }
    return 0;
}

static void discard_output(run_output *out)
{
    fclose(out->fp);
    unlink(out->tmp);
    free(out->tmp);
}

/* The end mark, then FILE.tmp becomes FILE. */
static int finish_output(run_output *out)
{
    gcp__tl_end(out->fp, out->format, gcp__tl_now());
    int ok = !ferror(out->fp) && fflush(out->fp) == 0;
    int err = errno;
    if (fclose(out->fp) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (ok && rename(out->tmp, out->path) == 0) {
        free(out->tmp);
        return 0;
    }
    fprintf(stderr, "gcprof run: cannot write '%s': %s\n", out->path,
            strerror(ok    ? errno
                     : err ? err
                           : EIO));
    unlink(out->tmp);
    free(out->tmp);
    return -1;
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

static void report(const run_output *out, const run_opts *o, const char *preload, int wstatus)
{
    fprintf(stderr, "gcprof run: wrote %s (%lu sample%s, ", out->path, out->rss_samples,
            out->rss_samples == 1 ? "" : "s");
    if (out->collections || out->heap_samples)
        fprintf(stderr, "%lu collection%s)\n", out->collections, out->collections == 1 ? "" : "s");
    else if (!preload)
        fputs("RSS only)\n", stderr);
    else if (gcprof_child_exit_code(wstatus) > 128) /* killed early: cannot tell */
        fputs("0 collections)\n", stderr);
    else
        fprintf(stderr, "RSS only: %s does not use bdwgc)\n", o->argv[0]);
}

/* Runs the program into an open output; returns the exit status. */
static int run(const run_opts *o, run_output *out)
{
    char preload_buf[PATH_MAX];
    const char *preload = find_preload(preload_buf);
    gcprof_child_opts co = {preload, o->format == GCP_TL_JSONL ? "jsonl" : "dat", o->interval,
                            o->trace};
    gcprof_child child;
    double start = gcp__tl_now();
    int r = gcprof_child_start(&child, o->argv, &co), wstatus = 0;

    if (r != 0) {
        fprintf(stderr, "gcprof run: cannot run '%s': %s\n", o->argv[0],
                strerror(r > 0 ? r : errno));
        discard_output(out);
        if (r < 0) /* no fork or pipe: our failure, not the program's */
            return 1;
        return r == ENOENT ? 127 : 126; /* as a shell does */
    }
    char *cmdline = join_args(o->argv);
    gcp__tl_meta(out->fp, out->format, cmdline, (long)child.pid, start, o->interval);
    free(cmdline);
    gcprof_record(&child, out, o->interval, &wstatus);
    int code = gcprof_child_exit_code(wstatus);
    if (finish_output(out) != 0)
        return code ? code : 1;
    report(out, o, preload, wstatus);
    return code;
}

int gcprof_cmd_run(int argc, char **argv)
{
    run_opts o = {.interval = 0.01, .format = GCP_TL_DAT};
    run_output out;

    int p = parse_args(argc, argv, &o);
    if (p != 0)
        return p > 0 ? 0 : 2;
    choose_format(&o);
    char *path = o.output ? strdup(o.output) : default_output(o.format);
    if (!path || open_output(&out, path, o.format) != 0) {
        free(path);
        return 1;
    }
    int code = run(&o, &out);
    free(path);
    return code;
}
