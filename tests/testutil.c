/*
 * testutil.c - independent measurements and log capture for the suites.
 */
#include "testutil.h"

#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_mark.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void *volatile tu_sink;

static uint64_t status_field_kib(const char *field)
{
    char line[256];
    unsigned long long kib = 0;
    size_t len = strlen(field);
    FILE *fp = fopen("/proc/self/status", "r");

    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            sscanf(line + len + 1, "%llu", &kib);
            break;
        }
    }
    fclose(fp);
    return (uint64_t)kib;
}

uint64_t tu_rss_bytes(void)
{
    return status_field_kib("VmRSS") * 1024;
}

uint64_t tu_hwm_bytes(void)
{
    return status_field_kib("VmHWM") * 1024;
}

static void capture(gcp_log_level level, const char *msg, void *user)
{
    tu_log *log = user;

    log->count++;
    if (level == GCP_LOG_WARN)
        log->warnings++;
    if (level == GCP_LOG_ERROR)
        log->errors++;
    snprintf(log->last, sizeof log->last, "%s", msg);
}

gcp_config tu_config(int auto_gc, int track_peak)
{
    gcp_config c;

    gcp_config_init(&c);
    c.auto_gc = auto_gc;
    c.track_peak = track_peak;
    return c;
}

void tu_log_capture(tu_log *log)
{
    memset(log, 0, sizeof *log);
    gcp_set_log_fn(capture, log);
}

void tu_log_restore(void)
{
    gcp_set_log_fn(NULL, NULL);
}

void tu_hidden_add(tu_hidden *h, const void *obj)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->addr = realloc(h->addr, h->cap * sizeof *h->addr);
        if (!h->addr)
            abort(); /* a test helper: failing loudly is right here */
    }
    h->addr[h->n++] = ~(uintptr_t)obj;
}

static void *GC_CALLBACK count_unmarked(void *data)
{
    const tu_hidden *h = data;
    size_t dead = 0;

    for (size_t i = 0; i < h->n; i++) {
        void *p = (void *)~h->addr[i];
        /* A wholly empty block is freed at once: no base, no mark bits. */
        dead += GC_base(p) != p || !GC_is_marked(p);
    }
    return (void *)dead;
}

size_t tu_hidden_collected(const tu_hidden *h)
{
    return (size_t)GC_call_with_alloc_lock(count_unmarked, (void *)h);
}

void tu_hidden_free(tu_hidden *h)
{
    free(h->addr);
    memset(h, 0, sizeof *h);
}

/* GCPROF_TEST_PREGROW=fragmented (scripts/check-portability.sh): before
 * the suite runs, grow the heap to 64 MiB of objects of mixed sizes (half
 * the bytes in small objects, 16 B - 2 KiB, half in large ones, 8 - 256
 * KiB) with collection held off, keep every other one alive on a chain
 * from a global root and collect: every test (and every forked child)
 * starts on a heap with 32 MiB live and ~32 MiB of holes between. Raw
 * GC_MALLOC: the runtime counts none of it. One line on stderr says it
 * happened. Unset (as in make check), nothing changes. */
static void *tu_pregrow_root; /* the chain of kept objects */

static void pregrow_fragmented(void)
{
    static const size_t small[] = {16, 24, 48, 64, 112, 200, 512, 1024, 2048};
    static const size_t large[] = {8192, 20000, 65536, 100000, 262144};
    size_t total = 64u << 20, small_bytes = 0, large_bytes = 0, kept = 0, n = 0;

    GC_disable(); /* grow the heap; collections would reuse the holes */
    while (small_bytes + large_bytes < total) {
        int big = large_bytes < small_bytes;
        size_t size = big ? large[n % 5] : small[n % 9];
        void **obj = GC_MALLOC(size);

        if (!obj)
            break;
        if (big)
            large_bytes += size;
        else
            small_bytes += size;
        if (n++ % 2 == 0) { /* kept: linked through its first word */
            obj[0] = tu_pregrow_root;
            tu_pregrow_root = obj;
            kept += size;
        }
    }
    GC_enable();
    tu_clear_dead_stack();
    GC_gcollect();
    fprintf(stderr,
            "testutil: pregrow fragmented: %zu objects, %zu MiB kept live, heap %zu MiB, "
            "%zu MiB free\n",
            n, kept >> 20, (size_t)GC_get_heap_size() >> 20, (size_t)GC_get_free_bytes() >> 20);
}

int tu_run(Suite *suite)
{
    gcp_init();
    const char *pregrow = getenv("GCPROF_TEST_PREGROW");
    if (pregrow && strcmp(pregrow, "fragmented") == 0)
        pregrow_fragmented();
    SRunner *sr = srunner_create(suite);
    /* The tests run in children forked from frames made below here: what
     * the set-up above (GC_init's heap pointers, the pregrow) left in that
     * dead stack would sit in those frames' unwritten slots, in every
     * child, as stale words into the heap. */
    tu_clear_dead_stack();
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

__attribute__((noinline, no_sanitize_address)) void tu_clear_dead_stack(void)
{
    char buf[64 * 1024];

    memset(buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory"); /* the memset must stay */
}

tu_collector_state tu_collector_state_now(void)
{
    tu_collector_state s;

    s.disabled = GC_is_disabled();
    s.no_auto = GC_get_disable_automatic_collection();
    s.hook = (void (*)(int))GC_get_on_collection_event();
    return s;
}

void tu_assert_collector_state(const tu_collector_state *before)
{
    tu_collector_state now = tu_collector_state_now();

    ck_assert_int_eq(now.disabled, before->disabled);
    ck_assert_int_eq(now.no_auto, before->no_auto);
    ck_assert(now.hook == before->hook);
}

static char *saved_module; /* GCPROF_PPROF_MODULE before tu_pprof_module_away */
static int module_was_set;

void tu_pprof_module_away(void)
{
    const char *v = getenv("GCPROF_PPROF_MODULE");

    module_was_set = v != NULL;
    saved_module = v ? strdup(v) : NULL;
    setenv("GCPROF_PPROF_MODULE", TU_NO_PPROF_MODULE, 1);
}

void tu_pprof_module_back(void)
{
    if (module_was_set && saved_module)
        setenv("GCPROF_PPROF_MODULE", saved_module, 1);
    else
        unsetenv("GCPROF_PPROF_MODULE");
    free(saved_module);
    saved_module = NULL;
}

void tu_assert_heap_profile_free(void)
{
    ck_assert_int_eq(gcp_heap_profile_start(NULL), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
}

double tu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether every thread but the caller is asleep (state S) right now. */
static int others_asleep_now(void)
{
    char path[300], line[512];
    long self = syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int all = d != NULL;

    while (all && (e = readdir(d))) {
        if (e->d_name[0] == '.' || atol(e->d_name) == self)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* it ended */
        char *close_paren = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        all = close_paren && close_paren[1] == ' ' && close_paren[2] == 'S';
        fclose(f);
    }
    if (d)
        closedir(d);
    return all;
}

int tu_others_asleep(double bound_s)
{
    struct timespec tick = {0, 1000 * 1000};
    double until = tu_seconds() + bound_s;

    do {
        if (others_asleep_now())
            return 1;
        nanosleep(&tick, NULL);
    } while (tu_seconds() < until);
    return 0;
}

int tu_wait_within(pid_t pid, double seconds, int *status)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    double until = tu_seconds() + seconds;
    int st;

    do {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            if (status)
                *status = st;
            return 1;
        }
        nanosleep(&tick, NULL);
    } while (tu_seconds() < until);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

static double timed_gc_s, timed_started_s;
static long timed_collections;

static void GC_CALLBACK time_collection(GC_EventType e)
{
    if (e == GC_EVENT_START)
        timed_started_s = tu_seconds();
    if (e == GC_EVENT_END && timed_started_s > 0) {
        timed_gc_s += tu_seconds() - timed_started_s;
        timed_collections++;
    }
}

void tu_time_collections(void)
{
    GC_set_on_collection_event(time_collection);
    timed_gc_s = timed_started_s = 0;
    timed_collections = 0;
}

double tu_gc_seconds(void)
{
    return timed_gc_s;
}

long tu_gc_seen(void)
{
    return timed_collections;
}

void tu_needs_own_process(void)
{
    const char *fork = getenv("CK_FORK");

    ck_assert_msg(!(fork && strcmp(fork, "no") == 0),
                  "these tests keep process-wide state: run them without CK_FORK=no");
}
