/*
 * preload_heap.c - gcprof run --heap-profile: sampling the program's
 * allocations (preload_alloc.c interposes them) with their call stacks,
 * and writing raw dumps (doc/heap-dump-format.md) that gcprof turns into
 * pprof profiles.
 *
 * Stacks come from libunwind (DWARF call frame information: programs
 * built without frame pointers, as Debian's are, unwind too). It is
 * loaded with dlopen only when sampling is asked for, and its writable
 * segments (and liblzma's, which it brings, when the program had none)
 * are kept out of the collector's roots like ours (preload_hook.c).
 *
 * Settings, from gcprof run: GCPROF_PRELOAD_HEAP_RATE (mean bytes between
 * samples; unset: no sampling), GCPROF_PRELOAD_HEAP_DIR (the private
 * directory gcprof made: ours, mode 0700, checked before each write) and
 * GCPROF_PRELOAD_HEAP_EVERY (seconds between dumps while running; 0: at
 * the end only).
 *
 * A dump on demand: gcprof run, sent SIGUSR1, replaces the file "request"
 * in that directory; the reader thread looks at it every 0.1 s (one stat)
 * and dumps when it is a new one. Every followed process sees it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "heap_sampler.h"
#include "preload.h"

typedef int (*backtrace_fn)(void **, int);
typedef void *(*base_fn)(void *);
typedef size_t (*size_fn)(const void *);
typedef int (*marked_fn)(const void *);
typedef int (*kind_fn)(const void *, size_t *);

int preload_heap_on;
double preload_heap_every;
__thread gcp__hs_thread preload_heap_thread __attribute__((tls_model("initial-exec")));
__thread int preload_heap_depth __attribute__((tls_model("initial-exec")));
__thread uintptr_t preload_stack_low __attribute__((tls_model("initial-exec")));
preload_stash *preload_heap_stash;

static backtrace_fn unwind;
static base_fn gc_base;
static size_fn gc_size;
static marked_fn gc_is_marked;
static kind_fn gc_kind;
static uintptr_t own_start, own_end; /* our code: frames to leave out */
static uint64_t image_ns;            /* names this image's dump */

/* ---- libraries we bring ------------------------------------------------ */

/* The path the loader gave a library, for the roots filter. */
static void remember_path(void *handle, char *dst, size_t size)
{
    struct link_map *lm = NULL;

    if (handle && dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name)
        snprintf(dst, size, "%s", lm->l_name);
}

static int load_unwinder(void)
{
    void *lzma_before = dlopen("liblzma.so.5", RTLD_LAZY | RTLD_NOLOAD);
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);

    if (lzma_before)
        dlclose(lzma_before);
    if (!h)
        return -1;
    unwind = (backtrace_fn)dlsym(h, "unw_backtrace");
    remember_path(h, preload_state->foreign[0], sizeof preload_state->foreign[0]);
    if (!lzma_before) {
        void *lzma = dlopen("liblzma.so.5", RTLD_LAZY | RTLD_NOLOAD);
        remember_path(lzma, preload_state->foreign[1], sizeof preload_state->foreign[1]);
        if (lzma)
            dlclose(lzma);
    }
    return unwind ? 0 : -1;
}

/* Whether the collector should leave this library's data out of its
 * roots: it is there because we are. */
int preload_heap_foreign(const char *name)
{
    if (!preload_state || !name || !name[0])
        return 0;
    for (int i = 0; i < 2; i++)
        if (preload_state->foreign[i][0] && strcmp(name, preload_state->foreign[i]) == 0)
            return 1;
    return 0;
}

static int find_own_code(struct dl_phdr_info *info, size_t size, void *data)
{
    uintptr_t probe = (uintptr_t)data;

    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && probe >= start &&
            probe < start + ph->p_memsz) {
            own_start = start;
            own_end = start + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* bdwgc's kinds by number: 0-3 are its own, the rest a program's. */
const char *preload_kind_name(int k)
{
    static const char *const names[] = {"atomic", "normal", "uncollectable",
                                        "atomic-uncollectable"};
    static const char *const more[] = {"kind-4",  "kind-5",  "kind-6",  "kind-7",  "kind-8",
                                       "kind-9",  "kind-10", "kind-11", "kind-12", "kind-13",
                                       "kind-14", "kind-15", "kind-16", "kind-17", "kind-18",
                                       "kind-19", "kind-20", "kind-21", "kind-22", "kind-23"};

    if (k >= 0 && k < 4)
        return names[k];
    if (k >= 4 && k < 24)
        return more[k - 4];
    return "kind-other";
}

/* ---- the dead stack a sample writes (preload_stash.h) ------------------ */

#define PAINT 0xa5

/* Fills the PRELOAD_STASH_MAX bytes below `top` (dead stack: the caller's
 * frame is above it) with PAINT; then one sample's stack walk runs from
 * the same depth, and the lowest byte it changed gives its depth. */
__attribute__((noinline, no_sanitize_address)) static void paint(uintptr_t top)
{
    volatile unsigned char *p = (volatile unsigned char *)(top - PRELOAD_STASH_MAX);
    for (size_t i = 0; i < PRELOAD_STASH_MAX - 512; i++) /* not our own frame */
        p[i] = PAINT;
}

__attribute__((noinline, no_sanitize_address)) static size_t lowest_change(uintptr_t top)
{
    volatile unsigned char *p = (volatile unsigned char *)(top - PRELOAD_STASH_MAX);
    size_t i = 0;

    while (i < PRELOAD_STASH_MAX - 512 && p[i] == PAINT)
        i++;
    return PRELOAD_STASH_MAX - i; /* bytes below top */
}

static int stack_here(void **pcs, int max, int *first);

/* As preload_heap_take's frame and walk, without a sample. */
__attribute__((noinline)) static int probe_walk(void)
{
    void *pcs[GCP__HS_DEPTH + 8];
    int first;

    return stack_here(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
}

/* The depth a sample writes below its caller's stack pointer, measured on
 * this thread (the main one, at start: its stack has room), plus a page
 * for the table insert after the walk; 0 when it does not fit. */
__attribute__((noinline)) static size_t measure_depth(void)
{
    uintptr_t top;

    __asm__ volatile("" ::: "memory");
    top = (uintptr_t)__builtin_frame_address(0) - 256; /* below our own frame */
    paint(top);
    probe_walk();
    size_t d = lowest_change(top) + 4096;
    return d <= PRELOAD_STASH_MAX ? d : 0;
}

/* The lowest address of this thread's stack (its guard page above it). */
static void learn_stack_low(void)
{
    pthread_attr_t a;
    void *low;
    size_t size;

    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return;
    if (pthread_attr_getstack(&a, &low, &size) == 0)
        preload_stack_low = (uintptr_t)low;
    pthread_attr_destroy(&a);
}

/* ---- start --------------------------------------------------------------- */

static double env_seconds(const char *name)
{
    const char *s = getenv(name);
    char *end;
    double v = s && *s ? strtod(s, &end) : 0;

    return s && *s && *end == '\0' && v > 0 && v <= 86400 ? v : 0;
}

void preload_heap_start(void)
{
    const char *rate_s = getenv("GCPROF_PRELOAD_HEAP_RATE");
    const char *dir = getenv("GCPROF_PRELOAD_HEAP_DIR");
    char *end;
    unsigned long long rate = rate_s && *rate_s ? strtoull(rate_s, &end, 10) : 0;

#ifndef PRELOAD_WITH_INTERPOSERS
    return; /* libgcprof-preload.so: no allocation is seen, none sampled */
#endif
    if (!rate || *end != '\0' || !dir || !*dir)
        return;
    gc_base = (base_fn)dlsym(RTLD_DEFAULT, "GC_base");
    gc_size = (size_fn)dlsym(RTLD_DEFAULT, "GC_size");
    gc_is_marked = (marked_fn)dlsym(RTLD_DEFAULT, "GC_is_marked");
    gc_kind = (kind_fn)dlsym(RTLD_DEFAULT, "GC_get_kind_and_size");
    if (!gc_base || !gc_size || !gc_is_marked || !gc_kind || load_unwinder() != 0) {
        fprintf(stderr, "gcprof: heap profile off: %s\n",
                unwind ? "the collector lacks GC_base, GC_size, GC_is_marked or "
                         "GC_get_kind_and_size"
                       : "libunwind.so.8 cannot be loaded");
        return;
    }
    dl_iterate_phdr(find_own_code, (void *)(uintptr_t)&preload_heap_start);
    /* A first walk now, before main: libunwind maps its caches at its first
     * use, and at a random sample they would land among the program's
     * mappings (where the collector's heap goes). */
    void *warm[8];
    unwind(warm, 8);
#if defined(__x86_64__) && defined(__GNUC__)
    learn_stack_low();
    preload_state->stash.depth = measure_depth();
    if (preload_state->stash.depth)
        preload_heap_stash = &preload_state->stash;
#endif
    preload_heap_every = env_seconds("GCPROF_PRELOAD_HEAP_EVERY");
    snprintf(preload_state->heap_request, sizeof preload_state->heap_request, "%s/request", dir);
    image_ns = gcp__realtime_ns();
    if (gcp__hs_start(rate) != 0)
        return;
    preload_heap_on = 1;
}

/* ---- one sampled allocation ------------------------------------------ */

/* The calling thread's return addresses, ours left out: *first is the
 * program's innermost frame. */
static int stack_here(void **pcs, int max, int *first)
{
    preload_heap_depth = 1; /* whatever the unwinder allocates is not sampled */
    int n = unwind(pcs, max);
    preload_heap_depth = 0;
    int skip = 0;
    while (skip < n && (uintptr_t)pcs[skip] >= own_start && (uintptr_t)pcs[skip] < own_end)
        skip++;
    *first = skip;
    return n - skip;
}

void preload_heap_take(void *p, size_t requested, const char *kind, int inner)
{
    double weight;
    void *pcs[GCP__HS_DEPTH + 8];

    if (!gcp__hs_pick(&preload_heap_thread, requested, &weight))
        return;
    void *base = inner ? gc_base(p) : p;
    if (!base)
        return;
    if (!kind) /* a resized object: its own */
        kind = preload_kind_name(gc_kind(base, NULL));
    int first, n = stack_here(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
    gcp__hs_record(base, gc_size(base), weight, kind, pcs + first, n);
    if (!preload_stack_low) /* this thread's first sample: its next ones keep the stack */
        learn_stack_low();
}

/* A batch (GC_malloc_many): every object, each standing for the batch's
 * weight, at the stack that asked for the refill. */
void preload_heap_take_list(void *list, size_t size, const char *kind)
{
    size_t count = 0;
    double weight;
    void *pcs[GCP__HS_DEPTH + 8];

    for (void *p = list; p; p = *(void **)p)
        count++;
    if (!count || !gcp__hs_tick(&preload_heap_thread, count * size) ||
        !gcp__hs_pick(&preload_heap_thread, count * size, &weight))
        return;
    int first, n = stack_here(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
    for (void *p = list; p; p = *(void **)p)
        gcp__hs_record(p, gc_size(p), weight, kind, pcs + first, n);
}

void preload_heap_forget(void *p)
{
    gcp__hs_forget(p);
}

/* ---- at the end of each collection --------------------------------------- */

/* Marked, and still an object's start: GC_base is 0 for a block freed
 * in this collection (a dead large object), whose header GC_is_marked
 * must not read. */
static int alive(const void *p)
{
    return gc_base((void *)p) == p && gc_is_marked(p);
}

void preload_heap_sweep(void)
{
    gcp__hs_sweep(alive, preload_collector.gc_no());
}

/* ---- dumps ----------------------------------------------------------------- */

/* The directory gcprof made, if it is still ours alone. */
static int open_dir(void)
{
    const char *dir = getenv("GCPROF_PRELOAD_HEAP_DIR");
    struct stat st;
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;

    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* heap.PID.NS in the directory, replaced whole (a temporary file, then
 * rename): gcprof may read it at any time. */
int preload_heap_dump(void)
{
    char name[64], tmp[80];
    long pid = (long)getpid();
    int dfd, fd, ok = 0;

    if (!preload_heap_on || (dfd = open_dir()) < 0)
        return -1;
    snprintf(name, sizeof name, "heap.%ld.%llu", pid, (unsigned long long)image_ns);
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    unlinkat(dfd, tmp, 0);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ok = gcp__hs_dump(fd, pid) == 0;
        ok = close(fd) == 0 && ok;
        ok = ok && renameat(dfd, tmp, dfd, name) == 0;
        if (!ok)
            unlinkat(dfd, tmp, 0);
    }
    close(dfd);
    return ok ? 0 : -1;
}

/* The request file's identity, last seen (0: none yet). */
static struct {
    dev_t dev;
    ino_t ino;
    double next; /* when to look again */
} request;

void preload_heap_poll(double now)
{
    struct stat st;

    if (!preload_heap_on || now < request.next)
        return;
    request.next = now + 0.1;
    if (stat(preload_state->heap_request, &st) != 0 ||
        (st.st_dev == request.dev && st.st_ino == request.ino))
        return;
    request.dev = st.st_dev;
    request.ino = st.st_ino;
    preload_heap_dump();
}

/* A forked child: the parent's samples are the parent's. Following
 * children, it samples afresh under its own name; else not at all. */
void preload_heap_forked(int follow)
{
    if (!preload_heap_on)
        return;
    uint64_t rate = gcp__hs_rate();
    gcp__hs_reset();
    preload_heap_on = 0;
    if (follow && gcp__hs_start(rate) == 0) {
        image_ns = gcp__realtime_ns();
        preload_heap_on = 1;
    }
}
