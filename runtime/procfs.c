/*
 * procfs.c - RSS and its high-water mark from /proc, cheaply.
 *
 * /proc/self/statm is kept open and read with pread (reopening costs
 * ~9 us a read). The peak comes from the kernel's own high-water mark,
 * reset by writing 5 to /proc/self/clear_refs, so a spike of a few
 * milliseconds is caught, which no sampler does.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

static int statm_fd = -1;
static int clear_refs_fd = -1;
static uint64_t page_size;
static pthread_once_t open_once = PTHREAD_ONCE_INIT;

static void open_files(void)
{
    statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    page_size = (uint64_t)sysconf(_SC_PAGESIZE);
}

int gcp__rss_available(void)
{
    pthread_once(&open_once, open_files);
    return statm_fd >= 0;
}

uint64_t gcp__rss_bytes(void)
{
    char buf[128];

    pthread_once(&open_once, open_files);
    if (statm_fd < 0)
        return 0;
    ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "size resident shared ...": the second field, in pages. */
    char *p = strchr(buf, ' ');
    return p ? strtoull(p + 1, NULL, 10) * page_size : 0;
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
    pthread_once(&open_once, open_files);
    if (clear_refs_fd < 0 || pwrite(clear_refs_fd, "5", 1, 0) != 1)
        return gcp__fail_quiet(GCP_EIO, "cannot reset the RSS peak via /proc/self/clear_refs");
    /* A page of slack: RSS may grow between the two reads. */
    atomic_store(&maxrss_exact, maxrss_bytes() <= rss_now + page_size * 16);
    return 0;
}

uint64_t gcp__rss_peak_bytes(void)
{
    return atomic_load(&maxrss_exact) ? maxrss_bytes() : status_hwm_bytes();
}
