/* The progress line on stderr (see progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"

/* Bar width in characters: 5 % each, narrow enough to leave room on an
 * 80-column line for calibrate's step names. */
#define BAR 20

bool cli_progress_wanted(bool quiet)
{
	return !quiet && isatty(STDERR_FILENO);
}

/* The terminal's width in columns; 0: unknown. */
static size_t columns(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_col;
}

void cli_progress_line(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A line that wraps cannot be rewritten in place ("\r" goes back to
	 * its last row only): cut it one column short of the edge, and not
	 * inside a UTF-8 sequence. Bytes stand for columns: the lines are
	 * ASCII but for names from files. */
	size_t len = strlen(line), cols = columns();
	if (cols > 1 && len > cols - 1) {
		len = cols - 1;
		while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
			len--;
	}
	fprintf(stderr, "\r%.*s\033[K", (int)len, line);
	fflush(stderr);
}

void cli_progress_bar(uint64_t done, uint64_t total, const char *step)
{
	static const char hashes[BAR + 1] = "####################";
	if (!total)
		return;
	unsigned pct = done >= total ? 100 : (unsigned)(done * 100 / total);
	int bar = (int)(pct * BAR / 100);
	cli_progress_line("  [%.*s%*s] %3u%%%s%s", bar, hashes, BAR - bar, "", pct, step ? "  " : "",
			  step ? step : "");
}

void cli_progress_machine(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	cli_progress_bar(done, total, NULL);
}

void cli_progress_clear(void)
{
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
