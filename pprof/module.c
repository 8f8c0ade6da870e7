/*
 * module.c - libgcprof-pprof.so, the pprof layer as a module that
 * libgcprof.so loads only when a program asks it for a heap profile
 * (common/pprof_module_abi.h is the contract; the loader is
 * runtime/features/pprof_module.c). So protobuf-c, zlib and libdw enter
 * a program's address space only then, and leave it after.
 *
 * Built with -fvisibility=hidden: these three are all it exports. It calls
 * no collector function and allocates with malloc only (pprof/ does), so
 * nothing here touches the heap the program profiles.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "pprof.h"
#include "pprof_module_abi.h"

#define MODULE_EXPORT __attribute__((visibility("default")))

/* The declarations -Wmissing-prototypes wants: the loader finds them by
 * name (dlsym), with the types the contract gives. */
MODULE_EXPORT extern const unsigned gcp_pprof_module_abi;
MODULE_EXPORT gcp_pprof_module_convert_fn gcp_pprof_module_convert;
MODULE_EXPORT gcp_pprof_module_each_sample_fn gcp_pprof_module_each_sample;

const unsigned gcp_pprof_module_abi = GCP_PPROF_MODULE_ABI;

_Static_assert(PPROF_NVALUES == 4, "the contract hands over four values per sample");

/* The raw dump at raw_fd, read and symbolised into *p (which owns copies
 * of everything it holds: the dump is freed). 0 or PPROF_E*, said. */
static int read_symbolised(int raw_fd, pprof_profile *p, char *err, size_t errlen)
{
    char name[32];
    pprof_raw raw;
    int rc;

    snprintf(name, sizeof name, "raw heap dump (fd %d)", raw_fd);
    if ((rc = pprof_dump_read_fd(raw_fd, name, &raw, err, errlen)) != 0)
        return rc;
    rc = pprof_symbolize(&raw, p, err, errlen);
    pprof_raw_free(&raw);
    return rc;
}

int gcp_pprof_module_convert(int raw_fd, const char *out_path, char *err, size_t errlen)
{
    pprof_profile p;
    int rc;

    if (!out_path || !*out_path)
        return pprof__fail(err, errlen, PPROF_EIO, "no output file given");
    if ((rc = read_symbolised(raw_fd, &p, err, errlen)) != 0)
        return rc;
    rc = pprof_write(&p, out_path, err, errlen);
    pprof_profile_free(&p);
    return rc;
}

/* The model's samples handed over one by one, in the contract's form. */
static int each_sample(const pprof_profile *p, gcp_pprof_module_sample_fn *fn, void *ctx,
                       char *err, size_t errlen)
{
    size_t most = 1;
    int rc = 0;

    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].depth > most)
            most = p->samples[i].depth;
    gcp_pprof_module_frame *frames = malloc(most * sizeof *frames);
    if (!frames)
        return pprof__fail(err, errlen, PPROF_ENOMEM, "symbolising: out of memory");
    for (size_t i = 0; i < p->nsamples && rc == 0; i++) {
        const pprof_sample *s = &p->samples[i];
        gcp_pprof_module_sample out = {.kind = s->kind, .type = s->type, .depth = s->depth,
                                       .frames = frames};
        for (int k = 0; k < 4; k++)
            out.value[k] = s->value[k];
        for (size_t d = 0; d < s->depth; d++) {
            const pprof_frame *f = &p->frames[s->first + d];
            frames[d] = (gcp_pprof_module_frame){f->function, f->file, f->line, f->address};
        }
        rc = fn(&out, ctx);
    }
    free(frames);
    return rc;
}

int gcp_pprof_module_each_sample(int raw_fd, gcp_pprof_module_sample_fn *fn, void *ctx, char *err,
                                 size_t errlen)
{
    pprof_profile p;
    int rc;

    if ((rc = read_symbolised(raw_fd, &p, err, errlen)) != 0)
        return rc;
    rc = each_sample(&p, fn, ctx, err, errlen);
    pprof_profile_free(&p);
    return rc;
}
