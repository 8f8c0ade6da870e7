/*
 * profiled.c - what GCP_PROFILED's functions do: profile the body, keep
 * the latest reports, and, like the design's decorator, run the body even
 * when the profile cannot run.
 *
 * A profile that fails returns before its closure runs (gcp_profile's
 * contract), so the body then runs plainly, once. The failure is logged
 * the first time for each function: whoever calls the decorated function
 * gets the body's status, and would otherwise never learn that nothing was
 * measured. The history lives in malloc'd memory, outside the GC heap: it
 * holds plain values, and a profiler must not count itself.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"

struct gcp_history {
    pthread_mutex_t lock;
    gcp_report ring[GCP_HISTORY_MAX];
    size_t next, count; /* the ring's next slot, and reports kept */
    uint64_t calls, unprofiled;
    int last_rc;       /* the latest call's profile: 0 or a negative code */
    int logged;        /* its failure was logged once */
    char last_msg[256]; /* why, when last_rc < 0 */
};

/* *slot's history, made on first use; NULL when out of memory. Two threads
 * racing here both allocate; one wins, the other frees its own. */
static gcp_history *history_of(gcp_history **slot)
{
    gcp_history *h = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *expected = NULL;

    if (h)
        return h;
    h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    if (!__atomic_compare_exchange_n(slot, &expected, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        pthread_mutex_destroy(&h->lock);
        free(h);
        return expected;
    }
    return h;
}

static void record_report(gcp_history *h, const gcp_report *r)
{
    pthread_mutex_lock(&h->lock);
    h->ring[h->next] = *r;
    h->next = (h->next + 1) % GCP_HISTORY_MAX;
    if (h->count < GCP_HISTORY_MAX)
        h->count++;
    h->calls++;
    h->last_rc = 0;
    pthread_mutex_unlock(&h->lock);
}

/* Returns 1 when this is the function's first failure (to be logged). */
static int record_failure(gcp_history *h, int rc, const char *msg)
{
    int first;

    pthread_mutex_lock(&h->lock);
    h->calls++;
    h->unprofiled++;
    h->last_rc = rc;
    snprintf(h->last_msg, sizeof h->last_msg, "%s", msg);
    first = !h->logged;
    h->logged = 1;
    pthread_mutex_unlock(&h->lock);
    return first;
}

int gcp_profiled_call(const char *name, gcp_fn body, void *env, const gcp_config *cfg,
                      gcp_report *last, gcp_history **history)
{
    gcp_report r;
    char msg[256];

    if (!body) /* nothing to run: as gcp_profile says */
        return gcp__fail(GCP_EINVAL, "gcp_profiled_call: body is NULL");
    gcp_history *h = history ? history_of(history) : NULL;
    int rc = gcp_profile(name, body, env, cfg, &r);
    if (rc == 0) {
        if (last)
            *last = r;
        if (h)
            record_report(h, &r);
        return r.status;
    }
    snprintf(msg, sizeof msg, "%s", gcp_last_error());
    if ((!h || record_failure(h, rc, msg)))
        gcp__log(GCP_LOG_WARN, "%s: not profiled, run without profiling: %s",
                 name ? name : "(anonymous)", msg);
    int status = body(env);
    gcp__fail(rc, "%s", msg); /* the body may have failed calls of its own */
    return status;
}

size_t gcp_history_count(const gcp_history *h)
{
    size_t n;

    if (!h)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    n = h->count;
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    return n;
}

uint64_t gcp_history_calls(const gcp_history *h)
{
    uint64_t n;

    if (!h)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    n = h->calls;
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    return n;
}

int gcp_history_get(const gcp_history *h, size_t i, gcp_report *out)
{
    int rc = 0;

    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_history_get: out is NULL");
    if (!h)
        return gcp__fail(GCP_ERANGE, "gcp_history_get: report %zu of 0", i);
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    if (i < h->count)
        *out = h->ring[(h->next + GCP_HISTORY_MAX - h->count + i) % GCP_HISTORY_MAX];
    else
        rc = gcp__fail(GCP_ERANGE, "gcp_history_get: report %zu of %zu", i, h->count);
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    return rc;
}

int gcp_history_profile_error(const gcp_history *h, char *msg, size_t len)
{
    int rc;

    if (!h) {
        if (msg && len)
            msg[0] = '\0';
        return 0;
    }
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    rc = h->last_rc;
    if (msg && len)
        snprintf(msg, len, "%s", rc < 0 ? h->last_msg : "");
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    return rc;
}

void gcp_history_clear(gcp_history *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->next = h->count = 0;
    h->calls = h->unprofiled = 0;
    h->last_rc = 0;
    h->last_msg[0] = '\0';
    pthread_mutex_unlock(&h->lock);
}

int gcp_history_print(FILE *fp, const gcp_history *h)
{
    gcp_report r;
    double time = 0;
    int64_t collected = 0;
    int unknown = 0;
    size_t n = gcp_history_count(h);

    if (!fp)
        return gcp__fail(GCP_EINVAL, "gcp_history_print: fp is NULL");
    for (size_t i = 0; i < n && gcp_history_get(h, i, &r) == 0; i++) {
        if (gcp_report_print(fp, &r) < 0)
            return GCP_EIO;
        time += r.execution_time;
        if (r.gc_objects_collected < 0)
            unknown = 1;
        else
            collected += r.gc_objects_collected;
    }
    uint64_t unprofiled = 0, calls = 0;
    if (h) {
        pthread_mutex_lock((pthread_mutex_t *)&h->lock);
        calls = h->calls;
        unprofiled = h->unprofiled;
        pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    }
    fprintf(fp, "%llu calls (%llu not profiled), %zu reports kept: %.6f s, ",
            (unsigned long long)calls, (unsigned long long)unprofiled, n, time);
    if (unknown)
        fprintf(fp, "objects collected unknown in some\n");
    else
        fprintf(fp, "%lld objects collected\n", (long long)collected);
    return gcp__write_done(fp, "gcp_history_print");
}
