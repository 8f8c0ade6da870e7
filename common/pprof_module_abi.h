/*
 * pprof_module_abi.h - the contract between libgcprof.so's loader
 * (runtime/features/pprof_module.c) and the pprof module it dlopens,
 * libgcprof-pprof.so (pprof/module.c). The module carries pprof/ and its
 * libraries (protobuf-c, zlib, libdw), which stay out of libgcprof.so and
 * so out of every program that never writes a heap profile.
 *
 * The module exports exactly these two symbols. The loader checks the
 * number first and refuses any other: a module from another release may
 * take other arguments. Change the number with the function's contract.
 */
#ifndef GCP_PPROF_MODULE_ABI_H
#define GCP_PPROF_MODULE_ABI_H

#include <stddef.h>

#define GCP_PPROF_MODULE_ABI  1
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

#endif
