/*
 * svg.h - the few SVG primitives `gcprof plot` needs: escaped text, text
 * width estimates (no font metrics: the file must stand alone), and axes
 * with "nice" tick values.
 */
#ifndef TOOL_SVG_H
#define TOOL_SVG_H

#include <stddef.h>
#include <stdio.h>

/* The font stack every viewer has something of; no web fonts. */
#define TOOL_SVG_FONTS                                                                             \
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "                      \
    "'Liberation Sans', 'DejaVu Sans', sans-serif"

/* The classes every picture of gcprof's shares: the font, the title and
 * subtitle, ticks, axes and their titles, the grid. */
#define TOOL_SVG_BASE_STYLE                                                                        \
    "svg{font-family:" TOOL_SVG_FONTS "}\n"                                                        \
    "text{fill:#222}\n"                                                                            \
    ".title{font-size:16px;font-weight:600}\n"                                                     \
    ".sub{font-size:12px;fill:#555}\n"                                                             \
    ".tick{font-size:11px;fill:#555}\n"                                                            \
    ".axis-title{font-size:12px;fill:#444}\n"                                                      \
    ".grid{stroke:#e8e8e8;stroke-width:1}\n"                                                       \
    ".axis{stroke:#9a9a9a;stroke-width:1}\n"

/* The start of a picture: the <svg> element, its <title>, the style, a
 * white background and the title drawn at the top left. */
void tool_svg_begin(FILE *fp, double width, double height, const char *title, const char *style);

/* Write s as XML character data: escaped, invalid UTF-8 as U+FFFD, control
 * characters as spaces, and cut to max_chars characters with an ellipsis. */
void tool_svg_put_text(FILE *fp, const char *s, size_t max_chars);

/* Characters in s (UTF-8), and how many fit in px at font size px_font. */
size_t tool_svg_chars(const char *s);
size_t tool_svg_fit(double px, double px_font);

/* Estimated width of n characters at a font size (average sans-serif). */
double tool_svg_width(size_t n, double px_font);

/* <text> at (x, y) with a class and anchor ("start", "middle", "end"). */
void tool_svg_text(FILE *fp, double x, double y, const char *cls, const char *anchor,
                   const char *text, size_t max_chars);

/* An axis from lo to hi with ticks at multiples of step (1, 2 or 5 times a
 * power of ten), about `want` of them. With round_hi, hi grows to a tick. */
typedef struct tool_axis {
    double lo, hi, step;
    int decimals; /* for printing ticks: enough to tell them apart */
} tool_axis;

/* Ticks an axis draws at most: a loop over them ends whatever the values. */
#define TOOL_SVG_MAX_TICKS 1000

/* Returns 0, or -1 when lo or hi is not finite or the range too wide for a
 * double's steps (then the axis is 0 to 1, so drawing it still ends). */
int tool_axis_make(tool_axis *a, double lo, double hi, int want, int round_hi);

/* The tick value v as the axis prints it, into buf. */
const char *tool_axis_label(const tool_axis *a, double v, char *buf, size_t size);

#endif /* TOOL_SVG_H */
