/*
 * read_model.c - a decoded pprof message into the model, trusting none of
 * its numbers: each string index, function, location and mapping id is
 * looked up before use, and the frames it expands to are bounded (a
 * location of many lines shared by many samples multiplies).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pprof.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Function Function;

typedef struct conv {
    const Profile *m;
    const char *path;
    pprof_profile *out;
    pprof__arena *arena;
    char *err;
    size_t errlen;
    const char **strs;                          /* copies made so far, by index */
    pprof__map functions, locations, mappings; /* (id, 0) -> index */
    int value_of[PPROF_NVALUES];               /* sample_type index, or -1 */
} conv;

static int bad(conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PATH: what". */
static int bad(conv *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pprof__fail(c->err, c->errlen, PPROF_EFORMAT, "%s: %s", c->path, msg);
}

/* String i of the table, copied into the profile once; NULL when out of
 * range (after the message) or out of memory. */
static const char *str(conv *c, int64_t i, const char *what)
{
    const Profile *m = c->m;

    if (i < 0 || (uint64_t)i >= m->n_string_table) {
        bad(c, "%s names string %lld, outside the table of %zu", what, (long long)i,
            m->n_string_table);
        return NULL;
    }
    if (!c->strs[i]) {
        const char *s = m->string_table[i] ? m->string_table[i] : "";
        c->strs[i] = pprof__arena_strndup(c->arena, s, strlen(s));
        if (!c->strs[i])
            pprof__fail(c->err, c->errlen, PPROF_ENOMEM, "%s: out of memory", c->path);
    }
    return c->strs[i];
}

/* id -> index for n items of which id_of gives the id: ids non-zero and
 * distinct. */
static int index_ids(conv *c, pprof__map *map, size_t n, uint64_t (*id_of)(const Profile *, size_t),
                     const char *what)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t id = id_of(c->m, i);
        if (id == 0 || pprof__map_get(map, id, 0) != SIZE_MAX)
            return bad(c, "%s number %zu has id %llu: 0, or one used before", what, i,
                       (unsigned long long)id);
        if (pprof__map_put(map, id, 0, i) != 0)
            return pprof__fail(c->err, c->errlen, PPROF_ENOMEM, "%s: out of memory", c->path);
    }
    return 0;
}

static uint64_t function_id(const Profile *m, size_t i)
{
    return m->function[i]->id;
}
static uint64_t location_id(const Profile *m, size_t i)
{
    return m->location[i]->id;
}
static uint64_t mapping_id(const Profile *m, size_t i)
{
    return m->mapping[i]->id;
}

/* Which sample_type holds each of the four heap values. */
static int sample_types(conv *c)
{
    static const char *const names[PPROF_NVALUES] = {"alloc_objects", "alloc_space",
                                                     "inuse_objects", "inuse_space"};
    int found = 0;

    for (int k = 0; k < PPROF_NVALUES; k++)
        c->value_of[k] = -1;
    for (size_t i = 0; i < c->m->n_sample_type && i < 64; i++) {
        const char *name = str(c, c->m->sample_type[i]->type, "a sample type");
        if (!name)
            return PPROF_EFORMAT;
        for (int k = 0; k < PPROF_NVALUES; k++)
            if (strcmp(name, names[k]) == 0 && c->value_of[k] < 0) {
                c->value_of[k] = (int)i;
                found = 1;
            }
    }
    if (!found)
        return pprof__fail(c->err, c->errlen, PPROF_EFORMAT,
                           "%s: no heap sample types (alloc_objects, alloc_space, inuse_objects, "
                           "inuse_space): not a heap profile",
                           c->path);
    return 0;
}

static int mappings(conv *c)
{
    const Profile *m = c->m;
    pprof_profile *out = c->out;

    if (m->n_mapping >= UINT32_MAX)
        return bad(c, "%zu mappings, more than %u", m->n_mapping, UINT32_MAX - 1);
    if (!(out->mappings = pprof__arena_array(c->arena, m->n_mapping, sizeof *out->mappings)))
        return PPROF_ENOMEM;
    for (size_t i = 0; i < m->n_mapping; i++) {
        pprof_mapping *mp = &out->mappings[i];
        mp->start = m->mapping[i]->memory_start;
        mp->limit = m->mapping[i]->memory_limit;
        mp->offset = m->mapping[i]->file_offset;
        if (!(mp->file = str(c, m->mapping[i]->filename, "a mapping's file")) ||
            !(mp->build_id = str(c, m->mapping[i]->build_id, "a mapping's build ID")))
            return PPROF_EFORMAT;
    }
    out->nmappings = m->n_mapping;
    return index_ids(c, &c->mappings, m->n_mapping, mapping_id, "mapping");
}

/* Every location's mapping and functions exist; returns the frames each
 * sample will take, through nframes[] (one per location). */
static int check_locations(conv *c)
{
    const Profile *m = c->m;

    for (size_t i = 0; i < m->n_function; i++)
        if (!str(c, m->function[i]->name, "a function's name") ||
            !str(c, m->function[i]->filename, "a function's file"))
            return PPROF_EFORMAT;
    for (size_t i = 0; i < m->n_location; i++) {
        const Location *loc = m->location[i];
        if (loc->mapping_id && pprof__map_get(&c->mappings, loc->mapping_id, 0) == SIZE_MAX)
            return bad(c, "location %llu names mapping %llu, which does not exist",
                       (unsigned long long)loc->id, (unsigned long long)loc->mapping_id);
        for (size_t j = 0; j < loc->n_line; j++)
            if (pprof__map_get(&c->functions, loc->line[j]->function_id, 0) == SIZE_MAX)
                return bad(c, "location %llu names function %llu, which does not exist",
                           (unsigned long long)loc->id,
                           (unsigned long long)loc->line[j]->function_id);
    }
    return 0;
}

/* Location loc's frames into f (as many as it has lines, at least one). */
static size_t location_frames(conv *c, const Location *loc, pprof_frame *f)
{
    size_t mapping = loc->mapping_id ? pprof__map_get(&c->mappings, loc->mapping_id, 0) : SIZE_MAX;
    size_t n = loc->n_line ? loc->n_line : 1;

    for (size_t j = 0; j < n; j++) {
        f[j].address = loc->address;
        f[j].mapping = mapping == SIZE_MAX ? UINT32_MAX : (uint32_t)mapping;
        f[j].inlined = j + 1 < n;
        f[j].function = f[j].file = "";
        if (j < loc->n_line) {
            const Function *fn =
                c->m->function[pprof__map_get(&c->functions, loc->line[j]->function_id, 0)];
            f[j].function = c->strs[fn->name]; /* copied by check_locations */
            f[j].file = c->strs[fn->filename];
            f[j].line = loc->line[j]->line;
        }
    }
    return n;
}

/* The sample's labels kind and type (string labels; others ignored). */
static int labels(conv *c, const Perftools__Profiles__Sample *s, pprof_sample *to)
{
    to->kind = to->type = "";
    for (size_t i = 0; i < s->n_label; i++) {
        const char *key = str(c, s->label[i]->key, "a label's key"), *value;
        if (!key || !(value = str(c, s->label[i]->str, "a label's value")))
            return PPROF_EFORMAT;
        if (strcmp(key, "kind") == 0)
            to->kind = value;
        else if (strcmp(key, "type") == 0)
            to->type = value;
    }
    return 0;
}

static int samples(conv *c)
{
    const Profile *m = c->m;
    pprof_profile *out = c->out;
    size_t total = 0;

    for (size_t i = 0; i < m->n_sample; i++) {
        const Perftools__Profiles__Sample *s = m->sample[i];
        if (s->n_value != m->n_sample_type)
            return bad(c, "sample %zu has %zu values for %zu sample types", i, s->n_value,
                       m->n_sample_type);
        for (size_t d = 0; d < s->n_location_id; d++) {
            size_t l = pprof__map_get(&c->locations, s->location_id[d], 0);
            if (l == SIZE_MAX)
                return bad(c, "sample %zu names location %llu, which does not exist", i,
                           (unsigned long long)s->location_id[d]);
            total += m->location[l]->n_line ? m->location[l]->n_line : 1;
            if (total > (size_t)PPROF_MAX_FRAMES)
                return pprof__fail(c->err, c->errlen, PPROF_ELIMIT,
                                   "%s: more than %ld frames in all", c->path,
                                   (long)PPROF_MAX_FRAMES);
        }
    }
    out->samples = pprof__arena_array(c->arena, m->n_sample, sizeof *out->samples);
    out->frames = pprof__arena_array(c->arena, total, sizeof *out->frames);
    if (!out->samples || !out->frames)
        return PPROF_ENOMEM;
    for (size_t i = 0; i < m->n_sample; i++) {
        const Perftools__Profiles__Sample *s = m->sample[i];
        pprof_sample *to = &out->samples[i];
        to->first = out->nframes;
        for (size_t d = 0; d < s->n_location_id; d++)
            out->nframes += location_frames(
                c, m->location[pprof__map_get(&c->locations, s->location_id[d], 0)],
                &out->frames[out->nframes]);
        to->depth = out->nframes - to->first;
        for (int k = 0; k < PPROF_NVALUES; k++)
            to->value[k] = c->value_of[k] < 0 ? 0 : s->value[c->value_of[k]];
        if (labels(c, s, to) != 0)
            return PPROF_EFORMAT;
    }
    out->nsamples = m->n_sample;
    return 0;
}

static int convert(conv *c)
{
    const Profile *m = c->m;
    pprof_profile *out = c->out;
    int rc;

    if (m->n_string_table == 0 || !m->string_table[0] || m->string_table[0][0])
        return pprof__fail(c->err, c->errlen, PPROF_EFORMAT,
                           "%s: the string table does not start with \"\"", c->path);
    if ((rc = sample_types(c)) || (rc = mappings(c)) ||
        (rc = index_ids(c, &c->functions, m->n_function, function_id, "function")) ||
        (rc = index_ids(c, &c->locations, m->n_location, location_id, "location")) ||
        (rc = check_locations(c)) || (rc = samples(c)))
        return rc;
    if (!(out->comments = pprof__arena_array(c->arena, m->n_comment, sizeof *out->comments)))
        return PPROF_ENOMEM;
    for (size_t i = 0; i < m->n_comment; i++)
        if (!(out->comments[out->ncomments++] = str(c, m->comment[i], "a comment")))
            return PPROF_EFORMAT;
    out->period = m->period;
    out->time_ns = m->time_nanos;
    out->duration_ns = m->duration_nanos;
    return 0;
}

int pprof__from_message(const Profile *m, const char *path, pprof_profile *out, char *err,
                        size_t errlen)
{
    conv c = {.m = m, .path = path, .out = out, .err = err, .errlen = errlen};
    int rc = PPROF_ENOMEM;

    memset(out, 0, sizeof *out);
    if ((c.arena = pprof__arena_new()) != NULL &&
        (c.strs = calloc(m->n_string_table ? m->n_string_table : 1, sizeof *c.strs)) != NULL) {
        out->arena = c.arena;
        rc = convert(&c);
    }
    if (rc == PPROF_ENOMEM)
        pprof__fail(err, errlen, rc, "%s: out of memory", path);
    if (rc != 0) {
        pprof__arena_free(c.arena);
        memset(out, 0, sizeof *out);
    }
    free(c.strs);
    pprof__map_free(&c.functions);
    pprof__map_free(&c.locations);
    pprof__map_free(&c.mappings);
    return rc;
}
