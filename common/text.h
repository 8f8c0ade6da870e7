/*
 * text.h - text the library writes: UTF-8 (utf8.c) and JSON strings
 * (json.c). Knows nothing of the collector: the timeline library, the
 * preload library and the gcprof command use it too.
 */
#ifndef GCP_TEXT_H
#define GCP_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Decode the character at s: its length in bytes (1-4) and *cp, or 0 for
 * an invalid sequence or the terminating NUL. */
size_t gcp__utf8_decode(const unsigned char *s, uint32_t *cp);
/* The longest prefix of s, at most max bytes, that does not split a
 * character. */
size_t gcp__utf8_cut(const char *s, size_t max);
/* Copy into dst[size] as much of src as fits without splitting a
 * character, terminated; returns the bytes copied. */
size_t gcp__utf8_copy(char *dst, size_t size, const char *src);

/* s as a JSON string, quotes included: valid UTF-8 is copied, a byte that
 * is not becomes U+FFFD, so the document always parses. */
void gcp__json_str(FILE *fp, const char *s);
/* The same for the first n bytes of s (NUL-terminated at or after n). */
void gcp__json_strn(FILE *fp, const char *s, size_t n);

#endif /* GCP_TEXT_H */
