/* xlat — the command: a table of subcommands, each a thin client of libxlat. */
#define _GNU_SOURCE   /* fopencookie */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "demo",   cmd_demo,   "the seed's figures, each with the command that reproduces it" },
	{ "gc",     cmd_gc,     "the GC pause: a heap marked and swept, natively and virtualized" },
	{ "migrate", cmd_migrate, "live migration of a running guest: pre-copy rounds or post-copy, bytes checked" },
	{ "ptsize", cmd_ptsize, "page-table memory of synthetic layouts and live processes" },
	{ "sim",    cmd_sim,    "run a trace or workload through the MMU model" },
	{ "walk",   cmd_walk,   "one page walk, reference by reference (native, nested, shadow)" },
	{ "trace",  cmd_trace,  "record, convert and inspect traces (.xlt, lackey, ChampSim)" },
	{ "calibrate", cmd_calibrate, "measure this machine and fit a preset file to it" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: xlat <command> [options]    (xlat <command> --help for details)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int cli_fail(int status, const char *cmd, const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
	fprintf(stderr, "xlat %s: ", cmd);
	if (msg) {
		vsnprintf(msg, (size_t)n + 1, fmt, again);
		out_put_safe(stderr, msg);   /* one line, whatever msg holds */
		free(msg);
	} else {
		vfprintf(stderr, fmt, again);
	}
	va_end(again);
	fputc('\n', stderr);
	return status;
}

/* Standard output goes through this stream so that the first write error
 * is remembered with its errno: stdio keeps only an error flag, and by the
 * time a command ends errno may say anything. */
static int stdout_errno;

static ssize_t stdout_write(void *cookie, const char *buf, size_t size)
{
	size_t done = 0;
	(void)cookie;
	while (done < size) {
		ssize_t n = write(STDOUT_FILENO, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!stdout_errno)
				stdout_errno = n < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)size;
}

static int stdout_close(void *cookie)
{
	(void)cookie;
	if (close(STDOUT_FILENO) != 0 && errno != EBADF) {
		if (!stdout_errno)
			stdout_errno = errno;
		return -1;
	}
	return 0;
}

static void wrap_stdout(void)
{
	static const cookie_io_functions_t io = { .write = stdout_write, .close = stdout_close };
	FILE *f = fopencookie(NULL, "w", io);
	if (!f)
		return;   /* keep the plain stream: still checked, with a vaguer errno */
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	stdout = f;
}

/* Every command's output ends here: a write error on standard output (a
 * full disk, /dev/full, EIO) fails the command with a message instead of
 * leaving a silently truncated result. */
static int finish_stdout(const char *cmd, int status)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	bad |= fclose(stdout) != 0;
	if (!bad)
		return status;
	cli_fail(1, cmd, "writing standard output: %s", strerror(stdout_errno ? stdout_errno : EIO));
	return status ? status : 1;
}

int main(int argc, char **argv)
{
	wrap_stdout();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish_stdout("help", 0);
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish_stdout(commands[i].name, commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "xlat: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
