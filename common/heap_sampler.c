/*
 * heap_sampler.c - the sampler's decisions: each thread's countdown, the
 * weights, and recording, forgetting and sweeping samples (heap_sampler.h
 * says what each call does; heap_sampler_tables.c keeps the stacks and
 * the sampled objects, heap_dump.c writes them out).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"
#include "heap_sampler.h"
#include "heap_sampler_tables.h"

/* ---- the next interval: an exponential draw, without libm ------------ */

static uint64_t next_random(gcp__hs_thread *t)
{
    uint64_t x = t->rng; /* xorshift64 */

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return t->rng = x;
}

/* -ln(u) for u in (0, 1]: u = m * 2^e with m in [1, 2), and
 * ln m = 2 atanh((m-1)/(m+1)), a series in z <= 1/3 (error < 1e-7). */
static double neg_log(double u)
{
    union {
        double d;
        uint64_t i;
    } v = {u};
    int e = (int)((v.i >> 52) & 0x7ff) - 1023;

    v.i = (v.i & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double z = (v.d - 1) / (v.d + 1), z2 = z * z;
    double s =
        z * (1 + z2 * (1.0 / 3 + z2 * (1.0 / 5 + z2 * (1.0 / 7 + z2 * (1.0 / 9 + z2 / 11)))));
    return -((double)e * 0.69314718055994530942 + 2 * s);
}

/* 1 - exp(-x) for x >= 0, without libm and without cancellation when x
 * is small: a series below 1/16, else exp(-x) = 2^-k exp(-r). */
static double sampled_share(double x)
{
    if (x < 0.0625)
        return x * (1 - x / 2 * (1 - x / 3 * (1 - x / 4 * (1 - x / 5 * (1 - x / 6)))));
    if (x > 700)
        return 1;
    int k = (int)(x / 0.69314718055994530942);
    double r = x - k * 0.69314718055994530942, term = 1, sum = 1;
    for (int i = 1; i < 18; i++) { /* exp(-r), r in [0, ln 2) */
        term *= -r / i;
        sum += term;
    }
    while (k-- > 0)
        sum /= 2;
    return 1 - sum;
}

static void draw_interval(gcp__hs_thread *t, uint64_t rate)
{
    double u = (double)((next_random(t) >> 11) + 1) / 9007199254740992.0; /* (0, 1] */
    double bytes = neg_log(u) * (double)rate;

    t->left = bytes > 9.0e18 ? INT64_MAX : (int64_t)bytes;
}

static void seed(gcp__hs_thread *t)
{
    uint64_t x = gcp__now_ns() ^ ((uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull);

    x ^= x >> 31; /* splitmix's finaliser: nearby seeds, distant states */
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    t->rng = x ? x : 1;
}

int gcp__hs_pick(gcp__hs_thread *t, size_t bytes, double *weight)
{
    uint64_t rate = gcp__hs_rate();

    if (rate == 0) { /* not sampling (yet): look again a MiB later */
        t->left = 1 << 20;
        return 0;
    }
    if (rate == 1) {
        t->left = 0;
        *weight = 1;
        return 1;
    }
    if (t->rng == 0) { /* this thread's first crossing: start its countdown */
        seed(t);
        draw_interval(t, rate);
        t->left -= (int64_t)bytes;
        if (t->left >= 0)
            return 0;
    }
    draw_interval(t, rate);
    *weight = 1 / sampled_share((double)bytes / (double)rate);
    return 1;
}

/* bdwgc's kinds by number: 0-3 are its own, the rest a program's. */
const char *gcp__hs_kind_name(int k)
{
    static const char *const names[] = {"atomic", "normal", "uncollectable",
                                        "atomic-uncollectable"};
    static const char *const more[] = {"kind-4",  "kind-5",  "kind-6",  "kind-7",  "kind-8",
                                       "kind-9",  "kind-10", "kind-11", "kind-12", "kind-13",
                                       "kind-14", "kind-15", "kind-16", "kind-17", "kind-18",
                                       "kind-19", "kind-20", "kind-21", "kind-22", "kind-23"};

    if (k >= 0 && k < 4)
        return names[k];
    if (k >= 4 && k < 24)
        return more[k - 4];
    return "kind-other";
}

/* ---- start ---------------------------------------------------------- */

int gcp__hs_start(uint64_t rate)
{
    if (!gcp__hs) {
        gcp__hs_state *s = gcp__hs_arena_new();
        if (!s) { /* no address space to reserve: tables mapped as they grow */
            void *p =
                mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                return -1;
            s = p; /* zero-filled */
        }
        pthread_mutex_init(&s->lock, NULL);
        gcp__hs = s;
    }
    if (atomic_load(&gcp__hs->rate))
        return 0;
    gcp__hs->start_real_ns = gcp__realtime_ns();
    atomic_store(&gcp__hs->rate, rate ? rate : 1);
    return 0;
}

uint64_t gcp__hs_rate(void)
{
    return gcp__hs ? atomic_load_explicit(&gcp__hs->rate, memory_order_relaxed) : 0;
}

int gcp__hs_restart(uint64_t rate)
{
    if (!gcp__hs)
        return gcp__hs_start(rate);
    gcp__hs_lock();
    gcp__hs_tables_free();
    gcp__hs->gc_no = 0;
    gcp__hs->start_real_ns = gcp__realtime_ns();
    atomic_store(&gcp__hs->rate, rate ? rate : 1);
    gcp__hs_unlock();
    return 0;
}

/* In a forked child, whose copy of the lock another thread of the parent
 * may have held at the fork: only this thread runs, so no lock. */
void gcp__hs_reset(void)
{
    if (!gcp__hs)
        return;
    atomic_store(&gcp__hs->rate, 0);
    pthread_mutex_init(&gcp__hs->lock, NULL);
    gcp__hs_tables_free();
}

/* ---- record, forget, sweep ------------------------------------------ */

void gcp__hs_record(const void *base, size_t size, double weight, const char *kind,
                    const char *type, void *const *pcs, int depth)
{
    if (depth <= 0 || !gcp__hs)
        return;
    if (depth > GCP__HS_DEPTH)
        depth = GCP__HS_DEPTH;
    gcp__hs_lock();
    int32_t s = gcp__hs_stack_find(kind, type, pcs, depth);
    if (s < 0 || gcp__hs_live_put((uintptr_t)base, (uint32_t)s, size, weight) != 0) {
        gcp__hs->lost++;
    } else {
        gcp__hs->stacks[s].alloc_objects += weight;
        gcp__hs->stacks[s].alloc_bytes += weight * (double)size;
    }
    gcp__hs_unlock();
}

void gcp__hs_forget(const void *base)
{
    if (!gcp__hs || atomic_load_explicit(&gcp__hs->live_count, memory_order_relaxed) == 0)
        return;
    gcp__hs_lock();
    gcp__hs_live_drop((uintptr_t)base);
    gcp__hs_unlock();
}

void gcp__hs_sweep(int (*is_marked)(const void *), unsigned long gc_no)
{
    if (!gcp__hs)
        return;
    gcp__hs_lock();
    for (size_t i = 0; i < gcp__hs->live_cap; i++) {
        gcp__hs_live *e = &gcp__hs->live[i];
        if (e->hidden == GCP__HS_EMPTY || e->hidden == GCP__HS_GONE)
            continue;
        if (is_marked(gcp__hs_reveal(e->hidden)))
            e->survived = 1;
        else
            gcp__hs_live_kill(e);
    }
    gcp__hs->gc_no = gc_no;
    gcp__hs_unlock();
}
