/* The progress line on stderr (see progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

/* Bar width in characters: 5 % each, narrow enough to leave room on an
 * 80-column line for calibrate's step names. */
#define BAR 20

bool cli_progress_wanted(bool quiet)
{
	return !quiet && isatty(STDERR_FILENO);
}

void cli_progress_line(const char *fmt, ...)
{
	va_list ap;
	fputc('\r', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
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
