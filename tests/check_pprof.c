/*
 * check_pprof.c - the pprof layer (pprof/pprof.h): a raw dump of this
 * program's own stacks, written here by hand, symbolised against this very
 * file; a model written and read back; hostile dumps and hostile pprof
 * files; a build ID that no longer matches.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof.h"
#include "profile.pb-c.h"
#include "self_dump.h"
#include "testutil.h"

static char dir[64];
static char err[1024];

static void make_dir(void)
{
    strcpy(dir, "/tmp/check_pprof.XXXXXX"); /* again for each test: CK_FORK=no */
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *path_of(const char *name)
{
    static char p[4][256];
    static int k;

    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void put_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "w");

    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    ck_assert_int_eq(fclose(fp), 0);
}

static unsigned char *get_file(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "r");
    unsigned char *buf = malloc(1 << 20);

    ck_assert_ptr_nonnull(fp);
    *n = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    return buf;
}

/* ---- this file's own functions, the symboliser's targets ---- */

uint64_t pprof_test_here(void) __attribute__((noinline, noclone));
uint64_t pprof_test_alpha(int *line) __attribute__((noinline, noclone));
uint64_t pprof_test_beta(int *line) __attribute__((noinline, noclone));
static volatile int sink;

uint64_t pprof_test_here(void)
{
    sink++;
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

enum { ALPHA_FIRST = __LINE__ };
uint64_t pprof_test_alpha(int *line)
{
    uint64_t ra = pprof_test_here(); *line = __LINE__;
    sink++;
    return ra;
}
enum { ALPHA_LAST = __LINE__ };

uint64_t pprof_test_beta(int *line)
{
    uint64_t ra = pprof_test_here(); *line = __LINE__;
    sink += 2;
    return ra;
}
enum { BETA_LAST = __LINE__ };

typedef struct self {
    int alpha_line, beta_line;
    uint64_t in_alpha, in_beta, alpha_entry;
} self;

/* A dump of three stacks of this program: inside alpha (a return address
 * from a call), alpha's entry + 1, inside beta; the maps from
 * dl_iterate_phdr. flip: the build ID changed in its last digit. */
static void write_self_dump(const char *path, self *s, int flip)
{
    char *text;
    size_t len;
    FILE *fp = open_memstream(&text, &len);

    s->in_alpha = pprof_test_alpha(&s->alpha_line);
    s->in_beta = pprof_test_beta(&s->beta_line);
    s->alpha_entry = (uint64_t)(uintptr_t)&pprof_test_alpha;
    ck_assert_int_gt(self_dump_start(fp), 0);
    fprintf(fp, "rate 524288\npid %d\ntime_ns 1764700000000000000\nduration_ns 1500000000\n",
            (int)getpid());
    fprintf(fp, "comment hand-made by check_pprof\n");
    fprintf(fp, "stack normal 12 786432 3 196608 %lx\n", (unsigned long)s->in_alpha);
    fprintf(fp, "stack atomic 1 64 1 64 %lx %lx\n", (unsigned long)(s->alpha_entry + 1),
            (unsigned long)s->in_alpha);
    fprintf(fp, "stack kind-7 2 100 0 0 %lx\n", (unsigned long)s->in_beta);
    fclose(fp);
    if (flip) {
        char id[129];
        self_build_id(id, sizeof id);
        ck_assert_msg(id[0], "this test program has no build ID");
        char *at = strstr(text, id);
        ck_assert_ptr_nonnull(at);
        for (char *p = at; (p = strstr(p, id)) != NULL; p += strlen(id))
            p[strlen(id) - 1] = p[strlen(id) - 1] == '0' ? '1' : '0';
    }
    put_file(path, text, len);
    free(text);
}

static void assert_ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    ck_assert_msg(n >= t && strcmp(s + n - t, tail) == 0, "'%s' does not end with '%s'", s, tail);
}

START_TEST(test_symbolize_self)
{
    pprof_raw raw;
    pprof_profile p;
    self s;

    write_self_dump(path_of("self.dump"), &s, 0);
    ck_assert_msg(pprof_dump_read(path_of("self.dump"), &raw, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(raw.nstacks, 3);
    ck_assert_int_eq(raw.rate, 524288);
    ck_assert_msg(pprof_symbolize(&raw, &p, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(p.nsamples, 3);
    ck_assert_int_eq(p.period, 524288);
    ck_assert_int_eq(p.samples[0].value[PPROF_ALLOC_SPACE], 786432);
    ck_assert_int_eq(p.samples[0].value[PPROF_INUSE_OBJECTS], 3);
    ck_assert_str_eq(p.samples[1].kind, "atomic");
    ck_assert_str_eq(p.samples[2].kind, "kind-7");
    ck_assert_uint_eq(p.ncomments, 1); /* the dump's; nothing to say */
    ck_assert_str_eq(p.comments[0], "hand-made by check_pprof");

    /* inside alpha, at the call: the call's line */
    const pprof_frame *f = &p.frames[p.samples[0].first];
    ck_assert_uint_eq(p.samples[0].depth, 1);
    ck_assert_str_eq(f->function, "pprof_test_alpha");
    assert_ends_with(f->file, "check_pprof.c");
    ck_assert_int_eq(f->line, s.alpha_line);
    ck_assert_uint_eq(f->address, s.in_alpha - 1);
    ck_assert_uint_lt(f->mapping, p.nmappings);
    ck_assert_uint_ge(f->address, p.mappings[f->mapping].start);
    ck_assert_uint_lt(f->address, p.mappings[f->mapping].limit);

    /* alpha's entry: its first lines; then the same frame as before */
    f = &p.frames[p.samples[1].first];
    ck_assert_uint_eq(p.samples[1].depth, 2);
    ck_assert_str_eq(f[0].function, "pprof_test_alpha");
    ck_assert_int_ge(f[0].line, ALPHA_FIRST);
    ck_assert_int_le(f[0].line, ALPHA_LAST);
    ck_assert_int_eq(f[1].line, s.alpha_line);

    f = &p.frames[p.samples[2].first];
    ck_assert_str_eq(f->function, "pprof_test_beta");
    ck_assert_int_eq(f->line, s.beta_line);
    ck_assert_int_gt(f->line, ALPHA_LAST);
    ck_assert_int_lt(f->line, BETA_LAST);
    pprof_profile_free(&p);
    pprof_profile_free(&p); /* zeroed: a no-op */
    pprof_raw_free(&raw);
    pprof_raw_free(NULL);
}
END_TEST

START_TEST(test_changed_build_id)
{
    pprof_raw raw;
    pprof_profile p;
    self s;
    int noted = 0;

    write_self_dump(path_of("flipped.dump"), &s, 1);
    ck_assert_msg(pprof_dump_read(path_of("flipped.dump"), &raw, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(pprof_symbolize(&raw, &p, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < p.nframes; i++) {
        ck_assert_str_eq(p.frames[i].function, "");
        ck_assert_str_eq(p.frames[i].file, "");
        ck_assert_uint_ne(p.frames[i].address, 0);
    }
    for (size_t i = 0; i < p.ncomments; i++)
        noted += strstr(p.comments[i], "build ID") != NULL;
    ck_assert_int_eq(noted, 1); /* one object, said once */
    pprof_profile_free(&p);
    pprof_raw_free(&raw);
}
END_TEST

/* ---- write, then read back ---- */

/* A model with what the format can carry: inlined frames, an unresolved
 * frame, a frame without a mapping, kinds, types, comments. */
static pprof_frame model_frames[] = {
    {"inner_inlined", "a.c", 10, 0x1010, 0, 1},
    {"outer", "a.c", 20, 0x1010, 0, 0},
    {"main", "main.c", 5, 0x1100, 0, 0},
    {"", "", 0, 0x7f0000001234, 1, 0},
    {"outer", "a.c", 21, 0x1020, 0, 0},
    {"main", "main.c", 5, 0x1100, 0, 0},
    {"jit", "", 0, 0x99, UINT32_MAX, 0},
};
static pprof_sample model_samples[] = {
    {0, 3, {1, 2, 3, 4}, "normal", ""},
    {3, 3, {10, 20000, 0, 0}, "atomic", "struct node"},
    {6, 1, {INT64_MAX, 1, 0, -1}, "", "t"},
};
static pprof_mapping model_mappings[] = {
    {0x1000, 0x2000, 0, "/usr/bin/prog", "3f1ae9"},
    {0x7f0000000000, 0x7f0000100000, 0x1000, "/lib/libc.so.6", ""},
};
static const char *model_comments[] = {"first", "second, with spaces"};
static const pprof_profile model = {
    524288,         1764700000000000000, 1500000000,     model_samples, 3, model_frames, 7,
    model_mappings, 2,                   model_comments, 2,             NULL};

static void assert_same(const pprof_profile *a, const pprof_profile *b)
{
    ck_assert_int_eq(a->period, b->period);
    ck_assert_int_eq(a->time_ns, b->time_ns);
    ck_assert_int_eq(a->duration_ns, b->duration_ns);
    ck_assert_uint_eq(a->nsamples, b->nsamples);
    for (size_t i = 0; i < a->nsamples; i++) {
        const pprof_sample *x = &a->samples[i], *y = &b->samples[i];
        ck_assert_uint_eq(x->depth, y->depth);
        for (int k = 0; k < PPROF_NVALUES; k++)
            ck_assert_int_eq(x->value[k], y->value[k]);
        ck_assert_str_eq(x->kind, y->kind);
        ck_assert_str_eq(x->type, y->type);
        for (size_t d = 0; d < x->depth; d++) {
            const pprof_frame *f = &a->frames[x->first + d], *g = &b->frames[y->first + d];
            ck_assert_str_eq(f->function, g->function);
            ck_assert_str_eq(f->file, g->file);
            ck_assert_int_eq(f->line, g->line);
            ck_assert_uint_eq(f->address, g->address);
            ck_assert_uint_eq(f->mapping, g->mapping);
            ck_assert_int_eq(f->inlined, g->inlined);
        }
    }
    ck_assert_uint_eq(a->nmappings, b->nmappings);
    for (size_t i = 0; i < a->nmappings; i++) {
        ck_assert_uint_eq(a->mappings[i].start, b->mappings[i].start);
        ck_assert_uint_eq(a->mappings[i].limit, b->mappings[i].limit);
        ck_assert_uint_eq(a->mappings[i].offset, b->mappings[i].offset);
        ck_assert_str_eq(a->mappings[i].file, b->mappings[i].file);
        ck_assert_str_eq(a->mappings[i].build_id, b->mappings[i].build_id);
    }
    ck_assert_uint_eq(a->ncomments, b->ncomments);
    for (size_t i = 0; i < a->ncomments; i++)
        ck_assert_str_eq(a->comments[i], b->comments[i]);
}

static int same_bytes(const char *x, const char *y)
{
    size_t n, m;
    unsigned char *a = get_file(x, &n), *b = get_file(y, &m);
    int same = n == m && memcmp(a, b, n) == 0;

    free(a);
    free(b);
    return same;
}

START_TEST(test_round_trip)
{
    pprof_profile back, again;
    size_t n;
    unsigned char *bytes;

    ck_assert_msg(pprof_write(&model, path_of("m.pb.gz"), err, sizeof err) == 0, "%s", err);
    bytes = get_file(path_of("m.pb.gz"), &n);
    ck_assert_uint_gt(n, 20);
    ck_assert_int_eq(bytes[0], 0x1f); /* gzip */
    ck_assert_int_eq(bytes[1], 0x8b);
    free(bytes);
    ck_assert_msg(pprof_read(path_of("m.pb.gz"), &back, err, sizeof err) == 0, "%s", err);
    assert_same(&model, &back);

    /* the same model, the same bytes; and what was read writes the same */
    ck_assert_int_eq(pprof_write(&model, path_of("m2.pb.gz"), err, sizeof err), 0);
    ck_assert(same_bytes(path_of("m.pb.gz"), path_of("m2.pb.gz")));
    ck_assert_int_eq(pprof_write(&back, path_of("m3.pb.gz"), err, sizeof err), 0);
    ck_assert(same_bytes(path_of("m.pb.gz"), path_of("m3.pb.gz")));
    pprof_profile_free(&back);

    /* a symbolised profile too */
    pprof_raw raw;
    self s;
    write_self_dump(path_of("self.dump"), &s, 0);
    ck_assert_int_eq(pprof_dump_read(path_of("self.dump"), &raw, err, sizeof err), 0);
    ck_assert_int_eq(pprof_symbolize(&raw, &back, err, sizeof err), 0);
    ck_assert_msg(pprof_write(&back, path_of("s.pb.gz"), err, sizeof err) == 0, "%s", err);
    ck_assert_msg(pprof_read(path_of("s.pb.gz"), &again, err, sizeof err) == 0, "%s", err);
    assert_same(&back, &again);
    pprof_profile_free(&again);
    pprof_profile_free(&back);
    pprof_raw_free(&raw);
}
END_TEST

/* The decoded file, to look at what the writer put in it. */
static Perftools__Profiles__Profile *decode(const char *path)
{
    size_t n;
    unsigned char *gz = get_file(path, &n), *plain = malloc(1 << 20);
    uLongf plainn = 1 << 20;
    z_stream z = {0};

    ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = gz;
    z.avail_in = (uInt)n;
    z.next_out = plain;
    z.avail_out = (uInt)plainn;
    ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    plainn = z.total_out;
    inflateEnd(&z);
    Perftools__Profiles__Profile *m = perftools__profiles__profile__unpack(NULL, plainn, plain);
    ck_assert_ptr_nonnull(m);
    free(gz);
    free(plain);
    return m;
}

START_TEST(test_written_layout)
{
    static const char *types[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                  "inuse_objects", "count", "inuse_space", "bytes"};
    Perftools__Profiles__Profile *m;

    ck_assert_int_eq(pprof_write(&model, path_of("l.pb.gz"), err, sizeof err), 0);
    m = decode(path_of("l.pb.gz"));
    ck_assert_str_eq(m->string_table[0], "");
    ck_assert_uint_eq(m->n_sample_type, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(m->string_table[m->sample_type[i]->type], types[2 * i]);
        ck_assert_str_eq(m->string_table[m->sample_type[i]->unit], types[2 * i + 1]);
    }
    ck_assert_str_eq(m->string_table[m->default_sample_type], "inuse_space");
    ck_assert_str_eq(m->string_table[m->period_type->type], "space");
    ck_assert_str_eq(m->string_table[m->period_type->unit], "bytes");
    /* locations: (0,0x1010) with two lines, 0x1100, libc's, 0x1020, 0x99 */
    ck_assert_uint_eq(m->n_location, 5);
    ck_assert_uint_eq(m->location[0]->n_line, 2);
    ck_assert_uint_eq(m->location[2]->n_line, 0); /* unresolved: its address only */
    ck_assert_uint_eq(m->location[4]->mapping_id, 0);
    /* functions: one per (name, file): inner_inlined, outer, main, jit */
    ck_assert_uint_eq(m->n_function, 4);
    ck_assert(m->mapping[0]->has_functions && m->mapping[0]->has_line_numbers);
    ck_assert(!m->mapping[1]->has_functions && !m->mapping[1]->has_filenames);
    ck_assert_uint_eq(m->sample[0]->n_location_id, 2);
    ck_assert_uint_eq(m->sample[1]->n_label, 2);
    ck_assert_uint_eq(m->sample[2]->n_label, 1);
    ck_assert_str_eq(m->string_table[m->sample[2]->label[0]->key], "type");
    perftools__profiles__profile__free_unpacked(m, NULL);
}
END_TEST

START_TEST(test_write_fails_cleanly)
{
    char cmd[512];

    /* a directory in the way: an error, and no temporary file left */
    ck_assert_int_eq(mkdir(path_of("adir"), 0755), 0);
    ck_assert_int_lt(pprof_write(&model, path_of("adir"), err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "adir"));
    ck_assert_int_lt(pprof_write(&model, path_of("no/such/dir/x.pb.gz"), err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q tmp", dir);
    ck_assert_int_ne(system(cmd), 0);
}
END_TEST

/* ---- hostile raw dumps ---- */

typedef struct bad_dump {
    const char *text;
    const char *line; /* the line number the message must name */
    const char *culprit;
} bad_dump;

static const bad_dump bad_dumps[] = {
    {"", ":1:", "empty"},
    {"rate 1\n", ":1:", "rate 1"},
    {"gcprof-heap-dump 2\n", ":1:", "version"},
    {"gcprof-heap-dump 1", ":1:", "cut short"},
    {"gcprof-heap-dump 1\nrate 1\nstack normal 1 2 3\n", ":3:", "missing count"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4\n", ":2:", "without return addresses"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4 \n", ":2:", "missing return address"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4 12g4\n", ":2:", "12g4"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4 0x1234\n", ":2:", "0x1234"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4 11112222333344445\n", ":2:", "bad hex"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4 0\n", ":2:", "return address"},
    {"gcprof-heap-dump 1\nstack normal -1 2 3 4 1234\n", ":2:", "-1"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 99999999999999999999 1234\n", ":2:", "9999"},
    {"gcprof-heap-dump 1\nstack normal 1 2 3 4 1234 5678", ":2:", "cut short"},
    {"gcprof-heap-dump 1\nstack\n", ":2:", "kind"},
    {"gcprof-heap-dump 1\n\n", ":2:", "empty line"},
    {"gcprof-heap-dump 1\nrate 0\n", ":2:", "rate"},
    {"gcprof-heap-dump 1\nrate -5\n", ":2:", "-5"},
    {"gcprof-heap-dump 1\nrate 5\nrate 6\n", ":3:", "second"},
    {"gcprof-heap-dump 1\npid 12 13\n", ":2:", "12 13"},
    {"gcprof-heap-dump 1\nmap 20 10 0 0 - /x\n", ":2:", "limit"},
    {"gcprof-heap-dump 1\nmap 10 20 0 0 abc /x\n", ":2:", "build ID"},
    {"gcprof-heap-dump 1\nmap 10 20 0 0 zz /x\n", ":2:", "build ID"},
    {"gcprof-heap-dump 1\nmap 10 20 0 0 -\n", ":2:", "path"},
    {"gcprof-heap-dump 1\nmap 10 20 0\n", ":2:", "bias"},
    {"gcprof-heap-dump 1\nmap 10 20 0 xyz - /x\n", ":2:", "xyz"},
    {"gcprof-heap-dump 1\ngcprof-heap-dump 1\n", ":2:", "header"},
};

static void write_text(const char *path, const char *text)
{
    put_file(path, text, strlen(text));
}

START_TEST(test_hostile_dumps)
{
    const bad_dump *b = &bad_dumps[_i];
    pprof_raw raw;

    write_text(path_of("bad.dump"), b->text);
    err[0] = '\0';
    ck_assert_msg(pprof_dump_read(path_of("bad.dump"), &raw, err, sizeof err) < 0, "accepted: %s",
                  b->text);
    ck_assert_msg(strstr(err, b->line) && strstr(err, b->culprit),
                  "message '%s' names neither line %s nor '%s'", err, b->line, b->culprit);
    ck_assert_ptr_null(raw.arena); /* nothing left to free */
    pprof_raw_free(&raw);
}
END_TEST

START_TEST(test_dump_limits)
{
    pprof_raw raw;
    char *text = malloc(2 * PPROF_MAX_LINE + 100), *p = text;

    /* one address too many */
    p += sprintf(p, "gcprof-heap-dump 1\nstack normal 1 2 3 4");
    for (int i = 0; i <= PPROF_MAX_DEPTH; i++)
        p += sprintf(p, " %x", 0x1000 + i);
    strcpy(p, "\n");
    write_text(path_of("deep.dump"), text);
    ck_assert_int_lt(pprof_dump_read(path_of("deep.dump"), &raw, err, sizeof err), 0);
    ck_assert_msg(strstr(err, ":2:") && strstr(err, "deeper"), "%s", err);
    /* exactly the limit is fine */
    strcpy(strrchr(text, ' '), "\n");
    write_text(path_of("deep.dump"), text);
    ck_assert_msg(pprof_dump_read(path_of("deep.dump"), &raw, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(raw.stacks[0].depth, PPROF_MAX_DEPTH);
    ck_assert_uint_eq(raw.stacks[0].pcs[PPROF_MAX_DEPTH - 1], 0x1000 + PPROF_MAX_DEPTH - 1);
    pprof_raw_free(&raw);
    /* a comment of 2 MiB */
    p = text + sprintf(text, "gcprof-heap-dump 1\ncomment ");
    memset(p, 'x', 2 * PPROF_MAX_LINE);
    strcpy(p + 2 * PPROF_MAX_LINE, "\n");
    write_text(path_of("long.dump"), text);
    ck_assert_int_lt(pprof_dump_read(path_of("long.dump"), &raw, err, sizeof err), 0);
    ck_assert_msg(strstr(err, ":2:") && strstr(err, "longer"), "%s", err);
    /* a NUL byte */
    put_file(path_of("nul.dump"), "gcprof-heap-dump 1\ncomm\0ent\n", 28);
    ck_assert_int_lt(pprof_dump_read(path_of("nul.dump"), &raw, err, sizeof err), 0);
    ck_assert_msg(strstr(err, ":2:") && strstr(err, "NUL"), "%s", err);
    ck_assert_int_lt(pprof_dump_read(path_of("absent.dump"), &raw, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "absent.dump"));
    free(text);
}
END_TEST

START_TEST(test_dump_fields)
{
    pprof_raw raw;

    write_text(path_of("ok.dump"),
               "gcprof-heap-dump 1\n"
               "later-record whatever 1 2 3\n"
               "rate 1\npid 4242\ntime_ns 1764700000000000000\nduration_ns 1500000000\n"
               "gc_no 18446744073709551615\n"
               "comment \n"
               "comment free text  with  spaces\n"
               "map 55d0c8a00000 55d0c8a42000 2000 55d0c8a00000 3F1AE9 /a dir/with spaces\n"
               "map 7ffd1000 7ffd3000 0 7ffd1000 - [vdso]\n"
               "stack typed 12 786432 3 196608 55d0c8a01234 7f3e00012345\n");
    ck_assert_msg(pprof_dump_read(path_of("ok.dump"), &raw, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(raw.rate, 1);
    ck_assert_int_eq(raw.pid, 4242);
    ck_assert_int_eq(raw.time_ns, 1764700000000000000);
    ck_assert_int_eq(raw.duration_ns, 1500000000);
    ck_assert_uint_eq(raw.gc_no, UINT64_MAX);
    ck_assert_uint_eq(raw.ncomments, 2);
    ck_assert_str_eq(raw.comments[0], "");
    ck_assert_str_eq(raw.comments[1], "free text  with  spaces");
    ck_assert_uint_eq(raw.nmaps, 2);
    ck_assert_uint_eq(raw.maps[0].start, 0x55d0c8a00000);
    ck_assert_uint_eq(raw.maps[0].limit, 0x55d0c8a42000);
    ck_assert_uint_eq(raw.maps[0].offset, 0x2000);
    ck_assert_uint_eq(raw.maps[0].bias, 0x55d0c8a00000);
    ck_assert_str_eq(raw.maps[0].build_id, "3f1ae9");
    ck_assert_str_eq(raw.maps[0].path, "/a dir/with spaces");
    ck_assert_str_eq(raw.maps[1].build_id, "");
    ck_assert_str_eq(raw.maps[1].path, "[vdso]");
    ck_assert_uint_eq(raw.nstacks, 1);
    ck_assert_str_eq(raw.stacks[0].kind, "typed");
    ck_assert_int_eq(raw.stacks[0].value[PPROF_ALLOC_OBJECTS], 12);
    ck_assert_int_eq(raw.stacks[0].value[PPROF_INUSE_SPACE], 196608);
    ck_assert_uint_eq(raw.stacks[0].depth, 2);
    ck_assert_uint_eq(raw.stacks[0].pcs[1], 0x7f3e00012345);

    /* objects that are not there: unresolved, said, no failure */
    pprof_profile p;
    ck_assert_msg(pprof_symbolize(&raw, &p, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(p.nframes, 2);
    ck_assert_str_eq(p.frames[0].function, "");
    ck_assert_uint_eq(p.frames[0].mapping, 0);
    ck_assert_uint_eq(p.frames[0].address, 0x55d0c8a01233);
    ck_assert_uint_eq(p.frames[1].mapping, UINT32_MAX);
    ck_assert_uint_eq(p.ncomments, 3);
    ck_assert_ptr_nonnull(strstr(p.comments[2], "/a dir/with spaces"));
    pprof_profile_free(&p);
    pprof_raw_free(&raw);
}
END_TEST

/* ---- hostile pprof files ---- */

static void expect_refused(const char *path, const char *what)
{
    pprof_profile p;

    err[0] = '\0';
    ck_assert_msg(pprof_read(path, &p, err, sizeof err) < 0, "%s: accepted", what);
    ck_assert_msg(err[0] != '\0', "%s: no message", what);
    ck_assert_ptr_null(p.arena);
}

START_TEST(test_truncated_and_random)
{
    size_t n;
    unsigned char *good, *junk = malloc(4096);

    ck_assert_int_eq(pprof_write(&model, path_of("t.pb.gz"), err, sizeof err), 0);
    good = get_file(path_of("t.pb.gz"), &n);
    for (size_t cut = 0; cut < n; cut++) {
        put_file(path_of("cut.pb.gz"), good, cut);
        expect_refused(path_of("cut.pb.gz"), "a truncated profile");
    }
    srand(7);
    for (int round = 0; round < 300; round++) {
        size_t len = (size_t)(rand() % 4096);
        for (size_t i = 0; i < len; i++)
            junk[i] = (unsigned char)rand();
        if (round % 2 && len >= 2) { /* past the magic number, into zlib */
            junk[0] = 0x1f;
            junk[1] = 0x8b;
        }
        put_file(path_of("junk.pb"), junk, len);
        expect_refused(path_of("junk.pb"), "random bytes");
    }
    /* flipped bytes in a valid file: refused or read, never a crash */
    for (size_t i = 10; i < n - 8; i++) {
        pprof_profile p;
        good[i] ^= 0x55;
        put_file(path_of("flip.pb.gz"), good, n);
        if (pprof_read(path_of("flip.pb.gz"), &p, err, sizeof err) == 0)
            pprof_profile_free(&p);
        good[i] ^= 0x55;
    }
    free(good);
    free(junk);
}
END_TEST

/* A plain (not gzip'd) profile that pprof_read accepts, to break. */
typedef struct msg {
    Perftools__Profiles__Profile p;
    Perftools__Profiles__ValueType vt[2], *vtp[2];
    Perftools__Profiles__Function fn, *fnp;
    Perftools__Profiles__Line line, *linep;
    Perftools__Profiles__Location loc, *locp;
    Perftools__Profiles__Mapping map, *mapp;
    Perftools__Profiles__Label label, *labelp;
    Perftools__Profiles__Sample s, *sp;
    uint64_t locid;
    int64_t value[2], comment;
    char *strings[7];
} msg;

static void msg_init(msg *m)
{
    static const char *const strs[] = {"", "alloc_space", "bytes", "inuse_space", "f", "kind", "x"};
    memset(m, 0, sizeof *m);
    perftools__profiles__profile__init(&m->p);
    for (int i = 0; i < 2; i++) {
        perftools__profiles__value_type__init(&m->vt[i]);
        m->vt[i].type = 1 + 2 * i;
        m->vt[i].unit = 2;
        m->vtp[i] = &m->vt[i];
    }
    perftools__profiles__function__init(&m->fn);
    m->fn = (Perftools__Profiles__Function){m->fn.base, 7, 4, 4, 6, 0};
    perftools__profiles__line__init(&m->line);
    m->line.function_id = 7;
    m->line.line = 3;
    perftools__profiles__location__init(&m->loc);
    m->loc.id = 9;
    m->loc.mapping_id = 2;
    m->loc.address = 0x1234;
    m->linep = &m->line;
    m->loc.n_line = 1;
    m->loc.line = &m->linep;
    perftools__profiles__mapping__init(&m->map);
    m->map.id = 2;
    m->map.filename = 6;
    perftools__profiles__label__init(&m->label);
    m->label.key = 5;
    m->label.str = 6;
    perftools__profiles__sample__init(&m->s);
    m->locid = 9;
    m->s.n_location_id = 1;
    m->s.location_id = &m->locid;
    m->value[0] = 100;
    m->value[1] = 40;
    m->s.n_value = 2;
    m->s.value = m->value;
    m->labelp = &m->label;
    m->s.n_label = 1;
    m->s.label = &m->labelp;
    m->fnp = &m->fn;
    m->locp = &m->loc;
    m->mapp = &m->map;
    m->sp = &m->s;
    m->p.n_sample_type = 2;
    m->p.sample_type = m->vtp;
    m->p.n_sample = 1;
    m->p.sample = &m->sp;
    m->p.n_mapping = 1;
    m->p.mapping = &m->mapp;
    m->p.n_location = 1;
    m->p.location = &m->locp;
    m->p.n_function = 1;
    m->p.function = &m->fnp;
    for (int i = 0; i < 7; i++)
        m->strings[i] = (char *)strs[i];
    m->p.n_string_table = 7;
    m->p.string_table = m->strings;
    m->p.n_comment = 1;
    m->comment = 6;
    m->p.comment = &m->comment;
}

static void msg_put(const msg *m, const char *path)
{
    size_t n = perftools__profiles__profile__get_packed_size(&m->p);
    uint8_t *buf = malloc(n + 1);

    perftools__profiles__profile__pack(&m->p, buf);
    put_file(path, buf, n);
    free(buf);
}

START_TEST(test_crafted_ok)
{
    msg m;
    pprof_profile p;

    msg_init(&m);
    msg_put(&m, path_of("ok.pb"));
    ck_assert_msg(pprof_read(path_of("ok.pb"), &p, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(p.nsamples, 1);
    ck_assert_int_eq(p.samples[0].value[PPROF_ALLOC_SPACE], 100);
    ck_assert_int_eq(p.samples[0].value[PPROF_INUSE_SPACE], 40);
    ck_assert_int_eq(p.samples[0].value[PPROF_ALLOC_OBJECTS], 0); /* absent: 0 */
    ck_assert_str_eq(p.samples[0].kind, "x");
    ck_assert_uint_eq(p.samples[0].depth, 1);
    ck_assert_str_eq(p.frames[0].function, "f");
    ck_assert_str_eq(p.frames[0].file, "x");
    ck_assert_int_eq(p.frames[0].line, 3);
    ck_assert_uint_eq(p.frames[0].mapping, 0);
    ck_assert_str_eq(p.mappings[0].file, "x");
    ck_assert_str_eq(p.comments[0], "x");
    pprof_profile_free(&p);
}
END_TEST

/* Each breaks one thing of msg_init's valid profile. */
static void break_msg(msg *m, int which)
{
    static char not_empty[] = "oops", cpu[] = "cpu";
    static uint64_t two_locs[2] = {9, 9};

    switch (which) {
    case 0: m->locid = 99; break;               /* a sample's location */
    case 1: m->line.function_id = 99; break;    /* a line's function */
    case 2: m->loc.mapping_id = 99; break;      /* a location's mapping */
    case 3: m->fn.name = 999; break;            /* string indices */
    case 4: m->fn.filename = -1; break;
    case 5: m->label.key = 7; break;
    case 6: m->label.str = 1 << 30; break;
    case 7: m->comment = 7; break;
    case 8: m->map.filename = -5; break;
    case 9: m->vt[1].type = 70; break;
    case 10: m->strings[0] = not_empty; break;  /* string table's first entry */
    case 11: m->p.n_string_table = 0; break;
    case 12: m->fn.id = 0; m->line.function_id = 0; break; /* id 0 */
    case 13: m->loc.id = 0; m->locid = 0; break;
    case 14: m->s.n_value = 1; break;            /* values per sample type */
    case 15: m->strings[1] = cpu; m->strings[3] = cpu; break; /* no heap types */
    case 16: m->p.n_function = 1; m->map.id = 0; break;
    case 17: m->s.n_location_id = 2; m->s.location_id = two_locs; two_locs[1] = 8; break;
    }
}
#define N_BROKEN 18

START_TEST(test_crafted_broken)
{
    msg m;

    msg_init(&m);
    break_msg(&m, _i);
    msg_put(&m, path_of("broken.pb"));
    expect_refused(path_of("broken.pb"), "a broken profile");
    if (_i == 15)
        ck_assert_msg(strstr(err, "no heap sample types"), "%s", err);
}
END_TEST

START_TEST(test_duplicate_ids)
{
    msg m;
    Perftools__Profiles__Function *two[2];

    msg_init(&m);
    two[0] = two[1] = &m.fn;
    m.p.n_function = 2;
    m.p.function = two;
    msg_put(&m, path_of("dup.pb"));
    expect_refused(path_of("dup.pb"), "two functions of one id");
    ck_assert_msg(strstr(err, "function") && strstr(err, "7"), "%s", err);
}
END_TEST

static Suite *make_pprof_suite(void)
{
    Suite *s = suite_create("pprof");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");
    TCase *limits = tcase_create("limits");

    tcase_add_checked_fixture(core, make_dir, remove_dir);
    tcase_add_checked_fixture(errors, make_dir, remove_dir);
    tcase_add_checked_fixture(limits, make_dir, remove_dir);
    tcase_add_test(core, test_symbolize_self);
    tcase_add_test(core, test_changed_build_id);
    tcase_add_test(core, test_round_trip);
    tcase_add_test(core, test_written_layout);
    tcase_add_test(core, test_dump_fields);
    tcase_add_test(core, test_crafted_ok);
    tcase_add_loop_test(errors, test_hostile_dumps, 0, sizeof bad_dumps / sizeof bad_dumps[0]);
    tcase_add_loop_test(errors, test_crafted_broken, 0, N_BROKEN);
    tcase_add_test(errors, test_duplicate_ids);
    tcase_add_test(errors, test_write_fails_cleanly);
    tcase_add_test(limits, test_dump_limits);
    tcase_add_test(limits, test_truncated_and_random);
    tcase_set_timeout(limits, 60);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    return tu_run(make_pprof_suite());
}
