/*
 * preload.c - libgcprof-preload.so: `gcprof run` loads it into the program
 * with LD_PRELOAD to record the collector's side of the timeline (one
 * GCPROF_GC record per collection, one GCPROF_HEAP sample per interval)
 * and send it up the pipe GCPROF_FD to gcprof, which adds RSS samples.
 *
 * It links no libgc: the program's collector, if any, is found with
 * dlsym, so a program without bdwgc is left alone. It never initialises
 * the collector (Guile, for one, configures it before GC_INIT); setting
 * the event hook and the lock-free getters are safe before that.
 *
 * In a secure-execution process (setuid, setgid, file capabilities: the
 * kernel's AT_SECURE), it does nothing at all: no environment read, no
 * file, no thread, and the interposed functions only pass the call on.
 * Its environment is not to be trusted there.
 *
 * Only the process gcprof started is followed (GCPROF_PID == getpid()):
 * children inherit the environment but record nothing, and a forked
 * child neither writes nor passes the pipe on through exec.
 *
 * The hook only stores into a lock-free ring (gc_record.c). A reader
 * thread, made with libc's pthread_create so the collector never knows
 * it, touches no collected object and does all the writing, with every
 * signal blocked (if gcprof dies, writes fail with EPIPE, not SIGPIPE).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gc_record.h"
#include "timeline.h"

#define EXPORT         __attribute__((visibility("default")))
#define DRAIN_GAP      0.01   /* seconds between two drains of the ring */
#define DRAIN_GAP_BUSY 0.0005 /* ... at the shortest, when it fills fast */

/* GC_on_collection_event_proc: GC_EventType is an enum, passed as int. */
typedef void (*event_proc)(int);
typedef int (*stop_func)(void);
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*join_fn)(pthread_t, void **);

/* The program's collector: all NULL when it has none. */
static struct {
    void (*set_hook)(event_proc);
    event_proc (*get_hook)(void);
    size_t (*heap_size)(void), (*free_bytes)(void), (*unmapped_bytes)(void);
    size_t (*total_bytes)(void);
    unsigned long (*gc_no)(void); /* GC_word */
    int (*parallel)(void);        /* optional: marker threads - 1 */
} gc;

/* The collection ring and the stdio buffers live in an anonymous mapping
 * of our own, not in our .bss: the collector scans every writable data
 * segment of every loaded library as a root, and the size of the roots
 * enters its collection trigger (min_bytes_allocd). With ~160 KiB of them
 * there, poke collected 3454 times instead of 2272 in 10 of 24 recorded
 * runs, and w3m 28 times instead of 30. No malloc either: it could be the
 * collector's (a program built with malloc redirected to it). */
typedef struct preload_mem {
    gcp__gc_recorder recorder;
    char out_buf[1 << 16], trace_buf[1 << 12];
} preload_mem;
static preload_mem *mem;
static event_proc chained; /* the hook we found: chained to */
/* initial-exec: no lazy TLS allocation when the hook first touches them */
static __thread int in_hook __attribute__((tls_model("initial-exec")));
static __thread int forcing __attribute__((tls_model("initial-exec"))); /* in GC_gcollect & co */

static FILE *out, *trace;
static gcp_tl_format format;
static double interval = 0.01;
static pid_t owner;

static pthread_t reader;
static int reader_started;
static join_fn real_join;
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static int stopping;         /* under wake_lock */
static atomic_int shut_down; /* stop_reader ran */

/* ---- secure execution -------------------------------------------------- */

/* First thing in every entry point: a setuid/setgid/capability process
 * gets a pure pass-through. Asked each time, not cached: an interposed
 * function can run before the constructor. */
static int secure_process(void)
{
    return getauxval(AT_SECURE) != 0;
}

/* ---- the collection event hook ---------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t heap_in_use(void)
{
    size_t size = gc.heap_size(), free_bytes = gc.free_bytes();

    return size > free_bytes ? size - free_bytes : 0;
}

/* Runs under the collector's lock, maybe with the world stopped: only
 * clock reads, lock-free getters and stores into the ring. */
static void on_event(int type)
{
    event_proc next = chained;

    if (in_hook) /* a hook set over ours chaining back to us */
        return;
    in_hook = 1;
    gcp__gc_event ev = {.type = type, .mono_ns = mono_ns(), .forced = forcing > 0};
    if (gcp__gc_event_wants_real(type))
        ev.real = gcp__tl_now();
    if (gcp__gc_event_wants_heap(type)) {
        ev.heap_in_use = heap_in_use();
        ev.gc_no = gc.gc_no();
    }
    gcp__gc_record_event(&mem->recorder, &ev);
    if (next)
        next(type);
    in_hook = 0;
}

/* ---- collections the program asks for --------------------------------- */

/* The collector's own definition, after ours in the lookup order. */
static void *real_fn(_Atomic(void *) *slot, const char *name)
{
    void *f = atomic_load_explicit(slot, memory_order_acquire);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        atomic_store_explicit(slot, f, memory_order_release);
    }
    return f;
}

/* Interposed so that the START event knows the program asked: the
 * collection runs on the calling thread, hence a thread-local flag. */
EXPORT void GC_gcollect(void);
EXPORT void GC_gcollect_and_unmap(void);
EXPORT int GC_try_to_collect(stop_func stop);

static void call_forced(_Atomic(void *) *slot, const char *name)
{
    int secure = secure_process(); /* then a pure pass-through */
    void (*f)(void) = (void (*)(void))real_fn(slot, name);

    if (!secure)
        forcing++;
    if (f)
        f();
    if (!secure)
        forcing--;
}

EXPORT void GC_gcollect(void)
{
    static _Atomic(void *) slot;
    call_forced(&slot, "GC_gcollect");
}

EXPORT void GC_gcollect_and_unmap(void)
{
    static _Atomic(void *) slot;
    call_forced(&slot, "GC_gcollect_and_unmap");
}

EXPORT int GC_try_to_collect(stop_func stop)
{
    static _Atomic(void *) slot;
    int secure = secure_process(); /* then a pure pass-through */
    int (*f)(stop_func) = (int (*)(stop_func))real_fn(&slot, "GC_try_to_collect");
    int done = 0;

    if (!secure)
        forcing++;
    if (f)
        done = f(stop);
    if (!secure)
        forcing--;
    return done;
}

/* ---- our data is not a root ------------------------------------------- */

/* GC_has_static_roots_func: whether the collector scans a writable segment
 * of a loaded library as a root. */
typedef int (*roots_filter)(const char *, void *, size_t);
static _Atomic(roots_filter) program_filter; /* the program's, chained to */

/* Whether [start, start + size) holds our writable data: program_filter
 * lies in our .bss, in the one writable segment the linker made. */
static int our_segment(const void *start, size_t size)
{
    const char *p = (const char *)&program_filter, *s = start;

    return p >= s && p < s + size;
}

/* Leaves our own data out of the roots, so that their size, which enters
 * the collector's trigger (alloc.c, min_bytes_allocd), is what it would be
 * without us; every other segment is the program's filter's call. */
static int filter_roots(const char *name, void *start, size_t size)
{
    roots_filter f = atomic_load(&program_filter);

    if (our_segment(start, size))
        return 0;
    return f ? f(name, start, size) : 1;
}

/* Interposed: bdwgc keeps one filter, so the program's is kept here and
 * chained, and ours stays in place. Before our constructor too. */
EXPORT void GC_register_has_static_roots_callback(roots_filter f);
EXPORT void GC_register_has_static_roots_callback(roots_filter f)
{
    static _Atomic(void *) slot;
    void (*real)(roots_filter) = (void (*)(roots_filter))real_fn(
        &slot, "GC_register_has_static_roots_callback");

    if (secure_process()) {
        if (real)
            real(f);
        return;
    }
    atomic_store(&program_filter, f);
    if (real)
        real(filter_roots);
}

/* ---- the reader thread ------------------------------------------------- */

static size_t write_collections(void)
{
    gcp_tl_gc rec;
    gcp__gc_trace_figures fig; /* the hook's, on its monotonic clock */
    size_t n = 0;

    for (; gcp__gc_record_pop(&mem->recorder, &rec, &fig); n++) {
        gcp__tl_gc(out, format, &rec);
        if (trace)
            gcp__tl_gctrace(trace, &rec, fig.since, fig.share, gc.heap_size(),
                            gc.parallel ? gc.parallel() + 1 : 1);
    }
    return n;
}

/* One heap sample (none before the program initialises its collector),
 * and everything written so far goes out. */
static void write_sample(void)
{
    size_t heap = gc.heap_size();

    if (heap > 0) {
        gcp_tl_sample s = {.t = gcp__tl_now(), .has_heap = 1, .heap_size = heap};
        s.free_bytes = gc.free_bytes();
        s.unmapped_bytes = gc.unmapped_bytes();
        s.gc_no = gc.gc_no();
        s.bytes_allocated = gc.total_bytes();
        gcp__tl_sample(out, format, &s);
    }
    fflush(out);
    if (trace)
        fflush(trace);
}

static double mono_s(void)
{
    return (double)mono_ns() / 1e9;
}

/* Sleeps until the monotonic time `until`, or until told to stop:
 * returns 1 then. */
static int wait_until(double until)
{
    struct timespec ts = {(time_t)until, (long)((until - (double)(time_t)until) * 1e9)};

    pthread_mutex_lock(&wake_lock);
    while (!stopping && pthread_cond_timedwait(&wake, &wake_lock, &ts) == 0)
        ;
    int stop = stopping;
    pthread_mutex_unlock(&wake_lock);
    return stop;
}

/* The wait before the next drain: short enough that, at the rate just
 * seen, the ring gets no more than 1/8 full (a small heap can collect
 * every 20 us, and a full ring drops records). It grows back slowly. */
static double min_d(double a, double b)
{
    return a < b ? a : b;
}

/* No libm (its data would be one more root in the program): min, max. */
static double max_d(double a, double b)
{
    return a > b ? a : b;
}

static double drain_gap(size_t popped, double since_last)
{
    double longest = min_d(interval, DRAIN_GAP);

    if (popped == 0 || since_last <= 0)
        return longest;
    double gap = (GCP_GC_RING / 8.0) * since_last / (double)popped;
    return max_d(DRAIN_GAP_BUSY, min_d(gap, longest));
}

/* Drains the ring and samples the heap every interval. */
static void *reader_main(void *arg)
{
    double last_drain = mono_s(), next_sample = last_drain + interval;
    double gap = DRAIN_GAP_BUSY; /* start-up collects a tiny heap fast */
    int last = 0;

    (void)arg;
    while (!last && getpid() == owner) {
        last = wait_until(min_d(next_sample, mono_s() + gap));
        double now = mono_s();
        gap = min_d(drain_gap(write_collections(), now - last_drain), 2 * gap);
        last_drain = now;
        if (last || now >= next_sample) { /* the last one drains all */
            write_sample();
            next_sample += interval;
            if (next_sample < now) /* fell behind: no burst */
                next_sample = now + interval;
        }
    }
    if (last) { /* here, where a dead gcprof cannot raise SIGPIPE */
        fclose(out);
        if (trace && trace != stderr)
            fclose(trace);
    }
    return NULL;
}

/* libc's pthread functions, not a collector's wrappers of the same name:
 * this thread must stay unregistered (bdwgc's join crashes on it). */
static void *libc_sym(const char *name)
{
    static const char *const libs[] = {"libc.so.6", "libpthread.so.0"};

    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        void *h = dlopen(libs[i], RTLD_LAZY | RTLD_NOLOAD);
        void *f = h ? dlsym(h, name) : NULL;
        if (h)
            dlclose(h);
        if (f)
            return f;
    }
    return dlsym(RTLD_NEXT, name);
}

static int start_reader(void)
{
    create_fn create = (create_fn)libc_sym("pthread_create");
    pthread_condattr_t ca;
    sigset_t all, old;

    real_join = (join_fn)libc_sym("pthread_join");
    if (!create || !real_join)
        return -1;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &ca);
    pthread_condattr_destroy(&ca);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits it */
    int err = create(&reader, NULL, reader_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    reader_started = err == 0;
    return reader_started ? 0 : -1;
}

/* At exit (atexit, then the destructor: whichever comes first): the
 * reader writes what is left and stops. */
static void stop_reader(void)
{
    if (atomic_exchange(&shut_down, 1) || !reader_started || getpid() != owner)
        return;
    pthread_mutex_lock(&wake_lock);
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&wake_lock);
    real_join(reader, NULL);
    unsigned long long lost = atomic_load(&mem->recorder.dropped);
    if (lost) /* gaps in the GCPROF_GC numbers: say why */
        fprintf(stderr, "gcprof: %llu collections not recorded (buffer full)\n", lost);
}

/* A forked child has no reader thread: drop the parent's unwritten bytes
 * (exit would flush them twice) and keep the pipe from an exec'd program. */
static void in_child(void)
{
    __fpurge(out);
    if (trace && trace != stderr)
        __fpurge(trace);
    fcntl(fileno(out), F_SETFD, FD_CLOEXEC);
}

/* ---- start-up ---------------------------------------------------------- */

static int find_collector(void)
{
    gc.set_hook = (void (*)(event_proc))dlsym(RTLD_DEFAULT, "GC_set_on_collection_event");
    gc.get_hook = (event_proc(*)(void))dlsym(RTLD_DEFAULT, "GC_get_on_collection_event");
    gc.heap_size = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_heap_size");
    gc.free_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_free_bytes");
    gc.unmapped_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_unmapped_bytes");
    gc.total_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_total_bytes");
    gc.gc_no = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "GC_get_gc_no");
    gc.parallel = (int (*)(void))dlsym(RTLD_DEFAULT, "GC_get_parallel");
    return gc.set_hook && gc.get_hook && gc.heap_size && gc.free_bytes && gc.unmapped_bytes &&
           gc.total_bytes && gc.gc_no;
}

/* Settings from gcprof run; bad values fall back to the defaults. */
static void read_settings(void)
{
    const char *s = getenv("GCPROF_INTERVAL");
    char *end;

    if (s && *s) {
        double v = strtod(s, &end);
        if (*end == '\0' && __builtin_isfinite(v) && v > 0 && v <= 3600)
            interval = v;
    }
    s = getenv("GCPROF_FORMAT");
    format = s && strcmp(s, "jsonl") == 0 ? GCP_TL_JSONL : GCP_TL_DAT;
}

static FILE *open_trace(void)
{
    const char *on = getenv("GCPROF_TRACE"), *path = getenv("GCPROF_TRACE_FILE");

    if (!on || !*on || strcmp(on, "0") == 0)
        return NULL;
    if (!path || !*path)
        return stderr;
    /* Like a shell's 2>: a stream, so links are followed (/dev/stderr);
     * never group- or world-writable. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        if (fd >= 0)
            close(fd);
        fprintf(stderr, "gcprof: cannot write trace to '%s'; using stderr\n", path);
        return stderr;
    }
    setvbuf(fp, mem->trace_buf, _IOFBF, sizeof mem->trace_buf);
    return fp;
}

/* A non-negative integer from the environment, or -1. */
static long env_long(const char *name)
{
    const char *s = getenv(name);
    char *end;
    long v = s && *s ? strtol(s, &end, 10) : -1;

    return v >= 0 && *end == '\0' ? v : -1;
}

static int open_output(void)
{
    long fd = env_long("GCPROF_FD");

    if (fd < 0 || fd > 1 << 20 || fcntl((int)fd, F_GETFD) < 0)
        return -1;
    out = fdopen((int)fd, "w");
    if (!out)
        return -1;
    setvbuf(out, mem->out_buf, _IOFBF, sizeof mem->out_buf);
    return 0;
}

__attribute__((constructor)) static void preload_start(void)
{
    if (secure_process() || !find_collector())
        return;
    /* in every process the preload is loaded in, recorded or not */
    GC_register_has_static_roots_callback(atomic_load(&program_filter));
    if (env_long("GCPROF_PID") != (long)getpid())
        return;
    read_settings();
    mem = mmap(NULL, sizeof *mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        mem = NULL;
        return;
    }
    if (open_output() != 0)
        return;
    owner = getpid();
    gcp__gc_record_begin(&mem->recorder, mono_ns()); /* before the hook is set */
    trace = open_trace();
    chained = gc.get_hook();
    gc.set_hook(on_event);
    if (start_reader() != 0) {
        gc.set_hook(chained); /* nothing would read the ring */
        return;
    }
    atexit(stop_reader);
    pthread_atfork(NULL, NULL, in_child);
}

__attribute__((destructor)) static void preload_stop(void)
{
    if (secure_process())
        return;
    stop_reader();
}
