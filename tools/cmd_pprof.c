/*
 * cmd_pprof.c - `gcprof pprof RAW -o OUT.pb.gz`: a raw heap dump
 * (doc/heap-dump-format.md) into a gzip'd pprof profile, offline. The
 * same conversion as gcprof run's (run_heap.c) and the pprof module's
 * (pprof/module.c), for the dumps a program wrote without the module at
 * hand, or that a user kept.
 */
#include "commands.h"
#include "options.h"
#include "pprof.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HINT "see gcprof pprof --help"

static void usage(void)
{
    fputs("Usage: gcprof pprof -o OUT.pb.gz RAW\n"
          "\n"
          "Converts a raw heap dump (doc/heap-dump-format.md: what a program built\n"
          "against libgcprof writes when its pprof module, libgcprof-pprof.so, cannot be\n"
          "loaded) into a heap profile in pprof's format, gzip'd, for gcprof top,\n"
          "flame and diff, go tool pprof, Pyroscope or speedscope. Functions, files and\n"
          "lines are read from the program's files on disk: convert before they are\n"
          "rebuilt or upgraded. A file whose build ID is no longer the dump's leaves\n"
          "its frames unnamed, and is named in a note on stderr and in the profile's\n"
          "comments. RAW '-' is standard input.\n"
          "\n"
          "  -o, --output OUT.pb.gz  where to write\n"
          "  -h, --help              show this text\n"
          "\n"
          "The file is written beside OUT.pb.gz, as OUT.pb.gz.tmp.XXXXXX (mode 0644 &\n"
          "~umask), and renamed over it when complete. The same dump and files give\n"
          "the same bytes.\n"
          "\n"
          "Exit status: 0 success, 1 RAW cannot be read or is not a raw heap dump, or\n"
          "OUT.pb.gz cannot be written; 2 bad arguments.\n",
          stdout);
}

typedef struct pprof_opts {
    const char *in, *out;
} pprof_opts;

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, pprof_opts *o)
{
    int show_help = 0, n, r;
    tool_opt table[] = {
        TOOL_OPT_VALUE("--output", 'o', &o->out),
        TOOL_OPT_STOP("--help", 'h', &show_help),
        TOOL_OPT_END,
    };
    tool_opts how = {"pprof", HINT, table, 0, NULL};

    r = tool_opts_parse(&how, argc, argv, &n);
    if (r == TOOL_OPTS_STOP) {
        usage();
        return tool_stdout_done("pprof");
    }
    if (r != TOOL_OPTS_OK)
        return TOOL_EXIT_USAGE;
    if (n > 1) {
        tool_say("pprof", "more than one RAW: '%s', then '%s' (" HINT ")", argv[1], argv[2]);
        return TOOL_EXIT_USAGE;
    }
    if (n == 0) {
        tool_say("pprof", "no RAW given (" HINT ")");
        return TOOL_EXIT_USAGE;
    }
    o->in = argv[1];
    if (!o->out) {
        tool_say("pprof", "no output given: -o OUT.pb.gz (" HINT ")");
        return TOOL_EXIT_USAGE;
    }
    if (!*o->out) {
        tool_say("pprof", "empty file name for %s (" HINT ")", table[0].given);
        return TOOL_EXIT_USAGE;
    }
    struct stat in, out; /* the profile over its own dump loses the dump */
    if (stat(o->in, &in) == 0 && stat(o->out, &out) == 0 && in.st_dev == out.st_dev &&
        in.st_ino == out.st_ino) {
        tool_say("pprof", "-o '%s' is the input RAW '%s' (" HINT ")", o->out, o->in);
        return TOOL_EXIT_USAGE;
    }
    return -1;
}

/* The symboliser's notes (frames left unnamed, and why) on stderr: the
 * profile's comments that are not the dump's own. */
static void say_notes(const pprof_raw *raw, const pprof_profile *p)
{
    for (size_t i = 0; i < p->ncomments; i++) {
        size_t j = 0;
        while (j < raw->ncomments && strcmp(raw->comments[j], p->comments[i]) != 0)
            j++;
        if (j == raw->ncomments)
            tool_say("pprof", "note: %s",
                     strncmp(p->comments[i], "gcprof: ", 8) == 0 ? p->comments[i] + 8
                                                                 : p->comments[i]);
    }
}

int tool_cmd_pprof(int argc, char **argv)
{
    pprof_opts o = {0};
    char err[1024];
    pprof_raw raw;
    pprof_profile p;
    int status = parse_args(argc, argv, &o), rc;

    if (status >= 0)
        return status;
    if (strcmp(o.in, "-") == 0)
        rc = pprof_dump_read_fd(STDIN_FILENO, "standard input", &raw, err, sizeof err);
    else
        rc = pprof_dump_read(o.in, &raw, err, sizeof err);
    if (rc != 0) { /* the reader names the file and the line */
        tool_say("pprof", "%s", err);
        return TOOL_EXIT_FAIL;
    }
    status = TOOL_EXIT_FAIL;
    if (pprof_symbolize(&raw, &p, err, sizeof err) != 0) {
        tool_say("pprof", "%s: %s", o.in, err);
    } else {
        if (pprof_write(&p, o.out, err, sizeof err) != 0)
            tool_say("pprof", "cannot write %s", err); /* "OUT: why" */
        else
            status = TOOL_EXIT_OK;
        if (status == TOOL_EXIT_OK)
            say_notes(&raw, &p);
        pprof_profile_free(&p);
    }
    pprof_raw_free(&raw);
    return status;
}
