/*
 * env.h - the library's one reader of the environment (env.c).
 */
#ifndef GCP_ENV_H
#define GCP_ENV_H

/* The variable's value, or NULL when unset or when the process runs with
 * secure execution (setuid, setgid, file capabilities: AT_SECURE): there
 * the library reads no GCPROF_* variable at all. Not owned by the caller. */
const char *gcp__env(const char *name);

#endif
