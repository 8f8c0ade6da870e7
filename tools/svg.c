/*
 * svg.c - SVG text, axes and the document's start for the gcprof
 * command's pictures.
 */
#include "svg.h"

#include <math.h>
#include <string.h>

#include "timeline_read.h" /* tool_tl_utf8_len */

/* Average advance of sans-serif text, in ems; digits and lowercase are
 * near 0.55, so long names are rarely underestimated by much. */
#define EM_ADVANCE 0.56

size_t tool_svg_chars(const char *s)
{
    size_t n = 0;

    while (*s) {
        size_t len = tool_tl_utf8_len(s);
        s += len ? len : 1;
        n++;
    }
    return n;
}

double tool_svg_width(size_t n, double px_font)
{
    return (double)n * px_font * EM_ADVANCE;
}

size_t tool_svg_fit(double px, double px_font)
{
    return px <= 0 ? 0 : (size_t)(px / (px_font * EM_ADVANCE));
}

static void put_char(FILE *fp, const char *s, size_t len)
{
    unsigned char c = (unsigned char)*s;

    if (len == 0)
        fputs("\xef\xbf\xbd", fp); /* U+FFFD */
    else if (c < 0x20 || c == 0x7f)
        fputc(' ', fp);
    else if (c == '&')
        fputs("&amp;", fp);
    else if (c == '<')
        fputs("&lt;", fp);
    else if (c == '>')
        fputs("&gt;", fp);
    else if (c == '"')
        fputs("&quot;", fp);
    else
        fwrite(s, 1, len, fp);
}

void tool_svg_put_text(FILE *fp, const char *s, size_t max_chars)
{
    size_t n = tool_svg_chars(s), shown = 0;

    if (n > max_chars)
        max_chars = max_chars > 0 ? max_chars - 1 : 0; /* room for the ellipsis */
    while (*s && shown < max_chars) {
        size_t len = tool_tl_utf8_len(s);
        put_char(fp, s, len);
        s += len ? len : 1;
        shown++;
    }
    if (*s)
        fputs("\xe2\x80\xa6", fp); /* U+2026 */
}

void tool_svg_text(FILE *fp, double x, double y, const char *cls, const char *anchor,
                   const char *text, size_t max_chars)
{
    fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\" text-anchor=\"%s\">", x, y, cls, anchor);
    tool_svg_put_text(fp, text, max_chars);
    fputs("</text>\n", fp);
}

int tool_axis_make(tool_axis *a, double lo, double hi, int want, int round_hi)
{
    double raw, mag, f;
    int bad = !isfinite(lo) || !isfinite(hi);

    if (!bad && !(hi > lo))
        hi = lo + 1;
    if (want < 1)
        want = 1;
    if (want > TOOL_SVG_MAX_TICKS / 2)
        want = TOOL_SVG_MAX_TICKS / 2;
    raw = bad ? 0 : (hi - lo) / want;
    /* a step too small to move lo (lo + 1 at 1e17) never reaches hi */
    if (bad || !isfinite(raw) || !(raw > 0) || lo + raw == lo || hi - raw == hi) {
        *a = (tool_axis){0, 1, 0.2, 1};
        return -1;
    }
    mag = pow(10, floor(log10(raw)));
    f = raw / mag;
    a->step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    a->lo = lo;
    a->hi = round_hi ? ceil(hi / a->step - 1e-9) * a->step : hi;
    a->decimals = 0;
    /* enough decimals that 0.25-like steps still print distinct ticks */
    while (a->decimals < 9) {
        double scaled = a->step * pow(10, a->decimals);
        if (fabs(scaled - round(scaled)) < 1e-6 * scaled)
            break;
        a->decimals++;
    }
    return isfinite(a->hi) && isfinite(a->step) ? 0 : ((*a = (tool_axis){0, 1, 0.2, 1}), -1);
}

const char *tool_axis_label(const tool_axis *a, double v, char *buf, size_t size)
{
    if (fabs(v) < a->step * 1e-9)
        v = 0; /* no "-0.0" */
    snprintf(buf, size, "%.*f", a->decimals, v);
    return buf;
}

void tool_svg_begin(FILE *fp, double width, double height, const char *title, const char *style)
{
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\">\n<title>",
            width, height, width, height);
    tool_svg_put_text(fp, title, 300);
    fprintf(fp, "</title>\n<style>\n%s</style>\n", style);
    fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", fp);
    /* bold, and often full of wide characters: a wider guess per character */
    tool_svg_text(fp, 16, 26, "title", "start", title, tool_svg_fit(width - 32, 18.5));
}
