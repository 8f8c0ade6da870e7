/*
 * pipeline - a data-processing pipeline under each auto_gc mode.
 *
 *     pipeline [compare] [--rounds N] [--batches N] [--scale X]
 *              [--json FILE] [--check]
 *     pipeline run off|always|adaptive|adaptive-no-points [--batches N]
 *              [--scale X] [--verbose]
 *
 * `run` processes the batches (parse -> transform -> aggregate, each stage
 * a profiled call; pipeline_work.c) under one auto_gc mode and prints one
 * line of figures; adaptive also calls gcp_gc_point after each batch
 * (adaptive-no-points does not), and the line ends with the cgroup memory
 * limit the last one reported (cgroup_limit=, bytes; 0: none known) and
 * that cgroup's working set then (cgroup_usage=).
 * --verbose: each decision on stderr.
 * `compare` (the default) runs each variant as a child process, rounds
 * interleaved, and prints a table: wall time (the parent's clock), peak
 * RSS (the kernel's ru_maxrss of the child), collections, the profiler's
 * collection time, with ratios to off (time) and always (peak). Medians
 * over the rounds; the wall-time target is judged on each variant's
 * fastest run. --check: exit 1 when adaptive misses a target (wall <=
 * 1.05x off, peak <= 1.10x always). --json FILE writes the figures as JSON.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"

#define MODES      4 /* the auto_gc modes, and adaptive without gc points */
#define MAX_ROUNDS 15

static const char *const mode_names[MODES] = {"off", "always", "adaptive", "adaptive-no-points"};
static const int mode_auto_gc[MODES] = {GCP_AUTO_GC_OFF, GCP_AUTO_GC_ALWAYS, GCP_AUTO_GC_ADAPTIVE,
                                        GCP_AUTO_GC_ADAPTIVE};
#define ADAPTIVE 2 /* the mode with gc points */

typedef struct args {
    int rounds, check, verbose;
    const char *json;
    pipeline_opts opts;
} args;

/* One child's run. */
typedef struct sample {
    double wall_s, peak_mib, profiler_gc_s, memory_saved;
    long collections, collected_after, points;
} sample;

static int mode_of(const char *name)
{
    for (int m = 0; m < MODES; m++)
        if (strcmp(name, mode_names[m]) == 0)
            return m;
    return -1;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- run: one mode, in this process -------------------------------- */

static int run_one(const pipeline_opts *o)
{
    pipeline_totals t;

    if (pipeline_run(o, &t) < 0) {
        fprintf(stderr, "pipeline: %s\n", gcp_last_error());
        return 2;
    }
    printf("collections=%lu collected_after=%ld points=%ld profiler_gc_s=%.6f "
           "memory_saved=%.3f stages=%ld failed=%ld objects=%llu cgroup_limit=%llu "
           "cgroup_usage=%llu\n",
           (unsigned long)GC_get_gc_no(), t.collected_after, t.point_collections, t.profiler_gc_s,
           t.memory_saved, t.stages, t.failed, (unsigned long long)t.objects,
           (unsigned long long)t.cgroup_limit, (unsigned long long)t.cgroup_usage);
    return t.failed ? 1 : 0;
}

/* ---- compare: each mode in a child ----------------------------------- */

static int spawn(const args *a, int mode, sample *out)
{
    char batches[32], scale[32];
    int fd[2];
    struct rusage ru;
    int status;

    snprintf(batches, sizeof batches, "%d", a->opts.batches);
    snprintf(scale, sizeof scale, "%g", a->opts.scale);
    if (pipe(fd) != 0)
        return -1;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl("/proc/self/exe", "pipeline", "run", mode_names[mode], "--batches", batches,
              "--scale", scale, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *fp = pid > 0 ? fdopen(fd[0], "r") : NULL;
    int got = fp ? fscanf(fp, "collections=%ld collected_after=%ld points=%ld profiler_gc_s=%lf "
                              "memory_saved=%lf",
                          &out->collections, &out->collected_after, &out->points,
                          &out->profiler_gc_s, &out->memory_saved)
                 : 0;
    if (fp)
        fclose(fp);
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return -1;
    out->wall_s = now_s() - t0;
    out->peak_mib = (double)ru.ru_maxrss / 1024.0;
    return got == 5 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

/* The median of field (an offset into sample) over n rounds. */
static double median(const sample *s, int n, size_t field)
{
    double v[MAX_ROUNDS];

    for (int i = 0; i < n; i++)
        v[i] = *(const double *)(const void *)((const char *)&s[i] + field);
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct summary {
    double wall_s, fastest_s, peak_mib, profiler_gc_s, memory_saved;
    long collections, collected_after, points;
} summary;

static void summarise(const sample *s, int n, summary *out)
{
    out->wall_s = median(s, n, offsetof(sample, wall_s));
    out->fastest_s = s[0].wall_s;
    for (int i = 1; i < n; i++)
        out->fastest_s = s[i].wall_s < out->fastest_s ? s[i].wall_s : out->fastest_s;
    out->peak_mib = median(s, n, offsetof(sample, peak_mib));
    out->profiler_gc_s = median(s, n, offsetof(sample, profiler_gc_s));
    out->memory_saved = median(s, n, offsetof(sample, memory_saved));
    out->collections = s[n - 1].collections; /* the same workload: the last is typical */
    out->collected_after = s[n - 1].collected_after;
    out->points = s[n - 1].points;
}

static void print_table(const args *a, const summary *m, int wall_ok, int peak_ok)
{
    printf("pipeline: %d batches of %d records, %d rounds per mode (medians)\n\n",
           a->opts.batches, (int)(20000 * a->opts.scale), a->rounds);
    printf("%-18s %8s %9s %10s %11s %11s %12s %9s %7s\n", "mode", "wall s", "vs off", "peak MiB",
           "vs always", "collections", "profiler GC", "collected", "points");
    for (int i = 0; i < MODES; i++)
        printf("%-18s %8.3f %8.2fx %10.1f %10.2fx %11ld %10.3f s %9ld %7ld\n", mode_names[i],
               m[i].wall_s, m[i].wall_s / m[0].wall_s, m[i].peak_mib,
               m[i].peak_mib / m[1].peak_mib, m[i].collections, m[i].profiler_gc_s,
               m[i].collected_after, m[i].points);
    printf("\nadaptive wall time %.3fx off, fastest runs (medians %.3fx) (target <= 1.05): %s\n",
           m[2].fastest_s / m[0].fastest_s, m[2].wall_s / m[0].wall_s, wall_ok ? "PASS" : "FAIL");
    printf("adaptive peak RSS  %.3fx always (target <= 1.10): %s\n",
           m[2].peak_mib / m[1].peak_mib, peak_ok ? "PASS" : "FAIL");
}

static int write_json(const char *path, const args *a, const summary *m, int wall_ok, int peak_ok)
{
    FILE *fp = fopen(path, "w");

    if (!fp)
        return -1;
    fprintf(fp, "{\"benchmark\": \"pipeline\", \"batches\": %d, \"records\": %d, \"rounds\": %d",
            a->opts.batches, (int)(20000 * a->opts.scale), a->rounds);
    for (int i = 0; i < MODES; i++)
        fprintf(fp,
                ", \"%s\": {\"wall_s\": %.4f, \"peak_rss_mib\": %.2f, \"collections\": %ld, "
                "\"profiler_gc_s\": %.4f, \"collected_after\": %ld, \"gc_points\": %ld}",
                mode_names[i], m[i].wall_s, m[i].peak_mib, m[i].collections, m[i].profiler_gc_s,
                m[i].collected_after, m[i].points);
    fprintf(fp,
            ", \"adaptive_wall_vs_off\": %.4f, \"adaptive_wall_vs_off_medians\": %.4f, "
            "\"adaptive_peak_vs_always\": %.4f, \"wall_target\": \"<= 1.05x off\", "
            "\"wall_target_met\": %s, \"peak_target\": \"<= 1.10x always\", \"peak_target_met\": %s}\n",
            m[2].fastest_s / m[0].fastest_s, m[2].wall_s / m[0].wall_s,
            m[2].peak_mib / m[1].peak_mib, wall_ok ? "true" : "false",
            peak_ok ? "true" : "false");
    return fclose(fp) == 0 ? 0 : -1;
}

static int compare(const args *a)
{
    static sample s[MODES][MAX_ROUNDS];
    summary m[MODES];

    for (int r = 0; r < a->rounds; r++)
        for (int i = 0; i < MODES; i++) {
            int mode = (r + i) % MODES; /* rotate: no mode always runs first */
            if (spawn(a, mode, &s[mode][r]) != 0) {
                fprintf(stderr, "pipeline: the %s run failed\n", mode_names[mode]);
                return 2;
            }
        }
    for (int i = 0; i < MODES; i++)
        summarise(s[i], a->rounds, &m[i]);
    /* Wall time is judged on the fastest runs: the work is deterministic and
     * a shared machine only adds time (medians moved by 15% between runs). */
    int wall_ok = m[2].fastest_s <= 1.05 * m[0].fastest_s;
    int peak_ok = m[2].peak_mib <= 1.10 * m[1].peak_mib;
    print_table(a, m, wall_ok, peak_ok);
    if (a->json && write_json(a->json, a, m, wall_ok, peak_ok) != 0) {
        fprintf(stderr, "pipeline: cannot write %s\n", a->json);
        return 2;
    }
    return a->check && !(wall_ok && peak_ok) ? 1 : 0;
}

/* ---- arguments ---------------------------------------------------------- */

static int usage(void)
{
    fputs("usage: pipeline [compare] [--rounds N] [--batches N] [--scale X] [--json FILE] "
          "[--check]\n       pipeline run off|always|adaptive|adaptive-no-points [--batches N] "
          "[--scale X] [--verbose]\n",
          stderr);
    return 2;
}

static int parse_args(int argc, char **argv, args *a, int *run_mode)
{
    int i = 1;

    *run_mode = -1;
    if (i < argc && strcmp(argv[i], "run") == 0) {
        a->rounds = 1;
        if (i + 1 >= argc || (*run_mode = mode_of(argv[i + 1])) < 0)
            return -1;
        i += 2;
    } else if (i < argc && strcmp(argv[i], "compare") == 0) {
        i++;
    }
    for (; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--check") == 0)
            a->check = 1;
        else if (strcmp(argv[i], "--verbose") == 0)
            a->opts.verbose = 1;
        else if (!v)
            return -1;
        else if (strcmp(argv[i], "--rounds") == 0)
            a->rounds = atoi(v), i++;
        else if (strcmp(argv[i], "--batches") == 0)
            a->opts.batches = atoi(v), i++;
        else if (strcmp(argv[i], "--scale") == 0)
            a->opts.scale = atof(v), i++;
        else if (strcmp(argv[i], "--json") == 0)
            a->json = v, i++;
        else
            return -1;
    }
    if (a->rounds < 1 || a->rounds > MAX_ROUNDS || a->opts.batches < 1 || !(a->opts.scale > 0))
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    args a = {5, 0, 0, NULL, {48, 1.0, GCP_AUTO_GC_OFF, 0, 0}};
    int run_mode;

    if (parse_args(argc, argv, &a, &run_mode) != 0)
        return usage();
    if (run_mode < 0)
        return compare(&a);
    a.opts.auto_gc = mode_auto_gc[run_mode];
    a.opts.gc_points = run_mode == ADAPTIVE;
    return run_one(&a.opts);
}
