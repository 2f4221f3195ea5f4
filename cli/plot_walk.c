/*
 * The 2D walk as a picture: guest levels down, host (EPT) levels across,
 * each cell numbered in the order the walker read it. Native and shadow
 * walks are one column. Written as SVG by hand (no dependency); a .png path
 * is rendered from that SVG with rsvg-convert (Debian: librsvg2-bin).
 * The file is written through xlat/outfile.h (temporary file, rename).
 */
#define _GNU_SOURCE   /* pipe2, open_memstream */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_walk.h"
#include "xlat/outfile.h"

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

/* Runs rsvg-convert with the SVG on its standard input and its PNG on
 * standard output, which is `of`'s temporary file. 0 or -errno. */
static int render_png(struct xlat_outfile *of, const char *svg, size_t len)
{
	const char *path = xlat_outfile_path(of);
	int fd = xlat_outfile_fd(of);
	if (fd < 0)
		return fd;
	int in[2], ep[2];
	if (pipe2(in, O_CLOEXEC) != 0)
		return xlat_fail(-errno, "%s: pipe: %s", path, strerror(errno));
	if (pipe2(ep, O_CLOEXEC) != 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		return xlat_fail(-e, "%s: pipe: %s", path, strerror(e));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		close(ep[0]);
		close(ep[1]);
		return xlat_fail(-e, "%s: fork: %s", path, strerror(e));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    (null >= 0 && dup2(null, STDERR_FILENO) < 0))
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execlp("rsvg-convert", "rsvg-convert", "-f", "png", (char *)NULL);
		int e = errno;
		if (write(ep[1], &e, sizeof e) < 0)
			_exit(126);
		_exit(127);
	}
	close(in[0]);
	close(ep[1]);
	int exec_errno = 0;
	ssize_t got;
	while ((got = read(ep[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
		;
	close(ep[0]);
	/* A converter that dies early must not kill us with SIGPIPE. */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int werr = 0;
	for (size_t off = 0; got <= 0 && off < len;) {
		ssize_t put = write(in[1], svg + off, len - off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0) {
			werr = put < 0 ? errno : EIO;
			break;
		}
		off += (size_t)put;
	}
	close(in[1]);
	signal(SIGPIPE, old);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got > 0)
		return xlat_fail(-exec_errno, "%s: cannot run rsvg-convert: %s (install librsvg2-bin, "
				 "or write .svg)", path, strerror(exec_errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || werr)
		return xlat_fail(-EIO, "%s: rsvg-convert failed (%s %d)", path,
				 WIFEXITED(status) ? "exit status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

/*
 * Nothing but `path` is written, and `path` only once complete: the SVG is
 * built in memory and, for a .png, piped through rsvg-convert into the
 * output's temporary file (no intermediate .svg beside it, so an existing
 * walk.svg is never touched). "-" writes the SVG to standard output.
 */
int plot_walk(const char *path, const struct explain_result *r, enum machine_mode mode)
{
	size_t n = strlen(path);
	bool png = n > 4 && !strcasecmp(path + n - 4, ".png");
	char *svg = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&svg, &len);
	if (!fp)
		return xlat_fail(-ENOMEM, "out of memory for the SVG");
	int rc = write_svg(fp, r, mode);
	if (fclose(fp) != 0 || rc < 0) {
		free(svg);
		return xlat_fail(-ENOMEM, "out of memory for the SVG");
	}
	struct xlat_outfile *of;
	rc = xlat_outfile_open(&of, path, NULL);
	if (rc < 0) {
		free(svg);
		return rc;
	}
	rc = png ? render_png(of, svg, len) : xlat_outfile_write(of, svg, len);
	free(svg);
	if (rc < 0) {
		xlat_outfile_abort(of);
		return rc;
	}
	return xlat_outfile_commit(of);
}
