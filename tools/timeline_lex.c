/*
 * timeline_lex.c - the timeline reader's lexical rules: numbers as the
 * formats write them, and UTF-8 checking for the text it keeps.
 */
#include "timeline_parse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t digits(const char *s, size_t i, size_t n)
{
    size_t j = i;

    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++;
    return j - i;
}

int tool_tl_parse_double(const char *s, size_t n, double *out)
{
    char buf[64];
    size_t i = 0, d;

    /* JSON's number grammar; strtod alone would take "nan", "inf", "0x1p3". */
    if (i < n && s[i] == '-')
        i++;
    if ((d = digits(s, i, n)) == 0)
        return -1;
    i += d;
    if (i < n && s[i] == '.') {
        if ((d = digits(s, i + 1, n)) == 0)
            return -1;
        i += 1 + d;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((d = digits(s, i, n)) == 0)
            return -1;
        i += d;
    }
    if (i != n || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return isfinite(*out) ? 0 : -1;
}

int tool_tl_parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || digits(s, 0, n) != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

size_t tool_tl_utf8_len(const char *str)
{
    static const unsigned min_cp[] = {0, 0, 0x80, 0x800, 0x10000}; /* shorter is overlong */
    const unsigned char *s = (const unsigned char *)str;
    size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    unsigned cp = s[0] & (0x7fu >> len); /* the lead byte's bits */

    if (s[0] < 0x80)
        return s[0] ? 1 : 0;
    if (len == 0 || s[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    /* overlong forms, surrogates, beyond Unicode, and XML's non-characters */
    if (cp < min_cp[len] || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff || cp == 0xfffe ||
        cp == 0xffff)
        return 0;
    return len;
}
