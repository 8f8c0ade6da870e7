/*
 * safe_file.h - files the library writes inside a host process, made as
 * the gcprof tool makes its own (safe_file.c says why).
 */
#ifndef GCP_SAFE_FILE_H
#define GCP_SAFE_FILE_H

#include <stdio.h>

/* Everything written to fp so far reached the kernel: flushed, and no
 * write failed (a failed write sets the stream's error, which a later
 * successful flush does not clear). The end of every writer. */
static inline int gcp__flushed(FILE *fp)
{
    return fflush(fp) == 0 && !ferror(fp);
}

/* Flushes and closes fp: 0, or the errno of the first failure (a write
 * that failed earlier counts). fp is closed either way. */
int gcp__stream_close(FILE *fp);

typedef struct gcp__file {
    char *path; /* the target (a copy) */
    char *tmp;  /* the file being written, NULL once renamed */
    FILE *fp;
} gcp__file;

/* The new file beside path that will replace it: refuses directories,
 * devices, FIFOs and links into /proc, then creates PATH.tmp.XXXXXX
 * (O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0644 & ~umask). Returns its descriptor
 * with *tmp its malloc'd name, or -1 with *why (static) and nothing left.
 * The library's files and the gcprof command's are all made by it. */
int gcp__tmp_create(const char *path, char **tmp, const char **why);

/* Creates PATH.tmp.XXXXXX beside path (O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode
 * 0644 & ~umask). Directories, devices, FIFOs and links into /proc are
 * refused. Returns NULL, or why not (a static string; nothing is left). */
const char *gcp__file_open(gcp__file *f, const char *path);

/* Renames the temporary file over the target now; writing goes on. */
const char *gcp__file_publish(gcp__file *f);

/* Flushes, closes and renames over the target (when not published yet).
 * NULL, or why it failed (the temporary file is removed). */
const char *gcp__file_commit(gcp__file *f);

/* Closes and removes the temporary file; the target is left as it was. */
void gcp__file_discard(gcp__file *f);

/* In a forked child: closes the copy of the stream without a write (its
 * buffer must be empty) and forgets the file, which the parent owns. */
void gcp__file_forget(gcp__file *f);

/* A stream for a log line per event (the trace). "/dev/stderr" and
 * "/dev/stdout" are the process's own streams (*owned = 0); an existing
 * FIFO or character device is opened O_NOFOLLOW, never created or
 * truncated; anything else is a new file renamed over path at once
 * (*f holds it, *owned = 1). NULL and *why when refused. */
FILE *gcp__stream_open(gcp__file *f, const char *path, int *owned, const char **why);

#endif
