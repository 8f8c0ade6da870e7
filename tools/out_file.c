/*
 * out_file.c - the files the gcprof command writes (recordings, plots):
 * made as a new temporary file beside the target (common/safe_file.c's
 * gcp__tmp_create: O_EXCL, O_NOFOLLOW, no devices or links into /proc)
 * and renamed over it when complete, removed if a signal ends the command
 * first. Writes go through a cookie stream that keeps the first write
 * error, so a full disk leaves a file cut where it failed, and says so.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "safe_file.h"

/* ---- removed at a signal ---- */

/* The temporary file a fatal signal removes: one output at a time. */
static char *volatile pending_tmp;

/* Async-signal-safe: unlink, then the signal's default action (the
 * handler was reset on entry, SA_RESETHAND; the signal is raised again
 * and delivered when the handler returns). */
static void remove_pending(int sig)
{
    char *tmp = pending_tmp;

    if (tmp)
        unlink(tmp);
    raise(sig);
}

static void remove_at_signals(char *tmp)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    static int installed;
    struct sigaction sa;

    pending_tmp = tmp;
    if (installed || !tmp)
        return;
    installed = 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_pending;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction was;
        /* ignored (nohup) stays ignored; a handler of ours stays ours */
        if (sigaction(sigs[i], NULL, &was) == 0 && was.sa_handler == SIG_DFL)
            sigaction(sigs[i], &sa, NULL);
    }
}

/* ---- the stream ---- */

/* The file's writes, through stdio: the first that fails is kept in
 * write_err (and told once); from then on nothing is written, so the file
 * ends where the failure left it, and stdio sees no error to retry. */
static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
    tool_out *o = cookie;
    size_t done = 0;

    while (!o->write_err && done < n) {
        ssize_t w = write(o->fd, buf + done, n - done);
        if (w > 0)
            done += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else {
            o->write_err = w < 0 ? errno : EIO;
            if (o->on_write_error)
                o->on_write_error(o, o->write_err);
        }
    }
    return (ssize_t)n;
}

static int out_close(void *cookie)
{
    tool_out *o = cookie;
    int rc = close(o->fd);

    o->fd = -1;
    return rc;
}

const char *tool_out_open(tool_out *o, const char *path)
{
    static const cookie_io_functions_t io = {.write = out_write, .close = out_close};
    const char *why;
    int err;

    memset(o, 0, sizeof *o);
    o->fd = gcp__tmp_create(path, &o->tmp, &why);
    if (o->fd < 0)
        return why;
    remove_at_signals(o->tmp);
    if ((o->fp = fopencookie(o, "w", io)) != NULL) {
        o->path = path;
        return NULL;
    }
    err = errno;
    close(o->fd); /* no stream closes it */
    tool_out_discard(o);
    return strerror(err);
}

/* Flushes and closes the temporary file: 0, or the errno of what failed
 * (a failed write counts unless keep_cut). */
static int close_out(tool_out *o, int keep_cut)
{
    int err = gcp__stream_close(o->fp);

    o->fp = NULL;
    if (!err && o->write_err && !keep_cut)
        err = o->write_err;
    return err;
}

/* The temporary file is gone or has its name: no signal removes it now. */
static void forget_tmp(tool_out *o)
{
    remove_at_signals(NULL);
    free(o->tmp);
    o->tmp = NULL;
}

const char *tool_out_commit_cut(tool_out *o, int keep_cut)
{
    int err = close_out(o, keep_cut);

    if (!err && rename(o->tmp, o->path) != 0)
        err = errno;
    if (err)
        unlink(o->tmp);
    forget_tmp(o);
    return err ? strerror(err) : NULL;
}

const char *tool_out_commit(tool_out *o)
{
    return tool_out_commit_cut(o, 0);
}

/* PATH with "-N" before its extension: mprofile_X.dat -> mprofile_X-2.dat. */
static char *numbered(const char *path, unsigned n)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    size_t size = strlen(path) + 16;
    char *s = malloc(size);

    if (s)
        snprintf(s, size, "%.*s-%u%s", (int)stem, path, n, path + stem);
    return s;
}

/* Gives the temporary file the first free name: link(2) never replaces,
 * so it is ours atomically; where there are no hard links (vfat...), a
 * rename that does not replace. 0, or the errno of what failed. */
static int take_free_name(tool_out *o, char **final)
{
    for (unsigned n = 1; n <= 1000; n++) {
        char *name = n == 1 ? strdup(o->path) : numbered(o->path, n);
        if (!name)
            return ENOMEM;
        int err = link(o->tmp, name) == 0 ? 0 : errno;
        if (err == EPERM || err == EOPNOTSUPP)
            err = renameat2(AT_FDCWD, o->tmp, AT_FDCWD, name, RENAME_NOREPLACE) == 0 ? 0 : errno;
        if (!err) {
            *final = name;
            return 0;
        }
        free(name);
        if (err != EEXIST)
            return err;
    }
    return EEXIST;
}

const char *tool_out_commit_new(tool_out *o, int keep_cut, char **final)
{
    int err = close_out(o, keep_cut);

    *final = NULL;
    if (!err)
        err = take_free_name(o, final);
    if (err && err != EEXIST && o->tmp) { /* written, but no name: say where it is */
        *final = o->tmp;
        o->tmp = NULL;
        remove_at_signals(NULL);
        return strerror(err);
    }
    if (o->tmp)
        unlink(o->tmp); /* linked under its name, or never whole */
    forget_tmp(o);
    return err ? strerror(err) : NULL;
}

void tool_out_discard(tool_out *o)
{
    if (o->fp)
        fclose(o->fp);
    if (o->tmp)
        unlink(o->tmp);
    forget_tmp(o);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

/* ---- a whole file from one writer ---- */

int tool_out_write(const char *cmd, const char *path, int (*write)(FILE *fp, const void *arg),
                   const void *arg)
{
    tool_out file = {0};
    const char *why;

    if (strcmp(path, "-") == 0) {
        if (write(stdout, arg) < 0) {
            tool_say(cmd, "cannot write standard output: out of memory");
            return TOOL_EXIT_FAIL;
        }
        return tool_stdout_done(cmd);
    }
    if ((why = tool_out_open(&file, path)) != NULL) {
        tool_say(cmd, "cannot write %s: %s", path, why);
        return TOOL_EXIT_FAIL;
    }
    if (write(file.fp, arg) < 0) {
        tool_out_discard(&file);
        tool_say(cmd, "cannot write %s: out of memory", path);
        return TOOL_EXIT_FAIL;
    }
    if ((why = tool_out_commit(&file)) != NULL) {
        tool_say(cmd, "cannot write %s: %s", path, why);
        return TOOL_EXIT_FAIL;
    }
    return TOOL_EXIT_OK;
}

int tool_out_same(const char *a, const char *b)
{
    struct stat x, y;

    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The directory part of path ("." for none) into buf, and its last part. */
static const char *split_path(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(buf, size, ".");
    else
        snprintf(buf, size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return slash ? slash + 1 : path;
}

int tool_out_same_target(const char *a, const char *b)
{
    char da[PATH_MAX], db[PATH_MAX];

    if (strcmp(a, b) == 0 || tool_out_same(a, b))
        return 1;
    const char *ba = split_path(a, da, sizeof da), *bb = split_path(b, db, sizeof db);
    return *ba && strcmp(ba, bb) == 0 && tool_out_same(da, db);
}
