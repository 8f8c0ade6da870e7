/*
 * dump_read.c - the raw heap dump (doc/heap-dump-format.md) into a
 * pprof_raw. The dump comes from a process that may have died while
 * writing it, or from anyone: every field is checked, and the first bad
 * one ends the read with its line number and the text at fault.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pprof.h"

typedef struct reader {
    const char *path;
    size_t lineno;
    char *err;
    size_t errlen;
    pprof__arena *arena;
    pprof__vec comments, maps, stacks; /* of const char *, pprof_raw_map, pprof_raw_stack */
    unsigned seen;                     /* scalar records read: each at most once */
} reader;

/* "PATH:LINE: what `culprit'"; the culprit cut at 40 bytes. */
static int bad(reader *r, const char *what, const char *culprit, size_t n)
{
    if (n > 40)
        n = 40;
    return pprof__fail(r->err, r->errlen, PPROF_EFORMAT, "%s:%zu: %s '%.*s'", r->path, r->lineno,
                       what, (int)n, culprit);
}

static int oom(reader *r)
{
    return pprof__fail(r->err, r->errlen, PPROF_ENOMEM, "%s:%zu: out of memory", r->path,
                       r->lineno);
}

/* The next field of *p (up to a space or the end); *p moves past it and
 * its space. Returns its length; 0 when there is none or it is empty
 * (two spaces, a trailing space). */
static size_t field(const char **p, const char **start)
{
    const char *s = *p, *e = strchr(s, ' ');
    size_t n = e ? (size_t)(e - s) : strlen(s);

    *start = s;
    *p = e ? e + 1 : s + n;
    return n;
}

/* Decimal digits only (no sign, no space) into a value <= max. */
static int decimal(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1 to 16 hex digits, no 0x. */
static int hex64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 16)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int d = hexval(s[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

/* The next field as a hex word, or an error naming what it is. */
static int next_hex(reader *r, const char **p, const char *what, uint64_t *out)
{
    const char *s;
    size_t n = field(p, &s);
    char msg[64];

    if (hex64(s, n, out) == 0)
        return 0;
    snprintf(msg, sizeof msg, n ? "bad hex %s" : "missing %s", what);
    return bad(r, msg, s, n);
}

/* ---- records --------------------------------------------------------- */

enum { SEEN_RATE = 1, SEEN_PID = 2, SEEN_TIME = 4, SEEN_DURATION = 8, SEEN_GC = 16 };

/* rate, pid, time_ns, duration_ns, gc_no: one decimal number each. */
static int scalar(reader *r, const char *name, const char *rest, unsigned bit, uint64_t max,
                  uint64_t *out)
{
    const char *s, *p = rest;
    size_t n = field(&p, &s);

    if (r->seen & bit)
        return bad(r, "a second", name, strlen(name));
    r->seen |= bit;
    if (*p || decimal(s, n, max, out) != 0)
        return bad(r, "bad number in", rest, strlen(rest));
    return 0;
}

static int map_record(reader *r, const char *p)
{
    pprof_raw_map *m = pprof__vec_push(r->arena, &r->maps);
    const char *s;
    size_t n;

    if (!m)
        return oom(r);
    if (next_hex(r, &p, "start", &m->start) || next_hex(r, &p, "limit", &m->limit) ||
        next_hex(r, &p, "offset", &m->offset) || next_hex(r, &p, "bias", &m->bias))
        return PPROF_EFORMAT;
    if (m->limit <= m->start)
        return pprof__fail(r->err, r->errlen, PPROF_EFORMAT,
                           "%s:%zu: map's limit %llx is not above its start %llx", r->path,
                           r->lineno, (unsigned long long)m->limit, (unsigned long long)m->start);
    n = field(&p, &s);
    if (n == 1 && *s == '-') {
        m->build_id = "";
    } else {
        if (n == 0 || n % 2 || n > 2 * PPROF_MAX_BUILD_ID)
            return bad(r, "bad build ID", s, n);
        char *id = pprof__arena_strndup(r->arena, s, n);
        if (!id)
            return oom(r);
        for (size_t i = 0; i < n; i++) {
            if (hexval(id[i]) < 0)
                return bad(r, "bad hex in build ID", s, n);
            id[i] = "0123456789abcdef"[hexval(id[i])];
        }
        m->build_id = id;
    }
    if (!*p)
        return bad(r, "map without a path", "", 0);
    if (!(m->path = pprof__arena_strndup(r->arena, p, strlen(p))))
        return oom(r);
    return 0;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The kind field: KIND, or KIND:TYPE with TYPE's bytes below '!', above
 * '~', '%' and ':' written %XX (uppercase hex). */
static int split_kind(reader *r, pprof_raw_stack *st, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t kn = colon ? (size_t)(colon - s) : n, tn = colon ? n - kn - 1 : 0;
    char *type;

    if (kn == 0 || (colon && tn == 0))
        return bad(r, "empty kind or type in stack", s, n);
    if (!(st->kind = pprof__arena_strndup(r->arena, s, kn)) ||
        !(type = pprof__arena_strndup(r->arena, colon ? colon + 1 : "", tn)))
        return oom(r);
    size_t o = 0;
    for (size_t i = 0; i < tn; i++) {
        int hi, lo;
        if (type[i] != '%') {
            type[o++] = type[i];
            continue;
        }
        if (i + 2 >= tn || (hi = hex_digit(type[i + 1])) < 0 || (lo = hex_digit(type[i + 2])) < 0 ||
            (hi == 0 && lo == 0))
            return bad(r, "bad %XX in stack type", s, n);
        type[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    type[o] = '\0';
    st->type = type;
    return 0;
}

static int stack_record(reader *r, const char *p)
{
    pprof_raw_stack *st = pprof__vec_push(r->arena, &r->stacks);
    uint64_t pcs[PPROF_MAX_DEPTH], *keep;
    const char *s;
    size_t n = field(&p, &s);

    if (!st)
        return oom(r);
    if (n == 0)
        return bad(r, "stack without a kind", s, n);
    int rc = split_kind(r, st, s, n);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PPROF_NVALUES; i++) {
        uint64_t v;
        n = field(&p, &s);
        if (decimal(s, n, INT64_MAX, &v) != 0)
            return bad(r, n ? "bad count in stack" : "stack cut short: missing count", s, n);
        st->value[i] = (int64_t)v;
    }
    while (*p || p[-1] == ' ') {
        if (st->depth == PPROF_MAX_DEPTH)
            return pprof__fail(r->err, r->errlen, PPROF_ELIMIT,
                               "%s:%zu: stack deeper than %d return addresses", r->path, r->lineno,
                               PPROF_MAX_DEPTH);
        if (next_hex(r, &p, "return address", &pcs[st->depth]))
            return PPROF_EFORMAT;
        if (pcs[st->depth] == 0)
            return bad(r, "return address", "0", 1);
        st->depth++;
    }
    if (st->depth == 0)
        return bad(r, "stack without return addresses: kind", st->kind, strlen(st->kind));
    if (!(keep = pprof__arena_array(r->arena, st->depth, sizeof *keep)))
        return oom(r);
    memcpy(keep, pcs, st->depth * sizeof *keep);
    st->pcs = keep;
    return 0;
}

/* One line (without its newline) after the header. */
static int record(reader *r, pprof_raw *out, const char *line)
{
    const char *s, *p = line;
    size_t n = field(&p, &s);
    uint64_t v;
    int rc;

#define IS(name) (n == sizeof name - 1 && memcmp(s, name, n) == 0)
    if (n == 0)
        return bad(r, "empty line or leading space", line, strlen(line));
    if (IS("comment")) {
        const char **c = pprof__vec_push(r->arena, &r->comments);
        if (!c || !(*c = pprof__arena_strndup(r->arena, p, strlen(p))))
            return oom(r);
        return 0;
    }
    if (IS("map"))
        return map_record(r, p);
    if (IS("stack"))
        return stack_record(r, p);
    if (IS("rate")) {
        if ((rc = scalar(r, "rate", p, SEEN_RATE, INT64_MAX, &v)) == 0 && v == 0)
            return bad(r, "rate must be at least 1:", p, strlen(p));
        out->rate = (int64_t)v;
        return rc;
    }
    if (IS("pid")) {
        rc = scalar(r, "pid", p, SEEN_PID, INT64_MAX, &v);
        out->pid = (int64_t)v;
        return rc;
    }
    if (IS("time_ns")) {
        rc = scalar(r, "time_ns", p, SEEN_TIME, INT64_MAX, &v);
        out->time_ns = (int64_t)v;
        return rc;
    }
    if (IS("duration_ns")) {
        rc = scalar(r, "duration_ns", p, SEEN_DURATION, INT64_MAX, &v);
        out->duration_ns = (int64_t)v;
        return rc;
    }
    if (IS("gc_no"))
        return scalar(r, "gc_no", p, SEEN_GC, UINT64_MAX, &out->gc_no);
    if (IS("gcprof-heap-dump"))
        return bad(r, "a second header", line, strlen(line));
#undef IS
    return 0; /* a record of a later version */
}

/* The next line into buf[PPROF_MAX_LINE + 2], newline kept: its length,
 * 0 at the end of the file, -1 when longer than the limit. A bounded
 * getline: a file of one endless line must not take all memory. */
static long next_line(FILE *fp, char *buf)
{
    long n = 0;
    int c;

    while ((c = getc_unlocked(fp)) != EOF) {
        if (n > PPROF_MAX_LINE)
            return -1;
        buf[n++] = (char)c;
        if (c == '\n')
            break;
    }
    buf[n] = '\0';
    return n;
}

static int read_lines(reader *r, FILE *fp, pprof_raw *out)
{
    char *line = malloc(PPROF_MAX_LINE + 2);
    long len;
    int rc = 0;

    if (!line)
        return oom(r);
    errno = 0;
    while (rc == 0 && (len = next_line(fp, line)) != 0) {
        r->lineno++;
        if (len < 0) {
            rc = pprof__fail(r->err, r->errlen, PPROF_ELIMIT, "%s:%zu: line longer than %d bytes",
                             r->path, r->lineno, PPROF_MAX_LINE);
        } else if (line[len - 1] != '\n') {
            rc = bad(r, "line cut short (no newline at the end of the file):", line, (size_t)len);
        } else if (memchr(line, '\0', (size_t)len - 1)) {
            rc = bad(r, "NUL byte in line:", line, strlen(line));
        } else {
            line[len - 1] = '\0';
            if (r->lineno > 1)
                rc = record(r, out, line);
            else if (strncmp(line, "gcprof-heap-dump ", 17) != 0)
                rc = bad(r, "not a gcprof heap dump: no 'gcprof-heap-dump 1' header, found", line,
                         strlen(line));
            else if (strcmp(line + 17, "1") != 0)
                rc = bad(r, "unsupported dump format version (this reader knows 1):", line + 17,
                         strlen(line + 17));
        }
    }
    if (rc == 0 && ferror(fp))
        rc = pprof__fail(r->err, r->errlen, PPROF_EIO, "%s:%zu: %s", r->path, r->lineno + 1,
                         strerror(errno ? errno : EIO));
    else if (rc == 0 && r->lineno == 0)
        rc = pprof__fail(r->err, r->errlen, PPROF_EFORMAT,
                         "%s:1: empty file: no 'gcprof-heap-dump 1' header", r->path);
    free(line);
    return rc;
}

int pprof_dump_read(const char *path, pprof_raw *out, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "re");
    int rc;

    if (!fp) {
        memset(out, 0, sizeof *out);
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path, strerror(errno));
    }
    rc = pprof__dump_read_stream(fp, path, out, err, errlen);
    fclose(fp);
    return rc;
}

int pprof__dump_read_stream(FILE *fp, const char *name, pprof_raw *out, char *err, size_t errlen)
{
    reader r = {.path = name, .err = err, .errlen = errlen};
    int rc;

    memset(out, 0, sizeof *out);
    r.comments.size = sizeof(const char *);
    r.maps.size = sizeof(pprof_raw_map);
    r.stacks.size = sizeof(pprof_raw_stack);
    if (!(r.arena = pprof__arena_new()))
        return pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", name);
    rc = read_lines(&r, fp, out);
    if (rc != 0) {
        pprof__arena_free(r.arena);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->comments = r.comments.items;
    out->ncomments = r.comments.n;
    out->maps = r.maps.items;
    out->nmaps = r.maps.n;
    out->stacks = r.stacks.items;
    out->nstacks = r.stacks.n;
    out->arena = r.arena;
    return 0;
}
