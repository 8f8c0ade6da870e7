/*
 * options.h - the one option parser of the gcprof command and its
 * subcommands (options.c). Each command lists its options in a table and
 * checks the values itself, once all are in:
 *
 *     const char *out = NULL;
 *     int json = 0, help = 0, nfiles;
 *     tool_opt table[] = {
 *         TOOL_OPT_VALUE("--output", 'o', &out),
 *         TOOL_OPT_FLAG("--json", 0, &json),
 *         TOOL_OPT_STOP("--help", 'h', &help),
 *         TOOL_OPT_END,
 *     };
 *     tool_opts how = {"plot", usage, table, 0, NULL};
 *     int r = tool_opts_parse(&how, argc, argv, &nfiles);
 *
 * Spellings: "--output VALUE", "--output=VALUE", "-o VALUE", "-oVALUE" and
 * "-o=VALUE" (as mprof's argparse takes it); a flag takes no value
 * ("--json=1" and "-hx" are unknown options). Long names are whole, never
 * abbreviated; an optional value comes only after '=' ("--heap-profile",
 * "--heap-profile=1"). "--" ends the options; "-" alone is an argument. An option
 * given twice, an unknown one and a missing value are errors, said in one
 * line: "gcprof CMD: <what> (HINT)".
 */
#ifndef TOOL_OPTIONS_H
#define TOOL_OPTIONS_H

typedef struct tool_opt {
    const char *name;   /* "--output"; NULL ends the table */
    char letter;        /* 'o' for "-o", or 0 */
    const char **value; /* takes a value: it goes here (pointing into argv) */
    int *flag;          /* takes none: set to 1 (with value too: an optional value) */
    int stop;           /* a flag that ends the parse where it stands (--help) */
    const char *given;  /* out: the option as typed ("-o" or "--output"), or NULL */
    char short_name[3]; /* private: "-o", when given so */
} tool_opt;

#define TOOL_OPT_VALUE(name, letter, slot) {(name), (letter), (slot), NULL, 0, NULL, ""}
#define TOOL_OPT_FLAG(name, letter, slot)  {(name), (letter), NULL, (slot), 0, NULL, ""}
#define TOOL_OPT_STOP(name, letter, slot)  {(name), (letter), NULL, (slot), 1, NULL, ""}
/* "--name" sets the flag; "--name=VALUE" sets it and takes the value
 * (never from the next argument: it may be the program's). Long only. */
#define TOOL_OPT_OPTIONAL(name, slot, flag)                                                        \
    {                                                                                              \
        (name), 0, (slot), (flag), 0, NULL, ""                                                     \
    }
#define TOOL_OPT_END                       {NULL, 0, NULL, NULL, 0, NULL, ""}

typedef struct tool_opts {
    const char *cmd;  /* in messages, "gcprof CMD: "; NULL: "gcprof: " */
    const char *hint; /* ends every message, in parentheses: the usage, or where it is */
    tool_opt *table;
    int in_order; /* options end at the first argument that is not one (run: the
                   * rest is the program's command line) */
    int *dashes;  /* out, or NULL: how many arguments came before "--", or -1
                   * when there was none (heap: FILE, or -- PROGRAM) */
} tool_opts;

enum { TOOL_OPTS_OK = 0, TOOL_OPTS_STOP = 1, TOOL_OPTS_ERROR = -1 };

/* Parses argv[1..argc) (argv[0] is the command's name) into the table.
 * TOOL_OPTS_OK: the other arguments are moved, in their order, to
 * argv[1..*npos], and argv[*npos + 1] is NULL (argv must have argv[argc]).
 * TOOL_OPTS_STOP: a stop option was given (its flag is set; argv is in no
 * order). TOOL_OPTS_ERROR: an error was said. */
int tool_opts_parse(const tool_opts *how, int argc, char **argv, int *npos);

/* ---- values, once parsed ------------------------------------------------
 * Each returns -1 to go on, or TOOL_EXIT_USAGE after saying what is wrong
 * ("gcprof CMD: ... (HINT)"), naming the option as given (opt). */

/* A whole number from lo to hi (decimal), into *n. */
int tool_opt_count(const char *cmd, const char *hint, const char *opt, const char *s, long lo,
                   long hi, long *n);

/* A file to write: not empty; "-" only when stdout_why is NULL (else it
 * says what standard output has: "standard output has the report"). */
int tool_opt_file(const char *cmd, const char *hint, const char *opt, const char *s,
                  const char *stdout_why);

#endif /* TOOL_OPTIONS_H */
