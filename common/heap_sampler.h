/*
 * heap_sampler.h - sampled heap profiles: which call stacks allocate, and
 * which of their objects the latest collection kept. Collector-free: the
 * caller (the preload library, or the runtime) interposes the allocation
 * functions, captures the stack and tells the sampler; at the end of each
 * collection it hands in the collector's mark-bit test.
 *
 * Sampling is by bytes, as in Go's runtime/pprof and jemalloc: each thread
 * counts down a random (exponential) number of bytes, mean `rate`, and the
 * allocation that crosses zero is sampled. An allocation of s bytes is then
 * sampled with probability 1 - exp(-s/rate), and stands for the inverse of
 * that, so that sums are unbiased estimates. Rate 1 samples every
 * allocation, each standing for itself.
 *
 * Nothing here allocates with malloc or lives where the collector looks:
 * the tables are anonymous mappings of our own (not roots), and object
 * addresses are kept hidden (bit-inverted), so that profiling keeps
 * nothing alive. One mutex guards them; it is never held while calling
 * the collector, so the collection's hook can take it.
 */
#ifndef GCP_HEAP_SAMPLER_H
#define GCP_HEAP_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#define GCP__HS_DEPTH        64 /* frames kept per stack, innermost first */
#define GCP__HS_DEFAULT_RATE (512u << 10)

/* A thread's countdown. Zero-initialised (thread-local storage) means
 * "not started": the first allocation draws the first interval. */
typedef struct gcp__hs_thread {
    int64_t left; /* bytes until the next sample */
    uint64_t rng; /* xorshift state; 0 until seeded */
} gcp__hs_thread;

/* The fast path: one subtraction and a branch. Nonzero when this
 * allocation must go through gcp__hs_pick (maybe to be sampled). */
static inline int gcp__hs_tick(gcp__hs_thread *t, size_t bytes)
{
    t->left -= (int64_t)bytes;
    return t->left < 0;
}

/* Starts sampling at `rate` bytes (1: every allocation). 0, or -1 when
 * the tables cannot be mapped. Idempotent; not thread-safe against the
 * other calls (call it before the interposers can sample). */
int gcp__hs_start(uint64_t rate);
uint64_t gcp__hs_rate(void); /* 0: not sampling */
/* Starts afresh at `rate`: every sample so far dropped, the start time
 * now. Thread-safe (the tables' lock); 0 or -1 as gcp__hs_start. */
int gcp__hs_restart(uint64_t rate);

/* After gcp__hs_tick said so: whether this allocation of `bytes` is
 * sampled; if so *weight is what it stands for (>= 1). Draws the next
 * interval either way. */
int gcp__hs_pick(gcp__hs_thread *t, size_t bytes, double *weight);

/* A sampled object: base is its start (what the collector's mark bit is
 * for), size its size in the heap, kind a static name ("normal", ...),
 * type the program's name for it (GCP_NEW's T: a string that outlives the
 * sampler) or NULL, pcs its return addresses, innermost first. */
void gcp__hs_record(const void *base, size_t size, double weight, const char *kind,
                    const char *type, void *const *pcs, int depth);

/* The object at base was freed (GC_free): its sample no longer counts as
 * in use. Cheap when nothing is sampled. */
void gcp__hs_forget(const void *base);

/* At the end of a collection, under the collector's lock: samples whose
 * object is_marked says is dead are dropped, the rest are in use. */
void gcp__hs_sweep(int (*is_marked)(const void *), unsigned long gc_no);

/* Writes the raw dump (doc/heap-dump-format.md) of everything sampled so
 * far to fd: the counts, in use as of the last sweep, and the executable
 * segments of every loaded object. 0, or -1 with errno. pid is the
 * caller's; the start time is gcp__hs_start's. */
int gcp__hs_dump(int fd, long pid);

/* In use per stack as of the latest sweep (the estimates a dump writes):
 * bytes and objects of stacks [0, min(n, cap)), in the dump's order.
 * Returns n, the stacks there are. */
size_t gcp__hs_inuse(double *bytes, double *objects, size_t cap);

/* bdwgc's object kind number k by name: "normal", "atomic",
 * "uncollectable", "atomic-uncollectable", then "kind-K" (a program's
 * own kinds). A static string. */
const char *gcp__hs_kind_name(int k);

/* Drops everything, in a forked child (single-threaded): the parent's
 * samples are the parent's. */
void gcp__hs_reset(void);

#endif
