/*
 * run_heap.c - gcprof run --heap-profile (run_heap.h). The preload writes
 * raw dumps (doc/heap-dump-format.md) as heap.PID.NS into a directory only
 * we can write (run_dir.h; one per process image: NS is when it started);
 * here they become pprof files, symbolised against the files on disk while
 * those are still the ones the program ran.
 *
 * While it runs, the directory's thread converts every dump that changed,
 * every 0.1 s: the preload writes one every --heap-every seconds, and when
 * SIGUSR1 to gcprof asks (through the file "request").
 *
 * Names: the program's process's last image writes the output; every
 * other image writes beside it, OUT's stem + ".PID.pb.gz" for a process's
 * last image and ".PID-N.pb.gz" for its earlier ones (N from 1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "pprof.h"
#include "safe_file.h"
#include "run_heap.h"

#define MAX_IMAGES 4096 /* dumps converted in one pass; more are said and skipped */

typedef struct image {
    long pid;
    unsigned long long ns;
    char name[64];
    struct timespec mtime; /* the dump's, when listed */
    off_t size;
    ino_t ino;
} image;

int tool_heap_parse_rate(const char *opt, const char *s, uint64_t *rate)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (errno || end == s || *end || s[0] == '-' || v == 0 || v > (1ull << 40) >> shift) {
        tool_say("run", "bad byte count for %s: '%s': want 1 to 1T, with an optional K, M or G",
                 opt, s);
        return -1;
    }
    *rate = v << shift;
    return 0;
}

/* OUT's name without ".pb.gz" (or ".gz"), malloc'd. */
static char *stem_of(const char *path, const char *cut)
{
    size_t n = strlen(path), k = strlen(cut);
    char *s = strdup(path);

    if (s && n > k && strcmp(path + n - k, cut) == 0)
        s[n - k] = '\0';
    return s;
}

/* Whether the profile can be written at path, found out before the
 * program runs: a temporary file made beside it, as the writer will
 * (gcp__tmp_create refuses directories, devices and FIFOs), then removed. */
static int writable(const char *path)
{
    char *tmp = NULL;
    const char *why = NULL;
    int fd = gcp__tmp_create(path, &tmp, &why);

    if (fd < 0) {
        tool_say("run", "cannot write the heap profile '%s': %s", path, why);
        return 0;
    }
    close(fd);
    unlink(tmp);
    free(tmp);
    return 1;
}

int tool_heap_prepare(tool_heap *h, const char *given, const char *recording, const char *dir)
{
    char *out = NULL;

    if (given) {
        out = strdup(given);
    } else {
        const char *dot = strrchr(recording, '.'), *slash = strrchr(recording, '/');
        size_t n = dot && (!slash || dot > slash) ? (size_t)(dot - recording) : strlen(recording);
        if ((out = malloc(n + sizeof ".heap.pb.gz")))
            snprintf(out, n + sizeof ".heap.pb.gz", "%.*s.heap.pb.gz", (int)n, recording);
    }
    if (!out) {
        tool_say("run", "out of memory");
        return -1;
    }
    if (!writable(out)) {
        free(out);
        return -1;
    }
    h->output = out;
    h->dir = dir;
    return 0;
}

/* ---- one pass over the dumps ------------------------------------------ */

static int by_pid_then_time(const void *a, const void *b)
{
    const image *x = a, *y = b;

    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* The dumps in the directory, sorted; their number, or -1. */
static int list_images(const tool_heap *h, image *im, int max)
{
    DIR *d = opendir(h->dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d))) {
        image x;
        int used = 0;
        if (sscanf(e->d_name, "heap.%ld.%llu%n", &x.pid, &x.ns, &used) != 2 ||
            e->d_name[used] != '\0')
            continue;
        if (n == max) {
            tool_say("run", "more than %d heap dumps: the rest are not converted", max);
            break;
        }
        snprintf(x.name, sizeof x.name, "heap.%ld.%llu", x.pid, x.ns);
        struct stat st;
        if (fstatat(dirfd(d), x.name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        x.mtime = st.st_mtim;
        x.size = st.st_size;
        x.ino = st.st_ino;
        im[n++] = x;
    }
    closedir(d);
    qsort(im, (size_t)n, sizeof *im, by_pid_then_time);
    return n;
}

/* Where image i goes (see the top of this file); malloc'd. */
static char *target(const tool_heap *h, const image *im, int n, int i)
{
    int last = i + 1 == n || im[i + 1].pid != im[i].pid, k = 1;
    char *stem = stem_of(h->output, ".pb.gz"), *out = NULL;

    if (last && im[i].pid == h->pid) {
        free(stem);
        return strdup(h->output);
    }
    for (int j = i; j > 0 && im[j - 1].pid == im[i].pid; j--)
        k++;
    if (stem && last && asprintf(&out, "%s.%ld.pb.gz", stem, im[i].pid) < 0)
        out = NULL;
    else if (stem && !last && asprintf(&out, "%s.%ld-%d.pb.gz", stem, im[i].pid, k) < 0)
        out = NULL;
    free(stem);
    return out;
}

/* One dump into one profile. 0, or -1 (said). */
static int convert(const char *dump, const char *out)
{
    char err[512];
    pprof_raw raw;
    pprof_profile p;
    int r = -1;

    if (pprof_dump_read(dump, &raw, err, sizeof err) < 0) {
        tool_say("run", "heap dump %s: %s", dump, err);
        return -1;
    }
    if (pprof_symbolize(&raw, &p, err, sizeof err) < 0) {
        tool_say("run", "heap profile %s: %s", out, err);
    } else {
        r = pprof_write(&p, out, err, sizeof err);
        if (r < 0)
            tool_say("run", "cannot write the heap profile %s: %s", out, err);
        pprof_profile_free(&p);
    }
    pprof_raw_free(&raw);
    return r;
}

/* Whether image x was converted as it is now (same file, same time and
 * size); remembers it as converted when `mark`. */
static int converted(tool_heap *h, const image *x, int mark)
{
    for (size_t i = 0; i < h->nseen; i++) {
        image *s = &((image *)h->seen)[i];
        if (s->pid != x->pid || s->ns != x->ns)
            continue;
        int same = s->ino == x->ino && s->size == x->size && s->mtime.tv_sec == x->mtime.tv_sec &&
                   s->mtime.tv_nsec == x->mtime.tv_nsec;
        if (mark)
            *s = *x;
        return same;
    }
    if (mark && h->seen && h->nseen < MAX_IMAGES)
        ((image *)h->seen)[h->nseen++] = *x;
    return 0;
}

/* Converts the dumps (`changed`: those not converted as they are now);
 * `last`: deletes each. The number of profiles written (into *names,
 * space-separated, when given), or -1 if any failed. */
static int convert_all(tool_heap *h, int changed, int last)
{
    static image im[MAX_IMAGES];
    int n = list_images(h, im, MAX_IMAGES), written = 0, failed = n < 0;

    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 80], *out;
        if (changed && converted(h, &im[i], 0))
            continue;
        out = target(h, im, n, i);
        snprintf(path, sizeof path, "%s/%s", h->dir, im[i].name);
        if (!out || convert(path, out) != 0) {
            failed = 1;
        } else {
            written++;
            converted(h, &im[i], 1);
            if (strcmp(out, h->output) == 0)
                atomic_store(&h->main_written, 1);
            tool_say("run", "wrote heap profile %s", out);
        }
        free(out);
        if (last)
            unlink(path);
    }
    return failed ? -1 : written;
}

/* ---- while the program runs, and after ------------------------------------- */

void tool_heap_watch(tool_heap *h, long pid)
{
    h->pid = pid;
    h->seen = calloc(MAX_IMAGES, sizeof(image));
}

void tool_heap_tick(void *arg)
{
    tool_heap *h = arg;

    if (h->seen) /* without it every pass would convert every dump again */
        convert_all(h, 1, 0);
}

int tool_heap_finish(tool_heap *h)
{
    int n = convert_all(h, 0, 1);

    free(h->seen);
    h->seen = NULL;
    return n;
}
