/* Draws a walk (xlat/explain.h) as an SVG grid; .png goes through rsvg-convert. */
#ifndef XLAT_CLI_PLOT_WALK_H
#define XLAT_CLI_PLOT_WALK_H

#include "xlat/explain.h"

/* 0 or -errno with xlat_error() set. */
int plot_walk(const char *path, const struct explain_result *r, enum machine_mode mode);

#endif
