/*
 * preload.c - libgcprof-preload.so: `gcprof run` loads it into the program
 * with LD_PRELOAD to record the collector's side of the timeline (one
 * GCPROF_GC record per collection, one GCPROF_HEAP sample per interval,
 * one GCPROF_IMAGE record per process image) and send it up the pipe
 * GCPROF_PRELOAD_FD to gcprof, which adds RSS samples.
 *
 * It links no libgc: the program's collector, if any, is found with
 * dlsym, so a program without bdwgc is left alone. It never initialises
 * the collector (Guile, for one, configures it before GC_INIT); setting
 * the event hook and the lock-free getters are safe before that. It adds
 * no root (preload_hook.c), links no library (not even libm; with
 * --heap-profile, its heap build loads libunwind, whose data it keeps out
 * of the roots too: preload_heap.c), and writes only to the pipe gcprof
 * made, checked before each write (preload_channel.c), and, for heap
 * profiles, into the directory gcprof made.
 * It reads only GCPROF_PRELOAD_* variables, which gcprof run sets for it
 * (doc/environment.md): the program's own GCPROF_* are the program's.
 *
 * In a secure-execution process (setuid, setgid, file capabilities: the
 * kernel's AT_SECURE), it does nothing at all: no environment read, no
 * file, no thread, and the interposed functions only pass the call on.
 * Its environment is not to be trusted there.
 *
 * The process gcprof started records (GCPROF_PRELOAD_PID == getpid()); so
 * do the processes it execs, and, with GCPROF_PRELOAD_FOLLOW (-f), every
 * descendant. Records go out before an exec or _exit (preload_exec.c).
 *
 * This file: start-up, settings and the state the other files share.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"
#include "clock.h"
#include "far_map.h"

preload_gc preload_collector;
preload_mem *preload_state;
FILE *preload_out, *preload_trace;
gcp_tl_format preload_format;
double preload_interval = 0.01;
int preload_live = 1;

/* First thing in every entry point: a setuid/setgid/capability process
 * gets a pure pass-through. Asked each time, not cached: an interposed
 * function can run before the constructor. */
int preload_secure(void)
{
    return getauxval(AT_SECURE) != 0;
}

static int find_collector(void)
{
    preload_gc *gc = &preload_collector;

    static _Atomic(void *) set_slot, get_slot;

    /* the collector's own setter and getter, past our interposers */
    gc->set_hook =
        (void (*)(preload_event_proc))preload_real(&set_slot, "GC_set_on_collection_event");
    gc->get_hook =
        (preload_event_proc(*)(void))preload_real(&get_slot, "GC_get_on_collection_event");
    gc->heap_size = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_heap_size");
    gc->free_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_free_bytes");
    gc->unmapped_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_unmapped_bytes");
    gc->total_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_total_bytes");
    gc->gc_no = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "GC_get_gc_no");
    gc->parallel = (int (*)(void))dlsym(RTLD_DEFAULT, "GC_get_parallel");
    gc->enumerate_marked = (void (*)(preload_object_proc, void *))dlsym(
        RTLD_DEFAULT, "GC_enumerate_reachable_objects_inner");
    return gc->set_hook && gc->get_hook && gc->heap_size && gc->free_bytes &&
           gc->unmapped_bytes && gc->total_bytes && gc->gc_no;
}

/* A non-negative integer from the environment, or -1. */
static long env_long(const char *name)
{
    const char *s = getenv(name);
    char *end;
    long v = s && *s ? strtol(s, &end, 10) : -1;

    return v >= 0 && *end == '\0' ? v : -1;
}

/* Whether this process records: the one gcprof started and what it execs
 * (same pid), or any process when gcprof follows children. */
int preload_recording(void)
{
    return env_long("GCPROF_PRELOAD_PID") == (long)getpid() ||
           env_long("GCPROF_PRELOAD_FOLLOW") == 1;
}

/* Settings from gcprof run; bad values fall back to the defaults. */
static void read_settings(void)
{
    const char *s = getenv("GCPROF_PRELOAD_INTERVAL");
    char *end;

    if (s && *s) {
        double v = strtod(s, &end);
        if (*end == '\0' && __builtin_isfinite(v) && v > 0 && v <= 3600)
            preload_interval = v;
    }
    s = getenv("GCPROF_PRELOAD_FORMAT");
    preload_format = s && strcmp(s, "jsonl") == 0 ? GCP_TL_JSONL : GCP_TL_DAT;
    preload_live = env_long("GCPROF_PRELOAD_LIVE") != 0; /* on unless "0" */
}

/* gcprof run's private directory, read here, before main, once: a thread
 * of ours calling getenv later could race the program's setenv. */
static void read_dir(void)
{
    const char *s = getenv("GCPROF_PRELOAD_HEAP_DIR");

    if (s && *s && strlen(s) + sizeof "/request" <= sizeof preload_state->heap_dir) {
        strcpy(preload_state->heap_dir, s);
        snprintf(preload_state->heap_request, sizeof preload_state->heap_request, "%s/request", s);
    }
}

static FILE *open_trace(void)
{
    const char *on = getenv("GCPROF_PRELOAD_TRACE");
    const char *path = getenv("GCPROF_PRELOAD_TRACE_FILE");

    if (!on || strcmp(on, "1") != 0) /* gcprof run writes "1" or "0" */
        return NULL;
    if (!path || !*path)
        return stderr;
    /* Like a shell's 2>>: a stream, so links are followed (/dev/stderr);
     * never group- or world-writable. Appended to, a line a write: every
     * image and followed child adds its lines (gcprof run empties it). */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        if (fd >= 0)
            close(fd);
        fprintf(stderr, "gcprof: cannot write trace to '%s'; using stderr\n", path);
        return stderr;
    }
    setvbuf(fp, preload_state->trace_buf, _IOLBF, sizeof preload_state->trace_buf);
    return fp;
}

/* One mapping, far from the program's (far_map.h): our state, a guard
 * page, the reader thread's stack. */
static int map_state(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t state = (sizeof *preload_state + page - 1) / page * page;
    char *p = gcp__map_far(state + page + PRELOAD_STACK, PROT_READ | PROT_WRITE, 0, 0);

    if (p == MAP_FAILED)
        return -1;
    mprotect(p + state, page, PROT_NONE);
    preload_state = (preload_mem *)p;
    preload_state->stack = p + state + page;
    pthread_mutex_init(&preload_state->out_lock, NULL);
    return 0;
}

__attribute__((constructor)) static void preload_start(void)
{
    preload_exec_bind(); /* a pass-through needs them too */
    if (preload_secure() || !find_collector())
        return;
    preload_roots_filter_install(); /* recorded or not: we are loaded */
    if (!preload_recording())
        return;
    read_settings();
    if (map_state() != 0 || preload_channel_open(&preload_state->channel) != 0)
        return;
    preload_out = preload_channel_stream(&preload_state->channel);
    if (!preload_out)
        return;
    read_dir();
    gcp__gc_record_begin(&preload_state->recorder, gcp__now_ns()); /* before the hook */
    preload_trace = open_trace();
    preload_write_image();
    preload_heap_start(); /* before the hook: it sweeps the samples */
    preload_breakdown_start();
    preload_hook_install();
    if (preload_reader_start() != 0) {
        preload_hook_remove(); /* nothing would read the ring */
        preload_heap_on = 0;   /* nor sweep the samples */
        return;
    }
    atexit(preload_reader_stop);
    preload_fork_watch();
}

__attribute__((destructor)) static void preload_stop(void)
{
    if (preload_secure())
        return;
    preload_reader_stop();
}
