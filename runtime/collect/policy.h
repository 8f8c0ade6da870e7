/*
 * policy.h - when a collection pays (policy_model.c): the adaptive auto_gc
 * mode and gcp_gc_point() share one decision, made from cheap signals.
 */
#ifndef GCP_POLICY_H
#define GCP_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* What the decision looks at; all cheap to read (lock-free getters, the
 * clock, and figures the event hook left). */
typedef struct gcp__gc_signals {
    uint64_t allocated;  /* bytes allocated since the last collection */
    uint64_t live;       /* heap in use that collection left */
    uint64_t free;       /* free space in the mapped heap now */
    uint64_t expected;   /* allocation expected before the next gc point */
    double predicted_s;  /* what a full collection would cost now */
    double since_s;      /* since the last collection ended */
    uint64_t rss;        /* bytes; 0 when not read */
    uint64_t threshold;  /* bytes of RSS to stay under; 0: none */
    /* The cgroup's memory limit (heap/cgroup.h), read with RSS: RSS may
     * rise to cgroup_limit - cgroup_others. */
    uint64_t cgroup_limit;  /* bytes; 0: no limit known */
    uint64_t cgroup_usage;  /* bytes the cgroup uses, every process in it */
    uint64_t cgroup_others; /* of which not this process's RSS */
    /* What may be added to RSS before anyone decides again: the most one
     * of the last GCP__GROWTH_KEPT profiles grew RSS by
     * (gcp__gc_policy_growth), or the most allocated between two of the
     * recent decisions that read RSS, whichever is more; 0: none seen. */
    uint64_t rss_growth;
    uint64_t limit; /* memory_limit_mb in bytes; 0: none */
    /* The GC-time budget: the share of wall time collections may take,
     * every one counted (0: no budget, every rule free to collect), and
     * the seconds of collection it has left now (policy_budget.c; below 0
     * after collections ran past it). */
    double budget;
    double budget_left_s;
    int disabled;        /* GC_disable is in force: nothing can run */
} gcp__gc_signals;

/* The most of its budget the policy can bank, in seconds of wall time:
 * budget x this many seconds of collection, the bucket's size. */
#define GCP__BUDGET_WINDOW_S 0.25

static inline double gcp__gc_budget_cap(double budget)
{
    return budget * GCP__BUDGET_WINDOW_S;
}

/* What the caller asks of the policy: RSS bounds (bytes, 0: none; used
 * only with an RSS reading) and the GC-time budget (share, above 0). */
typedef struct gcp__gc_goals {
    uint64_t threshold, limit;
    double budget;
} gcp__gc_goals;

/* Read the signals now. rss is the caller's (0: none); with an RSS
 * reading the cgroup's limit is read too (gcp__cgroup_now). at_point: at
 * a gc point, whose call also closes an interval of the history
 * `expected` comes from (the most allocated between recent gc points);
 * elsewhere `expected` is 0 (nothing says what comes next). */
void gcp__gc_signals_read(gcp__gc_signals *s, uint64_t rss, const gcp__gc_goals *g, int at_point);

/* What the budget (a share of wall time) has left at now (ns, the fast
 * clock), in seconds of collection (policy_budget.c); one_s: what one
 * collection costs now (the model's), charged for each the event hook
 * did not see. Each call also steps the pacer. */
double gcp__gc_budget_left(double budget, double one_s, uint64_t now);

/* The pacer (policy_pacer.c), under the budget's lock: the budget, what
 * it has left, the seconds of collection since the last look and now
 * (ns). Steers bdwgc's free-space divisor. */
void gcp__gc_pacer_step(double budget, double left, double drained_s, uint64_t now);

/* In a forked child (fork.c): the policy's and the budget's locks
 * afresh, whoever held them in the parent. */
void gcp__gc_policy_after_fork(void);
void gcp__gc_budget_after_fork(void);

/* What a decision says to do. Unmapping returns free blocks to the OS;
 * it is worth it when memory is short or the program is idle, not when
 * the heap only needs room (it would map the blocks again). */
enum { GCP__SKIP = 0, GCP__COLLECT = 1, GCP__COLLECT_AND_UNMAP = 2 };

/* What to do now (GCP__*); why, in one short phrase, goes to reason (n
 * bytes, always terminated). Pure: tests feed it signals. */
#define GCP__REASON_DISABLED "no collection: collection is disabled (GC_disable)"
int gcp__gc_decide(const gcp__gc_signals *s, char *reason, size_t n);

/* How far the heap may grow while a profile holds collection off in
 * adaptive mode: about the live heap again (at least 8 MiB), never past
 * hold_limit_bytes of growth, nor past what keeps RSS under threshold
 * and under what the cgroup's limit leaves it. */
uint64_t gcp__gc_hold_growth(const gcp__gc_signals *s, uint64_t hold_limit_bytes);

/* A profile's RSS at its two ends (bytes; non-zero): how much RSS grows
 * between two decisions at profiles' edges, for the bound rules to look
 * one profile ahead (with what was allocated between decisions, which
 * policy_model.c keeps: RSS growth alone misses a heap that has free
 * space now and grows by a third later). Lock-free. */
#define GCP__GROWTH_KEPT 8
void gcp__gc_policy_growth(uint64_t rss_before, uint64_t rss_after);

/* The event hook reports each collection's end: its number, how long it
 * took and the heap in use it left (policy_note.c; lock-free; called
 * under the collector's lock, so it takes none). */
void gcp__gc_policy_note(uint64_t gc_no, uint64_t end_ns, uint64_t gc_ns, uint64_t heap_in_use);

/* 1 when the hook saw the collection numbered gc_no, with when it ended
 * (ns) and the heap in use it left; else 0. */
int gcp__gc_policy_seen(uint64_t gc_no, uint64_t *end_ns, uint64_t *live);

/* The cost model: seconds of collection per MiB of heap in use (a heap
 * under 1 MiB counts as 1). */
double gcp__gc_cost_per_mib_s(void);

#endif /* GCP_POLICY_H */
