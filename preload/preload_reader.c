/*
 * preload_reader.c - the thread that writes the recording: it drains the
 * hook's ring of collections and samples the heap every interval. Made
 * with libc's pthread_create so the collector never knows it, it touches
 * no collected object and writes with every signal blocked (if gcprof
 * dies, writes fail with EPIPE, not SIGPIPE).
 *
 * All writing happens under out_lock: the reader's, and that of a thread
 * about to exec or _exit (preload_exec.c), which writes everything left
 * and holds the lock across the call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio_ext.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"
#include "clock.h"

#define DRAIN_GAP      0.01   /* seconds between two drains of the ring */
#define DRAIN_GAP_BUSY 0.0005 /* ... at the shortest, when it fills fast */

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*join_fn)(pthread_t, void **);

static pthread_t reader;
static int reader_started;
static join_fn real_join;
static atomic_int shut_down; /* stop ran */
/* this thread holds out_lock (taken in preload_flush_all): a signal
 * handler on it that execs or exits must not take it again */
static __thread int holding __attribute__((tls_model("initial-exec")));
pid_t preload_owner;         /* the process the reader writes for */

/* No libm (its data would be one more root in the program): min, max. */
static double min_d(double a, double b)
{
    return a < b ? a : b;
}

static double max_d(double a, double b)
{
    return a > b ? a : b;
}

static double mono_s(void)
{
    return (double)gcp__now_ns() / 1e9;
}

/* ---- writing (out_lock held) ------------------------------------------- */

static size_t write_collections(void)
{
    gcp_tl_gc rec;
    gcp_tl_trace fig; /* the hook's, on its monotonic clock */
    size_t n = 0;

    for (; gcp__gc_record_pop(&preload_state->recorder, &rec, &fig); n++) {
        rec.pid = (long)preload_owner;
        gcp__tl_gc(preload_out, preload_format, &rec);
        if (preload_trace)
            gcp__tl_gctrace(preload_trace, &rec, &fig);
    }
    return n;
}

/* One heap sample (none before the program initialises its collector),
 * and everything written so far goes out. */
static void write_sample(void)
{
    const preload_gc *gc = &preload_collector;
    size_t heap = gc->heap_size();

    if (heap > 0) {
        gcp_tl_sample s = {.t = gcp__tl_now(), .has_heap = 1, .heap_size = heap};
        s.free_bytes = gc->free_bytes();
        s.unmapped_bytes = gc->unmapped_bytes();
        s.gc_no = gc->gc_no();
        s.bytes_allocated = gc->total_bytes();
        s.pid = (long)preload_owner;
        gcp__tl_sample(preload_out, preload_format, &s);
    }
    fflush(preload_out);
    if (preload_trace)
        fflush(preload_trace);
}

void preload_write_image(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    gcp_tl_image im = {.t = gcp__tl_now(), .pid = (long)getpid(), .ppid = (long)getppid()};

    exe[n > 0 ? n : 0] = '\0';
    exe[PRELOAD_EXE_MAX] = '\0'; /* the record stays one write (PIPE_BUF) */
    im.exe = exe;
    preload_owner = getpid();
    gcp__tl_image(preload_out, preload_format, &im);
    fflush(preload_out);
}

/* ---- the thread -------------------------------------------------------- */

/* Sleeps until the monotonic time `until`, or until told to stop:
 * returns 1 then. */
static int wait_until(double until)
{
    struct timespec ts = {(time_t)until, (long)((until - (double)(time_t)until) * 1e9)};
    preload_mem *m = preload_state;

    pthread_mutex_lock(&m->wake_lock);
    while (!m->stopping && pthread_cond_timedwait(&m->wake, &m->wake_lock, &ts) == 0)
        ;
    int stop = m->stopping;
    pthread_mutex_unlock(&m->wake_lock);
    return stop;
}

/* The wait before the next drain: short enough that, at the rate just
 * seen, the ring gets no more than 1/8 full (a small heap can collect
 * every 20 us, and a full ring drops records). It grows back slowly. */
static double drain_gap(size_t popped, double since_last)
{
    double longest = min_d(preload_interval, DRAIN_GAP);

    if (popped == 0 || since_last <= 0)
        return longest;
    double gap = (GCP_GC_RING / 8.0) * since_last / (double)popped;
    return max_d(DRAIN_GAP_BUSY, min_d(gap, longest));
}

/* gcprof run, sent SIGUSR1, replaces the file "request" in its private
 * directory: a new one (one stat every 0.1 s) asks every recorded process
 * for a heap dump and a breakdown, whichever it takes. */
int preload_request_seen(double now)
{
    preload_mem *m = preload_state;
    struct stat st;

    if (!*m->heap_request || now < m->request.next)
        return 0;
    m->request.next = now + 0.1;
    if (stat(m->heap_request, &st) != 0 ||
        (st.st_dev == m->request.dev && st.st_ino == m->request.ino))
        return 0;
    m->request.dev = st.st_dev;
    m->request.ino = st.st_ino;
    return 1;
}

/* Drains the ring and samples the heap every interval. */
static void *reader_main(void *arg)
{
    double last_drain = mono_s(), next_sample = last_drain + preload_interval;
    double next_dump = preload_heap_every > 0 ? last_drain + preload_heap_every : 1e300;
    double gap = DRAIN_GAP_BUSY; /* start-up collects a tiny heap fast */
    int last = 0;

    (void)arg;
    while (!last && getpid() == preload_owner) {
        last = wait_until(min_d(next_sample, mono_s() + gap));
        double now = mono_s();
        pthread_mutex_lock(&preload_state->out_lock);
        gap = min_d(drain_gap(write_collections(), now - last_drain), 2 * gap);
        last_drain = now;
        if (last || now >= next_sample) { /* the last one drains all */
            write_sample();
            next_sample += preload_interval;
            if (next_sample < now) /* fell behind: no burst */
                next_sample = now + preload_interval;
        }
        pthread_mutex_unlock(&preload_state->out_lock);
        if (!last && now >= next_dump) { /* the last one is the exit's */
            preload_heap_dump();
            next_dump = now + preload_heap_every;
        }
        if (!last && preload_request_seen(now)) { /* every one it asks for */
            preload_heap_dump();
            preload_breakdown_request(now);
        }
        if (!last)
            preload_breakdown_poll(now);
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

int preload_reader_start(void)
{
    create_fn create = (create_fn)libc_sym("pthread_create");
    preload_mem *m = preload_state;
    pthread_condattr_t ca;
    sigset_t all, old;

    real_join = (join_fn)libc_sym("pthread_join");
    if (!create || !real_join)
        return -1;
    pthread_mutex_init(&m->wake_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    m->stopping = 0;
    atomic_store(&shut_down, 0);
    /* its stack is ours (preload.c, map_state): no mapping of libc's in
     * the program's address space */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, m->stack, PRELOAD_STACK);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits it */
    int err = create(&reader, &attr, reader_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    reader_started = err == 0;
    return reader_started ? 0 : -1;
}

/* At exit (atexit, then the destructor: whichever comes first): the
 * reader writes what is left and stops. */
void preload_reader_stop(void)
{
    preload_mem *m = preload_state;

    /* the owner first: a vfork child shares this memory, flag included */
    if (getpid() != preload_owner || !reader_started || atomic_load(&shut_down))
        return;
    preload_breakdown_at_exit(); /* while the reader drains its collection */
    if (atomic_exchange(&shut_down, 1))
        return;
    pthread_mutex_lock(&m->wake_lock);
    m->stopping = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->wake_lock);
    real_join(reader, NULL);
    preload_heap_dump();
    unsigned long long lost = atomic_load(&m->recorder.dropped);
    if (lost) /* gaps in the GCPROF_GC numbers: say why */
        fprintf(stderr, "gcprof: %llu collections not recorded (buffer full)\n", lost);
}

/* Before exec or _exit, from the calling thread: everything recorded so
 * far goes out, and out_lock stays held so that nothing is half-written
 * when the image goes. */
int preload_flush_all(void)
{
    if (holding)
        return 0;
    /* Marked before the lock is taken, unmarked after it is given back: a
     * handler on this thread between the two would otherwise wait for the
     * lock this thread holds (a program _exit-ing from a signal handler
     * while it execs: it hung about once in 60 runs). */
    holding = 1;
    atomic_signal_fence(memory_order_seq_cst);
    pthread_mutex_lock(&preload_state->out_lock);
    write_collections();
    write_sample();
    preload_heap_dump(); /* the image ends: its heap profile */
    return 1;
}

void preload_flush_release(void)
{
    pthread_mutex_unlock(&preload_state->out_lock);
    atomic_signal_fence(memory_order_seq_cst);
    holding = 0;
}

/* A forked child: the parent's unwritten lines and records are the
 * parent's. Following children (-f), the child records on its own from
 * here, with a reader of its own (threads do not survive fork); else it
 * records nothing, and the pipe stays out of what it execs. */
void preload_reader_forked(int follow)
{
    preload_mem *m = preload_state;

    __fpurge(preload_out);
    if (preload_trace && preload_trace != stderr)
        __fpurge(preload_trace);
    m->channel.pending_len = 0;
    reader_started = 0;
    preload_heap_forked(follow);
    preload_breakdown_forked();
    if (!follow) {
        preload_channel_drop(&m->channel);
        preload_out = NULL;
        return;
    }
    pthread_mutex_init(&m->out_lock, NULL); /* may have been held at the fork */
    holding = 0;
    atomic_store(&m->recorder.tail, atomic_load(&m->recorder.head));
    atomic_store(&m->recorder.dropped, 0); /* the parent's to report */
    atomic_store(&m->recorder.recorded, 0);
    gcp__gc_record_begin(&m->recorder, gcp__now_ns());
    preload_write_image();
    if (preload_reader_start() != 0)
        preload_out = NULL;
}
