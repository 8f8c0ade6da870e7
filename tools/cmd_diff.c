/*
 * cmd_diff.c - `gcprof diff OLD NEW`: what grew between two heap profiles,
 * by stack and then by function: the leak hunt's question, "where does
 * the memory that keeps growing come from?" The matching and sums are
 * heap_diff.c's.
 */
#include "commands.h"
#include "heap_cmd.h"
#include "heap_view.h"
#include "options.h"

#include <stdio.h>
#include <string.h>

#define HINT "see gcprof diff --help"

static void usage(void)
{
    fputs("Usage: gcprof diff [--inuse|--alloc] [--objects|--space] [-n N] [--frames K]\n"
          "                   [--raw] OLD NEW\n"
          "\n"
          "Prints what grew from heap profile OLD to heap profile NEW (pprof's format,\n"
          "gzip'd or not, from gcprof or any producer): the stacks whose value grew\n"
          "most, each with its innermost frames, then the functions that grew most.\n"
          "A stack is its sequence of function names (and the objects' kind, when the\n"
          "profiles have kinds), so two runs of a program match whatever their\n"
          "addresses; a stack in one profile only counts as 0 in the other.\n"
          "\n" TOOL_HV_PICK_HELP
          "  -n, --rows N            print the first N stacks and N functions\n"
          "                          (default 10; 1 to 1000000)\n"
          "      --frames K          the innermost K frames of each stack (default 4;\n"
          "                          1 to 1000)\n"
          "      --raw               exact numbers: bytes as integers, no KiB/MiB/GiB\n"
          "  -h, --help              show this text\n"
          "\n"
          "Values are the estimates each producer scaled from its samples, so two\n"
          "profiles with different sampling periods still compare (the header shows\n"
          "both). Under the functions, flat is the growth of the stacks a function\n"
          "ends, cum that of the stacks it is in (once per stack). Only what grew is\n"
          "listed; the header counts what shrank. An option given twice is an error,\n"
          "and so are --inuse with --alloc and --objects with --space.\n"
          "\n"
          "Exit status: 0 success, 1 OLD or NEW cannot be read or is not a heap\n"
          "profile, 2 bad arguments.\n",
          stdout);
}

typedef struct diff_opts {
    const char *old_path, *new_path;
    int vi, raw;
    long rows, frames;
} diff_opts;

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, diff_opts *o)
{
    int show_help = 0, n, r;
    const char *rows = NULL, *frames = NULL;
    tool_hv_pick pk = {0};
    tool_opt table[] = {
        TOOL_HV_PICK_OPTS(&pk),
        TOOL_OPT_VALUE("--rows", 'n', &rows),
        TOOL_OPT_VALUE("--frames", 0, &frames),
        TOOL_OPT_FLAG("--raw", 0, &o->raw),
        TOOL_OPT_STOP("--help", 'h', &show_help),
        TOOL_OPT_END,
    };
    tool_opts how = {"diff", HINT, table, 0, NULL};

    r = tool_opts_parse(&how, argc, argv, &n);
    if (r == TOOL_OPTS_STOP) {
        usage();
        return tool_stdout_done("diff");
    }
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if ((r = tool_hv_pick_value("diff", HINT, &pk, &o->vi)) >= 0)
        return r;
    /* table[4]: --rows, as typed */
    if (rows && (r = tool_opt_count("diff", HINT, table[4].given, rows, 1, 1000000, &o->rows)) >= 0)
        return r;
    if (frames && (r = tool_opt_count("diff", HINT, "--frames", frames, 1, 1000, &o->frames)) >= 0)
        return r;
    if (n != 2) {
        if (n > 2)
            tool_say("diff", "more than two files: '%s', '%s', then '%s' (" HINT ")", argv[1],
                     argv[2], argv[3]);
        else
            tool_say("diff", "%s (" HINT ")",
                     n ? "no NEW file given" : "no OLD and NEW files given");
        return TOOL_EXIT_USAGE;
    }
    o->old_path = argv[1];
    o->new_path = argv[2];
    return -1;
}

static void print_header(const diff_opts *o, const tool_diff *d, const pprof_profile *old_p,
                         const pprof_profile *new_p)
{
    int bytes = tool_hv_is_bytes(o->vi);
    size_t grew = 0, shrank = 0, added = 0, gone = 0, any = 0;
    char a[64], b[64], c[160];

    for (size_t i = 0; i < d->nstacks; i++) {
        const tool_diff_stack *s = &d->stacks[i];
        any += s->old_v || s->new_v; /* in-use values of freed objects are 0 */
        grew += s->new_v > s->old_v;
        shrank += s->new_v < s->old_v;
        added += s->old_v == 0 && s->new_v > 0;
        gone += s->old_v > 0 && s->new_v == 0;
    }
    printf("Old: %s: %s in all; %s\n", o->old_path,
           tool_hv_format(a, sizeof a, d->old_total, bytes, o->raw, 0),
           tool_hv_period(c, sizeof c, old_p->period));
    printf("New: %s: %s in all; %s\n", o->new_path,
           tool_hv_format(a, sizeof a, d->new_total, bytes, o->raw, 0),
           tool_hv_period(c, sizeof c, new_p->period));
    printf("Type: %s (%s); %s\n", tool_hv_value_name(o->vi), tool_hv_type_name(o->vi),
           tool_hv_meaning(o->vi));
    printf("Values are estimates each profile scaled by its own sampling period, so "
           "profiles of different periods compare.\n");
    printf("Change: %s (%s -> %s) over %zu stacks with a value: %zu grew (%zu new), %zu shrank "
           "(%zu gone)\n",
           tool_hv_format(c, sizeof c, tool_hv_sub(d->new_total, d->old_total), bytes, o->raw, 1),
           tool_hv_format(a, sizeof a, d->old_total, bytes, o->raw, 0),
           tool_hv_format(b, sizeof b, d->new_total, bytes, o->raw, 0), any, grew, added, shrank,
           gone);
}

/* "f0 < f1 < f2 < ... (N more)": the innermost frames, callers after. */
static void print_stack(const diff_opts *o, const tool_diff *d, const tool_diff_stack *s)
{
    size_t shown = s->depth < (size_t)o->frames ? s->depth : (size_t)o->frames;

    if (!s->depth)
        fputs(TOOL_HV_NO_STACK, stdout);
    for (size_t k = 0; k < shown; k++)
        printf("%s%s", k ? " < " : "", tool_diff_name(d, s->frames[k]));
    if (shown < s->depth)
        printf(" < ... (%zu more)", s->depth - shown);
    if (*s->kind)
        printf("  [%s]", s->kind);
    putchar('\n');
}

static void print_stacks(const diff_opts *o, const tool_diff *d)
{
    int bytes = tool_hv_is_bytes(o->vi), w = o->raw ? 14 : 11;
    char a[64], b[64], c[64];
    size_t n = 0;

    printf("\nStacks that grew most (innermost frame first; '<' reads 'called by'):\n");
    printf("%*s %*s %*s  stack\n", w, "growth", w, "old", w, "new");
    for (size_t i = 0; i < d->nstacks && n < (size_t)o->rows; i++, n++) {
        const tool_diff_stack *s = &d->stacks[i];
        if (s->new_v <= s->old_v)
            break;
        printf("%*s %*s %*s  ", w,
               tool_hv_format(a, sizeof a, tool_hv_sub(s->new_v, s->old_v), bytes, o->raw, 1), w,
               tool_hv_format(b, sizeof b, s->old_v, bytes, o->raw, 0), w,
               tool_hv_format(c, sizeof c, s->new_v, bytes, o->raw, 0));
        print_stack(o, d, s);
    }
    if (n == 0)
        printf("(nothing grew)\n");
}

static void print_funcs(const diff_opts *o, const tool_diff *d)
{
    int bytes = tool_hv_is_bytes(o->vi), w = o->raw ? 14 : 11;
    char a[64], b[64];
    size_t n = 0;

    printf(
        "\nFunctions that grew most (flat: in the stacks they end; cum: in those they are in):\n");
    printf("%*s %*s  function\n", w, "flat", w, "cum");
    for (size_t i = 0; i < d->nfuncs && n < (size_t)o->rows; i++) {
        const tool_diff_func *f = &d->funcs[i];
        if (f->flat <= 0 && f->cum <= 0)
            continue;
        printf("%*s %*s  %s\n", w, tool_hv_format(a, sizeof a, f->flat, bytes, o->raw, 1), w,
               tool_hv_format(b, sizeof b, f->cum, bytes, o->raw, 1), f->name);
        n++;
    }
    if (n == 0)
        printf("(nothing grew)\n");
}

int tool_cmd_diff(int argc, char **argv)
{
    diff_opts o = {.rows = 10, .frames = 4};
    pprof_profile old_p, new_p;
    tool_diff d;
    int status = parse_args(argc, argv, &o);

    if (status >= 0)
        return status;
    if ((status = tool_heap_load("diff", o.old_path, &old_p)) != 0)
        return status;
    if ((status = tool_heap_load("diff", o.new_path, &new_p)) != 0) {
        tool_heap_free(&old_p);
        return status;
    }
    if (tool_diff_make(&old_p, &new_p, o.vi, &d) < 0) {
        tool_say("diff", "out of memory");
        status = TOOL_EXIT_FAIL;
    } else {
        print_header(&o, &d, &old_p, &new_p);
        print_stacks(&o, &d);
        print_funcs(&o, &d);
        tool_diff_free(&d);
        status = tool_stdout_done("diff");
    }
    tool_heap_free(&old_p);
    tool_heap_free(&new_p);
    return status;
}
