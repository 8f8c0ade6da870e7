/*
 * policy.c - when a collection pays. The adaptive auto_gc mode and
 * gcp_gc_point() ask the same question from cheap signals: how much was
 * allocated since the last collection against the live heap it left
 * (garbage can be at most that), what a collection would cost now (the
 * recent collections' time per MiB of heap, times the heap), how close RSS
 * is to threshold_mb, and how long ago the last collection was (a cost
 * paid rarely is cheap per second of work).
 *
 * The event hook leaves each collection's figures here. Collections it
 * did not see (no profile was running) are noticed through GC_get_gc_no;
 * their live heap is then estimated as the heap in use minus what was
 * allocated since.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "internal.h"
#include "policy.h"

#define MIB ((uint64_t)1 << 20)
/* Below this, a heap's ratios mean nothing: a collection costs ~0.1 ms. */
#define LIVE_FLOOR (4 * MIB)
/* Less garbage than this is not worth a collection at all. */
#define TRIVIAL_BYTES (256 * 1024)
/* Allocated this many times the live heap: the heap would grow. */
#define GROWTH_RATIO 1.0
/* Allocated at least this share of the live heap, and a collection costs
 * at most CHEAP_SHARE of the time since the last one: collect. */
#define CHEAP_RATIO 0.25
#define CHEAP_SHARE 0.02
/* RSS this close to threshold_mb: collect whatever it costs. */
#define THRESHOLD_NEAR 0.9
/* Least growth a hold allows in adaptive mode. */
#define HOLD_MIN_GROWTH (8 * MIB)
/* Cost model before any collection was seen (BDWGC-NOTES: about 15 us +
 * 0.2-0.45 ms per live MiB here). */
#define COST_BASE_S         15e-6
#define COST_PER_MIB_S      0.3e-3
#define COST_WEIGHT_NEWEST  0.3

/* Written by the hook (one writer, under the collector's lock). */
static _Atomic uint64_t seen_gc_no, seen_end_ns, seen_live;
static _Atomic double cost_per_mib_s = COST_PER_MIB_S;

/* A collection the hook missed: when we first noticed it. */
static pthread_mutex_t unseen_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t unseen_gc_no, unseen_since_ns;

void gcp__gc_policy_note(uint64_t gc_no, uint64_t end_ns, uint64_t gc_ns, uint64_t heap_in_use)
{
    double mib = (double)heap_in_use / (double)MIB;

    if (mib >= 1.0 && gc_ns > 0) {
        double newest = (double)gc_ns / 1e9 / mib;
        double old = atomic_load_explicit(&cost_per_mib_s, memory_order_relaxed);
        atomic_store_explicit(&cost_per_mib_s,
                              old + COST_WEIGHT_NEWEST * (newest - old), memory_order_relaxed);
    }
    atomic_store(&seen_end_ns, end_ns);
    atomic_store(&seen_live, heap_in_use);
    atomic_store(&seen_gc_no, gc_no);
}

static double predicted_cost(uint64_t live)
{
    return COST_BASE_S +
           atomic_load_explicit(&cost_per_mib_s, memory_order_relaxed) * (double)live /
               (double)MIB;
}

/* When the collection numbered gc_no was first noticed here. */
static uint64_t noticed_at(uint64_t gc_no, uint64_t now)
{
    uint64_t since;

    pthread_mutex_lock(&unseen_lock);
    if (unseen_gc_no != gc_no) {
        unseen_gc_no = gc_no;
        unseen_since_ns = now;
    }
    since = unseen_since_ns;
    pthread_mutex_unlock(&unseen_lock);
    return since;
}

void gcp__gc_signals_read(gcp__gc_signals *s, uint64_t rss, uint64_t threshold)
{
    uint64_t gc_no = GC_get_gc_no(), now;

    gcp__fast_clock_init();
    now = gcp__fast_ns();
    memset(s, 0, sizeof *s);
    s->allocated = (uint64_t)GC_get_bytes_since_gc();
    s->disabled = GC_is_disabled();
    s->rss = rss;
    s->threshold = threshold;
    if (gc_no == atomic_load(&seen_gc_no)) {
        uint64_t end = atomic_load(&seen_end_ns);
        s->live = atomic_load(&seen_live);
        s->since_s = now > end ? (double)(now - end) / 1e9 : 0;
    } else {
        uint64_t in_use = gcp__heap_in_use();
        s->live = in_use > s->allocated ? in_use - s->allocated : 0;
        s->since_s = (double)(now - noticed_at(gc_no, now)) / 1e9;
    }
    s->predicted_s = predicted_cost(s->live);
}

static int say(int verdict, char *reason, size_t n, const char *fmt, ...) GCP_PRINTF(4, 5);
static int say(int verdict, char *reason, size_t n, const char *fmt, ...)
{
    va_list ap;

    if (n > 0) {
        va_start(ap, fmt);
        vsnprintf(reason, n, fmt, ap);
        va_end(ap);
    }
    return verdict;
}

int gcp__gc_decide(const gcp__gc_signals *s, char *reason, size_t n)
{
    uint64_t base = s->live > LIVE_FLOOR ? s->live : LIVE_FLOOR;
    double ratio = (double)s->allocated / (double)base;
    double ms = s->predicted_s * 1e3;

    if (s->disabled)
        return say(0, reason, n, "collection is disabled (GC_disable)");
    if (s->allocated < TRIVIAL_BYTES)
        return say(0, reason, n, "little garbage: %.0f KiB allocated since the last collection",
                   (double)s->allocated / 1024.0);
    if (s->threshold > 0 && (double)s->rss >= THRESHOLD_NEAR * (double)s->threshold)
        return say(1, reason, n, "RSS %.1f MiB is within 10%% of threshold_mb=%.1f",
                   (double)s->rss / (double)MIB, (double)s->threshold / (double)MIB);
    if (ratio >= GROWTH_RATIO)
        return say(1, reason, n, "allocated %.1fx the live heap since the last collection",
                   ratio);
    if (ratio >= CHEAP_RATIO && s->predicted_s <= CHEAP_SHARE * s->since_s)
        return say(1, reason, n, "cheap: ~%.2f ms after %.2f s without a collection (%.1fx live)",
                   ms, s->since_s, ratio);
    return say(0, reason, n, "not worth it: %.2fx live allocated, ~%.2f ms %s", ratio, ms,
               ratio < CHEAP_RATIO ? "for little garbage" : "too soon after the last");
}

uint64_t gcp__gc_hold_growth(const gcp__gc_signals *s, uint64_t hold_limit_bytes)
{
    uint64_t growth = s->live > HOLD_MIN_GROWTH ? s->live : HOLD_MIN_GROWTH;

    if (growth > hold_limit_bytes)
        growth = hold_limit_bytes;
    if (s->threshold > 0 && s->rss > 0) {
        uint64_t room = s->threshold > s->rss ? s->threshold - s->rss : 0;
        if (room < MIB)
            room = MIB;
        if (growth > room)
            growth = room;
    }
    return growth;
}

/* ---- gcp_gc_point -------------------------------------------------- */

static void point_collect(gcp_gc_decision *d, int read_rss)
{
    uint64_t rss_before = read_rss ? gcp__rss_bytes() : 0, t;

    gcp__events_acquire();
    t = gcp__now_ns();
    gcp__clear_dead_stack();
    gcp__forced_begin();
    GC_gcollect_and_unmap();
    gcp__forced_end();
    d->cost = (double)(gcp__now_ns() - t) / 1e9;
    gcp__events_release();
    if (read_rss) {
        uint64_t rss_after = gcp__rss_bytes();
        d->memory_saved = rss_before > rss_after ? (double)(rss_before - rss_after) / (double)MIB
                                                 : 0;
    }
}

int gcp_gc_point(const gcp_config *cfg, gcp_gc_decision *out)
{
    gcp_config c;
    gcp__gc_signals s;
    gcp_gc_decision d;
    int rc = gcp__config_resolve(cfg, &c);

    if (rc < 0) {
        gcp__log(GCP_LOG_ERROR, "%s", gcp_last_error());
        return rc;
    }
    gcp_init();
    memset(&d, 0, sizeof d);
    int read_rss = !c.heap_only && gcp__rss_available();
    uint64_t threshold = (uint64_t)(c.threshold_mb * (double)MIB);
    gcp__gc_signals_read(&s, read_rss ? gcp__rss_bytes() : 0, read_rss ? threshold : 0);
    d.collected = gcp__gc_decide(&s, d.reason, sizeof d.reason);
    d.allocated = s.allocated;
    d.live = s.live;
    d.predicted_cost = s.predicted_s;
    d.since_last = s.since_s;
    if (d.collected)
        point_collect(&d, read_rss);
    if (out)
        *out = d;
    return d.collected;
}
