/*
 * cmd_top.c - `gcprof top`: the functions of a heap profile that hold (or
 * allocated) the most, as a table in the columns of `pprof -top`: flat,
 * flat%, sum%, cum, cum%. The counting is heap_top.c's.
 */
#include "commands.h"
#include "heap_cmd.h"
#include "heap_view.h"
#include "options.h"

#include <stdio.h>
#include <string.h>

#define HINT "see gcprof top --help"

static void usage(void)
{
    fputs("Usage: gcprof top [--inuse|--alloc] [--objects|--space] [--by function|line]\n"
          "                  [-n N] [--cum] [--raw] FILE\n"
          "\n"
          "Prints the functions of a heap profile (pprof's format, gzip'd or not, from\n"
          "gcprof or any producer, Go's included) that hold the most memory, or that\n"
          "allocated the most, as `pprof -top` does: flat is what a function allocated\n"
          "itself (it is the innermost frame), cum what it and its callees did (it is\n"
          "anywhere in the stack: counted once per stack, however deep a recursion\n"
          "goes), sum% the flat% of the rows so far.\n"
          "\n" TOOL_HV_PICK_HELP
          "      --by function|line  a row per function (the default), or per function\n"
          "                          and source line\n"
          "  -n, --rows N            print the first N rows (default 20; 1 to 1000000)\n"
          "      --cum               sort by cum (default: by flat)\n"
          "      --raw               exact numbers: bytes as integers, no KiB/MiB/GiB\n"
          "  -h, --help              show this text\n"
          "\n"
          "The header says which value, the profile's total of it, and its sampling\n"
          "period: values are estimates the producer scaled up from the samples. Bytes\n"
          "print as B, KiB, MiB or GiB (1024-based, one decimal) unless --raw. An option\n"
          "given twice is an error, and so are --inuse with --alloc and --objects with\n"
          "--space.\n"
          "\n"
          "Exit status: 0 success, 1 FILE cannot be read or is not a heap profile,\n"
          "2 bad arguments.\n",
          stdout);
}

typedef struct top_opts {
    const char *in;
    int vi, line, by_cum, raw;
    long rows;
} top_opts;

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, top_opts *o)
{
    int show_help = 0, n, r;
    const char *by = NULL, *rows = NULL;
    tool_hv_pick pk = {0};
    tool_opt table[] = {
        TOOL_HV_PICK_OPTS(&pk),
        TOOL_OPT_VALUE("--by", 0, &by),
        TOOL_OPT_VALUE("--rows", 'n', &rows),
        TOOL_OPT_FLAG("--cum", 0, &o->by_cum),
        TOOL_OPT_FLAG("--raw", 0, &o->raw),
        TOOL_OPT_STOP("--help", 'h', &show_help),
        TOOL_OPT_END,
    };
    tool_opts how = {"top", HINT, table, 0, NULL};

    r = tool_opts_parse(&how, argc, argv, &n);
    if (r == TOOL_OPTS_STOP) {
        usage();
        return tool_stdout_done("top");
    }
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if ((r = tool_hv_pick_value("top", HINT, &pk, &o->vi)) >= 0)
        return r;
    if (by && strcmp(by, "function") != 0 && strcmp(by, "line") != 0) {
        tool_say("top", "bad value for --by: '%s': want function or line (" HINT ")", by);
        return TOOL_EXIT_USAGE;
    }
    o->line = by && strcmp(by, "line") == 0;
    /* table[5]: --rows, as typed (-n or --rows) */
    if (rows && (r = tool_opt_count("top", HINT, table[5].given, rows, 1, 1000000, &o->rows)) >= 0)
        return r;
    if (n == 0) {
        tool_say("top", "no FILE given (" HINT ")");
        return TOOL_EXIT_USAGE;
    }
    if (n > 1) {
        tool_say("top", "more than one FILE: '%s', then '%s' (" HINT ")", argv[1], argv[2]);
        return TOOL_EXIT_USAGE;
    }
    o->in = argv[1];
    return -1;
}

static double pct(int64_t v, int64_t total)
{
    return total ? 100.0 * (double)v / (double)total : 0;
}

static void print_table(const top_opts *o, const pprof_profile *p, const tool_top *t)
{
    int bytes = tool_hv_is_bytes(o->vi);
    size_t shown = t->nrows < (size_t)o->rows ? t->nrows : (size_t)o->rows;
    char a[160], b[64];
    int64_t sum = 0;
    int w = 10;

    for (size_t i = 0; i < shown; i++) { /* raw values can be wider */
        int wf = (int)strlen(tool_hv_format(a, sizeof a, t->rows[i].flat, bytes, o->raw, 0));
        int wc = (int)strlen(tool_hv_format(b, sizeof b, t->rows[i].cum, bytes, o->raw, 0));
        w = wf > w ? wf : w;
        w = wc > w ? wc : w;
    }
    for (size_t i = 0; i < shown; i++)
        sum = tool_hv_add(sum, t->rows[i].flat);
    printf("File: %s\n", o->in);
    printf("Type: %s (%s): %s in all, %zu samples\n", tool_hv_value_name(o->vi),
           tool_hv_type_name(o->vi), tool_hv_format(a, sizeof a, t->total, bytes, o->raw, 0),
           t->nsamples);
    printf("%s\n", tool_hv_meaning(o->vi));
    printf("%s\n", tool_hv_period(a, sizeof a, p->period));
    printf("Showing %zu of %zu %s, %.1f%% of the total\n", shown, t->nrows,
           o->line ? "lines" : "functions", pct(sum, t->total));
    printf("%*s  %6s  %6s  %*s  %6s  %s\n", w, "flat", "flat%", "sum%", w, "cum", "cum%",
           o->line ? "function file:line" : "function");
    sum = 0;
    for (size_t i = 0; i < shown; i++) {
        const tool_top_row *r = &t->rows[i];
        sum = tool_hv_add(sum, r->flat);
        printf("%*s  %5.1f%%  %5.1f%%  %*s  %5.1f%%  %s\n", w,
               tool_hv_format(a, sizeof a, r->flat, bytes, o->raw, 0), pct(r->flat, t->total),
               pct(sum, t->total), w, tool_hv_format(b, sizeof b, r->cum, bytes, o->raw, 0),
               pct(r->cum, t->total), r->name);
    }
}

int tool_cmd_top(int argc, char **argv)
{
    top_opts o = {.rows = 20};
    pprof_profile p;
    tool_top t;
    int status = parse_args(argc, argv, &o);

    if (status >= 0)
        return status;
    if ((status = tool_heap_load("top", o.in, &p)) != 0)
        return status;
    if (tool_top_make(&p, o.vi, o.line, o.by_cum, &t) < 0) {
        tool_say("top", "%s: out of memory", o.in);
        tool_heap_free(&p);
        return TOOL_EXIT_FAIL;
    }
    print_table(&o, &p, &t);
    tool_top_free(&t);
    tool_heap_free(&p);
    return tool_stdout_done("top");
}
