/*
 * tune.h - inside `gcprof tune`: the grid of collector settings
 * (tune_grid.c), one run of the program under one of them (tune_run.c),
 * the figures over the rounds and the choice (tune_stats.c), and what is
 * printed: the table and the recommendation (tune_report.c), JSON
 * (tune_json.c) and the scatter plot (tune_plot.c). cmd_tune.c is the
 * command around them.
 */
#ifndef TOOL_TUNE_H
#define TOOL_TUNE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "commands.h" /* tool_out */

/* ---- the grid (tune_grid.c) --------------------------------------------- */

#define TOOL_TUNE_AXES     5
#define TOOL_TUNE_MAX_RUNS 1000 /* configs x rounds: more is refused */

/* One setting: an environment variable bdwgc reads when it starts
 * (GC_init), left unset (bdwgc's default) or set to each value in turn. */
typedef struct tool_tune_axis {
    const char *var;       /* GC_FREE_SPACE_DIVISOR */
    const char *name;      /* in the table's config column: divisor */
    const char *builtin;   /* what unset means, for --help */
    const char *values[4]; /* tried besides unset; NULL-ended */
} tool_tune_axis;

extern const tool_tune_axis tool_tune_axes[TOOL_TUNE_AXES];

typedef struct tool_tune_config {
    unsigned char pick[TOOL_TUNE_AXES]; /* per axis: 0 unset, else values[pick - 1] */
    char label[96];                     /* "default", "divisor=2 heap=64M" */
    char assign[160];                   /* "GC_FREE_SPACE_DIVISOR=2 ..."; "" for the defaults */
    char *env[TOOL_TUNE_AXES + 1];      /* tool_child_opts.env: "VAR=VALUE", or "VAR": unset */
    char env_text[TOOL_TUNE_AXES][48];  /* what env points to */
} tool_tune_config;

/* The configs of a grid, the defaults first: axes (each axis's values
 * alone) or full (every combination). *n configs in *out (free it), or
 * -1 when out of memory. */
int tool_tune_grid_make(int full, tool_tune_config **out, size_t *n);
size_t tool_tune_grid_size(int full);

/* ---- one run (tune_run.c) ------------------------------------------------ */

enum {
    TOOL_TUNE_NOT_RUN = 0,
    TOOL_TUNE_OK,      /* exit status 0 */
    TOOL_TUNE_FAILED,  /* another exit status, or killed by a signal */
    TOOL_TUNE_STOPPED, /* stopped by gcprof tune itself (SIGINT, SIGTERM): not a result */
};

typedef struct tool_tune_run {
    int state;
    int seq;         /* 1-based: the order the runs ran in */
    int wstatus;     /* wait4's */
    double wall;     /* s, monotonic: fork to exit */
    double cpu;      /* s: user + system, of it and the children it waited for */
    double rss;      /* MiB: the kernel's peak (ru_maxrss) */
    int has_gcs;     /* the preload recorded its collector (dynamically linked libgc) */
    uint64_t gcs;    /* collections: the collector's own count (GC_get_gc_no) */
    int has_gc_time; /* every collection has its record (incremental ones send none) */
    double gc_time;  /* s: the collections' times added up, start to end */
    int unrecorded;  /* its recording could not be written: no collector figures */
} tool_tune_run;

typedef struct tool_tune_session {
    char **argv;
    const char *preload; /* NULL: no collector figures */
    char preload_buf[PATH_MAX];
    char dir[PATH_MAX];       /* the temporary directory of the recordings (run_dir.h) */
    char path[PATH_MAX + 16]; /* dir/run.dat */
    int show_output;
    /* The progress line, shown on stderr while the program runs (once it
     * started: a program that cannot be started gets its one error line):
     * on a terminal rewritten in place and cleared after each run, else a
     * line a run. Empty: none. */
    char progress[256];
    int tty;
} tool_tune_session;

/* The temporary directory (tool_tmp_dir: in $TMPDIR, else /tmp) and the
 * preload. 0, or -1 (said). */
int tool_tune_session_open(tool_tune_session *s, char **argv, int show_output);
/* Runs the program once under c into *r (r->seq is the caller's). 0 (the
 * state says how it went; a run whose recording could not be written has
 * r->unrecorded, said, and no collector figures), or an exit status, said:
 * 127 or 126 when it cannot be started, 1 when gcprof fails (no fork). */
int tool_tune_run_one(tool_tune_session *s, const tool_tune_config *c, tool_tune_run *r);
/* Removes the directory and what is in it. */
void tool_tune_session_close(tool_tune_session *s);

/* ---- the figures (tune_stats.c) ----------------------------------------- */

typedef struct tool_tune_stat {
    size_t n;
    double med, lo, hi;
} tool_tune_stat;

typedef struct tool_tune_row {
    size_t ok, failed; /* runs in the rounds used */
    size_t stopped;    /* runs there that gcprof tune stopped (a signal) */
    int fail_wstatus;  /* the first failed run's */
    tool_tune_stat wall, cpu, rss, gc_time, gcs;
    int gc_time_unknown; /* some run's collections had no records */
    size_t unrecorded;   /* runs ok whose recording could not be written: no
                          * collections or GC time for the config */
    int eligible;        /* runs, none failed: may be on the front, recommended */
    int front;           /* on the Pareto front of (median wall, median peak RSS) */
    /* config over the defaults in the same round, over the rounds where
     * both ran well: wall, CPU, peak RSS */
    tool_tune_stat vs[3];
} tool_tune_row;

enum { TOOL_TUNE_WALL, TOOL_TUNE_CPU, TOOL_TUNE_RSS };

typedef struct tool_tune_result {
    const tool_tune_config *configs;
    size_t nconfigs;
    const tool_tune_run *runs; /* [round * nconfigs + config] */
    size_t rounds;             /* asked for */
    size_t warmup;             /* runs of the defaults first, not counted */
    size_t complete;           /* rounds in which every config ran */
    size_t used;               /* the figures' rounds: complete, or the first when none is */
    double max_rss;            /* MiB; 0: no limit */
    int stop_signal;           /* the signal that stopped the runs, or 0 */
    double elapsed;            /* s, all runs */
    tool_tune_row *rows;
    long best;   /* the recommendation (complete rounds only), or -1 */
    long lowest; /* the lowest median peak RSS of the eligible, or -1 */
} tool_tune_result;

/* Fills res->rows, complete, used, best, lowest from the rest. 0, or -1
 * when out of memory. */
int tool_tune_stats_make(tool_tune_result *res);
void tool_tune_stats_free(tool_tune_result *res);

/* ---- output -------------------------------------------------------------- */

/* tune_output.c: the report (a file, or standard output) and the plot. */
typedef struct tool_tune_outputs {
    tool_out report, plot; /* each open while its path is set: else standard output, no plot */
} tool_tune_outputs;

/* Opens the files (temporary, beside their names): 0, or -1 (said). */
int tool_tune_outputs_open(tool_tune_outputs *out, const char *report, const char *plot);
/* Writes the report (text or JSON) and the plot, and gives the files
 * their names: 0, or TOOL_EXIT_FAIL (said; what could be written is). */
int tool_tune_outputs_write(tool_tune_outputs *out, const tool_tune_result *res, char **argv,
                            int json);
/* Removes the files not yet named. */
void tool_tune_outputs_discard(tool_tune_outputs *out);

/* tune_report.c: the table and the recommendation (program: argv). */
void tool_tune_print_text(FILE *fp, const tool_tune_result *res, char **argv);
/* tune_json.c: the same as one JSON object, each run's figures too. */
void tool_tune_print_json(FILE *fp, const tool_tune_result *res, char **argv);
/* tune_plot.c: median peak RSS over median wall time, the front joined
 * and labelled. 0, -1 when no config ran to its end (nothing to draw), or
 * -2 when out of memory. */
int tool_tune_plot(FILE *fp, const tool_tune_result *res, char **argv);

/* "exit status 3", "killed by signal 9 (SIGKILL)" (the program's ending,
 * as wait gives it), in buf: summary.h's tool_ending_text. */
const char *tool_tune_status_text(int wstatus, char *buf, size_t size);

#endif /* TOOL_TUNE_H */
