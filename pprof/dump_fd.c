/*
 * dump_fd.c - the raw heap dump read from a descriptor the caller keeps
 * (pprof_dump_read_fd): the runtime's heap profile hands the module
 * (module.c) the dump it wrote, still open, maybe already unlinked.
 *
 * Why not open /proc/self/fd/N: /proc may be missing (a chroot, a
 * container), and a descriptor may outlive its name. Why not dup + lseek:
 * a dup shares the offset, which would move under the caller. So the
 * stream reads with pread at an offset of its own (fopencookie).
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"
#include "pprof.h"

typedef struct fd_cookie {
    int fd;
    int sequential; /* a pipe or socket: pread refused it, plain reads */
    off_t offset;
} fd_cookie;

static ssize_t fd_read(void *cookie, char *buf, size_t size)
{
    fd_cookie *c = cookie;
    ssize_t n;

    for (;;) {
        n = c->sequential ? read(c->fd, buf, size) : pread(c->fd, buf, size, c->offset);
        if (n >= 0 || errno != EINTR)
            break;
    }
    /* ESPIPE before anything was read: no offsets here, read on from where it stands */
    if (n < 0 && errno == ESPIPE && !c->sequential && c->offset == 0) {
        c->sequential = 1;
        return fd_read(cookie, buf, size);
    }
    if (n > 0)
        c->offset += n;
    return n;
}

/* The caller's descriptor is not ours to close. */
static int fd_close(void *cookie)
{
    (void)cookie;
    return 0;
}

int pprof_dump_read_fd(int fd, const char *name, pprof_raw *out, char *err, size_t errlen)
{
    cookie_io_functions_t io = {.read = fd_read, .close = fd_close};
    fd_cookie c = {.fd = fd};
    char fallback[32];
    FILE *fp;
    int rc;

    if (!name) {
        snprintf(fallback, sizeof fallback, "fd %d", fd);
        name = fallback;
    }
    memset(out, 0, sizeof *out);
    if (fd < 0)
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", name, strerror(EBADF));
    if (!(fp = fopencookie(&c, "r", io)))
        return pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", name);
    rc = pprof__dump_read_stream(fp, name, out, err, errlen);
    fclose(fp);
    return rc;
}
