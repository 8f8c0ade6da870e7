/*
 * fuzz_pprof.c - libFuzzer target for the pprof reader (pprof_read,
 * pprof/read.c and read_model.c, with the generated protobuf-c decoder)
 * and what gcprof top, flame and diff make of a profile it accepts
 * (tools/heap_cmd.c's tool_heap_load, tools/heap_top.c, heap_flame.c,
 * heap_diff.c, flame_svg.c).
 *
 * The first byte is flags, the rest the file, fed through a memfd
 * (/proc/self/fd/N): bit 0 gzips the rest in memory first (bit 1: as two
 * gzip members), so the protobuf decoder is reached through the gzip path
 * too; bits 2-3 pick the value (PPROF_*), bit 4 top by line, bit 5 top by
 * cum, bits 6-7 the flame graph's width.
 *
 * Properties (a broken one traps, so libFuzzer keeps the input):
 * - pprof_read returns 0, or PPROF_EFORMAT / PPROF_ELIMIT with a message
 *   and a zeroed profile;
 * - an accepted profile: every sample's frames lie within nframes, every
 *   frame's mapping is an index into mappings or UINT32_MAX, no string is
 *   NULL; tool_heap_load accepts it too;
 * - top: the rows' flats add up to the total and each row's cum is at
 *   least its flat and at most the total (when no sum can overflow and no
 *   value is negative), rows in the order asked;
 * - flame: the root's total is the sum of the positive values, each
 *   node's total is its self plus its children's (no overflow), children
 *   are their parent's, by name; the SVG is written to /dev/null;
 * - diff of the profile against itself: every stack's old value is its
 *   new one, no function grew, both totals are the same.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "commands.h"
#include "heap_cmd.h"
#include "heap_view.h"
#include "pprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_pprof.c:%d: property broken: %s\n", __LINE__, #cond);           \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

static char path[64];
static int fd = -1;
static FILE *devnull;
static int said; /* tool_say's calls */

/* gcprof's messages (tools/gcprof.c), counted, not shown. */
void tool_vsay(const char *cmd, const char *hint, const char *fmt, va_list ap)
{
    char buf[1024];

    (void)hint;
    vsnprintf(buf, sizeof buf, fmt, ap);
    CHECK(cmd && buf[0]);
    said++;
}

void tool_say(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, NULL, fmt, ap);
    va_end(ap);
}

int tool_usage_error(const char *cmd, const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tool_vsay(cmd, hint, fmt, ap);
    va_end(ap);
    return TOOL_EXIT_USAGE;
}

static void setup(void)
{
    if ((fd = memfd_create("fuzz_pprof", MFD_CLOEXEC)) < 0 || !(devnull = fopen("/dev/null", "w"))) {
        perror("fuzz_pprof: set-up");
        abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
}

/* in[0..n) as one gzip member appended to out (of *len bytes, room cap). */
static void gzip_member(const uint8_t *in, size_t n, uint8_t *out, size_t *len, size_t cap)
{
    z_stream z;

    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out + *len;
    z.avail_out = (uInt)(cap - *len);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    *len = cap - z.avail_out;
    deflateEnd(&z);
}

static void put_file(const uint8_t *d, size_t n)
{
    if (ftruncate(fd, 0) != 0 || (n && pwrite(fd, d, n, 0) != (ssize_t)n))
        abort();
}

static void check_model(const pprof_profile *p)
{
    CHECK(p->nframes <= (size_t)PPROF_MAX_FRAMES);
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        CHECK(s->first <= p->nframes && s->depth <= p->nframes - s->first);
        CHECK(s->kind && s->type);
        CHECK(tool_hv_depth(p, s) == s->depth);
    }
    for (size_t i = 0; i < p->nframes; i++) {
        const pprof_frame *f = &p->frames[i];
        CHECK(f->mapping == UINT32_MAX || f->mapping < p->nmappings);
        CHECK(f->function && f->file);
    }
    for (size_t i = 0; i < p->nmappings; i++)
        CHECK(p->mappings[i].file && p->mappings[i].build_id);
    for (size_t i = 0; i < p->ncomments; i++)
        CHECK(p->comments[i]);
}

/* No sum of the samples' values vi (or their absolute values) can
 * overflow, and none is negative: the sums' properties hold exactly. */
static int tame(const pprof_profile *p, int vi)
{
    int64_t bound = INT64_MAX / (int64_t)(p->nsamples + 1);

    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].value[vi] < 0 || p->samples[i].value[vi] > bound)
            return 0;
    return 1;
}

static void check_top(const pprof_profile *p, int vi, int line, int by_cum, int exact)
{
    tool_top t;
    int64_t flats = 0;

    if (tool_top_make(p, vi, line, by_cum, &t) != 0)
        return; /* out of memory */
    CHECK(t.nsamples == p->nsamples);
    for (size_t i = 0; i < t.nrows; i++) {
        const tool_top_row *r = &t.rows[i];
        CHECK(r->name && (r->flat || r->cum));
        flats = tool_hv_add(flats, r->flat);
        if (exact)
            CHECK(r->cum >= r->flat && r->cum <= t.total);
        if (i > 0) {
            const tool_top_row *q = &t.rows[i - 1];
            CHECK(by_cum ? q->cum >= r->cum : q->flat >= r->flat);
        }
    }
    if (exact)
        CHECK(flats == t.total);
    tool_top_free(&t);
}

static void check_flame(const pprof_profile *p, int vi, int exact, double width)
{
    tool_flame f;
    int64_t positive = 0;

    if (tool_flame_make(p, vi, &f) != 0)
        return;
    CHECK(f.nnodes >= 1 && f.nodes[0].depth == 0);
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].value[vi] > 0)
            positive = tool_hv_add(positive, p->samples[i].value[vi]);
    if (exact)
        CHECK(f.nodes[0].total == positive);
    for (size_t i = 0; i < f.nnodes; i++) {
        const tool_flame_node *n = &f.nodes[i];
        int64_t below = n->self;
        CHECK(n->name && n->depth <= f.max_depth);
        CHECK(n->nchildren <= f.nnodes - 1 && n->first_child <= f.nnodes - 1 - n->nchildren);
        for (uint32_t k = 0; k < n->nchildren; k++) {
            uint32_t c = f.order[n->first_child + k];
            CHECK(c > 0 && c < f.nnodes && f.nodes[c].parent == i);
            CHECK(f.nodes[c].depth == n->depth + 1 && f.nodes[c].total > 0);
            if (k > 0)
                CHECK(strcmp(f.nodes[f.order[n->first_child + k - 1]].name, f.nodes[c].name) < 0);
            below = tool_hv_add(below, f.nodes[c].total);
        }
        if (exact)
            CHECK(below == n->total);
    }
    tool_flame_svg s = {path, vi, p->period, width};
    tool_flame_svg_write(devnull, &f, &s);
    tool_flame_free(&f);
}

static void check_diff(const pprof_profile *p, int vi)
{
    tool_diff d;

    if (tool_diff_make(p, p, vi, &d) != 0)
        return;
    CHECK(d.old_total == d.new_total && d.nfuncs == 0);
    for (size_t i = 0; i < d.nstacks; i++) {
        CHECK(d.stacks[i].old_v == d.stacks[i].new_v && d.stacks[i].kind);
        for (size_t k = 0; k < d.stacks[i].depth; k++)
            CHECK(d.stacks[i].frames[k] < d.names.n);
    }
    tool_diff_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pprof_profile zero;
    static const double widths[4] = {1200, 600, 20000, 777.7};
    pprof_profile p;
    char err[512];
    int rc, flags, vi;

    if (size < 1)
        return 0;
    if (fd < 0)
        setup();
    flags = data[0];
    data++;
    size--;
    if (flags & 1) {
        size_t cap = 2 * (size + 64) + 256, len = 0, half = flags & 2 ? size / 2 : size;
        uint8_t *gz = malloc(cap);
        if (!gz)
            return 0;
        gzip_member(data, half, gz, &len, cap);
        if (half < size)
            gzip_member(data + half, size - half, gz, &len, cap);
        put_file(gz, len);
        free(gz);
    } else {
        put_file(data, size);
    }
    memset(err, 0x5a, sizeof err);
    rc = pprof_read(path, &p, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == PPROF_EFORMAT || rc == PPROF_ELIMIT);
        CHECK(memchr(err, '\0', sizeof err) && err[0]);
        CHECK(memcmp(&p, &zero, sizeof p) == 0);
        pprof_profile_free(&p);
        return 0;
    }
    check_model(&p);
    pprof_profile_free(&p);

    /* as the commands read it: frames without names named by mapping */
    said = 0;
    CHECK(tool_heap_load("fuzz", path, &p) == 0 && said == 0);
    check_model(&p);
    vi = (flags >> 2) & 3;
    check_top(&p, vi, flags & 16, flags & 32, tame(&p, vi));
    check_flame(&p, vi, tame(&p, vi), widths[(flags >> 6) & 3]);
    check_diff(&p, vi);
    tool_heap_free(&p);
    return 0;
}
