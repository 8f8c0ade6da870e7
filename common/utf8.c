/*
 * utf8.c - just enough UTF-8 to print names as Python would and as JSON
 * requires: decode one character, and cut a string on a character boundary.
 */
#include <string.h>

#include "text.h"

size_t gcp__utf8_decode(const unsigned char *s, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return c ? 1 : 0;
    }
    if ((c & 0xE0) == 0xC0)
        len = 2, c &= 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        len = 3, c &= 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        len = 4, c &= 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past Unicode are not UTF-8. */
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

size_t gcp__utf8_cut(const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strnlen(s, max + 1);
    uint32_t cp;

    if (n <= max) /* it all fits: no sequence to cut */
        return n;
    n = 0;
    while (u[n]) {
        size_t len = gcp__utf8_decode(u + n, &cp);
        if (len == 0)
            len = 1; /* an invalid byte stands alone */
        if (n + len > max)
            break;
        n += len;
    }
    return n;
}

size_t gcp__utf8_copy(char *dst, size_t size, const char *src)
{
    size_t n = gcp__utf8_cut(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}
