/*
 * symbolize.c - a raw dump's return addresses into frames, with elfutils'
 * libdwfl reading the objects on disk offline: each distinct object is
 * reported once at its load bias, functions come from its symbol table,
 * files and lines from its DWARF (or from a separate debug file found by
 * build ID: Debian's -dbgsym packages, /usr/lib/debug), inlined calls
 * from the DWARF scopes around the address. Files can change after a
 * program ran, so an object whose build ID is not the one the dump
 * recorded is not asked at all: wrong names are worse than none.
 */
#define _GNU_SOURCE /* qsort_r */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pprof.h"

#define MAX_INLINE 64 /* frames one address expands to */

typedef struct object {
    Dwfl_Module *mod; /* NULL: nothing to ask */
} object;

typedef struct symbolizer {
    const pprof_raw *raw;
    pprof_profile *out;
    pprof__arena *arena; /* out's */
    Dwfl *dwfl;
    object *objects;     /* one per distinct (path, bias) */
    size_t *map_object;  /* raw map -> its object */
    size_t *by_start;    /* raw maps sorted by start */
    pprof__vec comments; /* of const char * */
    pprof__vec resolved; /* of pprof_frame: every distinct address's frames */
    pprof__map memo;     /* (address, 0) -> first resolved frame << 8 | count */
} symbolizer;

static char *no_debuginfo_path; /* NULL: libdwfl's default (.debug, /usr/lib/debug) */
static const Dwfl_Callbacks offline = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &no_debuginfo_path,
};

static int note(symbolizer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A profile comment: why some frames have no names. */
static int note(symbolizer *s, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    const char **c = pprof__vec_push(s->arena, &s->comments);

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!c || !(*c = pprof__arena_strndup(s->arena, buf, strlen(buf))))
        return -1;
    return 0;
}

static void hex(char *out, const unsigned char *bits, int n)
{
    for (int i = 0; i < n; i++) {
        out[2 * i] = "0123456789abcdef"[bits[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[bits[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The object's module when its build ID is the dump's, else NULL and a
 * comment. A dump without a build ID cannot be checked: trusted. */
static Dwfl_Module *report(symbolizer *s, const pprof_raw_map *m)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    char ondisk[2 * PPROF_MAX_BUILD_ID + 1];
    Dwfl_Module *mod;
    int n;

    if (m->path[0] != '/') /* "-", "[vdso]": no file to read */
        return NULL;
    if (!(mod = dwfl_report_elf(s->dwfl, m->path, m->path, -1, m->bias, false))) {
        note(s, "gcprof: %s not symbolised: %s", m->path, dwfl_errmsg(-1));
        return NULL;
    }
    if (!m->build_id[0])
        return mod;
    n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n <= 0 || n > PPROF_MAX_BUILD_ID) {
        note(s, "gcprof: %s not symbolised: it has no build ID now, the dump's was %s", m->path,
             m->build_id);
        return NULL;
    }
    hex(ondisk, bits, n);
    if (strcmp(ondisk, m->build_id) != 0) {
        note(s,
             "gcprof: %s not symbolised: its build ID is %s, the dump's was %s (the file changed)",
             m->path, ondisk, m->build_id);
        return NULL;
    }
    return mod;
}

static int start_cmp(const void *a, const void *b, void *maps)
{
    uint64_t x = ((const pprof_raw_map *)maps)[*(const size_t *)a].start;
    uint64_t y = ((const pprof_raw_map *)maps)[*(const size_t *)b].start;

    return x < y ? -1 : x > y;
}

/* One module per distinct (path, bias), and the maps sorted by start. */
static int report_objects(symbolizer *s)
{
    const pprof_raw *raw = s->raw;
    pprof__strtab paths = {0};
    pprof__map seen = {0};
    size_t nobjects = 0;
    int rc = 0;

    s->objects = pprof__arena_array(s->arena, raw->nmaps, sizeof *s->objects);
    s->map_object = pprof__arena_array(s->arena, raw->nmaps, sizeof *s->map_object);
    s->by_start = pprof__arena_array(s->arena, raw->nmaps, sizeof *s->by_start);
    if (!s->objects || !s->map_object || !s->by_start)
        return -1;
    dwfl_report_begin(s->dwfl);
    for (size_t i = 0; i < raw->nmaps && rc == 0; i++) {
        int64_t path = pprof__strtab_add(&paths, raw->maps[i].path);
        size_t obj = path < 0 ? SIZE_MAX : pprof__map_get(&seen, (uint64_t)path, raw->maps[i].bias);
        s->by_start[i] = i;
        if (path < 0)
            rc = -1;
        else if (obj != SIZE_MAX)
            s->map_object[i] = obj;
        else if (pprof__map_put(&seen, (uint64_t)path, raw->maps[i].bias, nobjects) != 0)
            rc = -1;
        else {
            s->objects[nobjects].mod = report(s, &raw->maps[i]);
            s->map_object[i] = nobjects++;
        }
    }
    dwfl_report_end(s->dwfl, NULL, NULL);
    pprof__strtab_free(&paths);
    pprof__map_free(&seen);
    qsort_r(s->by_start, raw->nmaps, sizeof *s->by_start, start_cmp, raw->maps);
    return rc;
}

/* The map holding addr, or SIZE_MAX. */
static size_t map_of(const symbolizer *s, uint64_t addr)
{
    size_t lo = 0, hi = s->raw->nmaps; /* the first map starting above addr */

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->raw->maps[s->by_start[mid]].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return SIZE_MAX;
    size_t i = s->by_start[lo - 1];
    return addr < s->raw->maps[i].limit ? i : SIZE_MAX;
}

static const char *keep(symbolizer *s, const char *str)
{
    return str ? pprof__arena_strndup(s->arena, str, strlen(str)) : "";
}

/* A function's name without the symbol version the ELF symbol table
 * gives it ("__libc_start_main@@GLIBC_2.34"): the name in the source. */
static const char *keep_name(symbolizer *s, const char *str)
{
    return str ? pprof__arena_strndup(s->arena, str, strcspn(str, "@")) : "";
}

/* The file named by an inlined call's DW_AT_call_file, or NULL. */
static const char *call_file(Dwarf_Die *cu, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    Dwarf_Word idx;
    Dwarf_Files *files;
    size_t nfiles;

    if (!dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) != 0)
        return NULL;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
        return NULL;
    return dwarf_filesrc(files, idx, NULL, NULL);
}

static int64_t call_line(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    Dwarf_Word line;

    if (!dwarf_attr(die, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line) != 0)
        return 0;
    return line > INT64_MAX ? 0 : (int64_t)line;
}

/* The compilation unit holding addr: by the module's address ranges
 * (.debug_aranges), else by looking through its units. clang leaves
 * .debug_aranges out by default, and libdwfl 0.188 then finds none:
 * clang-built programs had no file or line. */
static Dwarf_Die *unit_of(Dwfl_Module *mod, uint64_t addr, Dwarf_Die *space, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
    Dwarf *dw;
    Dwarf_Off at = 0, next;
    size_t header;

    if (cu || !(dw = dwfl_module_getdwarf(mod, bias)))
        return cu;
    while (dwarf_nextcu(dw, at, &next, &header, NULL, NULL, NULL) == 0) {
        if (dwarf_offdie(dw, at + header, space) && dwarf_haspc(space, addr - *bias) > 0)
            return space;
        at = next;
    }
    return NULL;
}

/* addr's file and line: libdwfl's, else from the unit's line table. */
static const char *line_of(Dwfl_Module *mod, uint64_t addr, Dwarf_Die *cu, Dwarf_Addr bias,
                           int *line)
{
    Dwfl_Line *src = dwfl_module_getsrc(mod, addr);
    Dwarf_Line *l;

    if (src)
        return dwfl_lineinfo(src, NULL, line, NULL, NULL, NULL);
    if (!cu || !(l = dwarf_getsrc_die(cu, addr - bias)) || dwarf_lineno(l, line) != 0)
        return NULL;
    return dwarf_linesrc(l, NULL, NULL);
}

/* addr's frames in f[0..n), innermost first: the inlined calls that the
 * DWARF scopes around addr name, then the function itself. */
static size_t frames_at(Dwfl_Module *mod, uint64_t addr, pprof_frame *f, const char **names,
                        const char **files)
{
    GElf_Off off;
    GElf_Sym sym;
    Dwarf_Addr bias = 0;
    Dwarf_Die space, *cu = unit_of(mod, addr, &space, &bias), *scopes = NULL;
    const char *symbol = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
    int line = 0, nscopes = 0;
    const char *file = line_of(mod, addr, cu, bias, &line);
    size_t n = 0;

    f[0].line = line;
    files[0] = file;
    names[0] = symbol;
    if (cu)
        nscopes = dwarf_getscopes(cu, addr - bias, &scopes);
    for (int i = 0; i < nscopes && n < MAX_INLINE; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        if (tag == DW_TAG_subprogram) { /* the function the code is in: its symbol's name */
            names[n] = symbol ? symbol : dwarf_diename(&scopes[i]);
            break;
        }
        names[n] = dwarf_diename(&scopes[i]);
        f[n].inlined = 1;
        n++; /* the caller's frame, at the call */
        files[n] = call_file(cu, &scopes[i]);
        f[n].line = call_line(&scopes[i]);
        names[n] = symbol;
    }
    free(scopes);
    f[n].inlined = 0;
    return n + 1;
}

/* addr's frames, resolved once: (first << 8 | count) into s->resolved. */
static int resolve(symbolizer *s, uint64_t addr, size_t *where)
{
    pprof_frame f[MAX_INLINE + 1];
    const char *names[MAX_INLINE + 1], *files[MAX_INLINE + 1];
    size_t m = map_of(s, addr), n = 1, first = s->resolved.n;
    Dwfl_Module *mod = m == SIZE_MAX ? NULL : s->objects[s->map_object[m]].mod;

    if ((*where = pprof__map_get(&s->memo, addr, 0)) != SIZE_MAX)
        return 0;
    memset(f, 0, sizeof f);
    memset(names, 0, sizeof names);
    memset(files, 0, sizeof files);
    if (mod)
        n = frames_at(mod, addr, f, names, files);
    for (size_t i = 0; i < n; i++) {
        pprof_frame *to = pprof__vec_push(s->arena, &s->resolved);
        if (!to)
            return -1;
        *to = f[i];
        to->address = addr;
        to->mapping = m == SIZE_MAX ? UINT32_MAX : (uint32_t)m;
        if (!(to->function = keep_name(s, names[i])) || !(to->file = keep(s, files[i])))
            return -1;
    }
    *where = first << 8 | n;
    return pprof__map_put(&s->memo, addr, 0, *where);
}

/* The samples: each stack's frames copied out of s->resolved. */
static int fill_samples(symbolizer *s)
{
    const pprof_raw *raw = s->raw;
    pprof_profile *out = s->out;
    size_t total = 0, npcs = 0, *where, k = 0;

    for (size_t i = 0; i < raw->nstacks; i++)
        npcs += raw->stacks[i].depth;
    if (!(where = malloc((npcs ? npcs : 1) * sizeof *where)))
        return -1;
    for (size_t i = 0; i < raw->nstacks; i++)
        for (size_t d = 0; d < raw->stacks[i].depth; d++) {
            size_t *w = &where[k++];
            if (resolve(s, raw->stacks[i].pcs[d] - 1, w) != 0) {
                free(where);
                return -1;
            }
            total += *w & 0xff;
        }
    out->samples = pprof__arena_array(s->arena, raw->nstacks, sizeof *out->samples);
    out->frames = pprof__arena_array(s->arena, total, sizeof *out->frames);
    if (!out->samples || !out->frames) {
        free(where);
        return -1;
    }
    k = 0;
    for (size_t i = 0; i < raw->nstacks; i++) {
        pprof_sample *smp = &out->samples[i];
        smp->first = out->nframes;
        memcpy(smp->value, raw->stacks[i].value, sizeof smp->value);
        smp->kind = keep(s, raw->stacks[i].kind);
        smp->type = raw->stacks[i].type ? keep(s, raw->stacks[i].type) : "";
        for (size_t d = 0; d < raw->stacks[i].depth; d++) {
            size_t w = where[k++], n = w & 0xff;
            memcpy(&out->frames[out->nframes], (pprof_frame *)s->resolved.items + (w >> 8),
                   n * sizeof(pprof_frame));
            out->nframes += n;
        }
        smp->depth = out->nframes - smp->first;
    }
    out->nsamples = raw->nstacks;
    free(where);
    return 0;
}

/* The dump's maps as the profile's mappings, in the same order. */
static int fill_mappings(symbolizer *s)
{
    const pprof_raw *raw = s->raw;
    pprof_profile *out = s->out;

    if (raw->nmaps >= UINT32_MAX)
        return -1;
    if (!(out->mappings = pprof__arena_array(s->arena, raw->nmaps, sizeof *out->mappings)))
        return -1;
    for (size_t i = 0; i < raw->nmaps; i++) {
        pprof_mapping *m = &out->mappings[i];
        m->start = raw->maps[i].start;
        m->limit = raw->maps[i].limit;
        m->offset = raw->maps[i].offset;
        if (!(m->file = keep(s, raw->maps[i].path)) ||
            !(m->build_id = keep(s, raw->maps[i].build_id)))
            return -1;
    }
    out->nmappings = raw->nmaps;
    return 0;
}

static int symbolize(symbolizer *s)
{
    const pprof_raw *raw = s->raw;

    s->out->period = raw->rate;
    s->out->time_ns = raw->time_ns;
    s->out->duration_ns = raw->duration_ns;
    for (size_t i = 0; i < raw->ncomments; i++) {
        const char **c = pprof__vec_push(s->arena, &s->comments);
        if (!c || !(*c = keep(s, raw->comments[i])))
            return -1;
    }
    if (fill_mappings(s) != 0 || report_objects(s) != 0 || fill_samples(s) != 0)
        return -1;
    s->out->comments = s->comments.items;
    s->out->ncomments = s->comments.n;
    return 0;
}

int pprof_symbolize(const pprof_raw *raw, pprof_profile *out, char *err, size_t errlen)
{
    symbolizer s = {.raw = raw, .out = out};
    int rc;

    memset(out, 0, sizeof *out);
    s.comments.size = sizeof(const char *);
    s.resolved.size = sizeof(pprof_frame);
    if (!(s.arena = pprof__arena_new()))
        return pprof__fail(err, errlen, PPROF_ENOMEM, "symbolising: out of memory");
    if (!(s.dwfl = dwfl_begin(&offline))) {
        pprof__arena_free(s.arena);
        return pprof__fail(err, errlen, PPROF_ESYMBOLS, "symbolising: libdwfl: %s",
                           dwfl_errmsg(-1));
    }
    out->arena = s.arena;
    rc = symbolize(&s);
    dwfl_end(s.dwfl);
    pprof__map_free(&s.memo);
    if (rc != 0) {
        pprof_profile_free(out);
        return pprof__fail(err, errlen, PPROF_ENOMEM, "symbolising: out of memory");
    }
    return 0;
}
