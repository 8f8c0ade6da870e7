/* TEMPORARY STUB (replaced by the pprof-module branch) */
#ifndef GCP_PPROF_MODULE_H
#define GCP_PPROF_MODULE_H
int gcp__pprof_convert(int raw_fd, const char *out_path);
#endif
