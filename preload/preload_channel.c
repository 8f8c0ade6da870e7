/*
 * preload_channel.c - the pipe to gcprof, as a stdio stream that cannot
 * write into the program's files or lose lines among other writers.
 *
 * gcprof passes the pipe's descriptor (GCPROF_PRELOAD_FD) and its identity
 * (GCPROF_PRELOAD_FD_ID, "device:inode" of the pipe it made). Before every write
 * the descriptor is checked against that identity: a program that closed
 * it (a daemon closing every descriptor, say) and opened a file of its own
 * that got the same number is never written to. Once the check fails the
 * channel is lost for good in this process; gcprof sees the pipe close and
 * says so in the recording (GCPROF_LOST).
 *
 * Lines go out whole, in writes of at most PIPE_BUF bytes, which a pipe
 * never interleaves with another process's (gcprof run -f: every followed
 * process writes to the same pipe).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

/* Whether ch->fd is still the pipe gcprof made. */
static int still_ours(const preload_channel *ch)
{
    struct stat st;

    return ch->fd >= 0 && fstat(ch->fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
           st.st_dev == ch->dev && st.st_ino == ch->ino;
}

/* write(2) with SIGPIPE blocked: if gcprof is gone, the write fails with
 * EPIPE, and the signal it raised is taken back, unless one was pending
 * already (then it is the program's). The reader thread blocks every
 * signal anyway; this is for a thread flushing before exec or _exit. */
static ssize_t write_quietly(int fd, const char *p, size_t n)
{
    sigset_t pipe_only, old, pending;

    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    ssize_t w = write(fd, p, n);
    int err = errno;
    if (w < 0 && err == EPIPE && !was_pending) {
        struct timespec now = {0, 0};
        sigtimedwait(&pipe_only, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return w;
}

/* One write of n <= PIPE_BUF bytes: whole, or the channel is lost. A
 * blocking pipe takes such a write in one piece. */
static void send_chunk(preload_channel *ch, const char *p, size_t n)
{
    if (!still_ours(ch)) {
        ch->fd = -1; /* never closed: the number may be the program's now */
        return;
    }
    while (n > 0) {
        ssize_t w = write_quietly(ch->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) { /* gcprof is gone */
            ch->fd = -1;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Sends the complete lines in pending, in chunks ending at a newline. */
static void send_lines(preload_channel *ch)
{
    size_t done = 0;

    while (done < ch->pending_len) {
        size_t left = ch->pending_len - done, cap = left < PIPE_BUF ? left : PIPE_BUF;
        const char *nl = memrchr(ch->pending + done, '\n', cap);
        if (!nl)
            break; /* an incomplete line (or one over PIPE_BUF: see below) */
        size_t n = (size_t)(nl - (ch->pending + done)) + 1;
        send_chunk(ch, ch->pending + done, n);
        done += n;
    }
    memmove(ch->pending, ch->pending + done, ch->pending_len - done);
    ch->pending_len -= done;
    if (ch->pending_len >= PIPE_BUF) { /* no newline in PIPE_BUF bytes: too long to */
        ch->pending_len = 0;           /* send whole; dropped, to its end */
        ch->skipping = 1;
    }
}

/* Drops buf up to and with the end of the line being skipped: the number
 * of bytes dropped. */
static size_t skip_line(preload_channel *ch, const char *buf, size_t size)
{
    const char *nl = memchr(buf, '\n', size);

    if (!nl)
        return size;
    ch->skipping = 0;
    return (size_t)(nl - buf) + 1;
}

/* fopencookie's write: stdio hands over its buffer; always "written", so
 * that stdio keeps going when the channel is lost (the loss is gcprof's
 * to record, not an error to stop the recorder on). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
    preload_channel *ch = cookie;
    size_t taken = 0;

    while (taken < size) {
        if (ch->skipping) {
            taken += skip_line(ch, buf + taken, size - taken);
            continue;
        }
        size_t room = sizeof ch->pending - ch->pending_len, n = size - taken;
        if (n > room)
            n = room;
        memcpy(ch->pending + ch->pending_len, buf + taken, n);
        ch->pending_len += n;
        taken += n;
        if (ch->fd >= 0)
            send_lines(ch);
        else
            ch->pending_len = 0;
    }
    return (ssize_t)size;
}

/* "device:inode" from the environment. */
static int read_identity(preload_channel *ch)
{
    const char *s = getenv("GCPROF_PRELOAD_FD_ID");
    char *end;

    if (!s)
        return -1;
    unsigned long long dev = strtoull(s, &end, 10);
    if (*end != ':')
        return -1;
    unsigned long long ino = strtoull(end + 1, &end, 10);
    if (*end != '\0')
        return -1;
    ch->dev = (dev_t)dev;
    ch->ino = (ino_t)ino;
    return 0;
}

int preload_channel_open(preload_channel *ch)
{
    const char *s = getenv("GCPROF_PRELOAD_FD");
    char *end;
    long fd = s && *s ? strtol(s, &end, 10) : -1;

    ch->fd = -1;
    if (fd < 0 || fd > 1 << 20 || *end != '\0' || read_identity(ch) != 0)
        return -1;
    ch->fd = (int)fd;
    if (!still_ours(ch)) { /* not the pipe gcprof made: not ours to use */
        ch->fd = -1;
        return -1;
    }
    return 0;
}

FILE *preload_channel_stream(preload_channel *ch)
{
    cookie_io_functions_t io = {.write = cookie_write};
    FILE *fp = fopencookie(ch, "w", io);

    if (fp)
        setvbuf(fp, ch->stdio_buf, _IOFBF, sizeof ch->stdio_buf);
    return fp;
}

/* A forked child that records nothing: the parent's unwritten lines are
 * the parent's to send, and the pipe stays out of what the child execs. */
void preload_channel_drop(preload_channel *ch)
{
    if (ch->fd >= 0 && still_ours(ch))
        fcntl(ch->fd, F_SETFD, FD_CLOEXEC);
    ch->fd = -1;
    ch->pending_len = 0;
}
