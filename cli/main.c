/* xlat — the command: a table of subcommands, each a thin client of libxlat. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "demo",   cmd_demo,   "the seed's figures, each with the command that reproduces it" },
	{ "gc",     cmd_gc,     "the GC pause: a heap marked and swept, natively and virtualized" },
	{ "ptsize", cmd_ptsize, "page-table memory of synthetic layouts and live processes" },
	{ "sim",    cmd_sim,    "run a trace or workload through the MMU model" },
	{ "walk",   cmd_walk,   "one page walk, reference by reference (native, nested, shadow)" },
	{ "trace",  cmd_trace,  "record, convert and inspect traces (.xlt, lackey, ChampSim)" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: xlat <command> [options]    (xlat <command> --help for details)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int cli_fail(int status, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "xlat %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "xlat: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
