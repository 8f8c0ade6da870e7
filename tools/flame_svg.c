/*
 * flame_svg.c - the flame graph of `gcprof flame` as one SVG document
 * (heap_cmd.h): the root at the bottom, callees stacked on their callers,
 * each frame's width its share of the value, its name cut to fit, and the
 * whole name with its value in a <title> tooltip. No script: any browser
 * or viewer shows it, and a CSS :hover outlines the frame under the mouse.
 */
#include "heap_cmd.h"
#include "heap_view.h"
#include "svg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FONT_PX  11.0
#define TITLE_PX 17.0
#define SUB_PX   12.0
#define TOP_PX   64.0 /* the title and two lines under it */
#define LEVEL_PX (TOOL_FLAME_FRAME_PX + 1)

/* FNV-1a of a name: its colour's seed. */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A warm colour a name always gets: red to yellow, never so light that
 * black text fades. The root is grey. */
static void colour(const char *name, int root, char *buf, size_t size)
{
    if (root) {
        snprintf(buf, size, "rgb(200,200,205)");
        return;
    }
    uint32_t h = name_hash(name);
    unsigned r = 205 + (h & 0xff) % 50;
    unsigned g = 70 + ((h >> 8) & 0xff) % 150;
    unsigned b = 30 + ((h >> 16) & 0xff) % 40;
    snprintf(buf, size, "rgb(%u,%u,%u)", r, g, b);
}

static double pct(int64_t v, int64_t total)
{
    return total > 0 ? 100.0 * (double)v / (double)total : 0;
}

/* The tooltip: the whole name, then value, share and what ends here. */
static void tooltip(FILE *fp, const tool_flame_node *n, int64_t total, int vi)
{
    int bytes = tool_hv_is_bytes(vi);
    char v[32], exact[32], self[32];

    fputs("<title>", fp);
    tool_svg_put_text(fp, n->name, SIZE_MAX);
    fprintf(fp, "&#10;%s", tool_hv_format(v, sizeof v, n->total, bytes, 0, 0));
    if (bytes && n->total >= 1024)
        fprintf(fp, " (%s bytes)", tool_hv_format(exact, sizeof exact, n->total, 0, 1, 0));
    fprintf(fp, ", %.2f%% of all; itself %s</title>", pct(n->total, total),
            tool_hv_format(self, sizeof self, n->self, bytes, 0, 0));
}

static void frame(FILE *fp, const tool_flame_node *n, double y, int64_t total, int vi)
{
    char fill[32];

    colour(n->name, n->depth == 0, fill, sizeof fill);
    fputs("<g class=\"f\">", fp);
    tooltip(fp, n, total, vi);
    fprintf(fp, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" rx=\"2\"/>",
            n->x, y, n->width, TOOL_FLAME_FRAME_PX, fill);
    size_t fit = tool_svg_fit(n->width - 6, FONT_PX);
    if (fit >= 3) { /* "ab…" at least */
        fprintf(fp, "<text x=\"%.2f\" y=\"%.1f\">", n->x + 3, y + TOOL_FLAME_FRAME_PX - 4.5);
        tool_svg_put_text(fp, n->name, fit);
        fputs("</text>", fp);
    }
    fputs("</g>\n", fp);
}

static void header(FILE *fp, const tool_flame *f, const tool_flame_svg *s, double height)
{
    int bytes = tool_hv_is_bytes(s->vi);
    char v[32], title[256], period[128];

    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\">\n"
            "<style>\n"
            "text { font-family: " TOOL_SVG_FONTS "; font-size: %.0fpx; fill: #000; }\n"
            ".title { font-size: %.0fpx; font-weight: 600; }\n"
            ".sub { font-size: %.0fpx; fill: #444; }\n"
            ".f text { pointer-events: none; }\n"
            ".f:hover rect { stroke: #000; stroke-width: 1; }\n"
            "</style>\n"
            "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#fdfcf8\"/>\n",
            s->width, height, s->width, height, FONT_PX, TITLE_PX, SUB_PX);
    snprintf(title, sizeof title, "Flame graph: %s, %s in all", tool_hv_value_name(s->vi),
             tool_hv_format(v, sizeof v, f->nnodes ? f->nodes[0].total : 0, bytes, 0, 0));
    tool_svg_text(fp, s->width / 2, 24, "title", "middle", title, 200);
    tool_svg_text(fp, s->width / 2, 42, "sub", "middle", s->file, 200);
    snprintf(title, sizeof title, "%s; %s", tool_hv_meaning(s->vi),
             tool_hv_period(period, sizeof period, s->period));
    tool_svg_text(fp, s->width / 2, 58, "sub", "middle", title, 200);
}

void tool_flame_svg_write(FILE *fp, tool_flame *f, const tool_flame_svg *s)
{
    double levels = f->nnodes ? (double)f->max_depth + 1 : 1;
    double height = TOP_PX + 8 + levels * LEVEL_PX + TOOL_FLAME_PAD_PX;
    double bottom = height - TOOL_FLAME_PAD_PX; /* the root's lower edge */
    int64_t total = f->nnodes ? f->nodes[0].total : 0;

    tool_flame_layout(f, TOOL_FLAME_PAD_PX, s->width - 2 * TOOL_FLAME_PAD_PX);
    header(fp, f, s, height);
    if (total <= 0) {
        tool_svg_text(fp, s->width / 2, bottom - 4, "sub", "middle",
                      "nothing to draw: no sample has a value above 0", 200);
    } else {
        fputs("<g id=\"frames\">\n", fp);
        for (size_t i = 0; i < f->nnodes; i++) {
            const tool_flame_node *n = &f->nodes[i];
            if (n->width >= TOOL_FLAME_MIN_PX)
                frame(fp, n, bottom - (n->depth + 1) * LEVEL_PX + 1, total, s->vi);
        }
        fputs("</g>\n", fp);
    }
    fputs("</svg>\n", fp);
}
