/*
 * run_procs.c - the processes the program starts, seen from outside
 * through /proc (each task's "children" file): each is noted once in the
 * recording (GCPROF_CHILD), so a file says when a child ran that was not
 * followed; following (-f), each one's RSS is sampled too, as mprof's
 * CHLD lines. A child that starts and ends between two samples is not
 * seen; the kernel's peak (GCPROF_STATUS) still counts it when the
 * program waited for it. A child first seen between its fork and its exec
 * bears its parent's name ("sh"): when a later sample finds another name
 * for the same pid, it is named again (readers keep the later name).
 */
#define _GNU_SOURCE
#include "run_procs.h"
#include "text.h"
#include "units.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* pid's slot in the table, added when new (*added set); -1 when full:
 * not named again and again. */
static long slot_of(tool_procs *p, long pid, int *added)
{
    *added = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->pid[i] == pid)
            return (long)i;
    if (p->n >= TOOL_PROCS_MAX)
        return -1;
    p->pid[p->n] = pid;
    p->name[p->n][0] = '\0';
    *added = 1;
    return (long)p->n++;
}

/* A small /proc file into buf (NUL-terminated); 0 bytes when unreadable. */
static size_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

/* Names pid in the recording when it is new, or its name changed since
 * (an exec). Returns 1 for a process not seen before. */
static int note_child(tool_procs *p, long pid, long ppid, const tool_run_output *out, int follow)
{
    char path[64], name[64];
    int added;
    long i = slot_of(p, pid, &added);
    gcp_tl_child ch = {.t = gcp__tl_now(), .pid = pid, .ppid = ppid, .followed = follow};

    if (i < 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    size_t n = read_small(path, name, sizeof name);
    if (n && name[n - 1] == '\n')
        name[n - 1] = '\0';
    if (!added && (n == 0 || strncmp(p->name[i], name, sizeof p->name[i] - 1) == 0))
        return 0; /* seen, same image (or gone) */
    gcp__utf8_copy(p->name[i], sizeof p->name[i], name); /* comm: at most 15 bytes */
    ch.name = name;
    gcp__tl_child(out->file.fp, out->format, &ch);
    return added;
}

/* mprof's CHLD line (or a JSON "child_rss" record): the child's RSS now. */
static void sample_child(long pid, const tool_run_output *out)
{
    char path[64], buf[128];
    unsigned long size, resident;

    snprintf(path, sizeof path, "/proc/%ld/statm", pid);
    if (!read_small(path, buf, sizeof buf) || sscanf(buf, "%lu %lu", &size, &resident) != 2 ||
        resident == 0)
        return;
    double t = gcp__tl_now(), bytes = (double)resident * (double)sysconf(_SC_PAGESIZE);
    if (out->format == GCP_TL_DAT)
        fprintf(out->file.fp, "CHLD %ld %.6f %.4f\n", pid, bytes / GCP__MIB_F, t);
    else
        fprintf(out->file.fp, "{\"type\":\"child_rss\",\"t\":%.4f,\"pid\":%ld,\"rss\":%.0f}\n", t,
                pid, bytes);
}

/* The children of every thread of pid, appended to list (up to max). */
static size_t children_of(long pid, long *list, size_t n, size_t max)
{
    char path[64], buf[1 << 15]; /* TOOL_PROCS_MAX pids of 7 digits and a space, and more */
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);

    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%ld/task/%.20s/children", pid, e->d_name);
        if (read_small(path, buf, sizeof buf) == sizeof buf - 1) {
            char *cut = strrchr(buf, ' '); /* full: the last pid may be cut */
            if (cut)
                *cut = '\0';
        }
        for (char *s = buf, *end; n < max; s = end) {
            long child = strtol(s, &end, 10);
            if (end == s)
                break;
            list[n++] = child;
        }
    }
    if (d)
        closedir(d);
    return n;
}

void tool_procs_scan(tool_procs *p, long root, tool_run_output *out, int follow)
{
    long list[TOOL_PROCS_MAX], parent[TOOL_PROCS_MAX];
    size_t n = 0, done = 0;

    list[n] = root;
    parent[n++] = 0;
    /* breadth first: list[done] is the next process whose children to add */
    for (; done < n; done++) {
        size_t from = n;
        n = children_of(list[done], list, n, TOOL_PROCS_MAX);
        for (size_t i = from; i < n; i++)
            parent[i] = list[done];
    }
    for (size_t i = 1; i < n; i++) {
        if (note_child(p, list[i], parent[i], out, follow))
            out->children++;
        if (follow)
            sample_child(list[i], out);
    }
}
