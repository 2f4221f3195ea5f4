/*
 * The 2D walk as a picture: guest levels down, host (EPT) levels across,
 * each cell numbered in the order the walker read it. Native and shadow
 * walks are one column. Written as SVG by hand (no dependency); a .png path
 * is rendered from that SVG with rsvg-convert (Debian: librsvg2-bin).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plot_walk.h"

#define CELL_W 92
#define CELL_H 44
#define LEFT 130
#define TOP 80

static void cell(FILE *fp, int x, int y, const char *fill, unsigned n, const char *sub)
{
	fprintf(fp, "<rect x='%d' y='%d' width='%d' height='%d' rx='6' fill='%s' stroke='#333'/>\n",
		x, y, CELL_W - 8, CELL_H - 8, fill);
	if (n)
		fprintf(fp, "<text x='%d' y='%d' font-size='16' text-anchor='middle' font-weight='bold'>%u</text>\n",
			x + (CELL_W - 8) / 2, y + 18, n);
	if (sub)
		fprintf(fp, "<text x='%d' y='%d' font-size='10' text-anchor='middle'>%s</text>\n",
			x + (CELL_W - 8) / 2, y + 31, sub);
}

static int write_svg(FILE *fp, const struct explain_result *r, enum machine_mode mode)
{
	unsigned gl = r->levels[0], hl = r->stages > 1 ? r->levels[1] : 0;
	int w = LEFT + (int)(hl + 1) * CELL_W + 40, h = TOP + (int)(gl + 1) * CELL_H + 60;

	fprintf(fp, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
		    "font-family='DejaVu Sans, sans-serif'>\n", w, h);
	fprintf(fp, "<rect width='100%%' height='100%%' fill='white'/>\n");
	fprintf(fp, "<text x='20' y='30' font-size='18' font-weight='bold'>%s walk: %u references</text>\n",
		r->stages > 1 ? "2D (nested)" : mode == MACHINE_SHADOW ? "shadow" : "native", r->walk.refs);
	for (unsigned c = 0; c < hl; c++) {
		char t[16];
		snprintf(t, sizeof t, "EPT L%u", hl - c);
		fprintf(fp, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>%s</text>\n",
			LEFT + (int)c * CELL_W + (CELL_W - 8) / 2, TOP - 10, t);
	}
	fprintf(fp, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>%s</text>\n",
		LEFT + (int)hl * CELL_W + (CELL_W - 8) / 2, TOP - 10, hl ? "guest entry" : "entry");
	for (unsigned row = 0; row <= gl; row++) {
		char label[32];
		if (row < gl)
			snprintf(label, sizeof label, "%s%s", hl ? "g" : "", fmt_level_name(r->fmts[0], (int)(gl - row)));
		else
			snprintf(label, sizeof label, hl ? "data GPA" : "data");
		fprintf(fp, "<text x='20' y='%d' font-size='13'>%s</text>\n", TOP + (int)row * CELL_H + 22, label);
	}
	for (unsigned i = 0; i < r->nsteps; i++) {
		const struct walk_ref *f = &r->steps[i].ref;
		unsigned row = f->stage == 0 ? gl - f->level : f->for_level ? gl - f->for_level : gl;
		unsigned col = f->stage == 0 ? hl : hl - f->level;
		char sub[24];
		snprintf(sub, sizeof sub, "%#llx", (unsigned long long)f->addr);
		cell(fp, LEFT + (int)col * CELL_W, TOP + (int)row * CELL_H,
		     f->stage == 0 ? "#9ecae1" : "#fdd0a2", i + 1, sub);
	}
	cell(fp, LEFT + (int)hl * CELL_W, TOP + (int)gl * CELL_H, "#c7e9c0", 0, "data");
	fprintf(fp, "<text x='20' y='%d' font-size='11'>blue: %s entries; orange: EPT entries "
		    "(translating the GPA of the entry in the same row)</text>\n",
		h - 20, hl ? "guest page-table" : "page-table");
	fprintf(fp, "</svg>\n");
	return ferror(fp) ? -EIO : 0;
}

int plot_walk(const char *path, const struct explain_result *r, enum machine_mode mode)
{
	size_t n = strlen(path);
	bool png = n > 4 && !strcasecmp(path + n - 4, ".png");
	char svg[4096];

	if (png)
		snprintf(svg, sizeof svg, "%.*s.svg", (int)(n - 4), path);
	else
		snprintf(svg, sizeof svg, "%s", path);
	FILE *fp = fopen(svg, "w");
	if (!fp)
		return xlat_fail(-errno, "cannot write %s: %s", svg, strerror(errno));
	int rc = write_svg(fp, r, mode);
	if (fclose(fp) || rc)
		return xlat_fail(-EIO, "cannot write %s", svg);
	if (!png)
		return 0;
	char cmd[8400];
	snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s' '%s' 2>/dev/null", path, svg);
	if (strchr(path, '\'') || system(cmd) != 0)
		return xlat_fail(-EIO, "cannot render %s (needs rsvg-convert from librsvg2-bin; the SVG is in %s)",
				 path, svg);
	unlink(svg);
	return 0;
}
