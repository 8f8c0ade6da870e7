/*
 * policy_budget.c - the collection policy's GC-time budget (policy.h,
 * gc_budget): what its own collections may still take.
 *
 * The budget is a bucket of seconds of collection (under bucket_lock): it
 * fills at budget x wall time up to budget x GCP__BUDGET_WINDOW_S (an
 * idle hour pays for no burst of collections), starts full, and each
 * collection of the policy's takes its time out, below 0 when a bound
 * forced one past it (paid back before the next that is only for the
 * peak). Over any span of T seconds the policy's collections take at most
 * budget x (T + GCP__BUDGET_WINDOW_S), plus one collection.
 */
#include <pthread.h>

#include "policy.h"

static pthread_mutex_t bucket_lock = PTHREAD_MUTEX_INITIALIZER;
static double bucket_s;
static uint64_t bucket_at_ns; /* 0: not yet asked, the bucket full */

void gcp__gc_budget_after_fork(void)
{
    pthread_mutex_init(&bucket_lock, NULL);
}

double gcp__gc_budget_left(double budget, uint64_t now)
{
    double cap = gcp__gc_budget_cap(budget), left;

    pthread_mutex_lock(&bucket_lock);
    if (bucket_at_ns == 0)
        bucket_s = cap;
    else if (now > bucket_at_ns)
        bucket_s += budget * (double)(now - bucket_at_ns) / 1e9;
    if (bucket_s > cap)
        bucket_s = cap;
    bucket_at_ns = now;
    left = bucket_s;
    pthread_mutex_unlock(&bucket_lock);
    return left;
}

void gcp__gc_policy_spent(uint64_t ns)
{
    pthread_mutex_lock(&bucket_lock);
    bucket_s -= (double)ns / 1e9;
    pthread_mutex_unlock(&bucket_lock);
}
