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
/* this thread is inside the sampler (its lock, the unwinder, a dump): a
 * signal handler's _exit or exec must not dump then (preload_heap_dump) */
static __thread int in_sampler __attribute__((tls_model("initial-exec")));

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
    const char *dir = preload_state->heap_dir;
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
    preload_stash_setup();
    preload_heap_every = env_seconds("GCPROF_PRELOAD_HEAP_EVERY");
    image_ns = gcp__realtime_ns();
    pthread_mutex_init(&preload_state->dump_lock, NULL);
    if (gcp__hs_start(rate) != 0)
        return;
    preload_heap_on = 1;
}

/* ---- one sampled allocation ------------------------------------------ */

/* The calling thread's return addresses, ours left out: *first is the
 * program's innermost frame. */
int preload_heap_walk(void **pcs, int max, int *first)
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

/* The stack to charge a sample to: walked when this stack has room for
 * the walk (preload_stash.c measured it); else only the caller, as one
 * frame (a coroutine's stack near its end, a signal stack: a walk there
 * could run off it). */
static int stack_for_sample(void **pcs, int max, int *first, void *caller)
{
    if (!preload_stack_high) /* this thread's first sample */
        preload_stash_learn_stack();
    if (preload_stack_has_room())
        return preload_heap_walk(pcs, max, first);
    pcs[0] = caller;
    *first = 0;
    return 1;
}

void preload_heap_take(void *p, size_t requested, const char *kind, int inner, void *caller)
{
    double weight;
    void *pcs[GCP__HS_DEPTH + 8];

    if (!gcp__hs_pick(&preload_heap_thread, requested, &weight))
        return;
    void *base = inner ? gc_base(p) : p;
    if (!base)
        return;
    if (!kind) /* a resized object: its own */
        kind = gcp__hs_kind_name(gc_kind(base, NULL));
    in_sampler = 1;
    int first, n = stack_for_sample(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first, caller);
    gcp__hs_record(base, gc_size(base), weight, kind, NULL, pcs + first, n);
    in_sampler = 0;
}

/* A batch (GC_malloc_many) of `bytes` in all, after gcp__hs_tick said
 * so: every object, each standing for the batch's weight, at the stack
 * that asked for the refill. */
void preload_heap_take_list(void *list, size_t bytes, const char *kind, void *caller)
{
    double weight;
    void *pcs[GCP__HS_DEPTH + 8];

    if (!gcp__hs_pick(&preload_heap_thread, bytes, &weight))
        return;
    in_sampler = 1;
    int first, n = stack_for_sample(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first, caller);
    for (void *p = list; p; p = *(void **)p)
        gcp__hs_record(p, gc_size(p), weight, kind, NULL, pcs + first, n);
    in_sampler = 0;
}

void preload_heap_forget(void *p)
{
    in_sampler = 1;
    gcp__hs_forget(p);
    in_sampler = 0;
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
    in_sampler = 1;
    gcp__hs_sweep(alive, preload_collector.gc_no());
    in_sampler = 0;
}

/* ---- dumps ----------------------------------------------------------------- */

/* The directory gcprof made, if it is still ours alone. */
static int open_dir(void)
{
    const char *dir = preload_state->heap_dir;
    struct stat st;
    int fd = *dir ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;

    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* heap.PID.NS in the directory, replaced whole (a temporary file, then
 * rename): gcprof may read it at any time. One dump at a time (the
 * reader's, an exec's): they share the temporary name. Not from a signal
 * handler that interrupted this thread inside the sampler: it would wait
 * for a lock its own thread holds. Nor from one that interrupted this
 * thread while it had the world stopped (a collection): SIGALRM then goes
 * to this thread, the only one not blocking it, and a stopped thread may
 * hold the sampler's lock for good. (tests/check_heap_hostile.sh's
 * program that _exits from its handler hung once in 40 runs under make
 * check -j2, never in 500 runs alone; this is the one wait we found that
 * cannot end, from bdwgc's suspend handler, which blocks every signal but
 * its restart signal. Not caught in a debugger.) */
int preload_heap_dump(void)
{
    char name[64], tmp[80];
    long pid = (long)getpid();
    int dfd, fd, ok = 0;

    if (!preload_heap_on || in_sampler || preload_stopped_world)
        return -1;
    in_sampler = 1;
    pthread_mutex_lock(&preload_state->dump_lock);
    if ((dfd = open_dir()) < 0) {
        pthread_mutex_unlock(&preload_state->dump_lock);
        in_sampler = 0;
        return -1;
    }
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
    pthread_mutex_unlock(&preload_state->dump_lock);
    in_sampler = 0;
    return ok ? 0 : -1;
}

/* A forked child: the parent's samples are the parent's. Following
 * children, it samples afresh under its own name; else not at all. */
void preload_heap_forked(int follow)
{
    if (!preload_heap_on)
        return;
    preload_stash_forked();
    pthread_mutex_init(&preload_state->dump_lock, NULL); /* maybe held at the fork */
    in_sampler = 0;
    uint64_t rate = gcp__hs_rate();
    gcp__hs_reset();
    preload_heap_on = 0;
    if (follow && gcp__hs_start(rate) == 0) {
        image_ns = gcp__realtime_ns();
        preload_heap_on = 1;
    }
}
