/*
 * breakdown_svg.h - a breakdown as a chart (breakdown_svg.c): one
 * horizontal bar of RSS cut into its rows, a colour per row, a legend
 * with each row's MiB and share, and the verdict under it. Drawn alone
 * (`gcprof heap --svg`) or below a timeline (`gcprof plot`).
 *
 * The chart is one <g id="breakdown"> with a <style> of its own (classes
 * "bd-*"), so it can be put in any picture. Each legend entry is a
 * <g class="bd-item" data-row="NAME" data-bytes="N">, so a program can read
 * the figures back exactly.
 */
#ifndef TOOL_BREAKDOWN_SVG_H
#define TOOL_BREAKDOWN_SVG_H

#include <stdio.h>

#include "breakdown.h"
#include "timeline_read.h"

/* The chart's height in px at a width (px), drawn with caption. */
double tool_bd_chart_height(const gcp__breakdown *b, double width);

/* Draws it with its top-left corner at (x, y), width px wide; caption
 * (one line, cut to fit) above the bar. */
void tool_bd_chart(FILE *fp, const gcp__breakdown *b, double x, double y, double width,
                   const char *caption);

/* The caption of record r of tl, whose breakdown is b, in buf: "What RSS
 * was made of: pid P (NAME) at T s, RSS N MiB". */
const char *tool_bd_caption(const tool_tl *tl, const tool_tl_breakdown *r, const gcp__breakdown *b,
                            char *buf, size_t size);

/* A whole SVG document of the chart alone, with title. */
void tool_bd_svg(FILE *fp, const gcp__breakdown *b, const char *title, const char *caption,
                 double width);

#endif /* TOOL_BREAKDOWN_SVG_H */
