/*
 * bench_endpoint.h - the metrics endpoint as bench_metrics measures it.
 */
#ifndef BENCH_ENDPOINT_H
#define BENCH_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A clock's reading in ns. */
uint64_t be_clock_ns(clockid_t c);
/* gcp_metrics_start on 127.0.0.1:0, noting the threads it starts. */
int be_metrics_on(void);
/* How many threads it started (found), and the CPU they have used, ns. */
int be_server_threads(void);
uint64_t be_server_cpu_ns(void);
/* One GET /metrics: the bytes received, 0 on any failure. */
size_t be_scrape(int port);

#endif
