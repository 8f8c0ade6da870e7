/*
 * prom_file.h - node_exporter's textfile collector convention: a .prom
 * file replaced whole, now and every interval, so a scrape never reads
 * half of it. Knows nothing of the collector: the runtime's writer
 * (runtime/serve/textfile.c) and gcprof run's (tools/run_metrics.c) share
 * it.
 */
#ifndef GCP_PROM_FILE_H
#define GCP_PROM_FILE_H

#include <stddef.h>

/* text[len] as the whole of path: written beside it as PATH.tmp.XXXXXX
 * (which the collector ignores; safe_file.h), then renamed over it.
 * NULL, or why not (a static string). */
const char *gcp__prom_file_write(const char *path, const char *text, size_t len);

/* A thread that calls write(ctx) every interval seconds until stopped;
 * write returns NULL or why it failed, and warn(ctx, why) hears of the
 * first failure of each run of them. The thread is a plain one (no
 * collector's), starts with every signal blocked, and is waited for until
 * it runs (a fork while it still starts could leave the child a C library
 * lock held for good). */
typedef const char *gcp__prom_write_fn(void *ctx);
typedef void gcp__prom_warn_fn(void *ctx, const char *why);
typedef struct gcp__prom_writer gcp__prom_writer;

/* 0 with *out, or an errno value (nothing started). */
int gcp__prom_writer_start(double interval, gcp__prom_write_fn *write, gcp__prom_warn_fn *warn,
                           void *ctx, gcp__prom_writer **out);
/* Stops it (a write in progress completes first) and frees it. */
void gcp__prom_writer_stop(gcp__prom_writer *w);

#endif
