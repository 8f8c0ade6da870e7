/*
 * listen_addr.h - the address a metrics endpoint listens on, as users
 * write it: "PORT", ":PORT", "HOST:PORT" or "[IPV6]:PORT". No host means
 * loopback (127.0.0.1): anything reachable from other machines must be
 * asked for by name ("0.0.0.0:9464", "[::]:9464").
 */
#ifndef GCP_LISTEN_ADDR_H
#define GCP_LISTEN_ADDR_H

#include <stddef.h>

typedef struct gcp__listen_addr {
    char host[256]; /* numeric or a name; never empty once parsed */
    unsigned port;  /* 0: any free port (the one taken is reported) */
} gcp__listen_addr;

/* 0, or -1 with why[size] saying what is wrong with text. */
int gcp__listen_addr_parse(const char *text, gcp__listen_addr *a, char *why, size_t size);

#endif
