/*
 * run_dir.c - gcprof run's private directory and its watcher (run_dir.h).
 */
#define _GNU_SOURCE
#include "run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "run_child.h"

int tool_tmp_dir(char *buf, size_t size, const char *stem)
{
    const char *tmp = getenv("TMPDIR");

    if ((size_t)snprintf(buf, size, "%s/%s.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp", stem) >=
        size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(buf) ? 0 : -1; /* mode 0700 */
}

int tool_run_dir_make(tool_run_dir *d, const char *cmd)
{
    memset(d, 0, sizeof *d);
    if (tool_tmp_dir(d->path, sizeof d->path, "gcprof-heap") != 0) {
        tool_say(cmd, "cannot make a private directory for the program's records: %s",
                 strerror(errno));
        d->path[0] = '\0';
        return -1;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    tool_child_catch_dump_signal();
    return 0;
}

/* Asks every recording process for its dump and breakdown now: a new file
 * "request" (a new inode: the preload compares identities). */
static void request(const tool_run_dir *d)
{
    char tmp[PATH_MAX + 16], req[PATH_MAX + 16];

    snprintf(tmp, sizeof tmp, "%s/.request", d->path);
    snprintf(req, sizeof req, "%s/request", d->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        if (rename(tmp, req) != 0)
            unlink(tmp);
    }
}

static void *watch_main(void *arg)
{
    tool_run_dir *d = arg;
    struct timespec ts;

    pthread_mutex_lock(&d->lock);
    while (!d->stop) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&d->wake, &d->lock, &ts) != ETIMEDOUT || d->stop)
            continue;
        if (tool_child_dump_asked())
            request(d);
        if (d->tick)
            d->tick(d->arg);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

void tool_run_dir_watch(tool_run_dir *d, void (*tick)(void *arg), void *arg)
{
    d->tick = tick;
    d->arg = arg;
    d->watching = pthread_create(&d->watcher, NULL, watch_main, d) == 0;
}

void tool_run_dir_stop(tool_run_dir *d)
{
    if (!d->watching)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->watcher, NULL);
    d->watching = 0;
}

void tool_tmp_dir_remove(const char *path)
{
    DIR *dir = path[0] ? opendir(path) : NULL;
    struct dirent *e;
    char file[PATH_MAX + 300];

    while (dir && (e = readdir(dir))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            unlink(file);
        }
    }
    if (dir)
        closedir(dir);
    if (path[0])
        rmdir(path);
}

void tool_run_dir_remove(tool_run_dir *d)
{
    tool_tmp_dir_remove(d->path);
    d->path[0] = '\0';
}
