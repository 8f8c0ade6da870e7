/*
 * textfile.c - node_exporter's textfile collector convention: the
 * exposition written to NAME.prom every interval and at the end, each
 * time whole (written beside it as NAME.prom.tmp.XXXXXX, which the
 * collector ignores, then renamed over it: safe_file.h), so a scrape
 * never reads half a file.
 *
 * The writer is a plain thread, made with the real pthread_create: it
 * holds no collected pointer and only takes the collector's lock for a
 * few reads, so the collector need neither stop nor scan it. Its signals
 * are blocked, so that the program's handlers run on the program's
 * threads.
 */
#include "serve.h"
#include "safe_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The real ones (features/usage.c says why). */
#undef pthread_create
#undef pthread_join

struct gcp__textfile {
    char *path;
    double interval;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    int stop;
    int running; /* the thread has started (the handshake below) */
    int failed;  /* a write failed since the last logged one */
};

/* One write of the file: 0, or GCP_EIO / GCP_ENOMEM said. */
static int write_once(const char *path)
{
    char *text;
    size_t len;
    gcp__file f;
    int rc = gcp__metrics_text(0, &text, &len); /* node_exporter reads 0.0.4 */

    if (rc != 0)
        return rc;
    const char *why = gcp__file_open(&f, path);
    if (!why) {
        if (fwrite(text, 1, len, f.fp) != len) {
            why = strerror(errno);
            gcp__file_discard(&f);
        } else {
            why = gcp__file_commit(&f);
        }
    }
    free(text);
    return why ? gcp__fail(GCP_EIO, "metrics: %s: %s", path, why) : 0;
}

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
    gcp__textfile *t = arg;

    pthread_mutex_lock(&t->lock);
    t->running = 1;
    pthread_cond_signal(&t->wake);
    while (!t->stop) {
        struct timespec when = after(t->interval);
        while (!t->stop && pthread_cond_timedwait(&t->wake, &t->lock, &when) != ETIMEDOUT)
            ;
        if (t->stop)
            break;
        pthread_mutex_unlock(&t->lock);
        int rc = write_once(t->path);
        pthread_mutex_lock(&t->lock);
        if (rc != 0 && !t->failed) /* once per run of failures: no flood */
            gcp__log(GCP_LOG_WARN, "%s", gcp_last_error());
        t->failed = rc != 0;
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void textfile_free(gcp__textfile *t)
{
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t->path);
    free(t);
}

int gcp__textfile_start(const char *path, double interval, gcp__textfile **out)
{
    gcp__textfile *t = calloc(1, sizeof *t);
    pthread_condattr_t ca;
    sigset_t all, old;
    int rc;

    if (!t || !(t->path = strdup(path))) {
        free(t);
        return gcp__fail(GCP_ENOMEM, "metrics: out of memory");
    }
    t->interval = interval;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    /* The first write now, on the caller's thread: a path that cannot be
     * written is the caller's error, not a warning later. */
    if ((rc = write_once(path)) != 0) {
        textfile_free(t);
        return rc;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&t->thread, NULL, writer_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        textfile_free(t);
        return gcp__fail(GCP_ENOMEM, "metrics: cannot start the textfile writer: %s", strerror(rc));
    }
    /* Waited for until it runs: a fork while it is still starting could
     * leave the child a C library lock held for good (usage.c). */
    pthread_mutex_lock(&t->lock);
    while (!t->running)
        pthread_cond_wait(&t->wake, &t->lock);
    pthread_mutex_unlock(&t->lock);
    *out = t;
    return 0;
}

int gcp__textfile_stop(gcp__textfile *t)
{
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    int rc = write_once(t->path); /* the last figures */
    textfile_free(t);
    return rc;
}
