/*
 * http_get.c - the metrics tests' HTTP client (http_get.h).
 */
#include "http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);

    for (ssize_t r; buf && (r = recv(fd, buf + n, cap - n, 0)) > 0;) {
        n += (size_t)r;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) {
                free(buf);
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

http_answer http_get(unsigned port, const char *path, const char *accept)
{
    http_answer a = {0, NULL, NULL, 0};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[512];
    size_t len;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return a;
    }
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s\r\n", path,
             accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");
    char *all = send_all(fd, req, strlen(req)) == 0 ? read_all(fd, &len) : NULL;
    close(fd);
    char *end = all ? strstr(all, "\r\n\r\n") : NULL;
    if (!end || sscanf(all, "HTTP/1.%*d %d", &a.status) != 1) {
        free(all);
        a.status = 0;
        return a;
    }
    *end = '\0';
    a.head = all;
    a.body_len = len - (size_t)(end + 4 - all);
    a.body = malloc(a.body_len + 1);
    if (a.body) {
        memcpy(a.body, end + 4, a.body_len);
        a.body[a.body_len] = '\0';
    }
    return a;
}

void http_answer_free(http_answer *a)
{
    free(a->head);
    free(a->body);
    a->head = a->body = NULL;
}

double metric_value(const char *text, const char *series)
{
    size_t n = strlen(series);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}
