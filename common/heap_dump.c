/*
 * heap_dump.c - writes the sampler's tables as a raw heap dump
 * (doc/heap-dump-format.md): bare return addresses and the executable
 * segments of every loaded object with its build ID, for gcprof to
 * resolve outside the program. No malloc, no stdio: snprintf into a
 * buffer of ours, write(2) to the caller's descriptor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "heap_sampler.h"
#include "heap_sampler_tables.h"

typedef struct out {
    int fd, failed;
    size_t len;
    char buf[8192];
} out;

static void out_flush(out *o)
{
    size_t done = 0;

    while (!o->failed && done < o->len) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->failed = n < 0 ? errno : EIO;
            break;
        }
        done += (size_t)n;
    }
    o->len = 0;
}

static void out_printf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(out *o, const char *fmt, ...)
{
    va_list ap;
    char line[1024];

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (o->len + len > sizeof o->buf)
        out_flush(o);
    memcpy(o->buf + o->len, line, len);
    o->len += len;
}

/* ---- loaded objects ------------------------------------------------- */

/* The GNU build ID from the object's notes, as hex, or "-". */
static void build_id(const struct dl_phdr_info *info, char *hex, size_t size)
{
    snprintf(hex, size, "-");
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *n;
            const unsigned char *desc = (const unsigned char *)name + ((n->n_namesz + 3) & ~3u);
            if ((const char *)desc + n->n_descsz > end)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                n->n_descsz * 2 < size) {
                for (size_t k = 0; k < n->n_descsz; k++)
                    snprintf(hex + 2 * k, 3, "%02x", desc[k]);
                return;
            }
            p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
        }
    }
}

/* The object's file: the main program has no name here, the vDSO none
 * on disk. */
static const char *object_path(const struct dl_phdr_info *info, char *exe, size_t size)
{
    if (info->dlpi_name && info->dlpi_name[0])
        return info->dlpi_name;
    ssize_t n = readlink("/proc/self/exe", exe, size - 1);
    if (n <= 0)
        return "-";
    exe[n] = '\0';
    return exe;
}

static int write_object(struct dl_phdr_info *info, size_t size, void *data)
{
    out *o = data;
    char id[129], exe[4096];
    const char *path = NULL;

    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (!path) {
            path = object_path(info, exe, sizeof exe);
            build_id(info, id, sizeof id);
        }
        uint64_t start = (uint64_t)(info->dlpi_addr + ph->p_vaddr);
        out_printf(o, "map %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64 " %s %s\n", start,
                   start + (uint64_t)ph->p_memsz, (uint64_t)ph->p_offset, (uint64_t)info->dlpi_addr,
                   id, path);
    }
    return 0;
}

/* ---- stacks ----------------------------------------------------------- */

/* In use per stack, from the objects the latest sweep found marked. */
static void count_in_use(void)
{
    for (size_t s = 0; s < gcp__hs->nstacks; s++)
        gcp__hs->stacks[s].inuse_objects = gcp__hs->stacks[s].inuse_bytes = 0;
    for (size_t i = 0; i < gcp__hs->live_cap; i++) {
        const gcp__hs_live *e = &gcp__hs->live[i];
        if (e->hidden == GCP__HS_EMPTY || e->hidden == GCP__HS_GONE || !e->survived)
            continue;
        gcp__hs->stacks[e->stack].inuse_objects += e->weight;
        gcp__hs->stacks[e->stack].inuse_bytes += e->weight * (double)e->size;
    }
}

size_t gcp__hs_inuse(double *bytes, double *objects, size_t cap)
{
    if (!gcp__hs)
        return 0;
    gcp__hs_lock();
    count_in_use();
    size_t n = gcp__hs->nstacks;
    for (size_t s = 0; s < n && s < cap; s++) {
        bytes[s] = gcp__hs->stacks[s].inuse_bytes;
        objects[s] = gcp__hs->stacks[s].inuse_objects;
    }
    gcp__hs_unlock();
    return n;
}

static int64_t rounded(double v)
{
    return (int64_t)(v + 0.5);
}

/* A type name in a stack line's kind field, after a colon: bytes that
 * would end the field or be read as the colon, and '%' itself, as %XX. */
static void write_type(out *o, const char *type)
{
    out_printf(o, ":");
    for (const unsigned char *c = (const unsigned char *)type; *c; c++)
        if (*c <= ' ' || *c >= 0x7f || *c == '%' || *c == ':')
            out_printf(o, "%%%02X", *c);
        else
            out_printf(o, "%c", *c);
}

/* Stacks [0, n), their counts from snap (gcp__hs_snapshot) or, under the
 * lock, from the table. */
static void write_stacks(out *o, size_t n, const double *snap)
{
    for (size_t s = 0; s < n && !o->failed; s++) {
        const gcp__hs_stack *st = &gcp__hs->stacks[s];
        double v[4] = {st->alloc_objects, st->alloc_bytes, st->inuse_objects, st->inuse_bytes};
        if (snap)
            for (int k = 0; k < 4; k++)
                v[k] = snap[4 * s + (size_t)k];
        out_printf(o, "stack %s", st->kind);
        if (st->type)
            write_type(o, st->type);
        out_printf(o, " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64, rounded(v[0]), rounded(v[1]),
                   rounded(v[2]), rounded(v[3]));
        for (uint32_t k = 0; k < st->depth; k++)
            out_printf(o, " %" PRIxPTR, gcp__hs->pcs[st->first + k]);
        out_printf(o, "\n");
    }
}

/* The objects' segments are listed before the lock is taken: listing
 * takes the dynamic loader's lock, which a thread in dlopen may hold while
 * a constructor allocates (and waits for ours). */
int gcp__hs_dump(int fd, long pid)
{
    out o = {.fd = fd};
    uint64_t now = gcp__realtime_ns();

    if (!gcp__hs) {
        errno = EINVAL;
        return -1;
    }
    out_printf(&o,
               "gcprof-heap-dump 1\nrate %" PRIu64 "\npid %ld\ntime_ns %" PRIu64
               "\nduration_ns %" PRIu64 "\n",
               gcp__hs_rate(), pid, gcp__hs->start_real_ns,
               now > gcp__hs->start_real_ns ? now - gcp__hs->start_real_ns : 0);
    dl_iterate_phdr(write_object, &o);
    gcp__hs_lock();
    out_printf(&o, "gc_no %lu\n", gcp__hs->gc_no);
    if (gcp__hs->lost)
        out_printf(&o, "comment %" PRIu64 " samples lost: no memory for the sampler's tables\n",
                   gcp__hs->lost);
    count_in_use();
    /* Written after the lock is given back when the counts could be
     * copied: a slow disk must not hold up the sweep, which runs in the
     * collector's hook, holding its lock. A stack's kind, addresses and
     * place never change once it is in the table. */
    size_t n = gcp__hs->nstacks;
    const double *snap = gcp__hs_snapshot(n);
    if (snap)
        gcp__hs_unlock();
    write_stacks(&o, n, snap);
    if (!snap)
        gcp__hs_unlock();
    out_flush(&o);
    errno = o.failed;
    return o.failed ? -1 : 0;
}
