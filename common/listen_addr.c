/*
 * listen_addr.c - parsing a listening address (listen_addr.h).
 */
#include "listen_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port_of(const char *s, unsigned *port)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > 65535)
        return -1;
    *port = (unsigned)v;
    return 0;
}

static int host_of(const char *s, size_t n, gcp__listen_addr *a)
{
    if (n == 0) {
        snprintf(a->host, sizeof a->host, "127.0.0.1");
        return 0;
    }
    if (n >= sizeof a->host)
        return -1;
    memcpy(a->host, s, n);
    a->host[n] = '\0';
    return 0;
}

int gcp__listen_addr_parse(const char *text, gcp__listen_addr *a, char *why, size_t size)
{
    const char *colon;
    int bad;

    memset(a, 0, sizeof *a);
    if (!text || !*text) {
        snprintf(why, size, "an empty address");
        return -1;
    }
    if (text[0] == '[') { /* [v6]:port */
        const char *close = strchr(text, ']');
        bad = !close || close[1] != ':' || close == text + 1 ||
              host_of(text + 1, (size_t)(close - text - 1), a) || port_of(close + 2, &a->port);
    } else if ((colon = strrchr(text, ':')) != NULL) {
        bad = memchr(text, ':', (size_t)(colon - text)) != NULL /* a bare v6: needs [] */ ||
              host_of(text, (size_t)(colon - text), a) || port_of(colon + 1, &a->port);
    } else {
        bad = host_of(text, 0, a) || port_of(text, &a->port);
    }
    if (bad) {
        snprintf(why, size, "'%.60s' is not PORT, :PORT, HOST:PORT or [IPV6]:PORT (port 0-65535)",
                 text);
        return -1;
    }
    return 0;
}
