/*
 * pprof_module_driver.c - the runtime's pprof loader (gcp__pprof_convert,
 * runtime/features/pprof_module.c) from the command line, for
 * tests/check_pprof_module.sh. White-box: linked with libgcprof_core.la.
 *
 *     pprof_module_driver [--offset N] [--unlink] [--threads N] RAW OUT
 *
 * Opens RAW, seeks to N (default 0: the module must read from 0 whatever
 * the offset), unlinks RAW when asked (the descriptor outlives the name),
 * and converts it into OUT inside a process that uses the collector: a
 * collection before and after, with garbage made around them. With
 * --threads N, N threads convert at once, into OUT.1 ... OUT.N.
 * Prints "rc=GCP_..." per conversion and "error=<message>" after a failed
 * one. Exit 0: all converted; 1: one failed; 3: the descriptor's offset
 * moved or it was closed; 2: bad arguments.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gcprof.h"
#include "pprof_module.h"

#define MAX_THREADS 16

typedef struct job {
    int fd;
    char out[4096];
    int rc;
    char error[512];
} job;

static void *volatile sink;

static void churn(void)
{
    for (int i = 0; i < 1000; i++)
        sink = GC_MALLOC(128);
    sink = NULL;
    gcp_collect();
}

static void *run(void *arg)
{
    job *j = arg;

    j->rc = gcp__pprof_convert(j->fd, j->out);
    if (j->rc != 0)
        snprintf(j->error, sizeof j->error, "%s", gcp_last_error());
    return NULL;
}

int main(int argc, char **argv)
{
    long offset = 0, nthreads = 0;
    int unlink_raw = 0, a = 1, fd, status = 0;
    static job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];

    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--offset") == 0 && a + 1 < argc)
            offset = atol(argv[++a]);
        else if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc)
            nthreads = atol(argv[++a]);
        else if (strcmp(argv[a], "--unlink") == 0)
            unlink_raw = 1;
        else
            break;
    }
    if (argc - a != 2 || nthreads < 0 || nthreads > MAX_THREADS) {
        fprintf(stderr, "usage: pprof_module_driver [--offset N] [--unlink] [--threads N] RAW "
                        "OUT\n");
        return 2;
    }
    if ((fd = open(argv[a], O_RDONLY | O_CLOEXEC)) < 0) {
        perror(argv[a]);
        return 2;
    }
    if (unlink_raw && unlink(argv[a]) != 0) {
        perror(argv[a]);
        return 2;
    }
    if (lseek(fd, offset, SEEK_SET) != offset) {
        perror("lseek");
        return 2;
    }
    gcp_init();
    churn();
    for (long i = 0; i < (nthreads ? nthreads : 1); i++) {
        jobs[i].fd = fd;
        if (nthreads)
            snprintf(jobs[i].out, sizeof jobs[i].out, "%s.%ld", argv[a + 1], i + 1);
        else
            snprintf(jobs[i].out, sizeof jobs[i].out, "%s", argv[a + 1]);
    }
    if (nthreads == 0) {
        run(&jobs[0]);
    } else {
        for (long i = 0; i < nthreads; i++)
            if (pthread_create(&tid[i], NULL, run, &jobs[i]) != 0)
                return 2;
        for (long i = 0; i < nthreads; i++)
            pthread_join(tid[i], NULL);
    }
    churn(); /* the module is gone again: the collector goes on as before */
    for (long i = 0; i < (nthreads ? nthreads : 1); i++) {
        printf("rc=%s\n", gcp_err_name(jobs[i].rc));
        if (jobs[i].rc != 0) {
            printf("error=%s\n", jobs[i].error);
            status = 1;
        }
    }
    if (lseek(fd, 0, SEEK_CUR) != offset) {
        printf("the descriptor's offset moved from %ld\n", offset);
        status = 3;
    }
    if (fcntl(fd, F_GETFD) < 0) {
        printf("the descriptor was closed\n");
        status = 3;
    }
    close(fd);
    return status;
}
