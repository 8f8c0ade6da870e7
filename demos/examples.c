/*
 * examples.c - the design's two example closures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples.h"
#include "verify.h"

/* Results escape through here so the compiler cannot drop the work. */
volatile double example_sink;

int example_process_data(void *env)
{
    enum { N = 1000 };
    (void)env;

    gcp_vec *rows = gcp_vec_new(N);
    if (!rows)
        return 1;
    verify_watch(rows);
    for (int i = 0; i < N; i++) {
        double *row = gcp_alloc_atomic(N * sizeof *row);
        if (!row || gcp_vec_push(rows, row) < 0)
            return 1;
        verify_watch(row);
        for (int j = 0; j < N; j++)
            row[j] = (double)i * j;
    }
    double sum = 0;
    for (int i = 0; i < N; i++) {
        const double *row = gcp_vec_get(rows, (size_t)i);
        for (int j = 0; j < N; j++)
            sum += row[j];
    }
    example_sink = sum;
    return 0;
}

int example_circular_refs(void *env)
{
    enum { N = 100 };
    (void)env;

    gcp_vec *shared = gcp_vec_new(0);
    if (!shared)
        return 1;
    verify_watch(shared);
    for (int i = 0; i < N; i++) {
        gcp_map *record = gcp_map_new();
        if (!record || gcp_map_set_int(record, "id", i) < 0 ||
            gcp_map_set_ptr(record, "refs", shared) < 0 || gcp_vec_push(shared, record) < 0)
            return 1;
        verify_watch(record);
    }
    example_sink = (double)gcp_vec_len(shared);
    return 0;
}

void example_config(gcp_config *cfg)
{
    char err[256];

    if (gcp_config_init_env(cfg, err, sizeof err) < 0) {
        fprintf(stderr, "invalid profiler settings in the environment: %s\n", err);
        exit(2);
    }
}

int example_main(int argc, char **argv, const char *name, gcp_fn fn)
{
    gcp_config cfg;
    gcp_report report;

    if (argc == 2 && strcmp(argv[1], "--verify") == 0) {
        verify_enable();
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--verify]\n", name);
        return 2;
    }
    example_config(&cfg);
    if (gcp_profile(name, fn, NULL, &cfg, &report) < 0) {
        fprintf(stderr, "%s: %s\n", name, gcp_last_error());
        return 1;
    }
    gcp_report_print(stdout, &report);
    if (verify_report(&report, 0))
        return 1;
    return report.status;
}
