/*
 * lines.c - a file's lines without stdio or malloc (lines.h).
 */
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int gcp__each_line_fd(int fd, gcp__line_fn fn, void *ctx)
{
    char buf[GCP__LINE_MAX + 1];
    size_t have = 0;
    off_t at = 0;
    int skipping = 0;

    for (;;) {
        ssize_t got = pread(fd, buf + have, sizeof buf - 1 - have, at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -errno;
        if (got == 0) { /* the end: a last line without a newline */
            buf[have] = '\0';
            if (have > 0 && !skipping)
                fn(buf, ctx);
            return 0;
        }
        at += got;
        have += (size_t)got;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            int stop = !skipping && fn(line, ctx);
            skipping = 0;
            if (stop)
                return 0;
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (have == sizeof buf - 1) { /* a line longer than the buffer: cut */
            buf[have] = '\0';
            if (!skipping && fn(buf, ctx))
                return 0;
            skipping = 1;
            have = 0;
        }
    }
}

int gcp__each_line(const char *path, gcp__line_fn fn, void *ctx)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    int rc = gcp__each_line_fd(fd, fn, ctx);
    close(fd);
    return rc;
}
