/*
 * fuzz_heapdump.c - libFuzzer target for the raw heap dump reader
 * (pprof_dump_read, pprof/dump_read.c), the symboliser on what it read
 * (pprof_symbolize, pprof/symbolize.c), and the pprof writer and reader
 * on the result (pprof/write.c, pprof/read.c, pprof/read_model.c). The
 * input is the dump, fed through a memfd (/proc/self/fd/N): the reader
 * takes a path.
 *
 * Properties (a broken one traps, so libFuzzer keeps the input):
 * - the reader returns 0, or PPROF_EFORMAT / PPROF_ELIMIT with a message
 *   "PATH:LINE: ..." and a zeroed pprof_raw;
 * - a dump read holds what an independent parse of its lines finds: the
 *   stacks (kind, four values, return addresses, depth 1..PPROF_MAX_DEPTH,
 *   none 0), maps (start < limit, build ID lowercase hex, the path to the
 *   end of the line) and comments, in their order, and the scalars;
 * - symbolised, every sample keeps its stack's values and kind, and its
 *   frames are the stack's return addresses - 1, in order, each a run of
 *   inlined frames then one that is not; a frame's mapping is UINT32_MAX
 *   or a map holding its address (and, when no maps overlap, the map
 *   holding it);
 * - written as pprof and read back, the samples' values and kinds are the
 *   same, with at least a frame per return address.
 *
 * The symboliser opens the files that maps name: a map's path starting
 * with '/' is replaced by one of three (chosen by the sum of its bytes mod
 * 3): this program itself (DWARF, inlined calls), zlib (a symbol table),
 * or a file that does not exist. Paths the input invents are never opened
 * (a FIFO or a device could block).
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_heapdump.c:%d: property broken: %s\n", __LINE__, #cond);         \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

static char path[64], out_path[4096], self_exe[4096], lib_path[4096];
static int fd = -1;

/* zlib: loaded here, small, a symbol table and usually no debug file (the
 * C library's, when installed, takes libdw 50 ms an input to decompress). */
static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (info->dlpi_name && strstr(info->dlpi_name, "/libz.so")) {
        snprintf(lib_path, sizeof lib_path, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}

static void setup(void)
{
    char dir[] = "/dev/shm/fuzz_heapdump.XXXXXX";
    ssize_t n;

    if ((fd = memfd_create("fuzz_heapdump", MFD_CLOEXEC)) < 0) {
        perror("fuzz_heapdump: memfd_create");
        abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if ((n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1)) < 0)
        n = 0;
    self_exe[n] = '\0';
    dl_iterate_phdr(find_lib, NULL);
    if (!mkdtemp(dir) && !mkdtemp(strcpy(dir, "/tmp/fuzz_heapdump.XXXXXX"))) {
        perror("fuzz_heapdump: mkdtemp");
        abort();
    }
    snprintf(out_path, sizeof out_path, "%s/profile.pb.gz", dir);
}

/* ---- an independent parse of the dump's lines ----------------------- */

/* s[0..n) as a number in base 10 or 16 (no sign, no space, no 0x). */
static int number(const char *s, size_t n, int base, uint64_t *out)
{
    char buf[32], *end;

    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!(base == 16 ? !!strchr("0123456789abcdefABCDEF", buf[i]) : buf[i] >= '0' && buf[i] <= '9'))
            return -1;
    *out = strtoull(buf, &end, base);
    return 0;
}

/* The next space-separated field of line[*at..len). */
/* Whether the n bytes at e, %XX-decoded (uppercase hex), are the string t:
 * a stack line's TYPE after its kind (doc/heap-dump-format.md). */
static int decodes_to(const char *e, size_t n, const char *t)
{
    size_t j = 0;

    for (size_t i = 0; i < n; i++, j++) {
        int c = (unsigned char)e[i];
        if (c == '%') {
            if (i + 2 >= n)
                return 0;
            char hex[3] = {e[i + 1], e[i + 2], 0};
            c = (int)strtol(hex, NULL, 16);
            i += 2;
        }
        if ((unsigned char)t[j] != c || c == 0)
            return 0;
    }
    return t[j] == '\0';
}

static size_t next_field(const char *line, size_t len, size_t *at, const char **start)
{
    size_t b = *at, e = b;

    while (e < len && line[e] != ' ')
        e++;
    *start = line + b;
    *at = e < len ? e + 1 : e;
    return e - b;
}

static void check_raw(const uint8_t *data, size_t size, const pprof_raw *raw)
{
    const char *text = (const char *)data;
    size_t nstacks = 0, nmaps = 0, ncomments = 0, lineno = 0;

    CHECK(size > 0 && text[size - 1] == '\n');
    for (size_t b = 0; b < size; lineno++) {
        const char *nl = memchr(text + b, '\n', size - b), *line = text + b, *f;
        size_t len = (size_t)(nl - line), at = 0, n;

        CHECK(nl != NULL);
        CHECK(memchr(line, '\0', len) == NULL);
        b += len + 1;
        if (lineno == 0) {
            CHECK(len == 18 && memcmp(line, "gcprof-heap-dump 1", 18) == 0);
            continue;
        }
        n = next_field(line, len, &at, &f);
        CHECK(n > 0);
        if (n == 5 && memcmp(f, "stack", 5) == 0) {
            CHECK(nstacks < raw->nstacks);
            const pprof_raw_stack *st = &raw->stacks[nstacks++];
            n = next_field(line, len, &at, &f);
            const char *colon = memchr(f, ':', n);
            size_t kn = colon ? (size_t)(colon - f) : n;
            CHECK(kn > 0 && strlen(st->kind) == kn && memcmp(st->kind, f, kn) == 0);
            CHECK(st->type && decodes_to(colon ? colon + 1 : f, colon ? n - kn - 1 : 0, st->type));
            for (int k = 0; k < PPROF_NVALUES; k++) {
                uint64_t v;
                n = next_field(line, len, &at, &f);
                CHECK(number(f, n, 10, &v) == 0 && v <= INT64_MAX && st->value[k] == (int64_t)v);
            }
            CHECK(st->depth >= 1 && st->depth <= PPROF_MAX_DEPTH && st->pcs);
            for (size_t d = 0; d < st->depth; d++) {
                uint64_t pc;
                n = next_field(line, len, &at, &f);
                CHECK(number(f, n, 16, &pc) == 0 && pc != 0 && st->pcs[d] == pc);
            }
            CHECK(at == len && line[len - 1] != ' ');
        } else if (n == 3 && memcmp(f, "map", 3) == 0) {
            CHECK(nmaps < raw->nmaps);
            const pprof_raw_map *m = &raw->maps[nmaps++];
            uint64_t v[4];
            for (int k = 0; k < 4; k++) {
                n = next_field(line, len, &at, &f);
                CHECK(number(f, n, 16, &v[k]) == 0);
            }
            CHECK(m->start == v[0] && m->limit == v[1] && m->offset == v[2] && m->bias == v[3]);
            CHECK(m->start < m->limit);
            n = next_field(line, len, &at, &f);
            if (n == 1 && *f == '-') {
                CHECK(m->build_id[0] == '\0');
            } else {
                CHECK(n > 0 && n % 2 == 0 && n <= 2 * PPROF_MAX_BUILD_ID && strlen(m->build_id) == n);
                for (size_t i = 0; i < n; i++)
                    CHECK(strchr("0123456789abcdef", m->build_id[i]) && m->build_id[i] &&
                          (m->build_id[i] == f[i] || m->build_id[i] == f[i] - 'A' + 'a'));
            }
            CHECK(at < len && strlen(m->path) == len - at && memcmp(m->path, line + at, len - at) == 0);
        } else if (n == 7 && memcmp(f, "comment", 7) == 0) {
            CHECK(ncomments < raw->ncomments);
            const char *c = raw->comments[ncomments++];
            CHECK(strlen(c) == len - at && memcmp(c, line + at, len - at) == 0);
        }
    }
    CHECK(nstacks == raw->nstacks && nmaps == raw->nmaps && ncomments == raw->ncomments);
    CHECK(raw->rate >= 0 && raw->pid >= 0 && raw->time_ns >= 0 && raw->duration_ns >= 0);
}

/* ---- the symboliser ---------------------------------------------------- */

static int overlapping(const pprof_raw *raw)
{
    if (raw->nmaps > 64)
        return 1;
    for (size_t i = 0; i < raw->nmaps; i++)
        for (size_t j = i + 1; j < raw->nmaps; j++)
            if (raw->maps[i].start < raw->maps[j].limit && raw->maps[j].start < raw->maps[i].limit)
                return 1;
    return 0;
}

static void check_profile(const pprof_raw *raw, const pprof_profile *p)
{
    int overlaps = overlapping(raw);
    size_t next = 0;

    CHECK(p->nsamples == raw->nstacks && p->nmappings == raw->nmaps);
    CHECK(p->ncomments >= raw->ncomments && p->period == raw->rate);
    for (size_t i = 0; i < raw->ncomments; i++)
        CHECK(strcmp(p->comments[i], raw->comments[i]) == 0);
    for (size_t i = 0; i < p->nmappings; i++)
        CHECK(p->mappings[i].start == raw->maps[i].start &&
              p->mappings[i].limit == raw->maps[i].limit &&
              strcmp(p->mappings[i].file, raw->maps[i].path) == 0 &&
              strcmp(p->mappings[i].build_id, raw->maps[i].build_id) == 0);
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        const pprof_raw_stack *st = &raw->stacks[i];
        size_t k = s->first;

        CHECK(s->first == next && s->first <= p->nframes && s->depth <= p->nframes - s->first);
        CHECK(s->depth >= st->depth && memcmp(s->value, st->value, sizeof s->value) == 0);
        CHECK(strcmp(s->kind, st->kind) == 0 && s->type && strcmp(s->type, st->type) == 0);
        next = s->first + s->depth;
        for (size_t d = 0; d < st->depth; d++) {
            uint64_t addr = st->pcs[d] - 1;
            size_t holder = SIZE_MAX;
            for (size_t m = 0; m < raw->nmaps && holder == SIZE_MAX; m++)
                if (raw->maps[m].start <= addr && addr < raw->maps[m].limit)
                    holder = m;
            for (;; k++) {
                CHECK(k < next);
                const pprof_frame *f = &p->frames[k];
                CHECK(f->address == addr && f->function && f->file);
                CHECK(f->mapping == UINT32_MAX || (f->mapping < p->nmappings &&
                                                   raw->maps[f->mapping].start <= addr &&
                                                   addr < raw->maps[f->mapping].limit));
                if (!overlaps)
                    CHECK(f->mapping == (holder == SIZE_MAX ? UINT32_MAX : (uint32_t)holder));
                if (!f->inlined)
                    break;
            }
            k++;
        }
        CHECK(k == next);
    }
    CHECK(next == p->nframes);
}

/* Written and read back: the same samples. */
static void round_trip(const pprof_profile *p)
{
    pprof_profile back;
    char err[512];
    int rc = pprof_write(p, out_path, err, sizeof err);

    CHECK(rc == 0 || (rc < 0 && err[0]));
    if (rc != 0)
        return;
    rc = pprof_read(out_path, &back, err, sizeof err);
    CHECK(rc == 0);
    CHECK(back.nsamples == p->nsamples && back.nmappings == p->nmappings);
    for (size_t i = 0; i < back.nsamples; i++) {
        const pprof_sample *a = &p->samples[i], *b = &back.samples[i];
        CHECK(memcmp(a->value, b->value, sizeof a->value) == 0 && strcmp(a->kind, b->kind) == 0);
        CHECK(b->first <= back.nframes && b->depth <= back.nframes - b->first);
        CHECK(b->depth >= 1 && b->depth <= a->depth);
    }
    pprof_profile_free(&back);
    unlink(out_path);
}

/* Paths the symboliser may open: see the top of the file. */
static void confine_paths(pprof_raw *raw)
{
    for (size_t i = 0; i < raw->nmaps; i++) {
        unsigned h = 0;
        if (raw->maps[i].path[0] != '/')
            continue;
        for (const char *c = raw->maps[i].path; *c; c++)
            h += (unsigned char)*c;
        raw->maps[i].path = h % 3 == 0 && self_exe[0] ? self_exe
                            : h % 3 == 1 && lib_path[0] ? lib_path
                                                         : "/nonexistent/gcprof-fuzz/object";
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pprof_raw zero;
    pprof_raw raw;
    pprof_profile p;
    char err[512];
    int rc;

    if (fd < 0)
        setup();
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    memset(err, 0x5a, sizeof err);
    rc = pprof_dump_read(path, &raw, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == PPROF_EFORMAT || rc == PPROF_ELIMIT);
        CHECK(memchr(err, '\0', sizeof err) && err[0]);
        CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
        CHECK(memcmp(&raw, &zero, sizeof raw) == 0);
        pprof_raw_free(&raw);
        return 0;
    }
    check_raw(data, size, &raw);
    confine_paths(&raw);
    rc = pprof_symbolize(&raw, &p, err, sizeof err);
    CHECK(rc == 0 || (rc < 0 && err[0]));
    if (rc == 0) {
        if (getenv("FUZZ_HEAPDUMP_SHOW")) /* what the symboliser made of it */
            for (size_t i = 0; i < p.ncomments + p.nmappings; i++)
                fprintf(stderr, "%s\n", i < p.ncomments ? p.comments[i] : p.mappings[i - p.ncomments].file);
        if (getenv("FUZZ_HEAPDUMP_SHOW"))
            for (size_t i = 0; i < p.nframes; i++)
                fprintf(stderr, "frame %zu: %llx %s %s:%lld%s\n", i,
                        (unsigned long long)p.frames[i].address, p.frames[i].function,
                        p.frames[i].file, (long long)p.frames[i].line,
                        p.frames[i].inlined ? " (inlined)" : "");
        check_profile(&raw, &p);
        round_trip(&p);
        pprof_profile_free(&p);
    }
    pprof_raw_free(&raw);
    return 0;
}
