/*
 * safe_file.c - files the library writes inside a host process.
 *
 * The monitor's file names come from the program or its environment; the
 * process may run as root. So no existing file is ever opened for
 * writing: a new temporary file is created beside the target with
 * O_EXCL|O_NOFOLLOW (a planted symlink or file is never written through,
 * and a guessed name costs only a retry), then renamed over the target,
 * which replaces a symlink instead of following it. The gcprof command
 * makes its own output files with gcp__tmp_create too (tools/out_file.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safe_file.h"
#include "text.h"

#define TMP_SUFFIX ".tmp.XXXXXX"
#define TMP_TRIES  100

/* A link whose target is in /proc names an open file (/dev/stdout is
 * /proc/self/fd/1), not a place for a new one. */
static int links_into_proc(const char *path)
{
    char target[16];
    ssize_t n = readlink(path, target, sizeof target - 1);

    if (n < 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/proc/", 6) == 0;
}

/* NULL when a new file may replace whatever is at path. */
static const char *check_target(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? NULL : strerror(errno); /* ENOENT: the open says why */
    if (S_ISLNK(st.st_mode)) {
        if (links_into_proc(path))
            return "a link to an open file, not a file name";
        if (stat(path, &st) != 0)
            return NULL; /* a dangling link: replaced */
    }
    if (S_ISDIR(st.st_mode))
        return strerror(EISDIR);
    if (!S_ISREG(st.st_mode))
        return "not a regular file";
    return NULL;
}

/* Six letters and digits for a temporary name. */
static void random_tag(char tag[7])
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static _Atomic unsigned counter;
    unsigned char bytes[6];

    if (getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != (ssize_t)sizeof bytes) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t x = ((uint64_t)ts.tv_nsec * 2654435761u) ^ ((uint64_t)getpid() << 32) ^ ++counter;
        for (size_t i = 0; i < sizeof bytes; i++)
            bytes[i] = (unsigned char)(x >> (8 * i));
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        tag[i] = digits[bytes[i] % (sizeof digits - 1)];
    tag[sizeof bytes] = '\0';
}

/* PATH.tmp.TAG in path's directory, its last component cut (at a UTF-8
 * character) so that the name fits NAME_MAX (a valid 250-byte name must
 * stay writable). */
static void temp_name(char *out, size_t size, const char *path, const char *tag)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t keep = gcp__utf8_cut(base, NAME_MAX - (sizeof TMP_SUFFIX - 1));

    snprintf(out, size, "%.*s%.*s.tmp.%s", (int)(base - path), path, (int)keep, base, tag);
}

int gcp__tmp_create(const char *path, char **tmp, const char **why)
{
    size_t n = strlen(path) + sizeof TMP_SUFFIX;
    char tag[7];
    int fd = -1;

    *tmp = NULL;
    if ((*why = check_target(path)) != NULL)
        return -1;
    if (!(*tmp = malloc(n))) {
        *why = strerror(ENOMEM);
        return -1;
    }
    for (int i = 0; i < TMP_TRIES; i++) {
        random_tag(tag);
        temp_name(*tmp, n, path, tag);
        /* the kernel applies the umask: 0644 & ~umask */
        fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        *why = strerror(errno);
        free(*tmp);
        *tmp = NULL;
    }
    return fd;
}

const char *gcp__file_open(gcp__file *f, const char *path)
{
    const char *why;
    int fd, err;

    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return strerror(ENOMEM);
    if ((fd = gcp__tmp_create(path, &f->tmp, &why)) < 0) {
        gcp__file_discard(f);
        return why;
    }
    if ((f->fp = fdopen(fd, "w")) != NULL)
        return NULL;
    err = errno;
    close(fd);
    gcp__file_discard(f); /* removes the temporary file */
    return strerror(err);
}

const char *gcp__file_publish(gcp__file *f)
{
    if (f->tmp && rename(f->tmp, f->path) != 0)
        return strerror(errno);
    free(f->tmp);
    f->tmp = NULL;
    return NULL;
}

int gcp__stream_close(FILE *fp)
{
    int err = 0;

    /* A failed write left errno set; a later flush sets it again. */
    if (!gcp__flushed(fp))
        err = errno ? errno : EIO;
    if (fclose(fp) != 0 && !err)
        err = errno;
    return err;
}

const char *gcp__file_commit(gcp__file *f)
{
    int err = gcp__stream_close(f->fp);

    f->fp = NULL;
    if (!err && f->tmp && rename(f->tmp, f->path) != 0)
        err = errno;
    if (!err) { /* renamed: the temporary name is free for others now */
        free(f->tmp);
        f->tmp = NULL;
    }
    gcp__file_discard(f); /* removes the temporary file when not renamed */
    return err ? strerror(err) : NULL;
}

void gcp__file_discard(gcp__file *f)
{
    if (f->fp)
        fclose(f->fp);
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    memset(f, 0, sizeof *f);
}

void gcp__file_forget(gcp__file *f)
{
    if (f->fp)
        fclose(f->fp); /* empty buffer: closes the descriptor only */
    free(f->tmp);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* ---- streams ------------------------------------------------------------ */

/* An existing FIFO or terminal: written to where it is, never created or
 * truncated (neither holds data to lose). O_NONBLOCK so that a FIFO
 * without a reader fails (ENXIO) instead of hanging the program. */
static FILE *open_existing(gcp__file *f, const char *path, const char **why)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    FILE *fp;

    if (fd < 0) {
        *why = strerror(errno);
        return NULL;
    }
    /* What lstat saw may have been swapped since: look at what opened. */
    if (fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        close(fd);
        *why = "changed while it was opened";
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (!(fp = fdopen(fd, "w"))) {
        *why = strerror(errno);
        close(fd);
    }
    f->fp = fp;
    return fp;
}

FILE *gcp__stream_open(gcp__file *f, const char *path, int *owned, const char **why)
{
    struct stat st;

    memset(f, 0, sizeof *f);
    *owned = 0;
    *why = NULL;
    if (strcmp(path, "/dev/stderr") == 0)
        return stderr; /* the stream itself: a reopen would truncate a file at fd 2 */
    if (strcmp(path, "/dev/stdout") == 0)
        return stdout;
    if (lstat(path, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        *owned = 1; /* closed by gcp__file_commit, never renamed */
        return open_existing(f, path, why);
    }
    if ((*why = gcp__file_open(f, path)) != NULL)
        return NULL;
    /* A log is read while it grows: under its name from the start. */
    if ((*why = gcp__file_publish(f)) != NULL) {
        gcp__file_discard(f);
        return NULL;
    }
    *owned = 1;
    return f->fp;
}
