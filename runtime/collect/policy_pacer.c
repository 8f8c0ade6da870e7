/*
 * policy_pacer.c - the budget's second spender: bdwgc's free-space
 * divisor (GC_set_free_space_divisor), which sets how much the collector
 * allocates between its automatic collections (about the heap over the
 * divisor). A higher divisor collects more often and keeps the heap
 * smaller. Collections the policy decides at gc points only help where
 * the program's units of work end with little live (demos/pipeline); on
 * a request loop they replaced bdwgc's own collections and saved no peak
 * (28.1 MiB against off's 28.3 at the same GC time), while the divisor
 * lowered it (divisor 4: 25.4 MiB for 2 more points of GC time).
 *
 * So at each look at the budget (policy_budget.c, under its lock), once a
 * window (GCP__BUDGET_WINDOW_S) has passed since the last step: when the
 * collector ran in it but collections took under UNDER of the budget's
 * share of it, and the bucket is not spent, the divisor steps up (x 1.5);
 * when they took more than the budget's share, or the bucket is spent,
 * it steps back (/ 1.5). Between the two it stays. It never goes below the divisor found at
 * the first look (GC_FREE_SPACE_DIVISOR or bdwgc's 3): the pacer trades
 * spare GC time for memory, never memory for time, so the peak is never
 * above what the program had without it. Nor above MAX_FACTOR times it.
 * When anyone else sets the divisor (the value is not the one we set),
 * theirs stands: the pacer stops for the process's life. Setting and
 * reading it are plain word stores and loads in bdwgc 8.2.2 (misc.c: no
 * lock), which the collector reads when it next sizes its allocation
 * budget: safe from any thread.
 */
#include "collect.h"
#include "policy.h"

/* The highest divisor, as a multiple of the one found: 3 x 16 = 48
 * collects every ~2% of the heap, past where a collection pays. */
#define MAX_FACTOR 16
#define STEP       1.5
/* Below this share of the budget a window left room for a step up: the
 * step raises the collector's time by up to STEP times. */
#define UNDER (1 / STEP)

/* Under the budget's lock. */
static unsigned long found, ours;
static int hands_off;
static uint64_t stepped_at_ns;
/* Collections' seconds since the last step (0: the collector did not run
 * in the window, so a higher divisor would have changed nothing). */
static double window_gc_s;

static unsigned long up(unsigned long d)
{
    unsigned long next = (unsigned long)((double)d * STEP);

    next = next > d ? next : d + 1;
    return next < found * MAX_FACTOR ? next : found * MAX_FACTOR;
}

static unsigned long down(unsigned long d)
{
    unsigned long next = (unsigned long)((double)d / STEP);

    return next > found ? next : found;
}

void gcp__gc_pacer_step(double budget, double left, double drained_s, uint64_t now)
{
    if (hands_off)
        return;
    unsigned long d = (unsigned long)GC_get_free_space_divisor(), next = d;
    if (found == 0) {
        found = ours = d > 0 ? d : 1;
        stepped_at_ns = now;
        return;
    }
    if (d != ours) {
        hands_off = 1;
        return;
    }
    window_gc_s += drained_s;
    if (now - stepped_at_ns < (uint64_t)(GCP__BUDGET_WINDOW_S * 1e9))
        return;
    double share = window_gc_s * 1e9 / (double)(now - stepped_at_ns);
    if (left <= 0 || share > budget)
        next = down(d);
    else if (share < UNDER * budget && window_gc_s > 0)
        next = up(d);
    if (next != d) {
        GC_set_free_space_divisor((GC_word)next);
        ours = next;
    }
    stepped_at_ns = now;
    window_gc_s = 0;
}
