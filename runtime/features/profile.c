/*
 * profile.c - profiling a closure: what to measure, in which order, and
 * the report; the steps regions take too (profile_region.c). The
 * profiler's own collections, by auto_gc mode, are in profile_gc.c; the
 * collector is put back as it was in both.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "units.h"
#include "profile_frame.h"
#include "profile_metrics.h"

#include <pthread.h>

/* Shorter closures cannot be timed meaningfully (two clock reads ~40 ns,
 * scheduling noise beyond). */
#define CLOCK_RESOLUTION_NS 1000

typedef gcp__frame frame;

static _Thread_local frame *innermost __attribute__((tls_model("initial-exec")));

/* ---- a thread that exits with profiles open ----------------------------- */

/* A region begun and never ended, or pthread_exit inside a closure: at the
 * thread's exit, each open profile gives back what it holds (the hold on
 * automatic collection, the event hook, the overlap count) and a region's
 * frame is freed; no report is written and nothing is collected (the
 * thread may already be unknown to the collector). Without this, one
 * forgotten region kept automatic collection off for the rest of the
 * process: 2 GiB of garbage, no collection. */
static pthread_key_t exit_key;
static _Thread_local int exit_watched __attribute__((tls_model("initial-exec"))); /* armed here */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static int exit_key_made;

static void abandon_open_profiles(void *arg)
{
    (void)arg;
    exit_watched = 0; /* a later destructor's profile arms it again */
    while (innermost) {
        frame *f = innermost;
        innermost = f->parent;
        gcp__log(GCP_LOG_WARN, "%s: its thread exited with the profile open: abandoned, no "
                               "report (collection is allowed again)",
                 f->name);
        if (f->held)
            gcp__hold_release();
        if (f->hooked)
            gcp__events_release();
        gcp__overlap_exit(&f->overlap);
        if (f->is_region)
            free(f);
    }
}

static void make_exit_key(void)
{
    exit_key_made = pthread_key_create(&exit_key, abandon_open_profiles) == 0;
}

/* The first profile open on this thread arms the destructor, once: the
 * once and the setspecific cost 4.8-5.0 ns (10M calls, -O2), an eighth
 * of a heap-only profile. */

static void watch_thread_exit(void)
{
    if (exit_watched)
        return;
    pthread_once(&exit_key_once, make_exit_key);
    if (exit_key_made)
        pthread_setspecific(exit_key, &exit_key); /* any non-NULL */
    exit_watched = 1;
}

/* Word stores GCC cannot turn into a memset: it makes one of 128 bytes
 * (or a plain loop of stores) a rep stos, whose start-up alone costs a few
 * ns. The empty asm hides that the value stored is zero. */
static inline void zero_words(uint64_t *w, size_t n)
{
    typedef uint64_t pair __attribute__((vector_size(16)));
    pair z = {0, 0};
    size_t i = 0;

    for (; i + 4 <= n; i += 4) { /* four words, two stores */
        __asm__("" : "+x"(z));
        memcpy(w + i, &z, sizeof z);
        memcpy(w + i + 2, &z, sizeof z);
    }
    for (; i + 2 <= n; i += 2) {
        __asm__("" : "+x"(z));
        memcpy(w + i, &z, sizeof z);
    }
    for (uint64_t one = 0; i < n; i++) {
        __asm__("" : "+r"(one));
        w[i] = one;
    }
}

/* What a frame's config asks. A light profile (is_light: heap-only,
 * auto_gc off, no peak, no detailed stats, not a batch's task) runs its
 * own compiled copy of the sequence, light a constant 1, where these fold
 * to constants and the steps that cannot apply go: 47.7 ns a profile
 * against 56.3 for the one copy that tests them all (bench/README.md,
 * section 1). The steps below are inlined into both copies (SEQUENCE). */
#define HEAP_ONLY(f, light) ((light) || (f)->cfg.heap_only)
#define COLLECTS(f, light)  (!(light) && (f)->cfg.auto_gc != GCP_AUTO_GC_OFF)
#define DETAILED(f, light)  (!(light) && (f)->cfg.detailed_stats)
#define HOOKED(f, light)    (!(light) && (f)->hooked)
#define SEQUENCE            static inline __attribute__((always_inline))

static void read_gc_stats(gcp_gc_stats *s)
{
    struct GC_prof_stats_s ps;

    GC_get_prof_stats(&ps, sizeof ps);
    s->heap_size = ps.heapsize_full - ps.unmapped_bytes;
    s->free_bytes = ps.free_bytes_full - ps.unmapped_bytes;
    s->unmapped_bytes = ps.unmapped_bytes;
    s->bytes_since_gc = ps.bytes_allocd_since_gc;
    s->total_bytes = ps.allocd_bytes_before_gc + ps.bytes_allocd_since_gc;
    s->gc_no = ps.gc_no;
    s->obtained_from_os = ps.obtained_from_os_bytes;
    zero_words(s->reserved_, sizeof s->reserved_ / sizeof s->reserved_[0]);
}

/* name into the frame: ASCII that fits, copied as it is scanned (most
 * names); anything else cut on a character boundary (utf8.c). */
static size_t copy_name(char *dst, size_t size, const char *name)
{
    size_t i = 0;

    for (; i < size - 1 && name[i] != '\0' && (unsigned char)name[i] < 0x80; i++)
        dst[i] = name[i];
    if (name[i] != '\0')
        return gcp__utf8_copy(dst, size, name);
    dst[i] = '\0';
    return i;
}

SEQUENCE void frame_init(frame *f, const char *name, int light)
{
    if (!name)
        name = "(anonymous)";
    f->name_len = copy_name(f->name, sizeof f->name, name);
    f->parent = innermost;
    f->depth = f->parent ? f->parent->depth + 1 : 0;
    f->notes = HEAP_ONLY(f, light) ? GCP_NOTE_HEAP_ONLY : 0;
    f->is_region = 0;
    f->baseline_ran = f->held = 0;
    f->profiler_gc_ns = 0;
}

/* The readings the closure's figures are differences from. */
SEQUENCE void take_start_readings(frame *f, int light)
{
    if (DETAILED(f, light))
        read_gc_stats(&f->stats_before);
    if (!light && f->held) /* read only then (profile_gc.c) */
        f->releases_at_start = gcp__hold_releases();
    f->allocated_before = gcp__heap_allocated();
    f->others_before = f->allocated_before.objects - gcp__heap_mine().objects;
    if (HOOKED(f, light))
        gcp__events_totals(&f->gc_before);
    else
        f->gc_before = (gcp__gc_totals){0, 0, 0};
    f->gc_no_before = GC_get_gc_no();
    f->failed_before = gcp__failed_allocations();
    f->disabled_before = GC_is_disabled();
    f->rss_before = HEAP_ONLY(f, light) ? 0 : gcp__rss_bytes();
    f->heap_before = gcp__heap_in_use();
    if (!HOOKED(f, light))
        f->freed_before = GC_get_expl_freed_bytes_since_gc();
}

/* Without the hook, the heap is read at the two ends only: explicit frees
 * in between bound the peak as the hook's readings do (watermark.c), while
 * no collection reset the collector's count of them. */
static uint64_t unhooked_peak(frame *f, uint64_t heap_at_end)
{
    uint64_t freed = GC_get_expl_freed_bytes_since_gc(), gc_no = GC_get_gc_no();

    if (gc_no == f->gc_no_before && freed > f->freed_before) {
        heap_at_end = gcp__freed_bound(heap_at_end, freed - f->freed_before);
        f->marks.explicit_frees = 1;
    }
    if (heap_at_end > f->marks.heap_peak)
        f->marks.heap_peak = heap_at_end;
    return gc_no; /* read after the frees: the collection count at the end */
}

/* The RSS high-water mark is tracked when asked for, and whenever a
 * threshold is set: a spike above it between the two ends must not go
 * unseen (about 1 us: a clear_refs write and a getrusage). */
static int tracks_rss_peak(const gcp_config *cfg)
{
    return !cfg->heap_only && (cfg->track_peak || cfg->threshold_mb > 0);
}

/* f->cfg: resolved already (gcp__config_resolve), in place: copying the
 * config again cost a store-forwarding stall in every profile. carry: a
 * batch's hand-over (gcp_profile_many), else NULL. */
SEQUENCE int frame_begin(frame *f, const char *name, gcp__carry *carry, int light)
{
    /* The frame lives on the stack the collector scans: with the counts
     * exact, no field may hold a stale pointer from earlier calls that would
     * keep their garbage alive through the baseline (measured: 75 nodes of
     * an earlier ring, counted as collected when the word was overwritten).
     * The config, first, holds no pointer. */
    _Static_assert(offsetof(frame, cfg) == 0, "the config comes first in a frame");
    if (COLLECTS(f, light))
        memset((char *)f + sizeof f->cfg, 0, sizeof *f - sizeof f->cfg);
    f->carry = carry;
    gcp_init(); /* first: a monitor the environment asks for starts either way */
    /* Without /proc every memory figure would be a made-up zero. */
    if (!HEAP_ONLY(f, light) && !gcp__rss_available())
        return gcp__fail(GCP_EIO, "cannot read RSS: /proc/self/statm: %s",
                         strerror(gcp__rss_errno()));
    frame_init(f, name, light);
    /* Heap-only profiles without collections of their own or track_peak
     * skip the hook (installing it takes the collector's lock four times,
     * more than the rest of such a profile): their pause figures are then
     * unknown if a collection ran, their heap peak the two ends'. */
    f->hooked =
        !light && !(f->cfg.heap_only && f->cfg.auto_gc == GCP_AUTO_GC_OFF && !f->cfg.track_peak);
    if (HOOKED(f, light))
        gcp__events_acquire();
    if (!light)
        gcp__profile_gc_begin(f);
    take_start_readings(f, light);
    /* Without the hook or RSS peaks, the only marks are the two ends. */
    if (HOOKED(f, light))
        gcp__marks_begin(&f->marks, tracks_rss_peak(&f->cfg), f->rss_before,
                         f->heap_before);
    else
        f->marks = (gcp__marks){0, f->heap_before, 0, 0, 0, NULL};
    f->monitor_rss = f->rss_before;
    f->monitor_start = gcp__monitor_enter(f->name, f->depth, &f->monitor_rss);
    /* Light: no RSS read, no collection of its own (overlap.c). */
    gcp__overlap_enter(&f->overlap,
                       light || (f->cfg.heap_only && f->cfg.auto_gc == GCP_AUTO_GC_OFF));
    if (!innermost)
        watch_thread_exit();
    innermost = f;
    f->start_ns = gcp__stamp();
    return 0;
}

/* Zero without a division: a heap-only profile's memory and pause
 * figures are, and eight divisions cost it several ns. */
static double mib(uint64_t bytes)
{
    return bytes ? (double)bytes / GCP__MIB_F : 0;
}

static double seconds(uint64_t ns)
{
    return ns ? (double)ns / 1e9 : 0;
}

/* end_totals: the all-threads allocation totals at the end; gc_no: the
 * collections counted then, unhooked (hooked: read here, after the event
 * totals, so that no collection is in one and not the other). */
SEQUENCE void fill_closure_figures(const frame *f, const gcp__counts *end_totals, uint64_t gc_no,
                                   gcp_report *r, int light)
{
    gcp__counts allocated = *end_totals;
    gcp__gc_totals gc = f->gc_before;

    if (HOOKED(f, light))
        gcp__events_totals(&gc);
    uint64_t ns = gcp__stamp_elapsed_ns(f->start_ns, f->end_ns);
    r->execution_time = seconds(ns);
    if (ns < CLOCK_RESOLUTION_NS)
        r->notes |= GCP_NOTE_BELOW_CLOCK_RESOLUTION;
    r->objects_allocated = allocated.objects - f->allocated_before.objects;
    r->bytes_allocated = allocated.bytes - f->allocated_before.bytes;
    r->gc_count = (HOOKED(f, light) ? GC_get_gc_no() : gc_no) - f->gc_no_before;
    r->gc_pause_total = seconds(gc.pause_ns - f->gc_before.pause_ns);
    r->gc_time = seconds(gc.gc_ns - f->gc_before.gc_ns);
    r->gc_pause_max = seconds(f->marks.pause_max_ns);
    if (!HOOKED(f, light) && r->gc_count > 0) /* not measured: say so, not 0 */
        r->gc_pause_total = r->gc_time = r->gc_pause_max = NAN;
    r->memory_before = mib(f->rss_before);
    r->heap_before = f->heap_before;
    r->peak_heap = f->marks.heap_peak;
    r->track_peak = f->marks.track_rss;
    uint64_t peak = f->rss_before > f->rss_at_end ? f->rss_before : f->rss_at_end;
    if (f->marks.track_rss && f->marks.rss_peak > peak)
        peak = f->marks.rss_peak;
    r->peak_memory = mib(peak);
}

SEQUENCE void check_threshold(const frame *f, gcp_report *r, int light)
{
    r->threshold_mb = f->cfg.threshold_mb; /* 0 when light: heap-only has none */
    if (light || f->cfg.threshold_mb <= 0 || r->peak_memory <= f->cfg.threshold_mb)
        return;
    r->exceeded_threshold = 1;
    gcp__log(GCP_LOG_WARN, "%s: RSS reached %.1f MiB, above threshold_mb=%.1f%s", r->function_name,
             r->peak_memory, f->cfg.threshold_mb, r->track_peak ? "" : " (no peak tracking)");
}

/* This thread allocated during the profiler's collections: only the
 * program's finalizers, run by bdwgc right after a collection asked for,
 * can have (GCP_NOTE_ALLOCATED_IN_COLLECTION). */
static void finalizers_allocated(gcp_report *r)
{
    r->notes |= GCP_NOTE_ALLOCATED_IN_COLLECTION | GCP_NOTE_COLLECTED_UNKNOWN;
    r->gc_objects_collected = -1;
    r->bytes_reclaimed = -1;
}

/* The fields nothing below is sure to write, field by field: clearing all
 * 560 bytes cost ~12 ns, a tenth of a heap-only profile. Unless the
 * profiler collects next: then no byte of the caller's report may keep an
 * old word through it (a region's report is not cleared before its
 * closure, as gcp_profile's is), as every byte was before. */
SEQUENCE void report_start(const frame *f, int status, gcp_report *r, int light)
{
    if (COLLECTS(f, light))
        memset(r, 0, sizeof *r);
    memcpy(r->function_name, f->name, f->name_len + 1); /* the rest: never read */
    r->status = status;
    r->depth = f->depth;
    r->notes = f->notes | (f->marks.explicit_frees ? GCP_NOTE_EXPLICIT_FREES : 0);
    r->exceeded_threshold = 0;
    r->has_detailed_stats = 0;
    if (!DETAILED(f, light)) { /* else both are written at the end */
        memset(&r->stats_before, 0, sizeof r->stats_before);
        memset(&r->stats_after, 0, sizeof r->stats_after);
    }
    r->gc_collected = 0;
    r->gc_reason[0] = '\0';
    zero_words(r->reserved_, sizeof r->reserved_ / sizeof r->reserved_[0]);
}

SEQUENCE void frame_end(frame *f, int status, gcp_report *r, int light)
{
    uint64_t heap_at_end = gcp__heap_in_use(), gc_no_end = 0;
    if (HOOKED(f, light))
        gcp__marks_end(&f->marks);
    else
        gc_no_end = unhooked_peak(f, heap_at_end);
    f->rss_at_end = HEAP_ONLY(f, light) ? 0 : gcp__rss_bytes();
    if (f->monitor_start != 0) /* else no enter marker was written: nothing to close */
        gcp__monitor_exit(f->name, f->depth, f->rss_at_end, f->monitor_start, f->monitor_rss);
    innermost = f->parent;

    report_start(f, status, r, light);
    gcp__counts all = gcp__heap_allocated(), mine = gcp__heap_mine();
    /* Another thread's profile, or its allocations, shared the window. */
    if (gcp__overlap_exit(&f->overlap) || all.objects - mine.objects != f->others_before)
        r->notes |= GCP_NOTE_OVERLAPPED;
    if (gcp__failed_allocations() != f->failed_before)
        r->notes |= GCP_NOTE_OUT_OF_MEMORY;
    if (GC_is_disabled() && !f->disabled_before)
        gcp__log(GCP_LOG_WARN, "%s returned with collection disabled (GC_disable without "
                               "GC_enable): the collector stays disabled",
                 f->name);
    r->auto_gc = f->cfg.auto_gc;
    r->gc_objects_collected = -1;
    r->bytes_reclaimed = -1;
    fill_closure_figures(f, &all, gc_no_end, r, light);
    /* The profiler's collections run from frames made from here on: on
     * cleared stack, not on what the bookkeeping above left (profile_gc.c,
     * collect_with_census). */
    if (COLLECTS(f, light))
        gcp__clear_own_frames();
    int collected = 0;
    if (light)
        gcp__profile_gc_end_off(r);
    else
        collected = gcp__profile_gc_end(f, r);
    gcp__counts mine_after = mine;
    if (COLLECTS(f, light)) /* only our collections run finalizers here */
        mine_after = gcp__heap_mine();
    if (mine_after.objects != mine.objects)
        finalizers_allocated(r);

    /* Only a collection can have changed RSS since the closure's end:
     * without one, that reading stands (a statm read costs ~1.5 us). */
    uint64_t rss_after = collected && !HEAP_ONLY(f, light) ? gcp__rss_bytes() : f->rss_at_end;
    r->memory_after = mib(rss_after);
    r->memory_saved = f->rss_at_end > rss_after ? mib(f->rss_at_end - rss_after) : 0;
    r->heap_after = collected ? gcp__heap_in_use() : heap_at_end;
    r->profiler_gc_time = seconds(f->profiler_gc_ns);
    if (DETAILED(f, light)) {
        r->has_detailed_stats = 1;
        r->stats_before = f->stats_before;
        read_gc_stats(&r->stats_after);
    }
    check_threshold(f, r, light);
    if (HOOKED(f, light))
        gcp__events_release();
    gcp__profile_metrics_note(r);
}

/* The copy for every other profile, and for regions (out of line: one
 * copy serves them all). */
__attribute__((noinline)) int gcp__frame_begin(frame *f, const char *name, gcp__carry *carry)
{
    return frame_begin(f, name, carry, 0);
}

__attribute__((noinline)) void gcp__frame_end(frame *f, int status, gcp_report *r)
{
    frame_end(f, status, r, 0);
}

frame *gcp__frame_innermost(void)
{
    return innermost;
}

/* The profiles the light copy serves: those that read no RSS, take no
 * collection-event hook and make no collection (cfg resolved). */
static inline int is_light(const gcp_config *c, const gcp__carry *carry)
{
    return c->heap_only && c->auto_gc == GCP_AUTO_GC_OFF && !c->track_peak && !c->detailed_stats &&
           !carry;
}

/* The profile proper, in a frame of its own that gcp_profile creates only
 * after clearing the dead stack: on a lazily bound program's first call,
 * the dynamic linker's trampoline saved the caller's registers exactly
 * where this large frame goes, and its unwritten slots would keep them
 * (measured with glibc's fxsave trampoline: a heap section's address,
 * left from the heap's growth, pinned a ring of 20,000 nodes built at
 * the start of that section). */
__attribute__((noinline)) int gcp__profile_run(const char *name, gcp_fn fn, void *env,
                                               const gcp_config *cfg, gcp_report *out,
                                               gcp__carry *carry)
{
    frame f;

    int rc = gcp__config_resolve(cfg, &f.cfg);
    if (rc < 0)
        return rc;
    /* The report we are about to write is often an uninitialised local of
     * the caller's, with old words in it (measured: a demo built -O0 kept
     * one string alive through its forced collection from an unwritten
     * report). */
    if (f.cfg.auto_gc != GCP_AUTO_GC_OFF)
        memset(out, 0, sizeof *out);
    int light = is_light(&f.cfg, carry);
    rc = light ? frame_begin(&f, name, NULL, 1) : gcp__frame_begin(&f, name, carry);
    if (rc < 0)
        return rc;
    int status = fn(env);
    /* Right where the closure's frames were: wipe what it left there. */
    gcp__frame_stop(&f);
    if (light)
        frame_end(&f, status, out, 1);
    else
        gcp__frame_end(&f, status, out);
    return 0;
}
