/*
 * http_get.h - a minimal HTTP/1.0 client for the metrics tests: one GET
 * on loopback, the whole answer read until the server closes. Written
 * here so that the tests measure the endpoint with nothing of ours in
 * between.
 */
#ifndef TESTS_HTTP_GET_H
#define TESTS_HTTP_GET_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_answer {
    int status; /* 0: no answer (connection refused, ...) */
    char *head; /* the status line and headers, NUL-terminated */
    char *body; /* NUL-terminated (and may hold NULs before) */
    size_t body_len;
} http_answer;

/* GET path from 127.0.0.1:port with the given Accept header (or none). */
http_answer http_get(unsigned port, const char *path, const char *accept);
void http_answer_free(http_answer *a);

/* The value of the sample `series` (a whole series: name and labels as
 * printed, e.g. `x_bucket{le="+Inf"}`) in an exposition; -1 when absent. */
double metric_value(const char *text, const char *series);

#endif
