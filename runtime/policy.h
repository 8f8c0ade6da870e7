/*
 * policy.h - when a collection pays (policy.c): the adaptive auto_gc
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
    double predicted_s;  /* what a full collection would cost now */
    double since_s;      /* since the last collection ended */
    uint64_t rss;        /* bytes; 0 when not read */
    uint64_t threshold;  /* bytes of RSS to stay under; 0: none */
    int disabled;        /* GC_disable is in force: nothing can run */
} gcp__gc_signals;

/* Read the signals now. rss and threshold are the caller's (0: none). */
void gcp__gc_signals_read(gcp__gc_signals *s, uint64_t rss, uint64_t threshold);

/* 1 when a collection pays now, else 0; why, in one short phrase, goes to
 * reason (n bytes, always terminated). Pure: tests feed it signals. */
int gcp__gc_decide(const gcp__gc_signals *s, char *reason, size_t n);

/* How far the heap may grow while a profile holds collection off in
 * adaptive mode: about the live heap again (at least 8 MiB), never past
 * hold_limit_bytes of growth, nor past what keeps RSS under threshold. */
uint64_t gcp__gc_hold_growth(const gcp__gc_signals *s, uint64_t hold_limit_bytes);

/* The event hook reports each collection's end: its number, how long it
 * took and the heap in use it left (lock-free; called under the
 * collector's lock, so it takes none). */
void gcp__gc_policy_note(uint64_t gc_no, uint64_t end_ns, uint64_t gc_ns, uint64_t heap_in_use);

#endif /* GCP_POLICY_H */
