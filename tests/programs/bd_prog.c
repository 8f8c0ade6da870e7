/*
 * bd_prog.c - a bdwgc program (not built against libgcprof) for
 * tests/check_gcprof_breakdown.sh: it keeps KEEP_MIB MiB of 1000-byte
 * objects reachable from a root, makes garbage for SECONDS seconds,
 * collecting every 0.1 s, then exits with STATUS. With STOPFILE, it goes
 * on until that file exists (SECONDS is then the most it waits: a test
 * that fails to make the file does not hang).
 *
 *     bd_prog KEEP_MIB SECONDS STATUS [STOPFILE]
 *
 * Prints "kept BYTES" (the collector's sizes of the objects it keeps).
 */
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void **kept; /* a root: the collector scans the data segment */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: bd_prog KEEP_MIB SECONDS STATUS [STOPFILE]\n");
        return 2;
    }
    const char *stop = argc == 5 ? argv[4] : NULL;
    size_t n = (size_t)atol(argv[1]) * 1048576 / 1000, bytes = 0;
    double end = now() + atof(argv[2]);
    void *volatile sink;

    GC_INIT();
    kept = GC_MALLOC(n * sizeof *kept + 1);
    for (size_t i = 0; i < n; i++) {
        kept[i] = GC_MALLOC(1000);
        bytes += GC_size(kept[i]);
    }
    printf("kept %zu\n", bytes);
    fflush(stdout);
    while (now() < end && !(stop && access(stop, F_OK) == 0)) {
        for (int i = 0; i < 2000; i++)
            sink = GC_MALLOC(200);
        GC_gcollect();
        usleep(100000);
    }
    (void)sink;
    return atoi(argv[3]);
}
