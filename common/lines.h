/*
 * lines.h - a file's lines through a buffer on the stack: no stdio, no
 * malloc, so a caller may read /proc and cgroup files under a lock where
 * a malloc that is the collector's would deadlock (the preload reads
 * smaps under the collector's lock; the cgroup reader under its own).
 */
#ifndef GCP_LINES_H
#define GCP_LINES_H

#include <stddef.h>

/* The longest line delivered whole; a longer one is cut to this many
 * bytes (its first part delivered, the rest skipped). */
#define GCP__LINE_MAX 4095

/* Called with each line, its newline replaced by '\0' (the last line
 * may have none). Nonzero stops the reading. */
typedef int (*gcp__line_fn)(char *line, void *ctx);

/* Each line of the open file fd, read with pread from offset 0 (a kept
 * descriptor can be read again so). 0 when read to the end or stopped by
 * fn, or a negative errno. */
int gcp__each_line_fd(int fd, gcp__line_fn fn, void *ctx);

/* Each line of the file at path (opened, read, closed): as above. */
int gcp__each_line(const char *path, gcp__line_fn fn, void *ctx);

#endif /* GCP_LINES_H */
