/*
 * json.c - JSON strings that always parse (used by every JSON writer).
 */
#include "text.h"

#include <string.h>

void gcp__json_str(FILE *fp, const char *s)
{
    gcp__json_strn(fp, s, strlen(s));
}

void gcp__json_strn(FILE *fp, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    fputc('"', fp);
    while (p < end) {
        uint32_t cp;
        size_t len = gcp__utf8_decode(p, &cp);
        if (len == 0 || len > (size_t)(end - p)) {
            fputs("\\ufffd", fp);
            p++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            fprintf(fp, "\\%c", (int)cp);
        else if (cp < 0x20)
            fprintf(fp, "\\u%04x", (unsigned)cp);
        else
            fwrite(p, 1, len, fp);
        p += len;
    }
    fputc('"', fp);
}
