/*
 * gcprof.h - libgcprof: a managed heap on the Boehm collector, and a
 * profiler that tells what a piece of code did to memory.
 *
 * Ownership vocabulary (as in jansson): "managed" memory belongs to the
 * collector and is reclaimed when unreachable; "caller-owned" memory is
 * yours to keep or free; "borrowed" pointers stay valid only as long as
 * the object they came from.
 *
 * Thread safety: every function may be called from any thread that the
 * collector knows about (created through its pthread wrappers, or
 * registered), unless its comment says otherwise.
 *
 * Zero is initialisation: every field of an options struct (gcp_config,
 * gcp_leak_options, gcp_monitor_options) means its documented default when
 * 0, so `gcp_config c = {0};`, designated initialisers and memset all
 * work, and keep working when fields are added.
 *
 * ABI (doc/abi.md): within one SONAME a struct never changes size or moves
 * a field. Structs you allocate end in reserved_ words (or hold only an
 * opaque private_ blob); a later version takes new fields from them, so
 * leave them zero ({0}, memset or the _init functions do) - the library
 * refuses options whose reserved_ words are not, with GCP_EINVAL. Structs
 * the library fills clear their reserved_ words. Anything else changes the
 * SONAME.
 *
 * Environment (doc/environment.md, one table of every GCPROF_* variable):
 * read only through secure_getenv (nothing in a setuid process); empty means
 * unset; booleans are true/false, 1/0, yes/no, on/off in any case; a bad
 * value is GCP_EINVAL naming the variable from a call that reads it, and a
 * warning (the default kept) when read at start-up, where no caller sees.
 */
#ifndef GCPROF_H
#define GCPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define GCP_EXPORT       __attribute__((visibility("default")))
#define GCP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GCP_EXPORT
#define GCP_PRINTF(f, a)
#endif

/* ---- version ------------------------------------------------------ */

#define GCP_VERSION_MAJOR  0
#define GCP_VERSION_MINOR  1
#define GCP_VERSION_PATCH  0
#define GCP_VERSION_STRING "0.1.0"

/* The version of the library actually linked, e.g. "0.1.0". */
GCP_EXPORT const char *gcp_version(void);

/* ---- errors ------------------------------------------------------- */

/* Every function that can fail returns 0 (or a count) on success and one
 * of these negative codes on failure (or NULL, or a documented value, with
 * the code's message set). The message of the latest failure on the
 * calling thread is kept by gcp_last_error(). A failure goes only to its
 * caller: it is never logged. */
/* clang-format off */
#define GCP_ERRNO_MAP(X)                                                        \
    X(EINVAL,    -22,   "invalid argument")                                     \
    X(ENOMEM,    -12,   "out of memory")                                        \
    X(EIO,       -5,    "input/output error (reading /proc, writing a report)") \
    X(ERANGE,    -34,   "value out of range")                                   \
    X(ESTATE,    -1001, "call out of order (region not begun or ended twice)")  \
    X(ENOTFOUND, -1002, "no such key")

typedef enum {
#define GCP_ERR_ENUM_(name, code, msg) GCP_##name = (code),
    GCP_ERRNO_MAP(GCP_ERR_ENUM_)
#undef GCP_ERR_ENUM_
    GCP_OK = 0
} gcp_errno;
/* clang-format on */

/* A static description of err ("invalid argument"); never NULL. */
GCP_EXPORT const char *gcp_strerror(int err);

/* The code's symbolic name ("GCP_EINVAL"); "GCP_UNKNOWN" for others. */
GCP_EXPORT const char *gcp_err_name(int err);

/* The message of the latest failure on this thread, naming what was wrong
 * ("threshold_mb must be finite and >= 0, got -1"). Borrowed: valid until
 * this thread's next failing call. "" when nothing failed yet. */
GCP_EXPORT const char *gcp_last_error(void);

/* ---- logging ------------------------------------------------------ */

typedef enum { GCP_LOG_ERROR = 0, GCP_LOG_WARN = 1, GCP_LOG_INFO = 2 } gcp_log_level;

/* The log hook carries what no return value can: warnings about a
 * closure (threshold_mb exceeded, hold_limit_mb reached, collection left
 * disabled), a profile abandoned when its thread exited, the monitor
 * thread's write errors, /proc files that cannot be opened, and failures
 * of what the environment starts (GCPROF_MONITOR_OUT). A failing call is
 * not logged (see errors). A hook receives each message with its level
 * and your user data. It may be called from any thread, never from inside
 * a collection. */
typedef void (*gcp_log_fn)(gcp_log_level level, const char *msg, void *user);

/* Install a log hook; NULL restores the default, which writes errors and
 * warnings (not info) to stderr as "gcprof: warning: ...". Not thread-safe
 * against concurrent logging: set it once, early. */
GCP_EXPORT void gcp_set_log_fn(gcp_log_fn fn, void *user);

/* ---- initialisation ----------------------------------------------- */

/* Initialise the collector (with thread support) and the runtime. Safe to
 * call more than once and from several threads; allocation functions call
 * it themselves, so calling it is only needed to control when it happens.
 * Returns 0, or GCP_ESTATE when this thread cannot be registered with the
 * collector (GC_register_my_thread failed: it must not allocate). */
GCP_EXPORT int gcp_init(void);

/* ---- allocation --------------------------------------------------- */

/* Allocate size bytes of managed, zeroed memory that may hold pointers to
 * other managed objects. Returns NULL when out of memory (GCP_ENOMEM in
 * gcp_last_error(); a profile's report notes GCP_NOTE_OUT_OF_MEMORY) or,
 * inside the collector's event hook, when it would need a new batch
 * (GCP_ESTATE); never aborts. Every object is counted exactly (see
 * gcp_heap_counters_get). With GNU C this name is a macro that also
 * records the call site when site tracking is on (gcp_alloc_at). */
GCP_EXPORT void *gcp_alloc(size_t size);

/* Like gcp_alloc, for memory that never holds pointers (strings, numbers):
 * the collector does not scan it, except its first word. Not zeroed. */
GCP_EXPORT void *gcp_alloc_atomic(size_t size);

/* A managed copy of the NUL-terminated string s (atomic). NULL for a NULL
 * s (GCP_EINVAL) or when gcp_alloc would fail (GCP_ENOMEM, GCP_ESTATE). */
GCP_EXPORT char *gcp_strdup(const char *s);

/* Allocate one zeroed T. With GNU C and site macros (below), its site also
 * records the type's name, so snapshots and leak reports can group by it
 * (gcp_snapshot_print_types). */
#define GCP_NEW(T) ((T *)gcp_alloc(sizeof(T)))

/* Run a full collection now, after zeroing the unused stack below the
 * caller (64 KiB) so stale words there keep no garbage alive. A running
 * monitor records it as forced. Does nothing if collection is disabled
 * with GC_disable(); returns 1 if a collection ran, 0 otherwise, and
 * GCP_ESTATE inside the collector's event hook. */
GCP_EXPORT int gcp_collect(void);

/* Process-wide totals of what the runtime allocated since start, summed
 * over all threads. bytes are the collector's sizes (requests rounded up to
 * its 16-byte granules), so they add up with heap figures. */
typedef struct gcp_heap_counters {
    uint64_t objects_allocated;
    uint64_t bytes_allocated;
    uint64_t reserved_[6]; /* cleared */
} gcp_heap_counters;

/* Fill *out with those totals (NULL: nothing). Lock-free. */
GCP_EXPORT void gcp_heap_counters_get(gcp_heap_counters *out);

/* The collector's size of the managed object obj points into (>= what was
 * requested; a sited object's last word, its site id, is not counted).
 * 0 for NULL or a pointer outside the GC heap. */
GCP_EXPORT size_t gcp_sizeof(const void *obj);

/* ---- containers ----------------------------------------------------- */

/* A growable vector of pointers, itself managed: no _free, it is
 * reclaimed when unreachable. Elements are scanned, so they keep the
 * objects they point to alive. Not thread-safe: one writer at a time. */
typedef struct gcp_vec gcp_vec;

/* A new vector with room for capacity elements (0 is fine). NULL when out
 * of memory (GCP_ENOMEM, also for a capacity whose size overflows) or as
 * gcp_alloc fails inside the collector's event hook (GCP_ESTATE). */
GCP_EXPORT gcp_vec *gcp_vec_new(size_t capacity);
/* Append item; returns 0, GCP_EINVAL for a NULL vec, GCP_ENOMEM, or
 * GCP_ESTATE when it must grow inside the collector's event hook. */
GCP_EXPORT int gcp_vec_push(gcp_vec *vec, void *item);
/* Element i (borrowed), or NULL when out of range (GCP_ERANGE in
 * gcp_last_error()) or vec is NULL (GCP_EINVAL). A stored NULL also reads
 * as NULL: compare i with gcp_vec_len() to tell them apart. */
GCP_EXPORT void *gcp_vec_get(const gcp_vec *vec, size_t i);
/* Replace element i; 0, GCP_EINVAL for a NULL vec, GCP_ERANGE when
 * i >= length. */
GCP_EXPORT int gcp_vec_set(gcp_vec *vec, size_t i, void *item);
/* Remove and return the last element (its slot is cleared, so the vector
 * no longer keeps it alive); NULL when empty (GCP_ERANGE in
 * gcp_last_error()) or vec is NULL (GCP_EINVAL). */
GCP_EXPORT void *gcp_vec_pop(gcp_vec *vec);
/* Number of elements (0 for NULL). */
GCP_EXPORT size_t gcp_vec_len(const gcp_vec *vec);
/* Drop every element (capacity is kept). A NULL vec records GCP_EINVAL in
 * gcp_last_error() and does nothing. */
GCP_EXPORT void gcp_vec_clear(gcp_vec *vec);

/* A map from strings to values, managed like gcp_vec: no _free, it is
 * reclaimed when unreachable. Keys are copied into the managed heap (the
 * caller's string is not kept); a value is an integer, a double, or a
 * pointer, stored as given: a managed object it points to is kept alive,
 * other memory stays the caller's (NULL is a valid pointer value). Not
 * thread-safe: a writer needs the map to itself; readers may share it.
 * Every failure is recorded in gcp_last_error(). */
typedef struct gcp_map gcp_map;

typedef enum { GCP_VALUE_NONE = 0, GCP_VALUE_INT, GCP_VALUE_DOUBLE, GCP_VALUE_PTR } gcp_value_type;

typedef struct gcp_value {
    gcp_value_type type;
    union {
        int64_t i;
        double d;
        void *p;
    } as;
} gcp_value;

/* A new, empty map (managed). NULL when out of memory (GCP_ENOMEM) or as
 * gcp_alloc fails inside the collector's event hook (GCP_ESTATE). */
GCP_EXPORT gcp_map *gcp_map_new(void);
/* Set key to value, replacing any old value (a new key is copied). Returns
 * 0, GCP_EINVAL for a NULL map or key or a value.type other than INT,
 * DOUBLE or PTR, GCP_ENOMEM, or GCP_ESTATE when it must allocate inside
 * the collector's event hook. On failure the map is unchanged. */
GCP_EXPORT int gcp_map_set(gcp_map *map, const char *key, gcp_value value);
/* gcp_map_set with an INT value v; returns as gcp_map_set. */
GCP_EXPORT int gcp_map_set_int(gcp_map *map, const char *key, int64_t v);
/* gcp_map_set with a DOUBLE value v; returns as gcp_map_set. */
GCP_EXPORT int gcp_map_set_double(gcp_map *map, const char *key, double v);
/* gcp_map_set with a PTR value p (kept alive when managed; not owned);
 * returns as gcp_map_set. */
GCP_EXPORT int gcp_map_set_ptr(gcp_map *map, const char *key, void *p);
/* Look key up: 0 and *out set (a PTR value is borrowed), or GCP_ENOTFOUND
 * (*out untouched), or GCP_EINVAL for a NULL map, key or out. */
GCP_EXPORT int gcp_map_get(const gcp_map *map, const char *key, gcp_value *out);
/* key's INT value, or 0 when it is missing (GCP_ENOTFOUND in
 * gcp_last_error()), holds another type or map or key is NULL (GCP_EINVAL).
 * Use gcp_map_get to tell those from a stored 0. */
GCP_EXPORT int64_t gcp_map_get_int(const gcp_map *map, const char *key);
/* key's DOUBLE value, or 0.0 on the same failures as gcp_map_get_int. */
GCP_EXPORT double gcp_map_get_double(const gcp_map *map, const char *key);
/* key's PTR value (borrowed), or NULL on the same failures as
 * gcp_map_get_int; a stored NULL reads the same. */
GCP_EXPORT void *gcp_map_get_ptr(const gcp_map *map, const char *key);
/* Remove key and its value (the map keeps neither alive any more): 0,
 * GCP_ENOTFOUND, or GCP_EINVAL for a NULL map or key. */
GCP_EXPORT int gcp_map_remove(gcp_map *map, const char *key);
/* Number of keys (0 for NULL). */
GCP_EXPORT size_t gcp_map_len(const gcp_map *map);
/* Visit every entry in unspecified order: fn gets the map's copy of the key
 * (managed; do not modify it) and the value. Returns 0 when every entry
 * was visited, the first non-zero value fn returned (it stops there: use
 * positive values, as negative ones read as library errors), or
 * GCP_EINVAL for a NULL map or fn. The map must not change during the
 * visit. */
GCP_EXPORT int gcp_map_foreach(const gcp_map *map,
                               int (*fn)(const char *key, gcp_value value, void *user), void *user);

/* ---- profiler: configuration -------------------------------------- */

/* The auto_gc modes. 0 is the default, which is always. */
typedef enum {
    GCP_AUTO_GC_DEFAULT = 0,
    GCP_AUTO_GC_ALWAYS = 1,
    GCP_AUTO_GC_ADAPTIVE = 2,
    GCP_AUTO_GC_OFF = 3
} gcp_auto_gc;

/* How to profile. Environment: GCPROF="auto_gc=1,track_peak=1,..." sets the
 * defaults that gcp_config_init_env() and a NULL config use; the variables
 * GCPROF_AUTO_GC, GCPROF_TRACK_PEAK, ... override single keys (an empty
 * variable counts as unset). Explicit values > environment > built-in
 * defaults. A NULL config reads the environment once per process, at the
 * first profile; a bad environment then makes every NULL-config profile
 * fail with GCP_EINVAL naming the variable. Zero is every field's default:
 *     gcp_config c = {0};
 *     c.track_peak = 1;                      // @memory_profiler(track_peak=True)
 *     gcp_profile("f", f, env, &c, &report);
 */
typedef struct gcp_config {
    /* What the profiler collects (gcp_auto_gc): GCP_AUTO_GC_ALWAYS (1):
     * full collection before (the baseline), automatic collection held off
     * during, forced collection after; needed for exact
     * gc_objects_collected and for memory_saved. GCP_AUTO_GC_ADAPTIVE (2):
     * collect before or after only when it pays (see gcp_gc_point) and
     * gc_budget allows, and after a collection before, hold collection
     * off only while the heap grows by about its live size (and RSS stays
     * under threshold_mb, memory_limit_mb and the cgroup's limit).
     * GCP_AUTO_GC_OFF (3): never. 0 (GCP_AUTO_GC_DEFAULT): always. In specs:
     * off, always, adaptive, or a boolean (true = always, false = off). */
    int auto_gc;
    /* Fill the collector statistics before/after and collection times.
     * Default: off. */
    int detailed_stats;
    /* The true RSS high-water mark during the closure, from the kernel's
     * (/proc/self/clear_refs and getrusage, about 1 us). Implied by
     * threshold_mb. The GC heap's high-water mark is read at collection
     * starts whatever this says, except in heap_only profiles with auto_gc
     * off, which read it only at the two ends unless this is set.
     * Default: off. */
    int track_peak;
    /* Warn (log hook, once) and set exceeded_threshold when RSS rose above
     * this many MiB at any moment of the closure (the RSS high-water mark is
     * tracked for it, as with track_peak). 0: no threshold. Not with
     * heap_only. Default: 0. */
    double threshold_mb;
    /* While collection is held off, allow it again once the GC heap has
     * grown by this many MiB (the report says so). 0: the default, 1024. */
    double hold_limit_mb;
    /* Heap figures only: no RSS reads (/proc/self/statm, ~1.5 us each);
     * memory_* are then 0, GCP_NOTE_HEAP_ONLY is set, track_peak tracks the
     * heap peak only (at collection starts: with auto_gc off it installs
     * the event hook), auto_gc always runs no unmapping collections (so
     * GCP_NOTE_RETAINED is never set), and a profiled call costs about two
     * clock reads. Default: off (RSS is read). */
    int heap_only;
    /* auto_gc adaptive and gcp_gc_point: the share of wall time the
     * program accepts to spend collecting, every collection counted
     * (bdwgc's automatic ones too), from above 0 to 1. Collections that
     * lower the peak run while the share allows, and what they leave
     * raises bdwgc's free-space divisor (never below the one found;
     * doc/profiler.md); past it only a memory bound (memory_limit_mb,
     * threshold_mb, the cgroup's limit) makes them collect, and the reason
     * says "over budget". 0: the default, 0.10. */
    double gc_budget;
    /* auto_gc adaptive and gcp_gc_point: keep RSS under this many MiB,
     * collecting over gc_budget if need be (as under threshold_mb, without
     * its warning). The cgroup's memory limit applies as well; the lower
     * bound wins. Not with heap_only. 0: none (the cgroup's alone). */
    double memory_limit_mb;
    uint64_t reserved_[6]; /* zero */
} gcp_config;

/* Built-in defaults, ignoring the environment: all zero, as {0}. */
GCP_EXPORT void gcp_config_init(gcp_config *cfg);

/* Built-in defaults, then GCPROF and GCPROF_<KEY>. Returns 0, or
 * GCP_EINVAL with a message naming the variable and key in err (may be
 * NULL); cfg then holds the built-in defaults. */
GCP_EXPORT int gcp_config_init_env(gcp_config *cfg, char *err, size_t errlen);

/* Apply a spec "key=value,key=value" on top of *cfg. Keys (case-sensitive):
 * auto_gc (off/always/adaptive or a boolean), detailed_stats, track_peak,
 * heap_only (true/false/1/0/yes/no/on/off, any case), threshold_mb
 * (0 to 2^40), hold_limit_mb (above 0 and up to 2^40). MiB are
 * 2^20 bytes. Whitespace around keys and values and empty items are
 * ignored; a later duplicate wins; an empty spec changes nothing. On error
 * returns GCP_EINVAL and leaves *cfg unchanged; the message names the key,
 * the value and its 1-based byte position, goes to err (may be NULL;
 * always NUL-terminated unless errlen is 0) and to gcp_last_error(), and
 * is not logged. Numbers take '.' as the decimal point in every locale. */
GCP_EXPORT int gcp_config_parse(const char *spec, gcp_config *cfg, char *err, size_t errlen);

/* 0 when every field is usable, else GCP_EINVAL with a message naming the
 * field (kept by gcp_last_error(), not logged). Booleans must be 0 or 1,
 * auto_gc a gcp_auto_gc, threshold_mb and hold_limit_mb from 0 to 2^40
 * MiB (a number of bytes that fits 64 bits), threshold_mb 0 with
 * heap_only, and reserved_ zero. */
GCP_EXPORT int gcp_config_validate(const gcp_config *cfg);

/* ---- profiler: reports -------------------------------------------- */

/* Collector statistics at one moment (filled with detailed_stats). */
typedef struct gcp_gc_stats {
    uint64_t heap_size;        /* bytes mapped for the heap */
    uint64_t free_bytes;       /* of which free */
    uint64_t unmapped_bytes;   /* returned to the OS */
    uint64_t bytes_since_gc;   /* allocated since the last collection */
    uint64_t total_bytes;      /* allocated since start (batched per thread) */
    uint64_t gc_no;            /* collections so far */
    uint64_t obtained_from_os; /* bytes ever obtained from the OS */
    uint64_t reserved_[3];     /* cleared */
} gcp_gc_stats;

/* Why a figure is missing or what happened on the way (report.notes). */
enum {
    /* Collection was disabled (GC_disable) when the profile began: no
     * baseline collection ran. */
    GCP_NOTE_BASELINE_SKIPPED = 1 << 0,
    /* Collection was disabled when the closure returned (it called
     * GC_disable itself, or the caller did): the forced collection could
     * not run; memory_saved and gc_objects_collected are not measured. */
    GCP_NOTE_FORCED_GC_SKIPPED = 1 << 1,
    /* The GC heap grew past hold_limit_mb while collection was held off, so
     * automatic collection was allowed again. */
    GCP_NOTE_HOLD_RELEASED = 1 << 2,
    /* The closure ran for less than the clock can resolve meaningfully
     * (about 1 us): execution_time is an upper bound. */
    GCP_NOTE_BELOW_CLOCK_RESOLUTION = 1 << 3,
    /* gc_objects_collected / bytes_reclaimed are unknown (-1): collections
     * ran that the profiler did not control (auto_gc off), or no baseline
     * was taken (GCP_NOTE_NO_BASELINE). */
    GCP_NOTE_COLLECTED_UNKNOWN = 1 << 4,
    /* auto_gc adaptive found too little garbage to collect before the
     * closure, so it took no baseline. */
    GCP_NOTE_NO_BASELINE = 1 << 5,
    /* heap_only: memory_* are 0, not measured. */
    GCP_NOTE_HEAP_ONLY = 1 << 6,
    /* A profile on another thread that reads RSS or may collect (any but
     * heap_only with auto_gc off) was active at some moment during this
     * one, or another thread allocated runtime objects: RSS, heap,
     * collection and pause figures and bytes_allocated (all threads)
     * include that thread's work, its profiler's collections count as
     * collections during this closure, and gc_objects_collected can be
     * off by a free-list batch that thread was refilling. A heap_only
     * profile with auto_gc off acts on nothing process-wide and is not
     * counted (it writes no shared counter, for speed): two such profiles
     * whose closures allocate no runtime objects do not mark each other;
     * allocating ones do (doc/profiler.md, "Profiles on several threads"). */
    GCP_NOTE_OVERLAPPED = 1 << 7,
    /* Regions begun inside this one were still open when it ended (a
     * non-local exit skipped their gcp_profile_end): they were ended with
     * it and their reports discarded. */
    GCP_NOTE_UNWOUND = 1 << 8,
    /* A runtime allocation returned NULL during the closure: the heap hit
     * its limit (GC_set_max_heap_size, GC_MAXIMUM_HEAP_SIZE) or the system
     * refused memory. */
    GCP_NOTE_OUT_OF_MEMORY = 1 << 9,
    /* Garbage outlived the forced collection: a later collection of the
     * profiler's (run to return memory to the OS) freed heap blocks or
     * runtime objects the forced one had kept, through a stale word on the
     * stack or in a register (conservative retention), because objects
     * with finalizers (and what they reach) live one collection longer, or,
     * with other threads running, garbage they made meanwhile. memory_saved and
     * gc_objects_collected include what the later collections freed.
     * Retention that outlives the profiler's last collection cannot be
     * seen, and is not noted. */
    GCP_NOTE_RETAINED = 1 << 10,
    /* Memory was freed explicitly during the closure (GC_FREE, or a
     * GC_REALLOC that moved an object). The heap in use is read at each
     * collection's start and at the two ends, and an explicit free lowers
     * it unseen in between, so peak_heap counts the bytes freed in each
     * stretch between readings as in use at the stretch's end, but never
     * more than the heap's size then: exact when the frees came after the
     * allocations (a block allocated and freed, a realloc that grows),
     * higher than reached when freed memory was allocated again, or when
     * small objects were freed (they leave their block in use). */
    GCP_NOTE_EXPLICIT_FREES = 1 << 11,
    /* The profiling thread allocated runtime objects during the profiler's
     * own collections: the program's finalizers, which bdwgc runs right
     * after a collection it was asked for, on the thread that asked. How
     * many of those died is nothing the closure did, so
     * gc_objects_collected and bytes_reclaimed are unknown (-1, with
     * GCP_NOTE_COLLECTED_UNKNOWN); counting them made 5,000 objects read
     * as 205,000 collected. */
    GCP_NOTE_ALLOCATED_IN_COLLECTION = 1 << 12
};

/* Everything one profile measured. A plain value: copy it freely.
 * Sizes in MiB are of process RSS (MiB = 2^20 bytes); heap figures are
 * bytes in use in the GC heap (heap size minus free, the collector's view). */
typedef struct gcp_report {
    char function_name[128];  /* truncated copy of the name */
    int status;               /* the closure's return value */
    double execution_time;    /* seconds, wall clock, closure only */
    double memory_before;     /* MiB RSS before the closure (after baseline) */
    double memory_after;      /* MiB RSS at the end (after forced collection) */
    double memory_saved;      /* MiB RSS the forced collection gave back to the OS */
    double peak_memory;       /* MiB RSS high-water mark during the closure, from
                                 the kernel's (with track_peak or threshold_mb;
                                 else max(before, end)) */
    uint64_t heap_before;     /* bytes in use in the GC heap before the closure */
    uint64_t heap_after;      /* ... after the forced collection */
    uint64_t peak_heap;       /* ... high-water mark during the closure: read at
                                 each collection's start and at both ends (the
                                 ends only with heap_only, auto_gc off and no
                                 track_peak); see GCP_NOTE_EXPLICIT_FREES */
    uint64_t bytes_allocated; /* by the runtime during the closure, all threads */
    uint64_t objects_allocated;
    int64_t gc_objects_collected; /* runtime objects that died and were
                                     collected; -1 when unknown (see notes) */
    int64_t bytes_reclaimed;      /* their bytes; -1 when unknown */
    uint64_t gc_count;            /* collections during the closure (automatic or
                                     requested by it), not counting the profiler's */
    double gc_pause_total;        /* s, world stopped in those collections */
    double gc_pause_max;          /* s, longest single pause among them */
    double gc_time;               /* s, inside those collections */
    double profiler_gc_time;      /* s, the profiler's own baseline/forced collections */
    int exceeded_threshold;       /* RSS went above threshold_mb at some moment of
                                     the closure (its high-water mark) */
    double threshold_mb;          /* the threshold applied (0: none) */
    int track_peak;               /* peak_memory is the kernel's RSS high-water mark */
    unsigned notes;               /* GCP_NOTE_* bits */
    int depth;                    /* nesting depth: 0 for an outermost profile */
    int has_detailed_stats;
    gcp_gc_stats stats_before; /* with detailed_stats */
    gcp_gc_stats stats_after;
    int auto_gc;        /* the gcp_auto_gc mode applied (never 0: the default
                           resolved) */
    int gc_collected;   /* the profiler collected after the closure */
    char gc_reason[96]; /* why it did or did not, in one short phrase */
    uint64_t reserved_[16]; /* cleared */
} gcp_report;

/* Print the one-line form
 *   ProfileReport(function_name='f', execution_time=0.045, memory_before=50.2,
 *   memory_after=45.1, memory_saved=5.1, gc_objects_collected=1000,
 *   exceeded_threshold=False[, peak_memory=60.3][, gc_collected=True,
 *   gc_reason='...'])
 * followed by a newline (on one line). An unknown count prints as None.
 * peak_memory appears with track_peak, the gc_ fields with auto_gc
 * adaptive (the other modes' decisions are fixed).
 * Returns 0, or GCP_EINVAL for NULL arguments, GCP_EIO on a write error. */
GCP_EXPORT int gcp_report_print(FILE *fp, const gcp_report *report);

/* The same one-line form into buf (always NUL-terminated, without the
 * newline; truncated to len - 1 bytes). Returns 0, GCP_EINVAL (NULL buf
 * or report, len 0; buf untouched) or GCP_ENOMEM (no memory to format it
 * in). */
GCP_EXPORT int gcp_report_snprint(char *buf, size_t len, const gcp_report *report);

/* Print every field and note for people, one per line; with
 * has_detailed_stats, then the collector's statistics (every gcp_gc_stats
 * field, "before -> after"). Returns 0, GCP_EINVAL (NULL fp or report) or
 * GCP_EIO (a write error). */
GCP_EXPORT int gcp_report_print_details(FILE *fp, const gcp_report *report);

/* Write the report as one JSON object (every field, notes as names) and a
 * newline. Returns 0, GCP_EINVAL (NULL fp or report) or GCP_EIO (a write
 * error). */
GCP_EXPORT int gcp_report_write_json(FILE *fp, const gcp_report *report);

/* ---- profiler: running closures ----------------------------------- */

/* A closure: returns 0 on success, non-zero for failure. */
typedef int (*gcp_fn)(void *env);

/* Profile one call fn(env) under cfg (NULL: defaults from the
 * environment). Returns 0 when *out holds a report (the closure's own
 * result is out->status), or a negative error, in which case the closure
 * was not run: GCP_EINVAL (a bad config, or environment, naming the field;
 * NULL fn or out), GCP_EIO (RSS cannot be read, e.g. without /proc; a
 * heap_only profile needs none), GCP_ESTATE (inside the collector's event
 * hook). Profiles nest and recurse; each level gets its own figures.
 * On return the collector's enabled state, its automatic-collection
 * setting and its event hook are as they were before. Profiles may run on
 * several threads at once; figures are process-wide, and a report that
 * overlapped another thread's profile says so (GCP_NOTE_OVERLAPPED). The
 * closure must return (a non-zero status to bail out): a longjmp out of it
 * is not supported; code that unwinds should use regions. Unless auto_gc
 * is off, *out is cleared before the closure runs (an old word in it
 * would be a root that keeps garbage alive). */
GCP_EXPORT int gcp_profile(const char *name, gcp_fn fn, void *env, const gcp_config *cfg,
                           gcp_report *out);

/* One item of a batch. */
typedef struct gcp_task {
    const char *name;
    gcp_fn fn;
    void *env;
    void *reserved_[2]; /* NULL */
} gcp_task;

/* Profile each task in order with one config, filling reports[i]. A task
 * that fails (non-zero status) still gets its report and the batch goes
 * on. A task's baseline is the previous task's last collection when
 * nothing can have changed since (this the only thread, nothing
 * allocated, no finalizer or log hook run): N+1 collections for N tasks
 * instead of 2N, the figures the same. Returns the number of tasks whose
 * closure returned non-zero, or a negative error: GCP_EINVAL before
 * anything ran (bad config, NULL arrays, a task without fn or with
 * reserved_ set, naming its index), or gcp_profile's GCP_EIO or
 * GCP_ESTATE, which stop the batch at that task. */
GCP_EXPORT int gcp_profile_many(const gcp_task *tasks, size_t n, const gcp_config *cfg,
                                gcp_report *reports);

/* Profiling a region of code that is not a closure:
 *     gcp_region r;
 *     gcp_profile_begin(&r, "load", NULL);
 *     ... code ...
 *     gcp_profile_end(&r, 0, &report);
 * Regions nest (end them in reverse order, on the thread that began them).
 * The struct is caller-owned storage, opaque: its contents are the
 * library's. */
typedef struct gcp_region {
    void *private_[4];
} gcp_region;

/* Begin a region: returns 0, GCP_EINVAL (bad config, NULL region),
 * GCP_ENOMEM (no memory for its record), or gcp_profile's GCP_EIO and
 * GCP_ESTATE. */
GCP_EXPORT int gcp_profile_begin(gcp_region *region, const char *name, const gcp_config *cfg);

/* End it, with status as the report's status. Regions begun inside it and
 * left open (a non-local exit skipped their end) are ended with it, their
 * reports discarded (GCP_NOTE_UNWOUND). Returns 0, GCP_EINVAL (NULL region
 * or out), or GCP_ESTATE (a region not begun, already ended, begun on
 * another thread, or with a gcp_profile inside it still running; or
 * inside the collector's event hook). */
GCP_EXPORT int gcp_profile_end(gcp_region *region, int status, gcp_report *out);

/* Decorator-like sugar, as the design's @memory_profiler keeps
 * `last_report` and every report in `profile_reports`:
 *
 *     GCP_PROFILED(process_data, env)
 *     {
 *         ... body using void *env, returning int ...
 *     }
 *     process_data(NULL);            // profiled call: the body's status
 *     GCP_LAST_REPORT(process_data)  // its latest report
 *     GCP_HISTORY(process_data)      // its latest GCP_HISTORY_MAX reports
 *     GCP_PROFILE_ERROR(process_data)
 *
 * defines static int process_data(void *env). Like the decorator, a call
 * always runs the body and returns its status: when the profile cannot run
 * (a bad config or environment, a call from the collector's hook), the
 * body runs unprofiled, the failure is logged once per function (the
 * caller of process_data cannot see it otherwise) and
 * GCP_PROFILE_ERROR(fn) is its negative code (0 when the latest call was
 * profiled); gcp_history_profile_error gives the message. Latest report
 * and history are per function, not per thread. GCP_PROFILED_WITH(fn, env,
 * cfgptr) uses an explicit config. */
#define GCP_PROFILED_WITH(fn, envname, cfgptr)                                                     \
    static int fn##_gcp_body_(void *envname);                                                      \
    static gcp_report fn##_gcp_last_report_;                                                       \
    static gcp_history *fn##_gcp_history_;                                                         \
    static int fn(void *envname)                                                                   \
    {                                                                                              \
        return gcp_profiled_call(#fn, fn##_gcp_body_, envname, (cfgptr), &fn##_gcp_last_report_, \
                                 &fn##_gcp_history_);                                              \
    }                                                                                              \
    static int fn##_gcp_body_(void *envname)
#define GCP_PROFILED(fn, envname) GCP_PROFILED_WITH(fn, envname, NULL)
#define GCP_LAST_REPORT(fn)       (fn##_gcp_last_report_)
#define GCP_HISTORY(fn)           (fn##_gcp_history_)
#define GCP_PROFILE_ERROR(fn)     gcp_history_profile_error(fn##_gcp_history_, NULL, 0)

/* A profiled function's reports: the latest GCP_HISTORY_MAX, oldest
 * first, and how its latest call went. Opaque; the library allocates it
 * (outside the GC heap) at the function's first call and keeps it for the
 * life of the process. Every function takes NULL as an empty history.
 * Thread-safe. */
typedef struct gcp_history gcp_history;

#define GCP_HISTORY_MAX 64

/* What GCP_PROFILED's functions do: profile body(env) under cfg into *last
 * and the history *history (created here when NULL), or, when the profile
 * cannot run, run body(env) unprofiled (*last untouched) and record why.
 * Returns the body's status, always. */
GCP_EXPORT int gcp_profiled_call(const char *name, gcp_fn body, void *env, const gcp_config *cfg,
                                 gcp_report *last, gcp_history **history);
/* Reports kept (at most GCP_HISTORY_MAX), and calls made (profiled or
 * not) since the history began or was cleared. */
GCP_EXPORT size_t gcp_history_count(const gcp_history *h);
GCP_EXPORT uint64_t gcp_history_calls(const gcp_history *h);
/* Copy the i-th kept report (0: the oldest) into *out. 0, GCP_EINVAL for
 * a NULL out, GCP_ERANGE when i >= gcp_history_count(h). */
GCP_EXPORT int gcp_history_get(const gcp_history *h, size_t i, gcp_report *out);
/* 0 when the latest call was profiled (or none was made), else the
 * negative code its profile failed with; msg (may be NULL) gets the
 * message, NUL-terminated within len. */
GCP_EXPORT int gcp_history_profile_error(const gcp_history *h, char *msg, size_t len);
/* Drop the kept reports and counts. */
GCP_EXPORT void gcp_history_clear(gcp_history *h);
/* Every kept report in the one-line form, oldest first, then a line of
 * totals (calls, calls not profiled, time, objects collected). Returns 0,
 * GCP_EINVAL for a NULL fp, GCP_EIO on a write error. */
GCP_EXPORT int gcp_history_print(FILE *fp, const gcp_history *h);

/* ---- collecting when it pays ---------------------------------------- */

/* What gcp_gc_point decided, and the signals it decided from. */
typedef struct gcp_gc_decision {
    int collected;         /* 1: a collection ran */
    char reason[96];       /* why, or why not, in one short phrase */
    uint64_t allocated;    /* bytes allocated since the last collection */
    uint64_t live;         /* bytes in use the last collection left */
    double predicted_cost; /* s, a full collection now (from recent ones) */
    double since_last;     /* s since the last collection ended */
    double cost;           /* s, what the collection took (0: none ran) */
    double memory_saved;   /* MiB RSS it gave back (0 with heap_only) */
    /* The memory limit of the cgroup that binds the process (of the
     * levels with a limit on the way up from its own, the one with the
     * least room left), and that cgroup's working set (its
     * usage less the inactive file cache the kernel reclaims first), at a
     * reading at most 10 ms old; 0 and 0 when no limit is known (none set,
     * no cgroup files, GCPROF_CGROUP=0, heap_only). Two words taken from
     * reserved_: the struct's size and every other offset stay. */
    uint64_t cgroup_limit; /* bytes */
    uint64_t cgroup_usage; /* bytes */
    uint64_t reserved_[2]; /* cleared */
} gcp_gc_decision;

/* Mark a moment where a collection is cheap for the program (between
 * requests, after a batch). A full collection (which also returns long-free
 * memory to the OS) runs only when it pays:
 *   - the collector is enabled, and at least 256 KiB were allocated since
 *     the last collection;
 *   - and RSS is within 10% of cfg's threshold_mb or of what the cgroup's
 *     memory limit leaves this process (the limit less what the rest of
 *     the cgroup uses: cgroup v1 or v2), or the program allocated
 *     at least the live heap since the last collection (the heap would
 *     grow), or at least a quarter of it and the predicted cost is at most
 *     2% of the time since the last collection.
 * The same rule decides auto_gc adaptive. cfg: NULL for the environment's
 * (threshold_mb, heap_only). out may be NULL; its reason starts with the
 * verdict ("collected: " or "no collection: ") and says what was compared
 * with what (doc/profiler.md lists the phrases). Returns 1 when it
 * collected, 0 when not, GCP_EINVAL for a bad config (or a bad
 * environment with a NULL cfg), GCP_ESTATE inside the collector's event
 * hook. */
GCP_EXPORT int gcp_gc_point(const gcp_config *cfg, gcp_gc_decision *out);

/* ---- where the memory goes: allocation sites ------------------------ */

/* An allocation site: one per call site, in static storage (the macros
 * below make them, with GCP_SITE_INIT). private_ is the library's (its
 * counters: read them through snapshots), zero until the site is used. */
typedef struct gcp_site {
    const char *file;
    int line;
    const char *func;
    const char *type;   /* what is allocated there (GCP_NEW's T), or NULL */
    void *reserved_[2]; /* NULL */
    uint64_t private_[4];
} gcp_site;

#define GCP_SITE_INIT                                                                              \
    {                                                                                              \
        __FILE__, __LINE__, __func__, NULL, {0}, {0}                                               \
    }
/* A site that allocates objects of the type named tname (a string). */
#define GCP_SITE_INIT_TYPED(tname)                                                                 \
    {                                                                                              \
        __FILE__, __LINE__, __func__, tname, {0}, {0}                                              \
    }

/* Allocate as gcp_alloc / gcp_alloc_atomic / gcp_strdup do, recording site
 * when tracking is on (then the object's last word names its site and the
 * allocation window, in the collector's rounding slack where there is
 * room; gcp_sizeof does not count it). With tracking off they are the
 * plain functions plus one test. The plain functions, called while
 * tracking is on, record a site of their own: file "(no site)", line 0.
 * They fail as the plain ones do (NULL; GCP_ENOMEM, GCP_ESTATE, and
 * GCP_EINVAL for a NULL s); a NULL site, or no memory to register one,
 * allocates unsited. */
GCP_EXPORT void *gcp_alloc_at(size_t size, gcp_site *site);
GCP_EXPORT void *gcp_alloc_atomic_at(size_t size, gcp_site *site);
GCP_EXPORT char *gcp_strdup_at(const char *s, gcp_site *site);

/* Switch site tracking on (1) or off (0) for allocations from now on
 * (objects keep what they were allocated with), or only ask (-1). Returns
 * the previous setting. Environment: GCPROF_SITES (a boolean, as in config
 * specs) turns it on at gcp_init; a bad value is a warning naming it, and
 * tracking stays off. */
GCP_EXPORT int gcp_sites_track(int on);

/* With GNU C, gcp_alloc(n), gcp_alloc_atomic(n) and gcp_strdup(s) name
 * their call site (file, line, function) for free; define
 * GCP_NO_SITE_MACROS before including this header to call the plain
 * functions. Taking their address always gets the functions. */
#if defined(__GNUC__) && !defined(GCP_NO_SITE_MACROS) && !defined(GCP_BUILDING_LIBRARY)
#define GCP_AT_SITE_(call, arg)                                                                    \
    __extension__({                                                                                \
        static gcp_site gcp_site_ = GCP_SITE_INIT;                                                 \
        call(arg, &gcp_site_);                                                                     \
    })
#define gcp_alloc(size)        GCP_AT_SITE_(gcp_alloc_at, size)
#define gcp_alloc_atomic(size) GCP_AT_SITE_(gcp_alloc_atomic_at, size)
#define gcp_strdup(s)          GCP_AT_SITE_(gcp_strdup_at, s)
#undef GCP_NEW
#define GCP_NEW(T)                                                                                 \
    __extension__({                                                                                \
        static gcp_site gcp_site_ = GCP_SITE_INIT_TYPED(#T);                                       \
        (T *)gcp_alloc_at(sizeof(T), &gcp_site_);                                                  \
    })
#endif

/* Per site: what was allocated there while tracking, and what of it is
 * live after a full collection. */
typedef struct gcp_site_stats {
    const char *file, *func; /* borrowed from the site: static strings */
    int line;
    int atomic; /* pointer-free memory (gcp_alloc_atomic) */
    uint64_t objects_allocated, bytes_allocated;
    uint64_t objects_live, bytes_live;
    const char *type; /* the site's type (GCP_NEW's T), or NULL */
} gcp_site_stats;

/* A labelled record of the live heap by site, taken after a full
 * collection. Caller-owned (malloc'd, outside the GC heap): free it with
 * gcp_snapshot_free (NULL is fine). */
typedef struct gcp_snapshot gcp_snapshot;

/* Collect fully and record every site's counts (label may be NULL: "").
 * NULL when out of memory (GCP_ENOMEM), collection is disabled
 * (GCP_EINVAL), or inside the collector's event hook (GCP_ESTATE). */
GCP_EXPORT gcp_snapshot *gcp_snapshot_take(const char *label);
GCP_EXPORT void gcp_snapshot_free(gcp_snapshot *snap);
/* Sites in the snapshot (0 for NULL), and the i-th (borrowed; NULL out of
 * range or for a NULL snap). */
GCP_EXPORT size_t gcp_snapshot_count(const gcp_snapshot *snap);
GCP_EXPORT const gcp_site_stats *gcp_snapshot_site(const gcp_snapshot *snap, size_t i);
/* A table of the snapshot's sites, largest live bytes first (ties in site
 * order). Returns 0, GCP_EINVAL (NULL fp or snap), GCP_ENOMEM or GCP_EIO
 * (a write error). */
GCP_EXPORT int gcp_snapshot_print(FILE *fp, const gcp_snapshot *snap);
/* The same counts grouped by type, largest live first: a row per type that
 * GCP_NEW named (sites of the same type added up), and one "(untyped)" row
 * for every other site (gcp_alloc and co.). "A count of each class": the
 * objects and bytes allocated and live of each. Returns 0, GCP_EINVAL,
 * GCP_ENOMEM or GCP_EIO. The JSON form is one object with a "types" array
 * (each: "type", "objects_allocated", "bytes_allocated", "objects_live",
 * "bytes_live"; "type" null for the untyped row). */
GCP_EXPORT int gcp_snapshot_print_types(FILE *fp, const gcp_snapshot *snap);
GCP_EXPORT int gcp_snapshot_types_write_json(FILE *fp, const gcp_snapshot *snap);
/* Growth of live bytes by site from before to after, largest first; sites
 * new in after and sites whose objects all died are marked. JSON: one
 * object with a "sites" array. Return 0, GCP_EINVAL (a NULL argument),
 * GCP_ENOMEM or GCP_EIO (a write error). */
GCP_EXPORT int gcp_snapshot_diff_print(FILE *fp, const gcp_snapshot *before,
                                       const gcp_snapshot *after);
GCP_EXPORT int gcp_snapshot_diff_write_json(FILE *fp, const gcp_snapshot *before,
                                            const gcp_snapshot *after);

/* A line-by-line report of one profiled closure: for every source line
 * whose allocation site allocated during the closure, in every file,
 * grouped by file, what it allocated and what of that was still live
 * after the forced collection (memory_profiler's table, from the runtime's
 * exact counts). Caller-owned; free with gcp_line_report_free.
 *   Allocated    bytes (collector sizes) allocated at the line during the
 *                closure, by any thread.
 *   Live after   of those objects, the bytes still live after the forced
 *                collection. Objects the line allocated before the
 *                closure are not counted, dead or alive: a rebuilt cache
 *                shows what the new one keeps.
 *   Allocations  objects allocated at the line during the closure.
 * Only runtime allocations (gcp_alloc & co.) are seen: GC_MALLOC and
 * malloc are not. Calls of gcp_alloc, gcp_alloc_atomic and gcp_strdup as
 * functions (no site macro, e.g. the library's containers) are counted
 * under the file "(no site)", line 0. */
typedef struct gcp_line_report gcp_line_report;

/* gcp_profile(name, fn, env, cfg, out) with site tracking on for its
 * duration (then restored), and *lines set to its line report. `file` is
 * the caller's file (GCP_PROFILE_LINES passes __FILE__): its lines come
 * first, and when none of them allocated the report says so
 * (GCP_LINES_FILE_UNMATCHED and a warning line), as when the closure is
 * defined in another file. Returns as gcp_profile, GCP_EINVAL for a NULL
 * file, out or lines, or GCP_ENOMEM (then no report and *lines is NULL).
 * Profiles may run on several threads; allocations of other threads
 * during the closure are counted too. */
GCP_EXPORT int gcp_profile_lines(const char *name, gcp_fn fn, void *env, const gcp_config *cfg,
                                 const char *file, gcp_report *out, gcp_line_report **lines);
#define GCP_PROFILE_LINES(name, fn, env, cfg, out, lines)                                          \
    gcp_profile_lines((name), (fn), (env), (cfg), __FILE__, (out), (lines))

/* The same table with every allocation charged to the caller's line: a
 * heap profile of every allocation is taken around the closure (as
 * gcp_heap_profile_start with rate 1), and each allocation counts at the
 * innermost frame of its call stack that is in `file`; one with no such
 * frame (another thread's, say) at its innermost frame that has a line,
 * else under "(no site)". So a helper's allocations, in another file, a
 * library or the runtime's containers, count at the line of file that
 * called it (memory_profiler's way), and the program's own GC_MALLOC,
 * GC_malloc_atomic, GC_strdup & co. are counted as gcp_alloc's are
 * (gcp_heap_profile_start lists what is seen). Sizes are the collector's;
 * "live after" is what the forced collection (or one of ours, when the
 * profile ran none) found marked. Lines come from DWARF through the pprof
 * module (doc/heap-profiles.md), so file must be compiled with -g; stacks
 * deeper than 64 frames are cut at the allocation's side. The profile is
 * the library's own while it runs: gcp_heap_profile_stop and _write from
 * the closure return GCP_ESTATE, and a stopped profile of yours not yet
 * written is dropped. Returns as gcp_profile_lines (GCP_EINVAL for a NULL
 * fn too), or GCP_ESTATE when a heap profile already samples (stop it
 * first) or inside the collector's event hook, GCP_ENOTFOUND without
 * libunwind or the pprof module (checked before fn runs), GCP_EIO when
 * the module fails. */
GCP_EXPORT int gcp_profile_lines_by_caller(const char *name, gcp_fn fn, void *env,
                                           const gcp_config *cfg, const char *file,
                                           gcp_report *out, gcp_line_report **lines);
#define GCP_PROFILE_LINES_BY_CALLER(name, fn, env, cfg, out, lines)                                \
    gcp_profile_lines_by_caller((name), (fn), (env), (cfg), __FILE__, (out), (lines))

/* What a line report covers (gcp_line_summary.flags). */
enum {
    /* No line of the caller's file allocated during the closure (the
     * closure's code is in another file, or it allocated nothing). */
    GCP_LINES_FILE_UNMATCHED = 1 << 0,
    /* No line at all allocated during the closure: the report has no row. */
    GCP_LINES_EMPTY = 1 << 1,
    /* The profile report counted more runtime bytes allocated than all
     * lines together: some were allocated while site tracking was off
     * (the closure switched it off) or no site could be recorded. */
    GCP_LINES_UNATTRIBUTED = 1 << 2
};

/* A line report's totals. Fields may be added at the end: pass sizeof. */
typedef struct gcp_line_summary {
    unsigned flags;  /* GCP_LINES_* */
    size_t n_files;  /* files with rows ("(no site)" included) */
    size_t n_rows;   /* lines */
    /* The rows of the caller's file (0 with GCP_LINES_FILE_UNMATCHED). */
    uint64_t file_allocations, file_bytes_allocated, file_bytes_live;
    /* Every row, all files. */
    uint64_t allocations, bytes_allocated, bytes_live;
    /* The whole closure: the profile report's objects_allocated and
     * bytes_allocated (every runtime allocation, all threads), and the
     * live-after bytes of every object it allocated on any line. */
    uint64_t closure_allocations, closure_bytes_allocated, closure_bytes_live;
} gcp_line_summary;

/* Copy the first size bytes of the report's summary into *out (size is
 * sizeof *out as the caller was compiled; more than the library knows is
 * left untouched). Returns 0 or GCP_EINVAL. */
GCP_EXPORT int gcp_line_report_summary(const gcp_line_report *lines, gcp_line_summary *out,
                                       size_t size);

/* The table: any warnings first, then one block per file (the caller's
 * file first, "(no site)" last, the others by bytes allocated) sorted by
 * line with each line's source text when the file can be read (else the
 * block says so) and a "Total" row for the file; then an "All" row (every
 * line) and a "Closure" row (the profile report's figures, see
 * gcp_line_summary). Returns 0, GCP_EINVAL (NULL fp or lines) or GCP_EIO
 * (a write error). */
GCP_EXPORT int gcp_line_report_print(FILE *fp, const gcp_line_report *lines);
/* The same as one JSON object and a newline: "function", "file" (the
 * caller's), "file_matched", "files" (each: "file", "source_found",
 * "lines", "total"), "total" (every line), "closure" and "warnings". Each
 * row and total has "allocated", "live_after" and "allocations"; a row of a
 * line that allocates with GCP_NEW(T) has "type" too, and "types" adds up
 * those rows per type (each: "type", "total"), as the printed table's "By
 * type" block does. Returns as gcp_line_report_print. */
GCP_EXPORT int gcp_line_report_write_json(FILE *fp, const gcp_line_report *lines);
/* Free a line report (NULL is fine). */
GCP_EXPORT void gcp_line_report_free(gcp_line_report *lines);

/* ---- where the memory goes: sizes and leak checks ------------------- */

/* Bytes the collector holds for obj and for everything reachable from it
 * through managed pointers, each object counted once (cycles are fine; no
 * recursion, so depth is unlimited). Only the collector's view: memory
 * from malloc is not seen. 0 for NULL or a pointer outside the GC heap,
 * and, with the reason in gcp_last_error(), when out of memory for the
 * walk (GCP_ENOMEM: a partial sum is never returned) or inside the
 * collector's event hook (GCP_ESTATE). Takes the allocation lock for the
 * walk; thread-safe. */
GCP_EXPORT size_t gcp_deep_sizeof(const void *obj);

/* Options of a leak check; {0} (or NULL) is the defaults. */
typedef struct gcp_leak_options {
    size_t iterations;      /* measured runs of the operation; 0: 30 */
    size_t warmup;          /* runs first, not measured; 0: 3;
                               GCP_LEAK_NO_WARMUP: none */
    double threshold_bytes; /* persistent growth per iteration that is a leak
                               (>=, so a leak of exactly this much is found);
                               0: 16 */
    uint32_t flags;         /* GCP_LEAK_*; 0: by site, runtime objects */
    uint32_t reserved32_;   /* zero */
    uint64_t reserved_[3];  /* zero */
} gcp_leak_options;

#define GCP_LEAK_NO_WARMUP ((size_t)-1)

/* gcp_leak_options.flags. GCP_LEAK_BY_STACK: a heap profile of every
 * allocation runs for the check (as gcp_heap_profile_start with rate 1:
 * gcp_alloc & co. and the program's own GC_MALLOC, GC_malloc_atomic,
 * GC_strdup ... calls); "live" is then what of everything allocated since
 * the check began was marked by each collection (objects and bytes), and
 * the report's sites are the growing call stacks, fastest first, each
 * named by its innermost frame with a source line (DWARF, through the
 * pprof module) with its whole stack, up to the operation's call, in
 * gcp_leak_report_stack. The report then owns memory: release it with
 * gcp_leak_report_release. The profile is the library's own while the
 * check runs (gcp_heap_profile_stop and _write from the operation return
 * GCP_ESTATE; a stopped profile of yours not yet written is dropped). Fails
 * with GCP_ESTATE when a heap profile already samples, GCP_ENOTFOUND
 * without libunwind or the pprof module (before any run), and, after the
 * runs, GCP_EIO when the module fails or GCP_ENOMEM: the verdict's fields
 * stand then, the sites are empty. */
#define GCP_LEAK_BY_STACK (1u << 0)

/* The defaults: all zero, as {0}. */
GCP_EXPORT void gcp_leak_options_init(gcp_leak_options *opt);

/* What a leak check found. live_bytes holds every measurement when the
 * caller points it at an array of `iterations` slots (else NULL). */
typedef struct gcp_leak_report {
    char name[128];
    int has_leak;               /* persistent growth (below) >= threshold_bytes */
    double bytes_per_iteration; /* least-squares slope of live bytes over all
                                   iterations: describes, does not decide */
    double objects_per_iteration;
    double r_squared;  /* goodness of fit of that line, 0..1 (1 when flat) */
    size_t iterations; /* measured */
    uint64_t live_bytes_first, live_bytes_last; /* runtime objects after a full collection */
    int status;                                 /* first non-zero status of the operation, or 0 */
    uint64_t *live_bytes; /* in: optional array of `iterations` slots; out: filled */
    /* With site tracking on: the sites whose live bytes grew faster than
     * threshold_bytes, fastest first (strings borrowed from the sites). */
    size_t n_sites;
    struct gcp_leak_site {
        const char *file, *func;
        int line;
        double bytes_per_iteration;
        const char *type; /* the site's type (GCP_NEW's T), or NULL */
    } sites[8];
    /* The verdict. E is the second quarter of the iterations (the first is
     * left for caches to fill), L the last quarter, q of them each
     * (q = max(1, iterations / 4)). has_leak when persistent_per_iteration
     * > 0 and >= threshold_bytes. A steady leak of k bytes per iteration
     * gives exactly k. */
    int64_t persistent_bytes;        /* least live bytes over L minus most over E */
    uint64_t fall_bytes;             /* largest drop of live bytes from E on */
    size_t persistent_span;          /* iterations from E's last to L's first */
    double persistent_per_iteration; /* (persistent - fall) bytes / span */
    double p_value; /* at most this chance that live bytes with no trend, in
                       random order, pass: 1 / C(2q, q); 1/3432 at 30 */
    union {
        struct gcp_leak_stacks *p; /* GCP_LEAK_BY_STACK's; private */
        uint64_t word_;
    } stacks_;
    uint64_t reserved_[7]; /* cleared */
} gcp_leak_report;

/* Run fn(env) warmup + iterations times; after each measured run collect
 * fully and count the live runtime objects exactly; fit the growth per
 * iteration (r_squared is the fit of live bytes). Returns 0 when the check
 * ran (verdict in out->has_leak), GCP_EINVAL for bad arguments (named) or
 * when collection is disabled, before or during the check, GCP_ESTATE
 * inside the collector's event hook. opt NULL: the defaults. A failing run
 * is recorded in out->status and the check goes on. The verdict asks for
 * growth that persists over the second half: every measurement of the last
 * quarter above every one of the second by threshold_bytes per iteration
 * between them, beyond the largest drop seen meanwhile. So a cache that
 * fills within the first half, a plateau, or a live set that alternates or
 * varies within a bound is no leak; a steady leak of k bytes per iteration
 * is found when k >= threshold_bytes, and under a live set varying by R
 * bytes once (k - threshold_bytes) * persistent_span exceeds about 2R
 * (doc/profiler.md, "Leak checks"). */
GCP_EXPORT int gcp_leak_check(const char *name, gcp_fn fn, void *env, const gcp_leak_options *opt,
                              gcp_leak_report *out);

/* The call stack of a GCP_LEAK_BY_STACK report's i-th site, one frame a
 * line, innermost first, "function (file:line)" (what is unknown left
 * out, an address when nothing is known), down to the operation's call;
 * NULL for another report or i >= n_sites. Valid until
 * gcp_leak_report_release. */
GCP_EXPORT const char *gcp_leak_report_stack(const gcp_leak_report *report, size_t i);
/* Frees what a GCP_LEAK_BY_STACK check gave the report (its sites' names
 * and stacks) and clears its sites. NULL, and reports of other checks, are
 * fine; twice is fine. A report passed to gcp_leak_check again without it
 * leaks that memory. */
GCP_EXPORT void gcp_leak_report_release(gcp_leak_report *report);

/* Live runtime objects right after a full collection, counted exactly. */
typedef struct gcp_live_counts {
    uint64_t objects;
    uint64_t bytes;        /* the collector's sizes (GC_size) */
    uint64_t reserved_[2]; /* cleared */
} gcp_live_counts;

/* Count the live runtime objects exactly into *before (the census of
 * gcp_leak_check: dead stack cleared, full collection, marked objects of
 * the runtime's kinds), run fn(env) once, and count again into *after;
 * fn's return value goes to *status (NULL: dropped). Exact while no other
 * thread allocates runtime objects. Returns 0, GCP_EINVAL for a NULL
 * fn, before or after, or when collection is disabled (before, or by fn),
 * or GCP_ESTATE inside the collector's event hook. */
GCP_EXPORT int gcp_live_growth(gcp_fn fn, void *env, gcp_live_counts *before,
                               gcp_live_counts *after, int *status);

/* A leak check's report for people: the verdict, then every field (the
 * persistent growth it decided from, the fitted growth per iteration, the
 * first and last live bytes, the growing sites, and the live bytes of each
 * iteration when the report has the array), bytes as bytes. Doubles are
 * printed to 3 decimals (R^2 to 4, p_value to 3 significant digits).
 * Returns 0, GCP_EINVAL for a NULL fp or report, GCP_EIO on a write
 * error. */
GCP_EXPORT int gcp_leak_report_print(FILE *fp, const gcp_leak_report *report);

/* The same as one JSON object on one line and a newline: every field
 * under its own name ("has_leak" a boolean, "live_bytes" an array of
 * `iterations` numbers or null, "sites" an array of {"file", "function",
 * "line", "bytes_per_iteration"}). Doubles are written with as many
 * digits (15 to 17) as they need to read back equal; one that is not
 * finite is null.
 * Returns 0, GCP_EINVAL or GCP_EIO. */
GCP_EXPORT int gcp_leak_report_write_json(FILE *fp, const gcp_leak_report *report);

/* The label a snapshot was taken with (borrowed from it; "" for NULL). */
GCP_EXPORT const char *gcp_snapshot_label(const gcp_snapshot *snap);

/* A leak verdict from two snapshots (a leak kit's check_for_leaks): did
 * the live bytes of sited runtime objects (allocated while site tracking
 * was on) grow by at least a threshold from `before` to `after`, and at
 * which sites. Each snapshot is taken after a full collection, so the
 * figures are the collector's exact live counts (GC_size bytes), not
 * estimates. Caller-owned; free with gcp_snapshot_leaks_free (NULL is
 * fine). It keeps copies of what it reports: the snapshots may be freed
 * first. */
typedef struct gcp_snapshot_leaks gcp_snapshot_leaks;

/* The totals of a verdict, over every site either snapshot has. Filled by
 * the library (reserved_ zeroed). Strings are borrowed from the verdict. */
typedef struct gcp_snapshot_verdict {
    const char *before_label, *after_label;
    int has_leak;            /* growth_bytes > 0 and >= threshold_bytes */
    double threshold_bytes;  /* as given */
    uint64_t bytes_before, bytes_after;     /* live bytes, all sites */
    uint64_t objects_before, objects_after; /* live objects, all sites */
    int64_t growth_bytes, growth_objects;   /* after - before (may be < 0) */
    size_t n_sites;                         /* sites whose live bytes grew */
    uint64_t reserved_[4];
} gcp_snapshot_verdict;

/* One site whose live bytes grew. Filled by the library (reserved_
 * zeroed); file and func are the site's static strings. */
typedef struct gcp_snapshot_leak_site {
    const char *file, *func;
    int line;
    int atomic;       /* pointer-free memory (gcp_alloc_atomic) */
    int is_new;       /* no live bytes in before */
    uint64_t bytes_before, bytes_after;
    uint64_t objects_before, objects_after;
    int64_t growth_bytes, growth_objects; /* after - before; bytes > 0 */
    const char *type; /* the site's type (GCP_NEW's T), or NULL */
    uint64_t reserved_[4];
} gcp_snapshot_leak_site;

/* Compare two snapshots of one process (sites are the same by id in
 * both). A leak when the live bytes of all sites together grew by more
 * than 0 and by at least threshold_bytes (>=: a growth of exactly the
 * threshold is a leak; 0: any growth). The sites whose live bytes grew
 * are listed, largest growth first. *out (may be NULL: the verdict only)
 * gets the caller-owned result. Returns 1 (a leak), 0 (none), or
 * GCP_EINVAL for a NULL snapshot or a threshold that is negative or not
 * finite, GCP_ENOMEM (then *out is NULL). Thread-safe. */
GCP_EXPORT int gcp_snapshot_check_leaks(const gcp_snapshot *before, const gcp_snapshot *after,
                                        double threshold_bytes, gcp_snapshot_leaks **out);
/* Copy the totals into *out: 0, or GCP_EINVAL for NULL. */
GCP_EXPORT int gcp_snapshot_leaks_verdict(const gcp_snapshot_leaks *leaks,
                                          gcp_snapshot_verdict *out);
/* Sites that grew (0 for NULL), and the i-th, largest first, copied into
 * *out: 0, GCP_EINVAL for NULL, GCP_ERANGE when i >= the count. */
GCP_EXPORT size_t gcp_snapshot_leaks_count(const gcp_snapshot_leaks *leaks);
GCP_EXPORT int gcp_snapshot_leaks_site(const gcp_snapshot_leaks *leaks, size_t i,
                                       gcp_snapshot_leak_site *out);
/* The verdict for people: one line with the verdict and the growth, the
 * totals before and after, then a row per site that grew (bytes, objects,
 * [new], file:line function). Returns 0, GCP_EINVAL or GCP_EIO. */
GCP_EXPORT int gcp_snapshot_leaks_print(FILE *fp, const gcp_snapshot_leaks *leaks);
/* The same as one JSON object and a newline: the verdict's fields under
 * their names ("before" and "after" the labels) and "sites", an array of
 * the site fields ("function" for func, "new" for is_new). Returns 0,
 * GCP_EINVAL or GCP_EIO. */
GCP_EXPORT int gcp_snapshot_leaks_write_json(FILE *fp, const gcp_snapshot_leaks *leaks);
GCP_EXPORT void gcp_snapshot_leaks_free(gcp_snapshot_leaks *leaks);

/* ---- where the memory goes: sampled heap profiles ------------------- */

/* Go's runtime/pprof heap profile for this program: which call stacks
 * allocate, and which of their objects survived the latest collection
 * (the collector's own mark bits: "in use"), written as a gzip'd pprof
 * profile that `go tool pprof`, `gcprof top|flame|diff`, Pyroscope and
 * Parca read (doc/heap-profiles.md).
 *
 * Allocations are sampled by bytes at a random (exponential) interval of
 * mean `rate`, each sample weighted so that the totals are unbiased
 * estimates; rate 1 records every allocation exactly. Seen: the runtime's
 * allocations (gcp_alloc and co., GCP_NEW's type as the sample's "type"
 * label) and, unless GCP_HEAP_PROFILE_RUNTIME_ONLY, the program's own
 * calls of the collector (GC_MALLOC, GC_malloc_atomic, GC_malloc_kind,
 * GC_generic_malloc*, GC_malloc_many, typed, gcj, uncollectable,
 * ignore-off-page, GC_realloc, GC_memalign, GC_strdup, the GC_debug_*
 * family; GC_free drops a sample) from the executable and every library
 * loaded when the profile starts: their GOT entries are redirected while
 * it samples. Not seen: libraries dlopen'ed later, calls through function
 * pointers taken before the start, the collector's calls to itself, and
 * a libgc linked statically into another library.
 *
 * Stacks come from libunwind (libunwind.so.8, loaded at the first start;
 * programs without frame pointers unwind too). The profiler's own memory
 * is outside the collector's view: it keeps no object alive. */
typedef struct gcp_heap_profile_options {
    /* Mean bytes between samples; 0: 512 KiB (Go's and jemalloc's
     * default); 1: every allocation. At most 2^40. */
    uint64_t rate;
    uint64_t flags;        /* GCP_HEAP_PROFILE_* */
    uint64_t reserved_[6]; /* zero */
} gcp_heap_profile_options;

enum {
    /* Only the runtime's allocations: the program's GC_* calls are left
     * alone (no GOT entry is rewritten). */
    GCP_HEAP_PROFILE_RUNTIME_ONLY = 1 << 0
};

/* Start sampling with *opts (NULL: the defaults), dropping the samples of
 * any earlier profile. Returns 0; GCP_EINVAL for bad options (a rate
 * above 2^40, unknown flags, reserved_ not zero); GCP_ESTATE when a
 * profile already samples, or inside the collector's event hook;
 * GCP_ENOTFOUND when libunwind.so.8 cannot be loaded; GCP_ENOMEM or
 * GCP_EIO (a GOT page's protection could not be changed). */
GCP_EXPORT int gcp_heap_profile_start(const gcp_heap_profile_options *opts);

/* Stop sampling: the GOT entries are put back, and the profile keeps what
 * it had, in use as of the latest collection before the stop, for
 * gcp_heap_profile_write. Returns 0, or GCP_ESTATE when none samples. */
GCP_EXPORT int gcp_heap_profile_stop(void);

/* gcp_heap_profile_write's formats. */
enum {
    GCP_HEAP_FORMAT_PPROF = 0, /* gzip'd pprof (profile.proto) */
    GCP_HEAP_FORMAT_RAW = 1    /* the raw dump (doc/heap-dump-format.md): no
                                  symbols; `gcprof pprof` converts it */
};

/* Write the profile (running or stopped) to path, replacing it whole (a
 * temporary file, then rename): samples allocated, and in use as of the
 * latest collection (call gcp_collect() first for a fresh figure). The
 * pprof format resolves functions, files and lines from the files on disk
 * with libgcprof's pprof module (libgcprof-pprof.so, in gcprof's library
 * directory, or GCPROF_PPROF_MODULE), loaded for the write and unloaded
 * after; libraries its loading leaves behind (libdw's libdebuginfod and
 * what that needs) stay loaded, with their data kept out of the
 * collector's roots for good (doc/heap-profiles.md). Returns 0;
 * GCP_EINVAL (NULL path, unknown format); GCP_ESTATE (no profile was
 * started, or one libgcprof took for itself); GCP_ENOTFOUND (no pprof
 * module: write GCP_HEAP_FORMAT_RAW instead); GCP_EIO (the file cannot be
 * written, naming it). */
GCP_EXPORT int gcp_heap_profile_write(const char *path, int format);

/* ---- memory over one call: gcp_memory_usage ----------------------- */

/* memory_profiler's memory_usage((f, args), interval) in process: run a
 * closure while a thread of the library's samples RSS and the GC heap
 * every interval, and hand the samples back. Nothing is collected or held
 * off: the closure runs as it would without it. The sampler thread is not
 * the collector's (it is neither stopped nor scanned): it only reads
 * /proc/self/statm and the collector's lock-free getters
 * (GC_get_heap_size, GC_get_free_bytes: plain reads of two counters in
 * bdwgc 8.2.2) and never allocates in the GC heap; its signals are
 * blocked. */

/* Options: all zero is the defaults, field by field
 *     gcp_usage_options o = {0};   or   {.interval = 0.001}
 * and NULL means the same. Fields may be added from reserved_: leave it
 * zero (a non-zero word is refused, GCP_EINVAL). */
typedef struct gcp_usage_options {
    double interval;       /* seconds between samples: 0 = 0.01 (default),
                              else 0.001 to 3600 */
    int heap_only;         /* 1: no RSS reads (every has_rss 0); 0: RSS too */
    size_t max_samples;    /* samples kept, start and end included: 0 =
                              100000 (default), else 2 to 10000000. When full,
                              every second sample is dropped and the spacing
                              doubles (gcp_usage_interval), so the samples
                              always span the whole call */
    uint64_t reserved_[4]; /* leave zero */
} gcp_usage_options;

/* The samples of one call. Caller-owned (malloc'd, outside the GC heap);
 * free with gcp_usage_free (NULL is fine). */
typedef struct gcp_usage gcp_usage;

/* One sample, copied out by gcp_usage_get (reserved_ zeroed). */
typedef struct gcp_usage_sample {
    double t;              /* seconds since the start sample (which has 0) */
    uint64_t rss;          /* bytes resident; 0 when has_rss is 0 */
    int has_rss;           /* 0 with heap_only, or when /proc cannot be read */
    uint64_t heap_in_use;  /* bytes in use in the GC heap (size minus free) */
    uint64_t heap_size;    /* bytes the GC heap holds from the OS */
    uint64_t reserved_[4];
} gcp_usage_sample;

/* Take a sample, run fn(env) on this thread while the sampler thread adds
 * one every interval, take a last sample when fn returns, and set *out to
 * the samples (at least two: the start and the end), with fn's return
 * value as gcp_usage_status. Returns 0 when *out is set, or a negative
 * error, in which case fn was not run and *out is NULL: GCP_EINVAL for a
 * NULL fn or out or a bad option (named), GCP_ENOMEM (no memory, or no
 * thread). A child made by fork() inside fn has no sampler: it gets at
 * most the samples taken before the fork, and its own end sample.
 * Thread-safe; calls nest. */
GCP_EXPORT int gcp_memory_usage(gcp_fn fn, void *env, const gcp_usage_options *opt,
                                gcp_usage **out);

/* Samples kept (0 for NULL), and the i-th, in time order, copied into
 * *out: 0, GCP_EINVAL for NULL, GCP_ERANGE when i >= the count. */
GCP_EXPORT size_t gcp_usage_count(const gcp_usage *usage);
GCP_EXPORT int gcp_usage_get(const gcp_usage *usage, size_t i, gcp_usage_sample *out);
/* The highest RSS and heap in use (bytes) of every reading taken, kept or
 * not (0 for NULL; max RSS 0 when no reading had RSS). */
GCP_EXPORT uint64_t gcp_usage_max_rss(const gcp_usage *usage);
GCP_EXPORT uint64_t gcp_usage_max_heap(const gcp_usage *usage);
/* Readings taken, start and end included (>= the count: more once
 * samples were dropped); 0 for NULL. */
GCP_EXPORT uint64_t gcp_usage_readings(const gcp_usage *usage);
/* Seconds between kept samples: the interval asked for, doubled each
 * time samples were dropped (0 for NULL). */
GCP_EXPORT double gcp_usage_interval(const gcp_usage *usage);
/* fn's return value (0 for NULL). */
GCP_EXPORT int gcp_usage_status(const gcp_usage *usage);

/* A table as memory_profiler prints: a heading line (samples, spacing,
 * duration, status), one row per sample (time in s, RSS, heap in use and
 * heap size in MiB = 2^20 bytes, to 3 decimals; "-" for no RSS), then the
 * maxima. Returns 0, GCP_EINVAL or GCP_EIO. */
GCP_EXPORT int gcp_usage_print(FILE *fp, const gcp_usage *usage);
/* The same as one JSON object and a newline, in bytes and seconds:
 * "status", "interval", "count", "readings", "max_rss" (null without
 * RSS), "max_heap_in_use", and "samples", an array of {"t", "rss" (null
 * without RSS), "heap_in_use", "heap_size"}. Returns 0, GCP_EINVAL or
 * GCP_EIO. */
GCP_EXPORT int gcp_usage_write_json(FILE *fp, const gcp_usage *usage);
GCP_EXPORT void gcp_usage_free(gcp_usage *usage);

/* ---- memory over time: the monitor --------------------------------- */

/* The monitor records a timeline (doc/timeline-formats.md): RSS and the GC
 * heap every interval from a thread of its own, every collection with its
 * pause, mark and reclaim times, profiled closures as enter/exit markers,
 * and labels. One monitor per process, owned by the process that started
 * it: in a child made by fork() it is not running (no thread, nothing
 * written; gcp_monitor_stop and gcp_monitor_label return GCP_ESTATE naming
 * the owner), and the child may start a monitor of its own. A sample
 * whose RSS cannot be read (no /proc) has the heap and no RSS. */
typedef enum { GCP_MONITOR_DAT = 0, GCP_MONITOR_JSONL = 1 } gcp_monitor_format;

/* {0} is the defaults, with nothing to record: set path, fp or trace. */
typedef struct gcp_monitor_options {
    double interval;           /* seconds between samples; 0: 0.01 */
    const char *path;          /* timeline file (replaced), or NULL */
    FILE *fp;                  /* ... or a stream of yours (not closed) */
    gcp_monitor_format format; /* default GCP_MONITOR_DAT (mprof .dat) */
    int trace;                 /* Go-style line per collection; default 0 */
    FILE *trace_fp;            /* where: default stderr */
    const char *cmdline;       /* for the CMDLINE line; default: read from
                                  /proc/self/cmdline */
    uint64_t reserved_[4];     /* zero */
} gcp_monitor_options;

/* Built-in defaults, ignoring the environment: all zero, as {0} (interval
 * 0.01 s, .dat, no file, no trace). Returns 0, or GCP_EINVAL for a NULL
 * opts. */
GCP_EXPORT int gcp_monitor_options_init(gcp_monitor_options *opts);

/* Built-in defaults, then the environment (doc/environment.md):
 * GCPROF_MONITOR_OUT (path), GCPROF_MONITOR_INTERVAL (seconds, 0.001 to
 * 3600), GCPROF_MONITOR_FORMAT (dat|jsonl), GCPROF_TRACE (a boolean).
 * Returns 0, or GCP_EINVAL naming the variable and its value (opts then
 * holds the defaults). In a secure-execution process (setuid, setgid,
 * capabilities: AT_SECURE) no variable is read: the defaults. gcp_init
 * starts a monitor with these when GCPROF_MONITOR_OUT or GCPROF_TRACE is
 * set (a bad value: a warning, and no monitor), tracing to
 * GCPROF_TRACE_FILE if set; in a process other than the one
 * GCPROF_MONITOR_PID names (set by the first to start one, so inherited by
 * its children) it writes FILE.PID.ext instead of FILE.ext, and likewise
 * for GCPROF_TRACE_FILE. That monitor's failures, when it starts and when
 * it stops at exit, go to the log hook: no caller sees them. */
GCP_EXPORT int gcp_monitor_options_init_env(gcp_monitor_options *opts);

/* Start recording. Needs a timeline (path or fp) or trace on; interval
 * 0 (the default, 0.01 s) or from 0.001 to 3600 s. path is written as a
 * new PATH.tmp.XXXXXX beside it (O_EXCL|O_NOFOLLOW, mode 0644 & ~umask),
 * renamed over path at stop: a
 * link there is replaced, never followed; directories, devices, FIFOs and
 * links into /proc are refused. The file is flushed every interval, so a
 * crash loses at most the last one and leaves the temporary file, with no
 * end record. Returns 0, GCP_EINVAL (bad option, named), GCP_ESTATE
 * (already running, or inside the collector's event hook), GCP_EIO
 * (cannot create the file, or no eventfd), GCP_ENOMEM (cannot start its
 * thread). Installs the collector's event hook, chained. A write error of
 * its thread is logged once when it happens (and returned by
 * gcp_monitor_stop). */
GCP_EXPORT int gcp_monitor_start(const gcp_monitor_options *opts);

/* Stop: write the end record, close the file it opened and rename it into
 * place, put the event hook back. Returns 0, GCP_ESTATE when this process
 * runs no monitor (a forked child's is its parent's: untouched), GCP_EIO
 * on a write or rename error (the temporary file is then removed). */
GCP_EXPORT int gcp_monitor_stop(void);

/* 1 while a monitor runs. */
GCP_EXPORT int gcp_monitor_running(void);

/* Add a label at this moment ("loading batch 7"). GCP_ESTATE when no
 * monitor runs, GCP_EINVAL for NULL. Thread-safe. */
GCP_EXPORT int gcp_monitor_label(const char *text);

/* Collections recorded and records dropped (its queue full) so far; either
 * pointer may be NULL. */
GCP_EXPORT void gcp_monitor_counts(uint64_t *collections, uint64_t *dropped);

/* ---- fleet metrics: a Prometheus endpoint ------------------------- */

/* The collector's metrics, and the profiler's, for Prometheus (and
 * anything that reads its text format or OpenMetrics: VictoriaMetrics,
 * the OpenTelemetry Collector's prometheus receiver, Grafana Agent),
 * served over HTTP and/or written for node_exporter's textfile collector.
 * doc/fleet.md lists every metric, with a scrape config, panels and
 * alerts.
 *
 * HTTP: GET /metrics (OpenMetrics 1.0.0 when the Accept header asks for
 * it, else the text format 0.0.4), GET /debug/pprof/heap (the running
 * heap profile in pprof's format, for Parca or Pyroscope: 404 when no
 * heap profile runs; written with the pprof module, as
 * gcp_heap_profile_write), nothing else. The server is libmicrohttpd,
 * loaded with libgcprof's HTTP module (libgcprof-http.so in gcprof's
 * library directory, or GCPROF_HTTP_MODULE) at the first start and kept
 * loaded, with the data of the libraries it brings kept out of the
 * collector's roots. One thread of its own (not the collector's: it
 * holds no collected pointer), at most 8 connections, 10 s idle timeout;
 * a response is at most 4 MiB (a larger one is a 503).
 *
 * What it costs: while metrics run, the event hook fills two histograms
 * and takes a census at the end of every collection (one pass over the
 * mark bits, under the collector's lock with the world running: about
 * 3 ns per live object, 10-20% of a full collection's time, measured by
 * make bench; GCP_METRICS_NO_LIVE turns it off). A scrape takes the
 * collector's lock twice, each for a handful of reads: about 70-120 us of
 * the server thread's CPU, and no measurable stall of allocating threads.
 *
 * Options: all zero is the defaults; NULL means the same. */
typedef struct gcp_metrics_options {
    /* Where to serve: "PORT", ":PORT", "HOST:PORT" or "[IPV6]:PORT".
     * Without a host: 127.0.0.1 only. Port 0: any free one
     * (gcp_metrics_port says which). NULL: no HTTP endpoint. */
    const char *addr;
    /* node_exporter's textfile collector: this file (NAME.prom) is
     * replaced whole (written beside it, then renamed) every
     * file_interval seconds and at gcp_metrics_stop. NULL: none. */
    const char *file;
    double file_interval;   /* 0: 15 s; else 0.01 to 86400 */
    unsigned max_functions; /* profiled closure names with series of their
                               own; later names share function="_other".
                               0: 32; at most 1024 */
    unsigned flags;         /* GCP_METRICS_NO_LIVE, or 0 */
    uint64_t reserved_[6];  /* zero */
} gcp_metrics_options;

enum {
    /* No census at the end of each collection: bdwgc_live_bytes and
     * gcprof_runtime_live_* are left out (unless a profile's collection
     * was the latest), and collections cost what they did. The census
     * is one pass over the mark bits, about 3 ns per live object (4.7 ms
     * for 1.6 M objects, 10-20% of such a collection: bench/README.md). */
    GCP_METRICS_NO_LIVE = 1 << 0
};

/* Built-in defaults (all zero: nothing to serve). GCP_EINVAL for NULL. */
GCP_EXPORT int gcp_metrics_options_init(gcp_metrics_options *opts);

/* Built-in defaults, then the environment: GCPROF_METRICS_ADDR (addr),
 * GCPROF_METRICS_FILE (file), GCPROF_METRICS_INTERVAL (file_interval),
 * GCPROF_METRICS_LIVE (a boolean; false sets GCP_METRICS_NO_LIVE).
 * The strings point into the environment. gcp_init starts metrics with
 * these when either of the first two is set (a failure is a warning to
 * the log hook). GCP_EINVAL naming a bad variable (opts then holds the
 * defaults). In a secure-execution process no variable is read. */
GCP_EXPORT int gcp_metrics_options_init_env(gcp_metrics_options *opts);

/* Start serving and/or writing. Needs addr or file. Returns 0;
 * GCP_EINVAL (a bad option, named; reserved_ or flags not zero);
 * GCP_ESTATE (already running in this process, inside the collector's
 * event hook, or a secure-execution process: nothing is served there);
 * GCP_EIO (cannot listen: the address and the system's reason, "Address
 * already in use" among them; the file's directory cannot be written);
 * GCP_ENOTFOUND (no HTTP module); GCP_ENOMEM. On failure nothing is left
 * running. The endpoint stops at exit (atexit), after a last file write.
 * A forked child runs none: its parent's stays its parent's. */
GCP_EXPORT int gcp_metrics_start(const gcp_metrics_options *opts);

/* Stop: the HTTP server finishes the request in progress and closes its
 * socket; the file is written one last time. 0; GCP_ESTATE when this
 * process runs no metrics; GCP_EIO when the last file write failed. */
GCP_EXPORT int gcp_metrics_stop(void);

/* The port the endpoint listens on (after port 0: the one taken), or
 * GCP_ESTATE when none is served. */
GCP_EXPORT int gcp_metrics_port(void);

enum {
    GCP_METRICS_OPENMETRICS = 1 << 0 /* gcp_metrics_render: OpenMetrics */
};

/* The exposition /metrics serves, into buf[size] (NUL-terminated), for a
 * program that serves HTTP itself: *len (may be NULL) gets its length.
 * Works whether or not metrics run (without them: no histograms, and no
 * live bytes before the first census). Returns 0; GCP_EINVAL (NULL buf,
 * unknown flags); GCP_ERANGE when size is too small (*len then gets the
 * size needed, or a lower bound). */
GCP_EXPORT int gcp_metrics_render(char *buf, size_t size, unsigned flags, size_t *len);

/* ---- what RSS is made of: gcp_heap_breakdown ----------------------- */

/* Every byte of the process's RSS assigned to a row: the GC heap's live
 * objects, the free slots in its used blocks, its free blocks still
 * mapped, the collector's own tables, malloc, thread stacks, code, file
 * mappings and other anonymous memory; the GC heap by kind and size
 * class; and a verdict naming the biggest avoidable cause with its remedy
 * (doc/breakdown.md says how each row is measured and how exact it is).
 * Opaque: read it with the functions below, free it with
 * gcp_breakdown_free. */
typedef struct gcp_breakdown gcp_breakdown;

enum {
    /* Do not collect first: the GC rows come from the latest collection's
     * marks (objects allocated since count as free slots). */
    GCP_BREAKDOWN_NO_COLLECT = 1 << 0
};

/* Zero is the defaults: a full collection first. */
typedef struct gcp_breakdown_options {
    unsigned flags;        /* GCP_BREAKDOWN_* */
    unsigned reserved32_;  /* must be 0 */
    uint64_t reserved_[3]; /* must be 0 */
} gcp_breakdown_options;

/* The rows (bytes of RSS; they add up to rss) and the figures behind them.
 * Copied by gcp_breakdown_summary, which fills only the size given: fields
 * are only ever added at the end. */
typedef struct gcp_breakdown_summary {
    uint64_t rss;    /* the rows' sum: every mapping's Rss (smaps) */
    uint64_t vm_rss; /* VmRSS read right after, 0 if unknown */
    uint64_t gc_live, gc_fragmentation, gc_free_mapped, gc_internal;
    uint64_t malloc, stacks, code, file_data, file_other, anon_other;
    uint64_t heap_size, heap_free, heap_unmapped; /* bdwgc's figures */
    uint64_t heap_marked;                         /* bytes of marked objects */
    uint64_t malloc_in_use, malloc_free;          /* mallinfo2 */
    uint64_t gc_no;                               /* the collection the GC rows come from */
    int collected;                                /* 1: it was run for this breakdown */
    int unmap_threshold;                          /* collections a free block waits (0: never) */
} gcp_breakdown_summary;

/* Marked objects of one kind and size (0: objects over 2048 bytes, which
 * take whole 4 KiB blocks). free_bytes: the blocks' bytes they leave. */
typedef struct gcp_breakdown_class {
    int kind; /* bdwgc's: 0 atomic, 1 normal, 2 uncollectable, ... */
    unsigned size;
    uint64_t objects, bytes, blocks, free_bytes;
} gcp_breakdown_class;

/* Take a breakdown now: a full collection (unless opt says not; none can
 * run while GC_disable is in force), then, under the collector's lock,
 * the marked objects by class and the process's maps. Other threads'
 * allocations wait meanwhile: half a full collection's time (68 ms for
 * 5.6 million objects in 344 MiB, make bench). opt may be NULL. Returns 0 with *out set; GCP_EINVAL
 * (NULL out, bad options), GCP_ESTATE (inside the collector's event hook), GCP_EIO (/proc/self/
 * smaps unreadable), GCP_ENOMEM. Thread-safe. */
GCP_EXPORT int gcp_heap_breakdown(const gcp_breakdown_options *opt, gcp_breakdown **out);
/* Copy the rows into *s, at most size bytes (pass sizeof *s). */
GCP_EXPORT int gcp_breakdown_summary_get(const gcp_breakdown *b, gcp_breakdown_summary *s,
                                         size_t size);
/* The size classes, most blocks first; _class_get copies at most size
 * bytes. GCP_ERANGE for i out of range. */
GCP_EXPORT size_t gcp_breakdown_class_count(const gcp_breakdown *b);
GCP_EXPORT int gcp_breakdown_class_get(const gcp_breakdown *b, size_t i, gcp_breakdown_class *c,
                                       size_t size);
/* One or two lines: the biggest avoidable cause and its remedy, with
 * figures, then the largest row. Owned by b. */
GCP_EXPORT const char *gcp_breakdown_verdict(const gcp_breakdown *b);
/* The rows, the figures, the 10 biggest size classes and the verdict as
 * text; or everything as one JSON object (doc/breakdown.md). 0, GCP_EINVAL
 * (NULL argument), GCP_EIO (a write failed). */
GCP_EXPORT int gcp_breakdown_print(FILE *fp, const gcp_breakdown *b);
GCP_EXPORT int gcp_breakdown_write_json(FILE *fp, const gcp_breakdown *b);
GCP_EXPORT void gcp_breakdown_free(gcp_breakdown *b);

#ifdef __cplusplus
}
#endif

#endif /* GCPROF_H */
