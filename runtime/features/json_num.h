/*
 * json_num.h - a double in JSON, exactly: the shortest of 15, 16 or 17
 * significant digits that reads back as the same double (0.005, not
 * 0.0050000000000000001), and null for what JSON cannot hold.
 */
#ifndef GCP_JSON_NUM_H
#define GCP_JSON_NUM_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static inline void gcp__json_double(FILE *fp, double v)
{
    char buf[32];

    if (!isfinite(v)) {
        fputs("null", fp);
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, fp);
}

#endif /* GCP_JSON_NUM_H */
