/*
 * cgroup_cache.c - the cgroup's limit and usage as the policy reads them
 * (cgroup.h): the cgroup found once and found again every second, its
 * files kept open, a reading kept for 10 ms, and the process's own cache,
 * read by whoever gets its lock and published to all without one.
 *
 * Measured here (cgroup v1, 2 vCPU): a limit or usage file costs ~6.4 us
 * to open, read and close (a kept-open statm's pread: ~1 us), finding the
 * cgroup ~60 us (/proc/self/mountinfo alone ~37 us). Gc points and
 * adaptive profiles read signals two or three times a call, so a reading
 * is kept for 10 ms: what the rest of the cgroup uses changes slowly, and
 * this process's RSS, which the caller reads fresh, is what moves.
 */
#include <pthread.h>
#include <string.h>

#include "heap.h"
#include "env.h"
#include "cgroup.h"

static void refind(gcp__cgroup_cache *c, uint64_t now_ns)
{
    gcp__cgroup_find(c->root ? c->root : "", &c->dir);
    gcp__cgroup_files_set(&c->files, &c->dir); /* the old ones closed */
    c->found_ns = now_ns;
}

void gcp__cgroup_cached(gcp__cgroup_cache *c, uint64_t now_ns, uint64_t rss,
                        gcp__cgroup_reading *out)
{
    gcp__cgroup_reading r;
    int fresh_find = 0;

    /* A clock gone backwards wraps past both bounds: read and found again. */
    if (c->read_ns && now_ns - c->read_ns < GCP__CGROUP_KEEP_NS) {
        *out = c->last;
        return;
    }
    if (!c->found_ns || now_ns - c->found_ns >= GCP__CGROUP_REFIND_NS) {
        refind(c, now_ns);
        fresh_find = 1;
    }
    int ok = c->dir.version && gcp__cgroup_read(&c->dir, &c->files, rss, &r, NULL) == 0;
    /* The cgroup went, or its limit: found again at once (the process may
     * have moved), once a call. */
    if (c->dir.version && !ok && !fresh_find) {
        refind(c, now_ns);
        ok = c->dir.version && gcp__cgroup_read(&c->dir, &c->files, rss, &r, NULL) == 0;
    }
    if (!ok) {
        c->dir.version = 0; /* none until the next find */
        memset(&r, 0, sizeof r);
    }
    c->last = r;
    c->read_ns = now_ns;
    *out = c->last;
}

/* ---- the process's own --------------------------------------------- */

static gcp__cgroup_cache own; /* root NULL: the system's */
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t own_once = PTHREAD_ONCE_INIT;
static int own_enabled = 1;

/* The last reading, published for every thread without a lock (a
 * sequence lock: odd while the one that read the files writes it). */
static _Atomic unsigned pub_seq;
static _Atomic int pub_have;
static _Atomic uint64_t pub_limit, pub_usage, pub_others, pub_ns;

static void publish(const gcp__cgroup_reading *r, uint64_t ns)
{
    unsigned seq = atomic_load_explicit(&pub_seq, memory_order_relaxed);

    atomic_store_explicit(&pub_seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&pub_limit, r->limit, memory_order_relaxed);
    atomic_store_explicit(&pub_usage, r->usage, memory_order_relaxed);
    atomic_store_explicit(&pub_others, r->others, memory_order_relaxed);
    atomic_store_explicit(&pub_ns, ns, memory_order_relaxed);
    atomic_store_explicit(&pub_have, 1, memory_order_relaxed);
    atomic_store_explicit(&pub_seq, seq + 2, memory_order_release);
}

/* The published reading into *out and its time into *ns: 1, or 0 (out
 * untouched) when there is none yet, or a writer was caught halfway again
 * and again. */
static int published(gcp__cgroup_reading *out, uint64_t *ns)
{
    for (int tries = 0; tries < 64; tries++) {
        unsigned seq = atomic_load_explicit(&pub_seq, memory_order_acquire);
        if (seq & 1)
            continue;
        gcp__cgroup_reading r;
        int have = atomic_load_explicit(&pub_have, memory_order_relaxed);
        r.limit = atomic_load_explicit(&pub_limit, memory_order_relaxed);
        r.usage = atomic_load_explicit(&pub_usage, memory_order_relaxed);
        r.others = atomic_load_explicit(&pub_others, memory_order_relaxed);
        uint64_t at = atomic_load_explicit(&pub_ns, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&pub_seq, memory_order_relaxed) != seq)
            continue;
        if (have) {
            *out = r;
            *ns = at;
        }
        return have;
    }
    return 0;
}

/* A thread of the parent may have held the lock at fork, halfway through
 * an update or a publication: the child finds its cgroup again at its
 * first reading (the kept files, the child's copies, closed then). */
static void at_fork_child(void)
{
    pthread_mutex_init(&own_lock, NULL);
    own.found_ns = own.read_ns = 0;
    own.dir.version = 0;
    atomic_store(&pub_seq, 0);
    atomic_store(&pub_have, 0);
}

static void own_setup(void)
{
    int on = 1;

    if (gcp__env_bool("GCPROF_CGROUP", &on) < 0)
        gcp__log(GCP_LOG_WARN, "%s; the cgroup's memory limit is used", gcp_last_error());
    own_enabled = on;
    if (pthread_atfork(NULL, NULL, at_fork_child) != 0)
        gcp__log(GCP_LOG_WARN, "pthread_atfork failed: a forked child may wait for a lock its "
                               "parent's thread held");
}

void gcp__cgroup_now(uint64_t now_ns, uint64_t rss, gcp__cgroup_reading *out)
{
    uint64_t at;

    memset(out, 0, sizeof *out);
    pthread_once(&own_once, own_setup);
    if (!own_enabled)
        return;
    if (published(out, &at) && now_ns - at < GCP__CGROUP_KEEP_NS)
        return;
    /* Stale: one thread reads the files; the others take what was
     * published (none before the first reading). */
    if (pthread_mutex_trylock(&own_lock) != 0)
        return;
    gcp__cgroup_cached(&own, now_ns, rss, out);
    publish(out, own.read_ns);
    pthread_mutex_unlock(&own_lock);
}
