/*
 * timeline_lex.c - the timeline reader's lexical rules: numbers as the
 * formats write them, and UTF-8 checking for the text it keeps.
 */
#include "timeline_parse.h"
#include "text.h"

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
    uint32_t cp;
    size_t len = gcp__utf8_decode((const unsigned char *)str, &cp);

    /* UTF-8 (common/utf8.c's rules), less XML's two non-characters: the
     * text reaches SVG files. */
    return cp == 0xfffe || cp == 0xffff ? 0 : len;
}
