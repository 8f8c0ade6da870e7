/*
 * write.c - the model as a gzip'd perftools.profiles.Profile. The message
 * is built in a scratch arena, packed by protobuf-c and deflated into a
 * temporary file renamed over the target (common/safe_file.h), so a
 * reader never sees half a profile. Everything is numbered in the order
 * the model is walked: the same model gives the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "safe_file.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__ValueType ValueType;

typedef struct writer {
    const pprof_profile *p;
    pprof__arena *arena;    /* the message's parts */
    pprof__strtab strings;  /* the model's strings, not copied */
    pprof__map functions;   /* (name, file) string indices -> Function index */
    pprof__map locations;   /* (address, mapping + 1) -> Location index */
    pprof__vec funcs, locs; /* of Function *, Location * */
    int failed;             /* out of memory somewhere */
} writer;

static int64_t str(writer *w, const char *s)
{
    int64_t i = pprof__strtab_add(&w->strings, s ? s : "");

    if (i < 0) {
        w->failed = 1;
        return 0;
    }
    return i;
}

static void *part(writer *w, size_t size)
{
    void *p = pprof__arena_alloc(w->arena, size);

    if (!p)
        w->failed = 1;
    return p;
}

static uint64_t function_id(writer *w, const pprof_frame *f)
{
    int64_t name = str(w, f->function), file = str(w, f->file);
    size_t i = pprof__map_get(&w->functions, (uint64_t)name, (uint64_t)file);
    Function *fn, **slot;

    if (i != SIZE_MAX)
        return i + 1;
    if (!(fn = part(w, sizeof *fn)) || !(slot = pprof__vec_push(w->arena, &w->funcs)) ||
        pprof__map_put(&w->functions, (uint64_t)name, (uint64_t)file, w->funcs.n - 1) != 0) {
        w->failed = 1;
        return 0;
    }
    perftools__profiles__function__init(fn);
    fn->id = w->funcs.n;
    fn->name = fn->system_name = name;
    fn->filename = file;
    *slot = fn;
    return fn->id;
}

static int empty(const char *s)
{
    return !s || !*s;
}

/* A frame with nothing but its address is a Location without lines. */
static int unresolved(const pprof_frame *f)
{
    return empty(f->function) && empty(f->file) && !f->line;
}

/* The Location of frames f[0..n) (one address: inlined calls, then the
 * function they are in), made when its (mapping, address) is new. */
static uint64_t location_id(writer *w, const pprof_frame *f, size_t n)
{
    uint64_t mapping = f->mapping < w->p->nmappings ? f->mapping + 1 : 0;
    size_t i = pprof__map_get(&w->locations, f->address, mapping);
    Location *loc, **slot;

    if (i != SIZE_MAX)
        return i + 1;
    if (!(loc = part(w, sizeof *loc)) || !(slot = pprof__vec_push(w->arena, &w->locs)) ||
        pprof__map_put(&w->locations, f->address, mapping, w->locs.n - 1) != 0) {
        w->failed = 1;
        return 0;
    }
    perftools__profiles__location__init(loc);
    loc->id = w->locs.n;
    loc->mapping_id = mapping;
    loc->address = f->address;
    *slot = loc;
    if (n == 1 && unresolved(f))
        return loc->id;
    if (!(loc->line = part(w, n * sizeof *loc->line)))
        return 0;
    for (size_t k = 0; k < n; k++) {
        Line *l = part(w, sizeof *l);
        if (!l)
            return 0;
        perftools__profiles__line__init(l);
        l->function_id = function_id(w, &f[k]);
        l->line = f[k].line;
        loc->line[loc->n_line++] = l;
    }
    return loc->id;
}

static Label *label(writer *w, const char *key, const char *value)
{
    Label *l = part(w, sizeof *l);

    if (l) {
        perftools__profiles__label__init(l);
        l->key = str(w, key);
        l->str = str(w, value);
    }
    return l;
}

static Sample *sample(writer *w, const pprof_sample *s)
{
    const pprof_frame *f = w->p->frames + s->first;
    Sample *out = part(w, sizeof *out);

    if (!out)
        return NULL;
    perftools__profiles__sample__init(out);
    out->location_id = part(w, (s->depth ? s->depth : 1) * sizeof(uint64_t));
    out->value = part(w, sizeof s->value);
    out->label = part(w, 2 * sizeof(Label *));
    if (!out->location_id || !out->value || !out->label)
        return NULL;
    for (size_t i = 0, j; i < s->depth; i = j + 1) {
        /* frames i..j share an address: j is the first not inlined into the next */
        for (j = i; j + 1 < s->depth && f[j].inlined && f[j + 1].address == f[i].address &&
                    f[j + 1].mapping == f[i].mapping;
             j++)
            ;
        out->location_id[out->n_location_id++] = location_id(w, &f[i], j - i + 1);
    }
    memcpy(out->value, s->value, sizeof s->value);
    out->n_value = PPROF_NVALUES;
    if (!empty(s->kind))
        out->label[out->n_label++] = label(w, "kind", s->kind);
    if (!empty(s->type))
        out->label[out->n_label++] = label(w, "type", s->type);
    return out;
}

/* Whether anything of mapping m was resolved (pprof's has_ flags). */
static void mapping_flags(const pprof_profile *p, Mapping **maps)
{
    for (size_t i = 0; i < p->nframes; i++) {
        const pprof_frame *f = &p->frames[i];
        if (f->mapping >= p->nmappings)
            continue;
        Mapping *m = maps[f->mapping];
        m->has_functions |= !empty(f->function);
        m->has_filenames |= !empty(f->file);
        m->has_line_numbers |= f->line != 0;
        m->has_inline_frames |= f->inlined;
    }
}

static ValueType *value_type(writer *w, const char *type, const char *unit)
{
    ValueType *v = part(w, sizeof *v);

    if (v) {
        perftools__profiles__value_type__init(v);
        v->type = str(w, type);
        v->unit = str(w, unit);
    }
    return v;
}

/* The whole message, or NULL when out of memory. */
static Profile *build(writer *w)
{
    static const char *const types[PPROF_NVALUES][2] = {
        {"alloc_objects", "count"},
        {"alloc_space", "bytes"},
        {"inuse_objects", "count"},
        {"inuse_space", "bytes"},
    };
    const pprof_profile *p = w->p;
    Profile *m = part(w, sizeof *m);

    if (!m)
        return NULL;
    perftools__profiles__profile__init(m);
    str(w, ""); /* index 0, as the format asks */
    m->sample_type = part(w, PPROF_NVALUES * sizeof *m->sample_type);
    m->sample = part(w, (p->nsamples ? p->nsamples : 1) * sizeof *m->sample);
    m->mapping = part(w, (p->nmappings ? p->nmappings : 1) * sizeof *m->mapping);
    m->comment = part(w, (p->ncomments ? p->ncomments : 1) * sizeof *m->comment);
    if (!m->sample_type || !m->sample || !m->mapping || !m->comment)
        return NULL;
    for (int i = 0; i < PPROF_NVALUES; i++)
        m->sample_type[m->n_sample_type++] = value_type(w, types[i][0], types[i][1]);
    m->period_type = value_type(w, "space", "bytes");
    m->period = p->period;
    m->time_nanos = p->time_ns;
    m->duration_nanos = p->duration_ns;
    m->default_sample_type = str(w, "inuse_space");
    for (size_t i = 0; i < p->nmappings; i++) {
        Mapping *mp = part(w, sizeof *mp);
        if (!mp)
            return NULL;
        perftools__profiles__mapping__init(mp);
        mp->id = i + 1;
        mp->memory_start = p->mappings[i].start;
        mp->memory_limit = p->mappings[i].limit;
        mp->file_offset = p->mappings[i].offset;
        mp->filename = str(w, p->mappings[i].file);
        mp->build_id = str(w, p->mappings[i].build_id);
        m->mapping[m->n_mapping++] = mp;
    }
    mapping_flags(p, m->mapping);
    for (size_t i = 0; i < p->nsamples; i++)
        if (!(m->sample[m->n_sample++] = sample(w, &p->samples[i])))
            return NULL;
    for (size_t i = 0; i < p->ncomments; i++)
        m->comment[m->n_comment++] = str(w, p->comments[i]);
    m->location = w->locs.items;
    m->n_location = w->locs.n;
    m->function = w->funcs.items;
    m->n_function = w->funcs.n;
    m->string_table = (char **)w->strings.strs;
    m->n_string_table = w->strings.n;
    return w->failed ? NULL : m;
}

/* buf[0..n) gzip'd into fp (a gzip header without a time: deterministic). */
static const char *deflate_to(FILE *fp, const uint8_t *buf, size_t n)
{
    unsigned char out[64 * 1024];
    z_stream z;
    int zrc;

    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return "zlib: deflateInit2 failed";
    z.next_in = (Bytef *)buf;
    z.avail_in = (uInt)n; /* n < PPROF_MAX_INPUT fits */
    do {
        z.next_out = out;
        z.avail_out = sizeof out;
        zrc = deflate(&z, Z_FINISH);
        if (zrc == Z_STREAM_ERROR)
            break;
        if (fwrite(out, 1, sizeof out - z.avail_out, fp) != sizeof out - z.avail_out)
            break;
    } while (zrc != Z_STREAM_END);
    deflateEnd(&z);
    return zrc == Z_STREAM_END ? NULL : ferror(fp) ? strerror(errno ? errno : EIO) : "zlib: deflate failed";
}

static int pack_and_write(const Profile *m, const char *path, char *err, size_t errlen)
{
    size_t n = perftools__profiles__profile__get_packed_size(m);
    uint8_t *buf;
    gcp__file f;
    const char *why;

    if (n > (size_t)PPROF_MAX_INPUT)
        return pprof__fail(err, errlen, PPROF_ELIMIT,
                           "%s: the profile would take %zu bytes, more than a reader accepts",
                           path, n);
    if (!(buf = malloc(n ? n : 1)))
        return pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", path);
    perftools__profiles__profile__pack(m, buf);
    if ((why = gcp__file_open(&f, path)) != NULL) {
        free(buf);
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path, why);
    }
    if ((why = deflate_to(f.fp, buf, n)) != NULL) {
        gcp__file_discard(&f);
        free(buf);
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path, why);
    }
    free(buf);
    if ((why = gcp__file_commit(&f)) != NULL)
        return pprof__fail(err, errlen, PPROF_EIO, "%s: %s", path, why);
    return 0;
}

int pprof_write(const pprof_profile *p, const char *path, char *err, size_t errlen)
{
    writer w = {.p = p};
    Profile *m;
    int rc;

    w.funcs.size = sizeof(Function *);
    w.locs.size = sizeof(Location *);
    if (!(w.arena = pprof__arena_new()))
        return pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].first > p->nframes || p->samples[i].depth > p->nframes - p->samples[i].first) {
            pprof__arena_free(w.arena);
            return pprof__fail(err, errlen, PPROF_EFORMAT,
                               "%s: sample %zu's frames lie outside the model's", path, i);
        }
    if ((m = build(&w)) != NULL)
        rc = pack_and_write(m, path, err, errlen);
    else
        rc = pprof__fail(err, errlen, PPROF_ENOMEM, "%s: out of memory", path);
    pprof__strtab_free(&w.strings);
    pprof__map_free(&w.functions);
    pprof__map_free(&w.locations);
    pprof__arena_free(w.arena);
    return rc;
}
