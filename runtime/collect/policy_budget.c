/*
 * policy_budget.c - the collection policy's GC-time budget (policy.h,
 * gc_budget): the share of wall time the program accepts to spend in
 * collections, every one counted (bdwgc's automatic ones and the
 * policy's), and what it has left now.
 *
 * The budget is a bucket of seconds of collection (under bucket_lock): it
 * fills at budget x wall time up to budget x GCP__BUDGET_WINDOW_S (an
 * idle hour pays for no burst of collections), starts full, and drains
 * by the time of the collections since the last look: what the event
 * hook measured (gc_events.c, the collector's START to END) for those it
 * saw, and the model's cost of one collection now (policy_model.c) for
 * each it did not (it is installed only while a profile, the monitor or
 * a gc point's own collection runs: the collector is left as it was
 * found). Fill and drain both come before the cap applies (the looks
 * come at each decision, so the collections between two of them count
 * as spread over that span); the bucket goes below 0 when the
 * collector's own collections or a bound's ran past it. Over any span of
 * T seconds between looks, collections took at most
 * budget x (T + GCP__BUDGET_WINDOW_S) less what the bucket holds at its end.
 *
 * Each look also lets the pacer (policy_pacer.c) spend what the policy's
 * own collections left.
 */
#include <pthread.h>

#include "collect.h"
#include "policy.h"

static pthread_mutex_t bucket_lock = PTHREAD_MUTEX_INITIALIZER;
static double bucket_s;
static uint64_t bucket_at_ns; /* 0: not yet asked, the bucket full */
/* At the last look: the hook's totals, and the collector's count. */
static uint64_t counted_gc_ns, counted_seen, counted_gc_no;

void gcp__gc_budget_after_fork(void)
{
    pthread_mutex_init(&bucket_lock, NULL);
}

/* Seconds of collection since the last look: measured, and modelled
 * for the collections the hook missed. */
static double drained_s(const gcp__gc_totals *t, uint64_t gc_no, double one_s)
{
    uint64_t all = gc_no - counted_gc_no, seen = t->collections - counted_seen;

    return (double)(t->gc_ns - counted_gc_ns) / 1e9 + (all > seen ? (double)(all - seen) * one_s : 0);
}

double gcp__gc_budget_left(double budget, double one_s, uint64_t now)
{
    double cap = gcp__gc_budget_cap(budget), left;
    gcp__gc_totals t;

    pthread_mutex_lock(&bucket_lock);
    gcp__events_totals(&t);
    uint64_t gc_no = (uint64_t)GC_get_gc_no();
    double drained = bucket_at_ns ? drained_s(&t, gc_no, one_s) : 0;
    if (bucket_at_ns == 0)
        bucket_s = cap;
    else if (now > bucket_at_ns)
        bucket_s += budget * (double)(now - bucket_at_ns) / 1e9;
    bucket_s -= drained;
    if (bucket_s > cap)
        bucket_s = cap;
    bucket_at_ns = now;
    counted_gc_ns = t.gc_ns;
    counted_seen = t.collections;
    counted_gc_no = gc_no;
    left = bucket_s;
    gcp__gc_pacer_step(budget, left, drained, now);
    pthread_mutex_unlock(&bucket_lock);
    return left;
}
