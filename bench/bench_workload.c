/*
 * bench_workload.c - whole-program overhead of the profiler, next to peers.
 *
 * workload.c (and its Python twin) puts 100 x 8 MB of arrays through the
 * heap. Each variant is a process, timed from fork to exit, in rounds of
 * rotated order; medians are compared. Target: profiling each iteration
 * with auto_gc=0 costs at most 2% of plain's wall time. That one is judged
 * on the fastest of the 61 rounds of each: the work is deterministic and
 * this shared machine only ever adds time (medians of identical runs moved
 * by 30% between batches), so the fastest runs are the least disturbed
 * measure; the ratio of medians is printed next to it. For information:
 * the default config, heaptrack and massif on the C program, memory_profiler
 * on the twin (against plain Python), and whether each tool's figure shows
 * the 8 MB per iteration. Missing tools are skipped with a message. Figures
 * also go to $GCP_BENCH_JSON (default bench_workload.json). workload is
 * found next to this program, the twin in $srcdir/bench or here.
 * Exit status 1: target missed; 2: the workload failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"

#define ITERATIONS     100
#define EXPECTED_BYTES 8000000.0 /* 1000 arrays x 1000 words x 8 bytes */
#define SEEN_FRACTION  0.9       /* a peer "saw" them at 90% (RSS, rounding) */
#define TARGET_RATIO   1.02
#define ROUNDS_CORE    61 /* 0.15 s processes on a shared machine: many rounds */
#define ROUNDS_SLOW    5
#define ROUNDS_PEER    3 /* @profile, the slowest, takes ~7 s: no need to cut iterations */

enum { V_PLAIN, V_STATS, V_GC, V_ADAPTIVE, V_HEAPTRACK, V_MASSIF, V_PY, V_PY_USAGE, V_PY_LINES, N_V };

/* What each variant is. Its figure follows figure_key in its stdout (in
 * massif's file for massif). In args, "$W" stands for workload, "$T" the
 * twin, "$P" python, "$H" heaptrack's output, "$M" massif's output option. */
static const struct spec {
    const char *tool, *key;
    int rounds, base; /* slowdown is relative to variant base */
    const char *what, *figure_key;
    const char *args[6];
} spec[N_V] = {
    /* clang-format off */
    {"libgcprof plain (C)", "plain", ROUNDS_CORE, V_PLAIN,
     "baseline; heap counters per iteration", "bytes_min=", {"$W", "plain"}},
    {"libgcprof profiled auto_gc=0", "profiled", ROUNDS_CORE, V_PLAIN,
     "min bytes_allocated of the reports", "bytes_min=", {"$W", "stats"}},
    {"libgcprof profiled, default", "profiled_gc", ROUNDS_SLOW, V_PLAIN,
     "info: auto_gc=1, full GC before+after each call; min bytes_allocated", "bytes_min=",
     {"$W", "gc"}},
    {"libgcprof profiled, adaptive", "profiled_adaptive", ROUNDS_SLOW, V_PLAIN,
     "info: auto_gc=adaptive, collects when it pays; min bytes_allocated", "bytes_min=",
     {"$W", "adaptive"}},
    {"heaptrack", "heaptrack", ROUNDS_PEER, V_PLAIN, "peak heap by heaptrack_print (malloc only)",
     "peak heap memory consumption:", {"heaptrack", "-o", "$H", "$W", "plain"}},
    {"valgrind massif", "massif", ROUNDS_PEER, V_PLAIN, "peak mem_heap_B (malloc only)",
     "mem_heap_B=", {"valgrind", "--tool=massif", "$M", "$W", "plain"}},
    {"python3 plain (twin)", "python", ROUNDS_SLOW, V_PY, "baseline of the Python rows",
     NULL, {"$P", "$T", "plain"}},
    {"memory_profiler memory_usage", "mprof_usage", ROUNDS_PEER, V_PY,
     "RSS sampled every 0.1 s, max-min", "spread_bytes=", {"$P", "$T", "usage"}},
    {"memory_profiler @profile", "mprof_lines", ROUNDS_PEER, V_PY,
     "per-line Mem usage (RSS), max-min", "spread_bytes=",
     {"$P", "-m", "memory_profiler", "$T", "lines"}},
    /* clang-format on */
};

/* What each variant did. */
static struct variant {
    char *argv[7];
    char skip[160];  /* why it did not run (further), or "" */
    int failed;      /* exit status of a failed run */
    double reported; /* bytes its figure shows (median of the runs); -1: none */
    bench_series wall, figure;
    /* profiled runs: the time gcp_profile took outside the closure, and
     * the first call's part of it (the workload's own clock) */
    bench_series own_s, first_s;
} v[N_V];

static char dir[] = "/tmp/gcp-workload.XXXXXX";
static char out_path[64], err_path[64], ht_base[64], massif_out[64], massif_arg[96];
static char workload[PATH_MAX], twin[PATH_MAX];
static const char *python = "/usr/bin/python3";

/* Run argv, stdout to out, stderr to the log; wall seconds in *wall.
 * Returns its exit status (127: it could not be executed). */
static int run(char *const argv[], const char *out, double *wall)
{
    int status;
    uint64_t t0 = bench_now_ns();
    pid_t pid = fork();

    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return 125;
    *wall = (double)(bench_now_ns() - t0) / 1e9;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The largest number following key on any line of path, with heaptrack's
 * K/M/G suffixes (powers of 1000); -1 when there is none. */
static double file_max(const char *path, const char *key)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL, *p, *end;
    size_t cap = 0;
    double best = -1;

    while (fp != NULL && getline(&line, &cap, fp) > 0) {
        if ((p = strstr(line, key)) == NULL)
            continue;
        p += strlen(key);
        double x = strtod(p, &end);
        const char *unit = *end != '\0' ? strchr("KMG", *end) : NULL;
        for (long k = 0; unit != NULL && k <= unit - "KMG"; k++)
            x *= 1000.0;
        if (end != p && x > best)
            best = x;
    }
    free(line);
    if (fp != NULL)
        fclose(fp);
    return best;
}

/* heaptrack's figure: analyse its data file (not timed), then delete it. */
static int heaptrack_print(void)
{
    char data[80], *argv[] = {"heaptrack_print", "-f", data, "-p", "0", "-a", "0", "-T", "0", NULL};
    double wall;

    snprintf(data, sizeof data, "%s.zst", ht_base);
    if (access(data, R_OK) != 0)
        snprintf(data, sizeof data, "%s.gz", ht_base);
    int rc = run(argv, out_path, &wall);
    unlink(data);
    return rc;
}

/* One timed run; 0 when it succeeded. A variant that failed runs no more. */
static int run_once(int i)
{
    struct variant *x = &v[i];
    double wall;
    int rc = run(x->argv, out_path, &wall);

    if (rc == 127) /* execvp failed */
        snprintf(x->skip, sizeof x->skip, "skipped: %s not installed", x->argv[0]);
    else if (rc != 0)
        snprintf(x->skip, sizeof x->skip, "failed: exit %d, log kept in %s", x->failed = rc,
                 err_path);
    if (rc != 0)
        return rc;
    bench_add(&x->wall, wall);
    if (i == V_HEAPTRACK && heaptrack_print() != 0)
        return 0;
    double own_ns = file_max(out_path, "profiler_ns="), first_ns = file_max(out_path, "first_call_ns=");
    if (own_ns > 0) {
        bench_add(&x->own_s, own_ns / 1e9);
        bench_add(&x->first_s, first_ns / 1e9);
    }
    const char *path = i == V_MASSIF ? massif_out : out_path;
    double f = spec[i].figure_key ? file_max(path, spec[i].figure_key) : -1;
    if (f >= 0) /* samplers see a little more or less each run */
        bench_add(&x->figure, f);
    x->reported = x->figure.n > 0 ? bench_median(&x->figure) : -1;
    return 0;
}

static int locate(const char *argv0)
{
    char exe[PATH_MAX - 32] = "";
    const char *srcdir = getenv("srcdir"), *here;

    if (readlink("/proc/self/exe", exe, sizeof exe - 1) <= 0)
        snprintf(exe, sizeof exe, "%s", argv0);
    here = dirname(exe);
    snprintf(workload, sizeof workload, "%s/workload", here);
    if (srcdir != NULL)
        snprintf(twin, sizeof twin, "%s/bench/workload_twin.py", srcdir);
    if (srcdir == NULL || access(twin, R_OK) != 0)
        snprintf(twin, sizeof twin, "%s/workload_twin.py", here);
    if (getenv("GCP_BENCH_PYTHON"))
        python = getenv("GCP_BENCH_PYTHON");
    if (access(workload, X_OK) != 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_workload: no %s (or no temporary directory)\n", workload);
        return -1;
    }
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.log", dir);
    snprintf(ht_base, sizeof ht_base, "%s/heaptrack", dir);
    snprintf(massif_out, sizeof massif_out, "%s/massif.out", dir);
    snprintf(massif_arg, sizeof massif_arg, "--massif-out-file=%s", massif_out);
    return 0;
}

/* An argument of spec.args as run. */
static char *expand(const char *arg)
{
    char *const value[] = {workload, twin, (char *)python, ht_base, massif_arg};
    const char *key = arg[0] == '$' && arg[1] != '\0' ? strchr("WTPHM", arg[1]) : NULL;

    return key != NULL ? value[key - "WTPHM"] : (char *)arg;
}

static void setup(void)
{
    char *mp[] = {(char *)python, "-c", "import memory_profiler", NULL};
    const char *why = NULL;
    double wall;

    for (int i = 0; i < N_V; i++) {
        v[i].reported = -1;
        for (int k = 0; spec[i].args[k] != NULL; k++)
            v[i].argv[k] = expand(spec[i].args[k]);
    }
    if (access(python, X_OK) != 0)
        why = "skipped: python3 not installed (or set GCP_BENCH_PYTHON)";
    else if (access(twin, R_OK) != 0)
        why = "skipped: workload_twin.py not found (set srcdir)";
    for (int i = V_PY; i <= V_PY_LINES && why != NULL; i++)
        snprintf(v[i].skip, sizeof v[i].skip, "%s", why);
    if (why == NULL && run(mp, out_path, &wall) != 0)
        for (int i = V_PY_USAGE; i <= V_PY_LINES; i++)
            snprintf(v[i].skip, sizeof v[i].skip,
                     "skipped: memory_profiler not installed (python3-memory-profiler)");
    run(v[V_PLAIN].argv, out_path, &wall); /* warm the page cache */
    if (why == NULL)
        run(v[V_PY].argv, out_path, &wall);
}

/* Does the tool's figure show the 8 MB per iteration? -1: not applicable. */
static int saw(int i)
{
    if (i == V_PLAIN || i == V_PY || v[i].reported < 0)
        return -1;
    return v[i].reported >= (i <= V_GC ? 1.0 : SEEN_FRACTION) * EXPECTED_BYTES;
}

static double fastest(const bench_series *s)
{
    double m = s->n ? s->v[0] : 0;

    for (size_t k = 1; k < s->n; k++)
        m = s->v[k] < m ? s->v[k] : m;
    return m;
}

static double slowdown(int i)
{
    double base = bench_median(&v[spec[i].base].wall);

    return base > 0 && v[i].wall.n > 0 ? bench_median(&v[i].wall) / base : -1;
}

/* The note column: what the figure is, or why the variant did not run. */
static void note(int i, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "n=%zu; %s", v[i].wall.n, spec[i].what);

    if (v[i].wall.n == 0)
        snprintf(buf, len, "%s", v[i].skip);
    else if (v[i].reported >= 0 && n < len)
        n += (size_t)snprintf(buf + n, len - n, ": %.0f B", v[i].reported);
    if (v[i].wall.n > 0 && v[i].failed && n < len)
        snprintf(buf + n, len - n, "; then %s", v[i].skip);
}

static void print_table(void)
{
    static const char *yes_no[] = {"n/a", "no", "yes"};
    char buf[320];

    printf("  %-28s | %6s | %8s | %-18s | %s\n", "tool", "wall s", "slowdown", "saw collected heap",
           "note");
    for (int i = 0; i < N_V; i++) {
        int ran = v[i].wall.n > 0;
        char wall[16] = "-", ratio[16] = "-";
        note(i, buf, sizeof buf);
        if (ran) {
            snprintf(wall, sizeof wall, "%.3f", bench_median(&v[i].wall));
            snprintf(ratio, sizeof ratio, "%.2fx", slowdown(i));
        }
        printf("  %-28s | %6s | %8s | %-18s | %s\n", spec[i].tool, wall, ratio,
               ran ? yes_no[saw(i) + 1] : "-", buf);
    }
}

/* , "name": x with the given decimals, or null when x < 0 (not measured). */
static void json_num(FILE *fp, const char *name, int decimals, double x)
{
    fprintf(fp, ", \"%s\": ", name);
    if (x < 0)
        fputs("null", fp);
    else
        fprintf(fp, "%.*f", decimals, x);
}

static void write_json(double ratio, int pass)
{
    const char *path = getenv("GCP_BENCH_JSON") ? getenv("GCP_BENCH_JSON") : "bench_workload.json";
    static const char *json_bool[] = {"null", "false", "true"};
    FILE *fp = fopen(path, "w");
    char buf[320];

    if (fp == NULL) {
        fprintf(stderr, "bench_workload: cannot write %s\n", path);
        return;
    }
    fprintf(fp, "{\"iterations\": %d, \"expected_bytes_per_iteration\": %.0f", ITERATIONS,
            EXPECTED_BYTES);
    fprintf(fp, ", \"target_ratio\": %.2f, \"ratio\": %.4f, \"pass\": %s, \"variants\": [",
            TARGET_RATIO, ratio, pass ? "true" : "false");
    for (int i = 0; i < N_V; i++) {
        const bench_series *w = &v[i].wall;
        fprintf(fp, "%s\n  {\"key\": \"%s\", \"tool\": \"%s\", \"relative_to\": \"%s\"",
                i ? "," : "", spec[i].key, spec[i].tool, spec[spec[i].base].key);
        fprintf(fp, ", \"rounds\": %zu, \"wall_s\": [", w->n);
        for (size_t r = 0; r < w->n; r++)
            fprintf(fp, "%s%.4f", r ? ", " : "", w->v[r]);
        fputc(']', fp);
        json_num(fp, "wall_median_s", 4, w->n ? bench_median(w) : -1);
        json_num(fp, "slowdown", 4, slowdown(i));
        json_num(fp, "reported_bytes", 0, v[i].reported);
        note(i, buf, sizeof buf); /* notes and skip messages hold no quotes */
        int seen = saw(i);
        fprintf(fp, ", \"saw_collected_heap\": %s, \"note\": \"%s\"}", json_bool[seen + 1], buf);
    }
    fputs("\n]}\n", fp);
    fclose(fp);
}

/* What profiling adds, timed inside the profiled process: the calls'
 * time outside their closures (medians). Against plain's fastest run it
 * is the ratio the target would read with no other difference between
 * the two processes: the floor of the measure. */
static void print_floor(void)
{
    const struct variant *x = &v[V_STATS];
    double plain = fastest(&v[V_PLAIN].wall);

    if (x->own_s.n == 0 || plain <= 0)
        return;
    double own = bench_median(&x->own_s), first = bench_median(&x->first_s);
    printf("  => what profiling adds, timed in the profiled process (medians of %zu runs): "
           "%.3f ms = set-up in the first call %.3f ms + %d calls x %.2f us; "
           "1 + that / plain's fastest = %.4fx (the floor of the ratio above)\n",
           x->own_s.n, own * 1e3, first * 1e3, ITERATIONS - 1,
           (own - first) / (ITERATIONS - 1) * 1e6, 1 + own / plain);
}

int main(int argc, char **argv)
{
    if (argc < 1 || locate(argv[0]) < 0)
        return 2;
    setup();
    printf("bench_workload: %d x (1000 arrays of 1000 words, dropped), one process per run; "
           "slowdown against plain C or plain Python\n",
           ITERATIONS);
    for (int r = 0; r < ROUNDS_CORE; r++) {
        int active[N_V], n = 0;
        for (int i = 0; i < N_V; i++)
            if (r < spec[i].rounds && v[i].skip[0] == '\0')
                active[n++] = i;
        for (int k = 0; k < n; k++)
            run_once(active[bench_order((size_t)r, (size_t)k, (size_t)n)]);
    }
    print_table();
    double median_ratio = slowdown(V_STATS);
    double ratio = fastest(&v[V_PLAIN].wall) > 0
                       ? fastest(&v[V_STATS].wall) / fastest(&v[V_PLAIN].wall)
                       : -1;
    int ok = ratio > 0 && saw(V_STATS) == 1, pass = ok && ratio <= TARGET_RATIO;
    write_json(ratio, pass);
    if (!ok) {
        printf("  => the workload failed or its reports missed the heap (log: %s)\n", err_path);
        return 2;
    }
    printf("  => target: profiled auto_gc=0 / plain <= %.2f, fastest runs: %.3fx (%.3f / %.3f s; "
           "medians: %.3fx)  ",
           TARGET_RATIO, ratio, fastest(&v[V_STATS].wall), fastest(&v[V_PLAIN].wall),
           median_ratio);
    int rc = bench_verdict(pass);
    putchar('\n');
    print_floor();
    int failed = 0;
    for (int i = 0; i < N_V; i++)
        failed |= v[i].failed;
    char *rm[] = {"rm", "-rf", dir, NULL};
    double wall;
    if (!failed) /* else keep the log */
        run(rm, "/dev/null", &wall);
    return rc;
}
