/*
 * prom_file.c - the textfile collector's file and its writer thread
 * (prom_file.h).
 */
#include "prom_file.h"
#include "safe_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *gcp__prom_file_write(const char *path, const char *text, size_t len)
{
    gcp__file f;
    const char *why = gcp__file_open(&f, path);

    if (why)
        return why;
    if (fwrite(text, 1, len, f.fp) != len) {
        why = strerror(errno);
        gcp__file_discard(&f);
        return why;
    }
    return gcp__file_commit(&f);
}

struct gcp__prom_writer {
    double interval;
    gcp__prom_write_fn *write;
    gcp__prom_warn_fn *warn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    int stop, running;
};

static struct timespec after(double seconds)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    double ns = (double)ts.tv_nsec + seconds * 1e9;
    ts.tv_sec += (time_t)(ns / 1e9);
    ts.tv_nsec = (long)(ns - (double)(time_t)(ns / 1e9) * 1e9);
    return ts;
}

static void *writer_main(void *arg)
{
    gcp__prom_writer *w = arg;
    int failed = 0;

    pthread_mutex_lock(&w->lock);
    w->running = 1;
    pthread_cond_broadcast(&w->wake);
    while (!w->stop) {
        struct timespec when = after(w->interval);
        while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &when) != ETIMEDOUT)
            ;
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->lock);
        const char *why = w->write(w->ctx);
        if (why && !failed) /* once per run of failures: no flood */
            w->warn(w->ctx, why);
        failed = why != NULL;
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void writer_free(gcp__prom_writer *w)
{
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

int gcp__prom_writer_start(double interval, gcp__prom_write_fn *write, gcp__prom_warn_fn *warn,
                           void *ctx, gcp__prom_writer **out)
{
    gcp__prom_writer *w = calloc(1, sizeof *w);
    pthread_condattr_t ca;
    sigset_t all, old;

    if (!w)
        return ENOMEM;
    *w = (gcp__prom_writer){.interval = interval, .write = write, .warn = warn, .ctx = ctx};
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        writer_free(w);
        return rc;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->running)
        pthread_cond_wait(&w->wake, &w->lock);
    pthread_mutex_unlock(&w->lock);
    *out = w;
    return 0;
}

void gcp__prom_writer_stop(gcp__prom_writer *w)
{
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    writer_free(w);
}
