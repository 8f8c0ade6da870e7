/*
 * compare.c - the demos' comparison harness (compare.h): spawn each
 * variant, rotate the order, take medians, print the table and the JSON.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "gcprof.h"

#define LINE_MAX_ 1024
#define ARGV_MAX  32

/* ---- the child's side ------------------------------------------------- */

void cmp_child_start(void)
{
    /* bdwgc (8.2.2: gc.h declares both) times every full collection from
     * here on, the ones it starts itself too; it keeps the nanoseconds
     * between collections and reports whole milliseconds of the total. */
    GC_start_performance_measurement();
}

void cmp_print_figures(const cmp_figures *f, const char *extra)
{
    printf("collections=%lu collected_after=%ld points=%ld profiler_gc_s=%.6f gc_s=%.3f "
           "memory_saved=%.3f divisor=%lu%s%s\n",
           (unsigned long)GC_get_gc_no(), f->collected_after, f->points, f->profiler_gc_s,
           (double)GC_get_full_gc_total_time() / 1000.0, f->memory_saved,
           (unsigned long)GC_get_free_space_divisor(),
           extra && *extra ? " " : "", extra ? extra : "");
}

/* ---- one child ---------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* KEY=VALUE's value in line (a whole word), or -1 when absent. */
static int field(const char *line, const char *key, double *out)
{
    size_t len = strlen(key);

    for (const char *p = line; (p = strstr(p, key)) != NULL; p += len)
        if ((p == line || p[-1] == ' ') && p[len] == '=') {
            char *end;
            *out = strtod(p + len + 1, &end);
            return end > p + len + 1 ? 0 : -1;
        }
    return -1;
}

static int parse_figures(const char *line, cmp_figures *f)
{
    double c, a, p;

    if (field(line, "collections", &c) || field(line, "collected_after", &a) ||
        field(line, "points", &p) || field(line, "profiler_gc_s", &f->profiler_gc_s) ||
        field(line, "gc_s", &f->gc_s) || field(line, "memory_saved", &f->memory_saved) ||
        field(line, "divisor", &f->divisor))
        return -1;
    f->collections = (long)c;
    f->collected_after = (long)a;
    f->points = (long)p;
    return 0;
}

/* In the child: the variant's environment, then `PROG run MODE args...`. */
static void exec_variant(const cmp_spec *s, const cmp_variant *v)
{
    const char *argv[ARGV_MAX];
    size_t n = 0;

    /* The variants' "NAME=VALUE" strings are constants: putenv keeps them. */
    for (int i = 0; i < CMP_MAX_ENV && v->env[i]; i++)
        if (putenv((char *)v->env[i]) != 0)
            _exit(127);
    argv[n++] = s->prog;
    argv[n++] = "run";
    argv[n++] = v->mode;
    for (size_t i = 0; s->run_args && s->run_args[i] && n < ARGV_MAX - 1; i++)
        argv[n++] = s->run_args[i];
    argv[n] = NULL;
    execv("/proc/self/exe", (char *const *)argv);
    _exit(127);
}

static int spawn(const cmp_spec *s, const cmp_variant *v, cmp_figures *out)
{
    char line[LINE_MAX_] = "";
    int fd[2], status;
    struct rusage ru;

    if (pipe(fd) != 0)
        return -1;
    fflush(stdout); /* the child would write our buffer again */
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        exec_variant(s, v);
    }
    close(fd[1]);
    FILE *fp = pid > 0 ? fdopen(fd[0], "r") : NULL;
    int got = fp && fgets(line, sizeof line, fp) && parse_figures(line, out) == 0;
    if (fp) {
        while (fgetc(fp) != EOF) /* the child must not block on a full pipe */
            ;
        fclose(fp);
    } else {
        close(fd[0]);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return -1;
    out->wall_s = now_s() - t0;
    out->peak_mib = (double)ru.ru_maxrss / 1024.0;
    return got && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- medians ------------------------------------------------------------ */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

/* The median of field (an offset of a double in cmp_figures) over n rounds. */
static double median(const cmp_figures *f, int n, size_t field_at)
{
    double v[CMP_MAX_ROUNDS];

    for (int i = 0; i < n; i++)
        v[i] = *(const double *)(const void *)((const char *)&f[i] + field_at);
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void summarise(const cmp_figures *f, int n, cmp_summary *out)
{
    out->med = f[n - 1]; /* counts: the same workload, the last run is typical */
    out->med.wall_s = median(f, n, offsetof(cmp_figures, wall_s));
    out->med.peak_mib = median(f, n, offsetof(cmp_figures, peak_mib));
    out->med.gc_s = median(f, n, offsetof(cmp_figures, gc_s));
    out->med.profiler_gc_s = median(f, n, offsetof(cmp_figures, profiler_gc_s));
    out->med.memory_saved = median(f, n, offsetof(cmp_figures, memory_saved));
    out->med.divisor = median(f, n, offsetof(cmp_figures, divisor));
    out->fastest_s = f[0].wall_s;
    out->least_gc_share = f[0].gc_s / f[0].wall_s;
    out->lowest_peak_mib = out->highest_peak_mib = f[0].peak_mib;
    for (int i = 1; i < n; i++) {
        out->fastest_s = f[i].wall_s < out->fastest_s ? f[i].wall_s : out->fastest_s;
        if (f[i].gc_s / f[i].wall_s < out->least_gc_share)
            out->least_gc_share = f[i].gc_s / f[i].wall_s;
        if (f[i].peak_mib < out->lowest_peak_mib)
            out->lowest_peak_mib = f[i].peak_mib;
        if (f[i].peak_mib > out->highest_peak_mib)
            out->highest_peak_mib = f[i].peak_mib;
    }
}

/* ---- the parent's side -------------------------------------------------- */

int cmp_find(const cmp_spec *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->variants[i].name, name) == 0)
            return (int)i;
    return -1;
}

int cmp_run(const cmp_spec *s, cmp_summary *m)
{
    static cmp_figures f[CMP_MAX_VARIANTS][CMP_MAX_ROUNDS];
    size_t n = s->n;

    if (n > CMP_MAX_VARIANTS || s->rounds < 1 || s->rounds > CMP_MAX_ROUNDS)
        return -1;
    for (int r = 0; r < s->rounds; r++)
        for (size_t i = 0; i < n; i++) {
            size_t v = ((size_t)r + i) % n; /* rotate: no variant always runs first */
            if (spawn(s, &s->variants[v], &f[v][r]) != 0) {
                fprintf(stderr, "%s: the %s run failed\n", s->prog, s->variants[v].name);
                return -1;
            }
        }
    for (size_t i = 0; i < n; i++)
        summarise(f[i], s->rounds, &m[i]);
    return 0;
}

void cmp_print_table(const cmp_spec *s, const cmp_summary *m, int off, int always)
{
    printf("%-22s %7s %7s %8s %9s %11s %7s %8s %11s %11s %7s\n", "variant", "wall s", "vs off",
           "peak MiB", "vs always", "collections", "GC s", "GC share", "profiler GC",
           "point colls", "divisor");
    for (size_t i = 0; i < s->n; i++) {
        const cmp_figures *f = &m[i].med;
        printf("%-22s %7.3f %6.2fx %8.1f %8.2fx %11ld %7.3f %7.1f%% %9.3f s %11ld %7.0f\n",
               s->variants[i].name, f->wall_s, f->wall_s / m[off].med.wall_s, f->peak_mib,
               f->peak_mib / m[always].med.peak_mib, f->collections, f->gc_s,
               100.0 * f->gc_s / f->wall_s, f->profiler_gc_s, f->points, f->divisor);
    }
}

void cmp_json_variants(FILE *fp, const cmp_spec *s, const cmp_summary *m)
{
    for (size_t i = 0; i < s->n; i++) {
        const cmp_figures *f = &m[i].med;
        fprintf(fp,
                ", \"%s\": {\"wall_s\": %.6f, \"fastest_s\": %.6f, \"peak_rss_mib\": %.3f, "
                "\"collections\": %ld, \"gc_s\": %.6f, \"gc_share\": %.6f, "
                "\"profiler_gc_s\": %.6f, \"collected_after\": %ld, \"gc_points\": %ld, "
                "\"divisor\": %.0f, \"least_gc_share\": %.6f, \"lowest_peak_rss_mib\": %.3f, "
                "\"highest_peak_rss_mib\": %.3f}",
                s->variants[i].name, f->wall_s, m[i].fastest_s, f->peak_mib, f->collections,
                f->gc_s, f->gc_s / f->wall_s, f->profiler_gc_s, f->collected_after, f->points,
                f->divisor, m[i].least_gc_share, m[i].lowest_peak_mib, m[i].highest_peak_mib);
    }
}

/* ---- the command line --------------------------------------------------- */

int cmp_parse_args(int argc, char **argv, cmp_args *a, cmp_flag_fn own, void *ctx)
{
    int i = 1;

    if (i < argc && strcmp(argv[i], "run") == 0) {
        if (i + 1 >= argc)
            return -1;
        a->run = argv[i + 1];
        a->rounds = 1;
        i += 2;
    } else if (i < argc && strcmp(argv[i], "compare") == 0) {
        i++;
    }
    for (; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int taken;
        if (strcmp(argv[i], "--check") == 0)
            a->check = 1;
        else if (strcmp(argv[i], "--verbose") == 0)
            a->verbose = 1;
        else if (!v)
            return -1;
        else if (strcmp(argv[i], "--rounds") == 0)
            a->rounds = atoi(v), i++;
        else if (strcmp(argv[i], "--scale") == 0)
            a->scale = atof(v), i++;
        else if (strcmp(argv[i], "--json") == 0)
            a->json = v, i++;
        else if ((taken = own(argv[i], v, ctx)) == 1)
            i++;
        else
            return -1;
    }
    return a->rounds < 1 || a->rounds > CMP_MAX_ROUNDS || !(a->scale > 0) ? -1 : 0;
}
