/*
 * pprof_module_abi.h - the contract between libgcprof.so's loader
 * (runtime/features/pprof_module.c) and the pprof module it dlopens,
 * libgcprof-pprof.so (pprof/module.c). The module carries pprof/ and its
 * libraries (protobuf-c, zlib, libdw), which stay out of libgcprof.so and
 * so out of every program that never writes a heap profile.
 *
 * The module exports exactly these three symbols. The loader checks the
 * number first and refuses any other: a module from another release may
 * take other arguments. Change the number with the function's contract.
 */
#ifndef GCP_PPROF_MODULE_ABI_H
#define GCP_PPROF_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define GCP_PPROF_MODULE_ABI  2
#define GCP_PPROF_MODULE_FILE "libgcprof-pprof.so" /* in $(pkglibdir) */

/* const unsigned gcp_pprof_module_abi = GCP_PPROF_MODULE_ABI; */
#define GCP_PPROF_MODULE_ABI_SYMBOL "gcp_pprof_module_abi"

/* int gcp_pprof_module_convert(int raw_fd, const char *out_path,
 *                              char *err, size_t errlen);
 * Reads the raw heap dump (doc/heap-dump-format.md) open at raw_fd, from
 * offset 0 (raw_fd stays open and the caller's; its offset does not move),
 * symbolises it against the files on disk and writes a gzip'd pprof
 * profile to out_path (a temporary file beside it, then renamed). Returns
 * 0, or a negative PPROF_E* code (pprof/pprof.h) with a message in
 * err[errlen]. Never calls the collector; allocates only with malloc. */
#define GCP_PPROF_MODULE_CONVERT_SYMBOL "gcp_pprof_module_convert"
typedef int gcp_pprof_module_convert_fn(int raw_fd, const char *out_path, char *err, size_t errlen);

/* One frame of a symbolised stack; "" and 0 when unknown. address is the
 * call's (the return address - 1), the same for a call and what was
 * inlined into it. */
typedef struct gcp_pprof_module_frame {
    const char *function, *file;
    int64_t line;
    uint64_t address;
} gcp_pprof_module_frame;

/* One stack of the dump, symbolised: its four values (allocated objects,
 * allocated bytes, in-use objects, in-use bytes, as the dump has them), its
 * kind and type ("" when none) and its frames, innermost first, a frame
 * inlined into another before it. Valid during the call only. */
typedef struct gcp_pprof_module_sample {
    int64_t value[4];
    const char *kind, *type;
    size_t depth;
    const gcp_pprof_module_frame *frames;
} gcp_pprof_module_sample;
typedef int gcp_pprof_module_sample_fn(const gcp_pprof_module_sample *sample, void *ctx);

/* int gcp_pprof_module_each_sample(int raw_fd, gcp_pprof_module_sample_fn
 *                                  *fn, void *ctx, char *err, size_t errlen);
 * Reads and symbolises the raw dump at raw_fd as convert does, then calls
 * fn for each of its stacks, in the dump's order, and stops at the first
 * that returns non-zero. Returns 0, fn's non-zero return, or a negative
 * PPROF_E* code with a message in err[errlen]. */
#define GCP_PPROF_MODULE_EACH_SAMPLE_SYMBOL "gcp_pprof_module_each_sample"
typedef int gcp_pprof_module_each_sample_fn(int raw_fd, gcp_pprof_module_sample_fn *fn, void *ctx,
                                            char *err, size_t errlen);

#endif
