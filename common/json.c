/*
 * json.c - JSON strings that always parse (used by every JSON writer).
 */
#include "text.h"

void gcp__json_str(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', fp);
    while (*p) {
        uint32_t cp;
        size_t len = gcp__utf8_decode(p, &cp);
        if (len == 0) {
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
