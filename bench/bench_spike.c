/*
 * bench_spike.c - does a short allocation spike get seen?
 *
 * Many trials of a closure whose RSS rises by SPIKE_MIB for a few
 * milliseconds and falls again. Each trial is watched two ways at once:
 * the profiler's peak tracking (the kernel's high-water mark, reset per
 * profile) and a sampler thread reading RSS every 100 ms, as mprof does.
 * A trial counts as caught when the peak seen is at least 90% of the
 * spike above the baseline. Target: the profiler catches every trial.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "gcprof.h"

#define TRIALS     40
#define SPIKE_MIB  64
#define SAMPLER_MS 100
#define MIB        1048576.0

static _Atomic double sampled_peak_mib; /* highest sample in this trial */
static _Atomic int stop_sampler;

static double rss_mib(int fd)
{
    return (double)bench_statm_pages(fd) * (double)sysconf(_SC_PAGESIZE) / MIB;
}

static void *sampler(void *arg)
{
    int fd = *(int *)arg;
    struct timespec tick = {0, SAMPLER_MS * 1000 * 1000};

    while (!atomic_load(&stop_sampler)) {
        double now = rss_mib(fd), seen = atomic_load(&sampled_peak_mib);
        if (now > seen)
            atomic_store(&sampled_peak_mib, now);
        nanosleep(&tick, NULL);
    }
    return NULL;
}

/* RSS up by SPIKE_MIB for a few milliseconds, then back. */
static int spike(void *env)
{
    size_t n = (size_t)SPIKE_MIB << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    (void)env;
    if (p == MAP_FAILED)
        return 1;
    memset(p, 1, n);
    munmap(p, n);
    return 0;
}

int main(void)
{
    int fd = open("/proc/self/statm", O_RDONLY);
    pthread_t t;
    gcp_config cfg;
    int caught_profiler = 0, caught_sampler = 0;

    gcp_init();
    gcp_config_init(&cfg);
    cfg.auto_gc = GCP_AUTO_GC_OFF;
    cfg.track_peak = 1;
    if (fd < 0 || pthread_create(&t, NULL, sampler, &fd) != 0)
        return 2;
    for (int i = 0; i < TRIALS; i++) {
        struct timespec gap = {0, (long)(37 + i * 7) % 100 * 1000 * 1000}; /* vary the phase */
        nanosleep(&gap, NULL);
        double base = rss_mib(fd);
        atomic_store(&sampled_peak_mib, base);
        gcp_report r;
        if (gcp_profile("spike", spike, NULL, &cfg, &r) != 0 || r.status != 0)
            return 2;
        struct timespec settle = {0, (SAMPLER_MS + 20) * 1000 * 1000}; /* one more sample */
        nanosleep(&settle, NULL);
        caught_profiler += r.peak_memory - base >= 0.9 * SPIKE_MIB;
        caught_sampler += atomic_load(&sampled_peak_mib) - base >= 0.9 * SPIKE_MIB;
    }
    atomic_store(&stop_sampler, 1);
    pthread_join(t, NULL);

    printf("bench_spike: %d trials of a %d MiB spike lasting a few ms\n", TRIALS, SPIKE_MIB);
    printf("  %-40s %3d / %d\n", "caught by the profiler's peak tracking", caught_profiler, TRIALS);
    printf("  %-40s %3d / %d  (info: as mprof samples)\n", "caught by a 100 ms sampler",
           caught_sampler, TRIALS);
    printf("  => target: the profiler catches every spike  %s\n",
           caught_profiler == TRIALS ? "PASS" : "FAIL");
    bench_json_begin("bench_spike");
    bench_json_result("spikes caught by peak tracking", caught_profiler, "of 40", "all",
                      caught_profiler == TRIALS);
    bench_json_result("spikes caught by a 100 ms sampler", caught_sampler, "of 40", NULL, -1);
    bench_json_end();
    return caught_profiler == TRIALS ? 0 : 1;
}
