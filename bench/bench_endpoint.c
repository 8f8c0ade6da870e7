/*
 * bench_endpoint.c - bench_metrics' side of the endpoint (bench_endpoint.h):
 * starting it while noting the threads it adds, their CPU, and a tiny
 * HTTP/1.0 client of its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "bench_endpoint.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gcprof.h"

uint64_t be_clock_ns(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the endpoint and its thread -------------------------------------- */

static pid_t server_tids[8]; /* threads that appeared with the endpoint */
static int n_server_tids;

int be_server_threads(void)
{
    return n_server_tids;
}

/* The threads of this process; with old (n_old of them): only new ones. */
static int list_tids(pid_t *tids, int max, const pid_t *old, int n_old)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;

    for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
        pid_t tid = (pid_t)atoi(e->d_name), *seen = (pid_t *)old;
        while (seen < old + n_old && *seen != tid)
            seen++;
        if (tid > 0 && seen == old + n_old)
            tids[n++] = tid;
    }
    if (d)
        closedir(d);
    return n;
}

int be_metrics_on(void)
{
    pid_t before[64];
    int nb = list_tids(before, 64, NULL, 0);
    int rc = gcp_metrics_start(&(gcp_metrics_options){.addr = "127.0.0.1:0"});

    n_server_tids = list_tids(server_tids, 8, before, nb);
    return rc;
}

/* CPU of the endpoint's threads: Linux's per-thread CPU clock of a thread
 * of this process, by its tid (what pthread_getcpuclockid builds). */
uint64_t be_server_cpu_ns(void)
{
    uint64_t sum = 0;

    for (int i = 0; i < n_server_tids; i++)
        sum += be_clock_ns((clockid_t)((~(unsigned)server_tids[i] << 3) | 6));
    return sum;
}

/* ---- a tiny HTTP/1.0 client ------------------------------------------- */

/* One GET /metrics on loopback, read until the server closes; the bytes
 * received, 0 on any failure (the status must be 200). */
size_t be_scrape(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[16384];
    size_t total = 0;
    int ok = 0, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1)) {
        for (ssize_t r; (r = recv(fd, buf, sizeof buf, 0)) != 0;) {
            if (r < 0 && errno == EINTR) /* the collector's signals */
                continue;
            if (r < 0)
                break;
            if (total == 0)
                ok = r > 12 && memcmp(buf + 8, " 200", 4) == 0;
            total += (size_t)r;
        }
    }
    close(fd);
    return ok ? total : 0;
}
