/*
 * heap.h - the runtime's bottom layer (doc/architecture.md): errors and
 * the environment's readers, the collector's set-up and threads, the
 * runtime's kinds and allocator, sites, the census, holding collection
 * off, clearing dead stack, /proc readings. Everything above includes it;
 * it includes nothing of the layers above (tests/check_layers.sh).
 * Internal names are gcp__*; the library is built with
 * -fvisibility=hidden, so only GCP_EXPORT functions leave it.
 */
#ifndef GCP_HEAP_H
#define GCP_HEAP_H

#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "gcprof.h"
#include "text.h"
#include "clock.h"

/* ---- errors and logging (error.c) ---------------------------------- */

/* Record err and a formatted message as this thread's last error and
 * return err (so callers can `return gcp__fail(...)`). Not logged: a
 * failure the caller gets back is the caller's to report. */
int gcp__fail(int err, const char *fmt, ...) GCP_PRINTF(2, 3);
/* The log hook, for what no caller sees in a return value: warnings about
 * a closure, the monitor's thread, the environment's start-up, a profile
 * abandoned at thread exit. */
void gcp__log(gcp_log_level level, const char *fmt, ...) GCP_PRINTF(2, 3);
/* Times the program's log hook (gcp_set_log_fn) was called: program code
 * the library ran. */
unsigned long gcp__log_hook_calls(void);
/* The end of every writer: flush, so a write error shows now and not at
 * fclose; 0, or GCP_EIO naming who ("gcp_report_print: cannot write"). */
int gcp__write_done(FILE *fp, const char *who);
/* Set (1) and cleared (0) around the environment's start-up on this thread
 * (start/start.c); gcp__env_starting() says whether it is running, so that what
 * it calls logs the failures it would otherwise return to no one. */
void gcp__env_startup(int on);
int gcp__env_starting(void);

/* ---- the ABI (doc/abi.md) --------------------------------------------- */

/* 1 when the n bytes at p are all zero: a caller's reserved_ words, which
 * a later version gives meaning, must be. On a profiled call's path: n is a
 * constant at every caller, so the word loop unrolls into a few loads and
 * ORs (a byte loop over gcp_config's 64 cost ~20 ns of a ~100 ns call;
 * memcmp against zeros, a call of ~16 instructions). */
static inline int gcp__zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t acc = 0, w;
    size_t i = 0;

    for (; i + sizeof w <= n; i += sizeof w) {
        memcpy(&w, b + i, sizeof w);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

/* ---- initialisation (collector.c) ------------------------------------------ */

/* The collector and the runtime's kinds, then (once, if registered) what
 * the environment asks for. Idempotent (collector.c). 1 when both are
 * done; 0 when called back from inside the second, on its thread. */
int gcp__init_collector(void);
/* Register what runs once right after the set-up: the top layer's
 * start-up from the environment (start/start.c), from a constructor. */
void gcp__after_collector_setup(void (*fn)(void));
/* The calling thread is known to the collector, registered by us if need
 * be (threads.c): 1, or 0 when it could not be registered. */
int gcp__thread_known(void);
/* This thread runs inside the collector's event hook (ours, or the
 * program's that ours chains to): the collector's lock is held there,
 * and a profile, collection or allocation would wait for it forever. The
 * hook (collect/gc_events.c) sets the flag; it lives in threads.c. */
extern _Thread_local int gcp__hook_here __attribute__((tls_model("initial-exec")));
static inline int gcp__in_collector_hook(void)
{
    return gcp__hook_here;
}
/* The code for a runtime allocation that returned NULL: inside the hook
 * only the collector's lock could have been missing (GCP_ESTATE, refused),
 * elsewhere memory (GCP_ENOMEM). */
#define GCP__ALLOC_FAILED() (gcp__in_collector_hook() ? GCP_ESTATE : GCP_ENOMEM)
/* Inside that hook, a library entry point that would take the collector's
 * lock records GCP_ESTATE, naming itself, instead of waiting for itself:
 * GCP__REFUSED_IN_HOOK is that code there and 0 elsewhere (for entry
 * points that return a pointer or a size), GCP__REFUSE_IN_HOOK returns it. */
#define GCP__REFUSED_IN_HOOK(what)                                                                 \
    (gcp__in_collector_hook() ? gcp__fail(GCP_ESTATE,                                              \
                                          "%s: called from inside the collector's event hook, "    \
                                          "which holds the collector's lock: it would wait for "   \
                                          "itself",                                                \
                                          what)                                                    \
                              : 0)
#define GCP__REFUSE_IN_HOOK(what)                                                                  \
    do {                                                                                           \
        if (GCP__REFUSED_IN_HOOK(what))                                                            \
            return GCP_ESTATE;                                                                     \
    } while (0)

/* ---- the collector's kinds for runtime objects (collector.c) ------------ */

/* Runtime objects live in collector kinds of their own, so a census of
 * marked objects can tell them from everything else in the heap:
 * pointer-holding (scanned whole, zeroed) and atomic (only the first word
 * scanned, which holds the free-list link while an object is parked), each
 * also "sited": with a last word naming the allocation site (sites.c). */
enum {
    GCP__NORMAL = 0,
    GCP__ATOMIC = 1,
    GCP__NORMAL_SITED = 2,
    GCP__ATOMIC_SITED = 3,
    GCP__N_KINDS = 4
};
extern int gcp__kinds[GCP__N_KINDS];
/* A sited object's site word sits in its last 8 bytes: past the user's
 * memory and the collector's extra byte, in a word bdwgc does not scan for
 * a pointer-holding object. It holds the site id (low 32 bits) and the
 * allocation window it was made in (sites.c), with the top bit set, so it
 * is never a user-space address either. */
#define GCP__SITE_TAIL 8
/* Our index (GCP__*) of a collector kind, or -1 when not ours. */
int gcp__kind_index(int collector_kind);
/* Allocate from one of our kinds (heap.c); size counts any header. */
void *gcp__alloc_kind(int kind_ix, size_t size);
/* The same, also giving the collector's size it counted for the object. */
void *gcp__alloc_kind_sized(int kind_ix, size_t size, uint64_t *bytes);
/* For a sited kind: size plus room for the tail, with id in its last word
 * (sites.c). *bytes: the collector's size charged for it. */
void *gcp__alloc_tailed(int kind_ix, size_t size, uint64_t word, uint64_t *bytes);

/* Allocation counts by site gather in the thread's allocation state, one
 * counter pair per site id, in chunks of GCP__SITE_CHUNK ids made on a
 * thread's first allocation at one of them (sites.c owns what they mean):
 * one writer, read relaxed. Ids past GCP__SITE_CHUNKS chunks count in the
 * site itself. */
#define GCP__SITE_CHUNK  64
#define GCP__SITE_CHUNKS 1024 /* ids up to 65536 */
typedef struct gcp__site_count {
    uint64_t objects, bytes;
} gcp__site_count;
typedef struct gcp__site_chunk {
    gcp__site_count c[GCP__SITE_CHUNK]; /* id - 1 - k * GCP__SITE_CHUNK */
} gcp__site_chunk;
typedef struct gcp__site_dir {
    gcp__site_chunk *_Atomic chunk[GCP__SITE_CHUNKS]; /* malloc'd, never freed */
    struct gcp__site_dir *next; /* every directory, from a static (sites.c) */
} gcp__site_dir;
/* Where this thread's directory goes (NULL until its first sited
 * allocation), or NULL when it has no state (out of memory). */
gcp__site_dir *_Atomic *gcp__thread_site_dir(void);
/* Visit every thread's directory, exited threads' too (their states are
 * kept for the next thread), with the states' registry locked. */
void gcp__each_site_dir(void (*fn)(const gcp__site_dir *dir, void *user), void *user);

/* ---- allocation sites (sites.c) ---------------------------------------- */

/* Every site's counts, live ones read from the latest collection's mark
 * bits (call right after a full collection). *out is malloc'd, indexed
 * by site id - 1. Returns 0 or GCP_ENOMEM. */
int gcp__sites_census(gcp_site_stats **out, size_t *n);

/* Allocation windows: every sited object records the window current when
 * it was allocated. gcp__sites_window_begin() starts a new one (windows
 * nest and overlap: each is "everything allocated since it began", all
 * threads) and returns its number. */
uint32_t gcp__sites_window_begin(void);
/* Per site, what of it was allocated in window `since` or later and is
 * live after the latest collection. */
typedef struct gcp__site_window {
    uint64_t objects_live, bytes_live;
} gcp__site_window;
/* gcp__sites_census, also filling *win (malloc'd, same indices) for
 * window `since`. With walk 0 the heap is not walked: only allocation
 * counts are read (live figures and *win are 0; win may be NULL). */
int gcp__sites_census_since(uint32_t since, int walk, gcp_site_stats **out,
                            gcp__site_window **win, size_t *n);
/* Tracking is on (gcp_sites_track), read relaxed. */
extern _Atomic int gcp__tracking;
static inline int gcp__sites_tracking(void)
{
    return atomic_load_explicit(&gcp__tracking, memory_order_relaxed);
}
/* The sites that gcp_alloc, gcp_alloc_atomic and gcp_strdup use when
 * called as functions (no call site known) while tracking is on. */
extern gcp_site gcp__site_unknown, gcp__site_unknown_atomic;
/* The file name those sites carry. */
#define GCP__UNKNOWN_SITE_FILE "(no site)"
/* Extra bytes the collector adds to each request (1 when it recognises
 * pointers one past the end, as by default). */
extern size_t gcp__extra_bytes;

/* ---- bdwgc's mmap-hint false root (false_root.c) --------------------- */

/* Find the static in libgc that holds the end of its latest heap mapping
 * and exclude it from root scanning. Grows the heap by two minimal
 * sections. Returns 1 when excluded (now or before), 0 when not found.
 * Called by gcp_init; not thread-safe on its own. */
int gcp__exclude_mmap_hint_root(void);
extern int gcp__mmap_hint_excluded; /* its result at gcp_init */

/* ---- per-thread allocation state (heap.c) ---------------------------- */

/* Objects handed out and objects parked in this thread's free lists.
 * Each counter has one writer (its thread); others read it relaxed. */
typedef struct gcp__counts {
    uint64_t objects;
    uint64_t bytes;
} gcp__counts;

/* Runtime allocations that returned NULL so far (out of memory). */
unsigned long gcp__failed_allocations(void);

/* This thread's own allocation totals since it took its state (0 before
 * its first allocation): not a dead thread's whose state it took over. */
gcp__counts gcp__heap_mine(void);

/* Totals over all threads, including threads that have exited. */
void gcp__heap_totals(gcp__counts *allocated, gcp__counts *parked);
/* The allocated totals alone, returned in registers: a profile reads them
 * twice, and a 16-byte load of the two words just stored apart stalls
 * (store forwarding), a few ns each. */
gcp__counts gcp__heap_allocated(void);

/* ---- holding automatic collection off (hold.c) ------------------------ */

/* Hold automatic collection off (nesting; the first hold saves the
 * application's setting, the last release restores it). While held, once
 * the heap grows past limit_bytes, or its free space falls below min_free
 * (0: no floor), collection is allowed again (quiet: without a warning).
 * The first hold's bounds apply. */
void gcp__hold_acquire(uint64_t limit_bytes, uint64_t min_free, int quiet);
void gcp__hold_release(void);
/* How many times a hold was released by its bound so far. */
unsigned gcp__hold_releases(void);
/* In a forked child (its one thread): only the holds that thread took
 * stay (a profile it is inside releases its own); if none, the
 * application's setting comes back. */
void gcp__hold_after_fork(void);
/* The allocation slow path calls this to enforce the bound. */
void gcp__hold_check(void);

/* ---- census of live runtime objects (census.c) ----------------------- */

/* Count runtime objects marked by the latest collection, less those
 * parked in free lists: the exact live set right after a full collection.
 * Takes the allocation lock. */
void gcp__census(gcp__counts *live, gcp__counts *allocated);
/* The same census taken by the event hook at the end of each collection
 * while a request is on (exact even while other threads allocate):
 * request on/off around the collection, then read the latest one taken by
 * collection min_gc_no or later (1), or learn that none was (0: the hook
 * did not run; use gcp__census). */
void gcp__census_request(int on);
void gcp__census_in_hook(void); /* the hook, at GC_EVENT_END, lock held */
int gcp__census_taken(uint64_t min_gc_no, gcp__counts *live, gcp__counts *allocated);
/* The census the hook took at the end of the latest collection, with its
 * number and the bytes of every object it found marked (any kind: the
 * collector's live bytes). 1, or 0 when the latest collection took none
 * (no request on, or an incremental collection, which sends no events). */
int gcp__census_latest(uint64_t *gc_no, gcp__counts *live, uint64_t *marked);
/* The same census with the allocation totals read with it, when it is the
 * latest collection's and no finalizer was due after that collection
 * (finalizers run right after it, on the thread that asked: program code
 * that may drop references without allocating). 1, or 0. */
int gcp__census_latest_whole(uint64_t *gc_no, gcp__counts *live, gcp__counts *allocated);

/* ---- before a measured collection (scrub.c) --------------------------- */

/* Zero the unused stack below the caller (up to 64 KiB, as much as the
 * thread's stack has room for), and the vector registers a lazy-binding
 * trampoline would save there, so stale words left by finished code do
 * not keep garbage alive through conservative scanning. */
size_t gcp__dead_stack_bytes(size_t at_most); /* at_most, or what the stack has room for */
void gcp__wipe_dead_stack(size_t bytes);

/* Right before a collection: 64 KiB covers the frames of any ordinary
 * closure. A word it misses keeps its garbage alive: the collector then
 * frees less, and the census still counts exactly what it freed. */
#define GCP__DEAD_STACK_BYTES ((size_t)64 << 10)
#define gcp__clear_dead_stack() gcp__wipe_dead_stack(gcp__dead_stack_bytes(GCP__DEAD_STACK_BYTES))

/* Before making frames that stay live while the profiler collects (a
 * profile's, the leak check's): only as deep as those frames reach before
 * the next full clearing, right before the collection. Measured at -O0:
 * 976 bytes from gcp_profile's clearing to the baseline's full one, 400
 * from the closure's end to the forced collection's. */
#define GCP__OWN_FRAMES_BYTES ((size_t)8 << 10)
#define gcp__clear_own_frames() gcp__wipe_dead_stack(gcp__dead_stack_bytes(GCP__OWN_FRAMES_BYTES))

/* ---- /proc readings (procfs.c) --------------------------------------- */

/* A file kept open, to be read with pread (statm; the cgroup's files).
 * A failed open is retried at the next call while its cause may pass
 * (out of descriptors or memory): one EMFILE at the first profile must
 * not cost RSS for the life of the process. Any other error (no /proc, no
 * permission) is final until gcp__kept_close, so a process without /proc
 * tries once. err: the errno of the last failure, 0 once open. */
typedef struct gcp__kept_file {
    const char *path;
    int flags;
    const char *lost; /* what its absence costs, for the log; NULL: quiet */
    _Atomic int fd;
    _Atomic int err;
    uint64_t dev, ino; /* the file fd was opened on, set before fd */
} gcp__kept_file;
#define GCP__KEPT_FILE(path, flags, lost)                                                          \
    {                                                                                              \
        (path), (flags), (lost), -1, 0, 0, 0                                                       \
    }

/* f's descriptor, opened at the first call (and again after a transient
 * failure): -1 when it cannot be. Allocates nothing. Thread-safe. */
int gcp__kept_fd(gcp__kept_file *f);
/* gcp__kept_fd, checked first (an fstat, ~0.2 us: for files read now and
 * then) that the descriptor is still the file it opened: the program may
 * have closed it (a daemon closing every descriptor, closefrom) and got
 * its number back for a file of its own. Then f forgets it, leaves it to
 * the program, and opens the file again. */
int gcp__kept_fd_checked(gcp__kept_file *f);
/* Closes f (if open, and still the file it opened: a number the program
 * has taken over is left alone) and forgets its error: the next
 * gcp__kept_fd opens it again (path may have changed in between). Not
 * while another thread may read f. */
void gcp__kept_close(gcp__kept_file *f);

/* Whether /proc/self/statm could be opened (once, kept open). */
int gcp__rss_available(void);
/* Why RSS cannot be read: the errno of the last failed open of
 * /proc/self/statm (0 when it opened). */
int gcp__rss_errno(void);
/* Resident set size in bytes (kept-open /proc/self/statm); 0 on failure. */
uint64_t gcp__rss_bytes(void);
/* Reset the kernel's RSS high-water mark (/proc/self/clear_refs); rss_now
 * is the caller's fresh RSS reading. Returns 0 or GCP_EIO. */
int gcp__rss_peak_reset(uint64_t rss_now);
/* RSS high-water mark since the last reset, in bytes. */
uint64_t gcp__rss_peak_bytes(void);

/* Bytes in use in the GC heap (heap size minus free, lock-free). */
static inline uint64_t gcp__heap_in_use(void)
{
    return (uint64_t)GC_get_heap_size() - (uint64_t)GC_get_free_bytes();
}

#endif /* GCP_HEAP_H */
