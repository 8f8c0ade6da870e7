/*
 * timeline_dat.c - one line of an mprof .dat timeline (doc/timeline-formats.md):
 * mprof's CMDLINE, MEM, FUNC and CHLD, and our GCPROF_* tags. As mprof does,
 * a line is "TAG rest" and unknown tags are skipped; unlike mprof, every
 * field of a known tag is checked.
 */
#include "timeline_parse.h"
#include "units.h"

#include <string.h>

#define MAX_LEVEL 100000
#define MAX_FIELD 12

typedef struct fields {
    const char *tag;
    char *f[MAX_FIELD];
    int n;
} fields;

/* Split s at single spaces into at most max fields; the last one keeps the
 * rest of the line (names and labels may hold spaces). */
static int split(char *s, char **f, int max)
{
    int n = 0;

    f[n++] = s;
    while (n < max && (s = strchr(s, ' ')) != NULL) {
        *s++ = '\0';
        f[n++] = s;
    }
    return n;
}

/* A field for an error message: short, and printable. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t i;

    for (i = 0; s[i] && i + 4 < size; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (s[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static int bad_field(tool_tl_ctx *c, const fields *fl, int i, const char *what)
{
    char buf[48];

    return tool_tl_fail(c, "%s: field %d is not %s: '%s'", fl->tag, i + 1, what,
                        shown(fl->f[i], buf, sizeof buf));
}

/* A time, size (MiB) or duration: a finite number, 0 to TOOL_TL_MAX_VALUE. */
static int num(tool_tl_ctx *c, const fields *fl, int i, double *out)
{
    if (tool_tl_parse_double(fl->f[i], strlen(fl->f[i]), out) < 0)
        return bad_field(c, fl, i, "a finite decimal number");
    if (*out < 0)
        return bad_field(c, fl, i, "a number >= 0");
    if (*out > TOOL_TL_MAX_VALUE)
        return bad_field(c, fl, i, "a number up to 1e13");
    return 0;
}

static int u64(tool_tl_ctx *c, const fields *fl, int i, uint64_t *out)
{
    if (tool_tl_parse_u64(fl->f[i], strlen(fl->f[i]), out) < 0)
        return bad_field(c, fl, i, "a whole number >= 0");
    return 0;
}

static int level(tool_tl_ctx *c, const fields *fl, int i, int *out)
{
    uint64_t v;

    if (u64(c, fl, i, &v) < 0)
        return -1;
    if (v > MAX_LEVEL)
        return bad_field(c, fl, i, "a nesting level (0 to 100000)");
    *out = (int)v;
    return 0;
}

static int count(tool_tl_ctx *c, const fields *fl, int lo, int hi)
{
    if (fl->n >= lo && fl->n <= hi)
        return 0;
    if (lo == hi)
        return tool_tl_fail(c, "%s: %d field%s, expected %d", fl->tag, fl->n, fl->n == 1 ? "" : "s",
                            lo);
    return tool_tl_fail(c, "%s: %d field%s, expected %d to %d", fl->tag, fl->n,
                        fl->n == 1 ? "" : "s", lo, hi);
}

static int mem_line(tool_tl_ctx *c, const fields *fl)
{
    tool_tl_sample s = {.has_rss = 1};

    if (count(c, fl, 2, 2) || num(c, fl, 0, &s.rss_mib) || num(c, fl, 1, &s.t))
        return -1;
    return tool_tl_add_sample(c, &s);
}

/* A process id field. */
static int pid_field(tool_tl_ctx *c, const fields *fl, int i, long *out)
{
    uint64_t v;

    if (u64(c, fl, i, &v) < 0)
        return -1;
    if (v > 0x7fffffff)
        return bad_field(c, fl, i, "a process id");
    *out = (long)v;
    return 0;
}

static int heap_line(tool_tl_ctx *c, const fields *fl)
{
    tool_tl_sample s = {.has_heap = 1};

    /* the pid came with version 2 */
    if (count(c, fl, 6, 7) || (fl->n == 7 && pid_field(c, fl, 6, &s.pid)) || num(c, fl, 0, &s.t) || u64(c, fl, 1, &s.heap_size) ||
        u64(c, fl, 2, &s.free_bytes) || u64(c, fl, 3, &s.unmapped_bytes) ||
        u64(c, fl, 4, &s.gc_no) || u64(c, fl, 5, &s.bytes_allocated))
        return -1;
    return tool_tl_add_sample(c, &s);
}

/* Bytes in marked objects, or '-': not measured. */
static int live_field(tool_tl_ctx *c, const fields *fl, int i, gcp_tl_gc *g)
{
    if (strcmp(fl->f[i], "-") == 0)
        return 0;
    g->has_live = 1;
    return u64(c, fl, i, &g->live);
}

static int gc_line(tool_tl_ctx *c, const fields *fl)
{
    gcp_tl_gc g = {0};
    const char *forced;

    /* live and pid came with version 2 */
    if (count(c, fl, 9, 11) || (fl->n >= 10 && live_field(c, fl, 9, &g)) ||
        (fl->n == 11 && pid_field(c, fl, 10, &g.pid)) || u64(c, fl, 0, &g.n) || num(c, fl, 1, &g.t) ||
        num(c, fl, 2, &g.pause) || num(c, fl, 3, &g.mark) || num(c, fl, 4, &g.reclaim) ||
        num(c, fl, 5, &g.total) || u64(c, fl, 6, &g.heap_before) || u64(c, fl, 7, &g.heap_after))
        return -1;
    forced = fl->f[8];
    if (strcmp(forced, "0") != 0 && strcmp(forced, "1") != 0)
        return bad_field(c, fl, 8, "0 or 1");
    g.forced = forced[0] == '1';
    g.pause /= 1e3; /* ms in the file */
    g.mark /= 1e3;
    g.reclaim /= 1e3;
    g.total /= 1e3;
    return tool_tl_add_gc(c, &g);
}

static int enter_line(tool_tl_ctx *c, const fields *fl)
{
    double t, rss;
    int lv = 0;

    if (count(c, fl, 4, 4) || num(c, fl, 0, &t) || level(c, fl, 1, &lv) || num(c, fl, 2, &rss))
        return -1;
    return tool_tl_add_enter(c, fl->f[3], lv, t, rss);
}

static int func_line(tool_tl_ctx *c, const fields *fl)
{
    tool_tl_func f = {.name = fl->f[0]};

    /* mprof before 0.5 wrote no level */
    if (count(c, fl, 5, 6) || num(c, fl, 1, &f.rss_start_mib) || num(c, fl, 2, &f.start) ||
        num(c, fl, 3, &f.rss_end_mib) || num(c, fl, 4, &f.end) ||
        (fl->n == 6 && level(c, fl, 5, &f.level)))
        return -1;
    return tool_tl_add_exit(c, &f);
}

static int meta_line(tool_tl_ctx *c, const fields *fl)
{
    uint64_t version, pid;
    double start, interval;

    if (count(c, fl, 4, MAX_FIELD) || u64(c, fl, 0, &version) || u64(c, fl, 1, &pid) ||
        num(c, fl, 2, &start) || num(c, fl, 3, &interval))
        return -1;
    if (version == 0 || (version <= 2 && fl->n != 4))
        return tool_tl_fail(c, "GCPROF_META: bad version %llu with %d fields",
                            (unsigned long long)version, fl->n);
    if (pid > 0x7fffffff)
        return bad_field(c, fl, 1, "a process id");
    return tool_tl_set_meta(c, (long)pid, start, interval);
}

static int end_line(tool_tl_ctx *c, const fields *fl)
{
    double t;

    if (count(c, fl, 1, 1) || num(c, fl, 0, &t))
        return -1;
    return tool_tl_set_end(c, t);
}

static int cmdline_line(tool_tl_ctx *c, const fields *fl)
{
    return tool_tl_set_cmdline(c, fl->f[0]);
}

static int label_line(tool_tl_ctx *c, const fields *fl)
{
    double t;

    if (count(c, fl, 2, 2) || num(c, fl, 0, &t))
        return -1;
    return tool_tl_add_label(c, t, fl->f[1]);
}

static int chld_line(tool_tl_ctx *c, const fields *fl)
{
    double mib, t;

    if (count(c, fl, 3, 3) || num(c, fl, 1, &mib) || num(c, fl, 2, &t))
        return -1;
    return tool_tl_add_child(c, fl->f[0], mib, t);
}

static int image_line(tool_tl_ctx *c, const fields *fl)
{
    double t;
    long pid = 0, ppid = 0;

    if (count(c, fl, 4, 4) || num(c, fl, 0, &t) || pid_field(c, fl, 1, &pid) ||
        pid_field(c, fl, 2, &ppid))
        return -1;
    return tool_tl_add_image(c, t, pid, ppid, fl->f[3]);
}

static int child_line(tool_tl_ctx *c, const fields *fl)
{
    tool_tl_proc p = {0};

    if (count(c, fl, 5, 5) || num(c, fl, 0, &p.t) || pid_field(c, fl, 1, &p.pid) ||
        pid_field(c, fl, 2, &p.ppid))
        return -1;
    if (strcmp(fl->f[3], "0") != 0 && strcmp(fl->f[3], "1") != 0)
        return bad_field(c, fl, 3, "0 or 1");
    p.followed = fl->f[3][0] == '1';
    p.name = fl->f[4];
    return tool_tl_add_proc(c, &p);
}

static int lost_line(tool_tl_ctx *c, const fields *fl)
{
    double t;
    long pid = 0;

    if (count(c, fl, 3, 3) || num(c, fl, 0, &t) || pid_field(c, fl, 1, &pid))
        return -1;
    return tool_tl_add_lost(c, t, pid);
}

static int status_line(tool_tl_ctx *c, const fields *fl)
{
    gcp_tl_status st = {0};
    uint64_t code, core;

    if (count(c, fl, 6, 6) || num(c, fl, 0, &st.t) || pid_field(c, fl, 1, &st.pid) ||
        u64(c, fl, 3, &code) || u64(c, fl, 4, &st.maxrss) || u64(c, fl, 5, &core))
        return -1;
    if (strcmp(fl->f[2], "exit") != 0 && strcmp(fl->f[2], "signal") != 0)
        return bad_field(c, fl, 2, "exit or signal");
    st.signaled = fl->f[2][0] == 's';
    if (code > (st.signaled ? 127u : 255u))
        return bad_field(c, fl, 3, st.signaled ? "a signal number" : "an exit status (0 to 255)");
    if (core > 1)
        return bad_field(c, fl, 5, "0 or 1");
    st.code = (int)code;
    st.core = (int)core;
    return tool_tl_set_status(c, &st);
}

/* The JSON object is the rest of the line. */
static int breakdown_line(tool_tl_ctx *c, const fields *fl)
{
    double t;
    long pid = 0;

    if (count(c, fl, 3, 3) || num(c, fl, 0, &t) || pid_field(c, fl, 1, &pid))
        return -1;
    return tool_tl_add_breakdown(c, t, pid, fl->f[2], strlen(fl->f[2]));
}

/* Tags: letters, digits, '_' (mprof would take any text; garbage is not a tag). */
static int is_tag(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static int control_char(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return (unsigned char)*s;
    return -1;
}

/* The tags we read; max_fields splits one more than allowed, to catch extras. */
static const struct {
    const char *tag;
    int max_fields;
    int (*parse)(tool_tl_ctx *c, const fields *fl);
} tags[] = {
    {"MEM", 3, mem_line},        {"GCPROF_HEAP", 8, heap_line},
    {"GCPROF_GC", 12, gc_line},  {"GCPROF_ENTER", 4, enter_line},
    {"GCPROF_IMAGE", 4, image_line}, {"GCPROF_CHILD", 5, child_line},
    {"GCPROF_LOST", 4, lost_line},   {"GCPROF_STATUS", 7, status_line},
    {"FUNC", 7, func_line},      {"GCPROF_LABEL", 2, label_line},
    {"GCPROF_END", 2, end_line}, {"GCPROF_META", MAX_FIELD, meta_line},
    {"CHLD", 4, chld_line},      {"CMDLINE", 1, cmdline_line},
    {"GCPROF_BREAKDOWN", 3, breakdown_line},
};

int tool_tl_dat_line(tool_tl_ctx *c, char *line)
{
    char *rest = strchr(line, ' ');
    fields fl = {.tag = line};
    char buf[48];
    int cc;

    if (rest)
        *rest++ = '\0';
    if (!rest || !is_tag(line))
        return tool_tl_fail(c, "not a timeline line (expected 'TAG fields...'): '%s'",
                            shown(line, buf, sizeof buf));
    if ((cc = control_char(rest)) >= 0)
        return tool_tl_fail(c, "%s: control character 0x%02x in the line", line, cc);
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        if (strcmp(line, tags[i].tag) == 0) {
            fl.n = split(rest, fl.f, tags[i].max_fields);
            return tags[i].parse(c, &fl);
        }
    }
    return 0; /* a tag we do not know: skipped, as mprof does */
}

/* A cut-off last line that mprof would still read as MEM: two fields, the
 * RSS whole and the time cut inside (digits, maybe a '.' and digits), as
 * in "MEM 34.085417 17953160". Only the RSS is worth anything. */
int tool_tl_dat_cut_mem(char *line, double *rss_mib)
{
    char *f[3];
    size_t digits;

    if (strncmp(line, "MEM ", 4) != 0 || split(line + 4, f, 3) != 2)
        return 0;
    digits = strspn(f[1], "0123456789");
    if (digits == 0 ||
        (f[1][digits] != '\0' &&
         (f[1][digits] != '.' || f[1][digits + 1 + strspn(f[1] + digits + 1, "0123456789")])))
        return 0;
    return tool_tl_parse_double(f[0], strlen(f[0]), rss_mib) == 0 && *rss_mib >= 0 &&
           *rss_mib <= TOOL_TL_MAX_VALUE;
}
