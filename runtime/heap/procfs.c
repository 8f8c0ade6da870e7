/*
 * procfs.c - RSS and its high-water mark from /proc, cheaply.
 *
 * /proc/self/statm is kept open and read with pread (reopening costs
 * ~9 us a read). The peak comes from the kernel's own high-water mark,
 * reset by writing 5 to /proc/self/clear_refs, so a spike of a few
 * milliseconds is caught, which no sampler does. A reading that cannot
 * be made is 0, never a made-up figure: callers write no RSS then.
 * A forked child opens its own files (at_fork_child). The kept files
 * (gcp__kept_fd) serve the cgroup reader's too.
 *
 * Reads of one open statm are serialised in the kernel (the file's lock):
 * two threads profiling with RSS took 5.2-5.8 us a call instead of ~2.
 * So statm is a small pool: a reader claims a free descriptor (a flag),
 * opened at its first claim, and falls back to the first, shared, when
 * all are busy. A single-threaded program opens one; any program at most
 * STATM_POOL, whatever its number of threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heap.h"

#define STATM_POOL 4

/* One a cache line: claiming one does not pull another's. */
typedef struct statm_slot {
    gcp__kept_file file;
    atomic_flag busy;
} __attribute__((aligned(64))) statm_slot;

/* Only the first says what a failure costs: the others fall back to it. */
#define STATM(lost)                                                                                \
    {                                                                                              \
        GCP__KEPT_FILE("/proc/self/statm", O_RDONLY | O_CLOEXEC, lost), ATOMIC_FLAG_INIT           \
    }
static statm_slot statm_pool[STATM_POOL] = {STATM("RSS is unknown"), STATM(NULL), STATM(NULL),
                                            STATM(NULL)};
#define shared_statm (&statm_pool[0].file) /* the one every reader may use */
/* Where this thread found a free descriptor last: it tries that one first. */
static _Thread_local unsigned statm_hint __attribute__((tls_model("initial-exec")));
/* quiet: gcp__rss_peak_reset's caller says what it costs */
static gcp__kept_file clear_refs =
    GCP__KEPT_FILE("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC, NULL);
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t page_size;

static int transient(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOMEM || err == EINTR || err == EAGAIN;
}

/* Says why once per cause, naming the errno: the caller's message cannot. */
static void report(const gcp__kept_file *f, int err, int was)
{
    if (err == was || !f->lost)
        return;
    if (!err)
        gcp__log(GCP_LOG_INFO, "%s opened after all", f->path);
    else
        gcp__log(GCP_LOG_WARN, "cannot open %s: %s%s; %s%s", f->path, strerror(err),
                 err == ENOENT ? " (is /proc mounted?)" : "", f->lost,
                 transient(err) ? " until it opens (retried at each reading)" : "");
}

/* fd is still the file f opened (device and inode). */
static int still_ours(const gcp__kept_file *f, int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == f->dev && (uint64_t)st.st_ino == f->ino;
}

void gcp__kept_close(gcp__kept_file *f)
{
    int fd = atomic_load(&f->fd);

    if (fd < 0)
        return; /* never opened: err (a final one stays final) holds */
    if (still_ours(f, fd))
        close(fd);
    atomic_store(&f->fd, -1);
    atomic_store(&f->err, 0);
}

/* A forked child must read its own /proc/self, and it inherits the
 * parent's: /proc/self is resolved when the file is opened, so the kept
 * descriptors name the parent's statm and clear_refs (the child's RSS
 * read as the parent's, a peak reset resetting the parent's). And
 * open_lock may have been held by a thread of the parent, which the child
 * does not have: a monitor started in the child, whose sampler's first
 * read opens statm, waited for it forever (tests/check_monitor_fork, a
 * fork while the parent's sampler made its first read). An open the
 * parent's thread had not stored yet leaves one descriptor unused in the
 * child (close-on-exec). */
static void at_fork_child(void)
{
    pthread_mutex_init(&open_lock, NULL);
    for (int i = 0; i < STATM_POOL; i++) {
        gcp__kept_close(&statm_pool[i].file);
        atomic_flag_clear(&statm_pool[i].busy); /* a parent's thread held it */
    }
    gcp__kept_close(&clear_refs);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void register_atfork(void)
{
    if (pthread_atfork(NULL, NULL, at_fork_child) != 0)
        gcp__log(GCP_LOG_WARN, "pthread_atfork failed: a forked child may read its parent's RSS");
}

int gcp__kept_fd(gcp__kept_file *f)
{
    int fd = atomic_load_explicit(&f->fd, memory_order_acquire);
    int was = atomic_load(&f->err), err;

    if (fd >= 0 || (was && !transient(was)))
        return fd;
    /* Before the first open: nothing to forget in a child until then. */
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&open_lock);
    was = atomic_load(&f->err);
    fd = atomic_load(&f->fd);
    if (fd < 0 && (!was || transient(was))) {
        fd = open(f->path, f->flags);
        err = fd < 0 ? errno : 0;
        struct stat st;
        f->dev = f->ino = 0; /* no fstat: never taken for ours again */
        if (fd >= 0 && fstat(fd, &st) == 0) {
            f->dev = (uint64_t)st.st_dev;
            f->ino = (uint64_t)st.st_ino;
        }
        if (fd >= 0)
            atomic_store_explicit(&f->fd, fd, memory_order_release);
        atomic_store(&f->err, err);
        report(f, err, was);
    }
    pthread_mutex_unlock(&open_lock);
    return fd;
}

int gcp__kept_fd_checked(gcp__kept_file *f)
{
    int fd = gcp__kept_fd(f);

    if (fd < 0 || still_ours(f, fd))
        return fd;
    /* Not ours any more: forgotten, never closed, and opened again. */
    int expected = fd;
    atomic_compare_exchange_strong(&f->fd, &expected, -1);
    return gcp__kept_fd(f);
}

static uint64_t page_bytes(void)
{
    uint64_t p = atomic_load_explicit(&page_size, memory_order_relaxed);

    if (!p)
        atomic_store(&page_size, p = (uint64_t)sysconf(_SC_PAGESIZE));
    return p;
}

int gcp__rss_available(void)
{
    return gcp__kept_fd(shared_statm) >= 0;
}

int gcp__rss_errno(void)
{
    return atomic_load(&shared_statm->err);
}

/* A free slot of the pool, claimed, or -1 when all are busy. */
static int claim_statm(void)
{
    unsigned first = statm_hint;

    for (unsigned k = 0; k < STATM_POOL; k++) {
        unsigned i = (first + k) % STATM_POOL;
        if (!atomic_flag_test_and_set_explicit(&statm_pool[i].busy, memory_order_acquire)) {
            statm_hint = i;
            return (int)i;
        }
    }
    return -1;
}

static ssize_t read_statm(char *buf, size_t len)
{
    int slot = claim_statm();
    int fd = slot >= 0 ? gcp__kept_fd(&statm_pool[slot].file) : -1;

    if (fd < 0) /* all busy, or this one cannot open: share the first */
        fd = gcp__kept_fd(shared_statm);
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, len, 0);
    if (slot >= 0)
        atomic_flag_clear_explicit(&statm_pool[slot].busy, memory_order_release);
    return n;
}

uint64_t gcp__rss_bytes(void)
{
    char buf[128];
    ssize_t n = read_statm(buf, sizeof buf - 1);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "size resident shared ...": the second field, in pages. */
    char *p = strchr(buf, ' ');
    return p ? strtoull(p + 1, NULL, 10) * page_bytes() : 0;
}

/* ru_maxrss (0.5 us) is max(this mm's high-water mark, S), where S is a
 * peak the kernel kept from exec and from exiting threads, which
 * clear_refs does not reset. A thread exiting later raises S only to the
 * high-water mark of that moment, so ru_maxrss is exact until the next
 * reset whenever S was no higher than RSS at the reset. Otherwise we read
 * VmHWM from /proc/self/status (7 us). */
static _Atomic int maxrss_exact;

static uint64_t maxrss_bytes(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024;
}

static uint64_t status_hwm_bytes(void)
{
    char line[256];
    unsigned long long kib = 0;
    FILE *fp = fopen("/proc/self/status", "re");

    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "VmHWM: %llu", &kib) == 1)
            break;
    fclose(fp);
    return (uint64_t)kib * 1024;
}

int gcp__rss_peak_reset(uint64_t rss_now)
{
    int fd = gcp__kept_fd(&clear_refs);

    if (fd < 0 || pwrite(fd, "5", 1, 0) != 1)
        return gcp__fail(GCP_EIO, "cannot reset the RSS peak via /proc/self/clear_refs: %s",
                         strerror(fd < 0 ? atomic_load(&clear_refs.err) : errno));
    /* A page of slack: RSS may grow between the two reads. */
    atomic_store(&maxrss_exact, maxrss_bytes() <= rss_now + page_bytes() * 16);
    return 0;
}

uint64_t gcp__rss_peak_bytes(void)
{
    return atomic_load(&maxrss_exact) ? maxrss_bytes() : status_hwm_bytes();
}
