/* xlat trace — record, convert and inspect traces (xlat/trace.h) and
 * workload streams (xlat/workload.h). */
#define _GNU_SOURCE   /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "xlat/parse.h"
#include "xlat/trace.h"
#include "xlat/workload.h"

#define CMD "trace"
#define BATCH 4096

static const char usage_text[] =
	"usage: xlat trace record [-o OUT.xlt] [--valgrind PATH] [--json|--csv] -- CMD [ARGS...]\n"
	"       xlat trace convert [--format F] [--to xlt|lackey] [-n N] IN OUT\n"
	"       xlat trace convert --workload NAME [--wl-opt OPTS]... [-n N] OUT\n"
	"       xlat trace info [--format F] [--decode-only] [--json|--csv] FILE\n"
	"       xlat trace info --workload NAME [--wl-opt OPTS]... [--json|--csv]\n"
	"\n"
	"record   runs CMD under valgrind's lackey tool and converts its memory\n"
	"         trace to .xlt on the fly (default OUT: trace.xlt)\n"
	"convert  any readable input to .xlt, or to lackey text when OUT ends in\n"
	"         .lackey or .txt (or is '-': stdout); or a workload's stream\n"
	"info     decodes the whole input: records per kind, distinct 4 KiB pages\n"
	"         and 2 MiB regions (per address space), the address range\n"
	"\n"
	"  --format F       input format: auto (default), xlt, lackey, champsim\n"
	"                   auto: .xlt by magic; .lackey/.txt/.log -> lackey;\n"
	"                   .champsim/.champsimtrace/.trace -> ChampSim; gzip, xz\n"
	"                   or zstd data -> ChampSim; anything else -> lackey\n"
	"  --to F           output format: xlt or lackey (default: by OUT's name)\n"
	"  -n, --limit N    stop after N records (counts: 10M = 10,000,000)\n"
	"  --workload NAME  a generator instead of a file (list below)\n"
	"  --wl-opt OPTS    its options, key=value[,key=value...] (repeatable),\n"
	"                   e.g. size=1g,count=10M,seed=1,write=0.3\n"
	"  --decode-only    info: count records only (the bare decode loop)\n"
	"  --valgrind PATH  the valgrind to run (default: valgrind on PATH)\n"
	"  --json, --csv    machine-readable output\n"
	"  -h, --help       this text\n"
	"\n"
	"workloads (options: size count seed write base access, plus those in [];\n"
	"details in docs/traces.md):\n";

static void usage(FILE *fp)
{
	fputs(usage_text, fp);
	for (size_t i = 0; i < xlat_workload_count(); i++)
		fprintf(fp, "  %-10s %s\n", xlat_workload_name(i), xlat_workload_summary(i));
}

struct opts {
	enum xlat_trace_format in_fmt, out_fmt;
	uint64_t limit;
	const char *workload;
	char wl_opts[1024];
	const char *output;
	const char *valgrind;
	bool decode_only;
	enum out_format fmt;
	int first_arg;          /* optind after parsing */
};

static int usage_fail(const char *msg, const char *arg)
{
	char b[256];
	snprintf(b, sizeof b, msg, arg);
	return cli_fail(2, CMD, "%s (see xlat trace --help)", b);
}

/* Parses the options of every subcommand; 0 ok, 1 help shown, 2 bad usage. */
static int parse_opts(int argc, char **argv, struct opts *o, const char *sub)
{
	enum { O_FORMAT = 256, O_TO, O_WORKLOAD, O_WLOPT, O_DECODE, O_VALGRIND, O_JSON, O_CSV };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "to", required_argument, NULL, O_TO },
		{ "limit", required_argument, NULL, 'n' },
		{ "workload", required_argument, NULL, O_WORKLOAD },
		{ "wl-opt", required_argument, NULL, O_WLOPT },
		{ "decode-only", no_argument, NULL, O_DECODE },
		{ "valgrind", required_argument, NULL, O_VALGRIND },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	o->limit = UINT64_MAX;
	o->fmt = OUT_TEXT;
	opterr = 0;
	optind = 1;
	int c;
	/* "+": stop at the first non-option, so `record -- CMD -x` keeps -x. */
	while ((c = getopt_long(argc, argv, "+:ho:n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case O_FORMAT:
			if (xlat_trace_format_parse(optarg, &o->in_fmt))
				return cli_fail(2, CMD, "--format: %s", xlat_error());
			break;
		case O_TO:
			if (xlat_trace_format_parse(optarg, &o->out_fmt) ||
			    (o->out_fmt != XLAT_TRACE_XLT && o->out_fmt != XLAT_TRACE_LACKEY))
				return usage_fail("--to %s: xlat writes xlt or lackey", optarg);
			break;
		case 'n':
			if (parse_count(optarg, &o->limit))
				return cli_fail(2, CMD, "--limit: %s", xlat_error());
			break;
		case O_WORKLOAD:
			o->workload = optarg;
			break;
		case O_WLOPT: {
			size_t len = strlen(o->wl_opts);
			if (len + strlen(optarg) + 2 > sizeof o->wl_opts)
				return usage_fail("--wl-opt: options too long (%s)", optarg);
			snprintf(o->wl_opts + len, sizeof o->wl_opts - len, "%s%s", len ? "," : "", optarg);
			break;
		}
		case O_DECODE:
			o->decode_only = true;
			break;
		case O_VALGRIND:
			o->valgrind = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_JSON:
			o->fmt = OUT_JSON;
			break;
		case O_CSV:
			o->fmt = OUT_CSV;
			break;
		case ':':
			return usage_fail("option %s needs a value", argv[optind - 1]);
		default:
			return usage_fail("unknown option %s", argv[optind - 1]);
		}
	}
	if (o->wl_opts[0] && !o->workload)
		return usage_fail("--wl-opt needs --workload%s", "");
	(void)sub;
	o->first_arg = optind;
	return 0;
}

/* Opens the input: a workload if --workload, else the file `path`. */
static int open_input(const struct opts *o, const char *path, struct xlat_source **s)
{
	if (o->workload)
		return xlat_workload_open_str(s, o->workload, o->wl_opts);
	return xlat_source_open_as(s, path, o->in_fmt);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- info ---- */

/* A set of (asid, page) pairs: open addressing, linear probing, grows at
 * half full. */
struct pset {
	uint64_t *key;          /* page number + 1 (0 = empty) */
	uint16_t *asid;
	size_t cap, n;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static int pset_grow(struct pset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	uint64_t *key = calloc(cap, sizeof *key);
	uint16_t *asid = calloc(cap, sizeof *asid);
	if (!key || !asid) {
		free(key);
		free(asid);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->key[i])
			continue;
		size_t h = mix64(s->key[i] ^ (uint64_t)s->asid[i] << 48) & (cap - 1);
		while (key[h])
			h = (h + 1) & (cap - 1);
		key[h] = s->key[i];
		asid[h] = s->asid[i];
	}
	free(s->key);
	free(s->asid);
	s->key = key;
	s->asid = asid;
	s->cap = cap;
	return 0;
}

static int pset_add(struct pset *s, uint64_t page, uint16_t asid)
{
	if (2 * (s->n + 1) > s->cap && pset_grow(s) < 0)
		return -ENOMEM;
	uint64_t k = page + 1;
	size_t h = mix64(k ^ (uint64_t)asid << 48) & (s->cap - 1);
	while (s->key[h]) {
		if (s->key[h] == k && s->asid[h] == asid)
			return 0;
		h = (h + 1) & (s->cap - 1);
	}
	s->key[h] = k;
	s->asid[h] = asid;
	s->n++;
	return 0;
}

static void pset_free(struct pset *s)
{
	free(s->key);
	free(s->asid);
}

struct info {
	uint64_t records, by_kind[XLAT_KIND_COUNT];
	uint64_t va_min, va_max;     /* over accesses: first byte, last byte */
	bool any_access;
	struct pset pages, regions, asids;
};

static int info_add(struct info *in, const struct xlat_access *a, size_t n, bool decode_only)
{
	for (size_t i = 0; i < n; i++)
		in->by_kind[a[i].kind < XLAT_KIND_COUNT ? a[i].kind : 0]++;
	in->records += n;
	if (decode_only)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (pset_add(&in->asids, a[i].asid, 0) < 0)
			return -ENOMEM;
		if (xlat_is_event(a[i].kind))
			continue;
		uint64_t first = a[i].va;
		uint64_t last = a[i].size && first + (a[i].size - 1) >= first ? first + (a[i].size - 1) : first;
		if (!in->any_access || first < in->va_min)
			in->va_min = first;
		if (!in->any_access || last > in->va_max)
			in->va_max = last;
		in->any_access = true;
		for (uint64_t p = first >> 12; p <= last >> 12; p++)
			if (pset_add(&in->pages, p, a[i].asid) < 0)
				return -ENOMEM;
		for (uint64_t r = first >> 21; r <= last >> 21; r++)
			if (pset_add(&in->regions, r, a[i].asid) < 0)
				return -ENOMEM;
	}
	return 0;
}

static int trace_info(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, "info");
	if (rc)
		return rc == 1 ? 0 : rc;
	int nargs = argc - o.first_arg;
	if (o.workload ? nargs != 0 : nargs != 1)
		return usage_fail("info takes one FILE, or --workload with no FILE%s", "");
	const char *path = o.workload ? o.workload : argv[o.first_arg];

	struct xlat_source *s;
	if (open_input(&o, path, &s) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	struct xlat_access *buf = malloc(BATCH * sizeof *buf);
	struct info in = { 0 };
	if (!buf) {
		xlat_source_close(s);
		return cli_fail(1, CMD, "out of memory");
	}
	double t0 = now_seconds();
	int64_t n;
	while ((n = xlat_source_next(s, buf, BATCH)) > 0) {
		if (info_add(&in, buf, (size_t)n, o.decode_only) < 0) {
			n = xlat_fail(-ENOMEM, "out of memory for the page sets");
			break;
		}
	}
	double secs = now_seconds() - t0;
	free(buf);
	if (n < 0) {
		pset_free(&in.pages);
		pset_free(&in.regions);
		pset_free(&in.asids);
		xlat_source_close(s);
		return cli_fail(1, CMD, "%s", xlat_error());
	}

	struct xlat_source_info si;
	xlat_source_info(s, &si);
	uint64_t done, total;
	xlat_source_progress(s, &done, &total);
	static const char *const keys[XLAT_KIND_COUNT] = {
		"reads", "writes", "fetches", "maps", "unmaps", "protects", "switches",
	};
	struct out *out = out_begin(o.fmt, stdout);
	out_section(out, si.name);
	out_str(out, "input", si.name, "input");
	out_str(out, "format", si.format, "format");
	out_str(out, "codec", si.codec, "compression");
	if (si.origin[0])
		out_str(out, "origin", si.origin, "origin");
	if (!o.workload)
		out_u64(out, "bytes", done, "bytes read");
	out_u64(out, "records", in.records, "records");
	for (int k = 0; k < XLAT_KIND_COUNT; k++)
		out_u64(out, keys[k], in.by_kind[k], keys[k]);
	if (!o.workload && in.records)
		out_f64(out, "bytes_per_record", (double)done / (double)in.records, "bytes per record");
	if (!o.decode_only) {
		char b[32];
		out_u64(out, "address_spaces", in.asids.n, "address spaces (asids)");
		out_u64(out, "pages_4k", in.pages.n, "distinct 4 KiB pages");
		out_u64(out, "regions_2m", in.regions.n, "distinct 2 MiB regions");
		snprintf(b, sizeof b, "0x%" PRIx64, in.any_access ? in.va_min : 0);
		out_str(out, "va_min", b, "lowest address");
		snprintf(b, sizeof b, "0x%" PRIx64, in.any_access ? in.va_max : 0);
		out_str(out, "va_max", b, "highest address (last byte)");
		char sz[48];
		parse_size_str(in.pages.n * XLAT_PAGE_SIZE, sz, sizeof sz);
		out_str(out, "footprint", sz, "footprint (4 KiB pages)");
	}
	out_f64(out, "seconds", secs, "decode seconds");
	out_f64(out, "records_per_second", secs > 0 ? (double)in.records / secs : 0, "records per second");
	out_end(out);
	pset_free(&in.pages);
	pset_free(&in.regions);
	pset_free(&in.asids);
	xlat_source_close(s);
	return 0;
}

/* ---- convert ---- */

/* "xlat trace <args>" with spaces between arguments, for .xlt origins. */
static void join_args(char *buf, size_t len, const char *prefix, int argc, char **argv)
{
	size_t o = (size_t)snprintf(buf, len, "%s", prefix);
	for (int i = 0; i < argc && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, " %s", argv[i]);
}

/* Copies s to w, at most limit records; 0 or -errno. */
static int copy_records(struct xlat_source *s, struct xlat_trace_writer *w, uint64_t limit)
{
	struct xlat_access *buf = malloc(BATCH * sizeof *buf);
	if (!buf)
		return xlat_fail(-ENOMEM, "out of memory");
	uint64_t done = 0;
	int64_t n = 0;
	while (done < limit) {
		size_t want = limit - done < BATCH ? (size_t)(limit - done) : BATCH;
		n = xlat_source_next(s, buf, want);
		if (n <= 0)
			break;
		int rc = xlat_trace_writer_write(w, buf, (size_t)n);
		if (rc < 0) {
			n = rc;
			break;
		}
		done += (uint64_t)n;
	}
	free(buf);
	return n < 0 ? (int)n : 0;
}

static int trace_convert(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, "convert");
	if (rc)
		return rc == 1 ? 0 : rc;
	int nargs = argc - o.first_arg;
	if (o.workload ? nargs != 1 : nargs != 2)
		return usage_fail("convert takes IN OUT, or --workload NAME OUT%s", "");
	const char *in_path = o.workload ? o.workload : argv[o.first_arg];
	const char *out_path = argv[argc - 1];

	struct xlat_source *s;
	if (open_input(&o, in_path, &s) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	char origin[2048];
	if (o.workload) {
		struct xlat_source_info si;
		xlat_source_info(s, &si);
		snprintf(origin, sizeof origin, "workload %s %s", o.workload, si.origin);
	} else {
		join_args(origin, sizeof origin, "xlat trace convert", argc - 1, argv + 1);
	}
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, out_path, o.out_fmt, origin) < 0) {
		xlat_source_close(s);
		return cli_fail(1, CMD, "%s", xlat_error());
	}
	rc = copy_records(s, w, o.limit);
	uint64_t count = xlat_trace_writer_count(w);
	xlat_source_close(s);
	if (rc < 0) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", xlat_error());
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "%s", msg);
	}
	if (xlat_trace_writer_close(w) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	if (strcmp(out_path, "-")) {
		struct out *out = out_begin(o.fmt, stdout);
		out_str(out, "output", out_path, "wrote");
		out_u64(out, "records", count, "records");
		out_end(out);
	}
	return 0;
}

/* ---- record ---- */

static int trace_record(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, "record");
	if (rc)
		return rc == 1 ? 0 : rc;
	if (o.workload)
		return usage_fail("record runs a command; for a workload use convert%s", "");
	if (o.first_arg >= argc)
		return usage_fail("record needs a command: xlat trace record [-o OUT] -- CMD [ARGS...]%s", "");
	const char *out_path = o.output ? o.output : "trace.xlt";
	const char *valgrind = o.valgrind ? o.valgrind : "valgrind";
	char **cmd = argv + o.first_arg;
	int ncmd = argc - o.first_arg;

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return cli_fail(1, CMD, "pipe: %s", strerror(errno));
	char origin[2048];
	join_args(origin, sizeof origin, "xlat trace record --", ncmd, cmd);
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, out_path, o.out_fmt, origin) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return cli_fail(1, CMD, "%s", xlat_error());
	}

	char logfd[32];
	snprintf(logfd, sizeof logfd, "--log-fd=%d", pfd[1]);
	char **args = calloc((size_t)ncmd + 5, sizeof *args);
	if (!args) {
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "out of memory");
	}
	args[0] = (char *)valgrind;
	args[1] = "--tool=lackey";
	args[2] = "--trace-mem=yes";
	args[3] = logfd;
	for (int i = 0; i < ncmd; i++)
		args[4 + i] = cmd[i];
	/* exec failure is reported through a close-on-exec pipe: EOF on it
	 * means valgrind started. */
	int epfd[2];
	if (pipe2(epfd, O_CLOEXEC) != 0) {
		free(args);
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		free(args);
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* The child keeps only the pipe's write end, as valgrind's log. */
		close(epfd[0]);
		fcntl(pfd[1], F_SETFD, 0);
		execvp(valgrind, args);
		int e = errno;
		if (write(epfd[1], &e, sizeof e) < 0)
			_exit(126);
		_exit(127);
	}
	free(args);
	close(pfd[1]);
	close(epfd[1]);
	int exec_errno = 0;
	ssize_t got;
	while ((got = read(epfd[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
		;
	close(epfd[0]);
	if (got > 0) {
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "cannot run '%s': %s (is valgrind installed? --valgrind PATH)",
				valgrind, strerror(exec_errno));
	}

	struct xlat_source *s;
	if (xlat_source_open_fd(&s, pfd[0], XLAT_TRACE_LACKEY, "valgrind output") < 0) {
		rc = -1;
	} else {
		rc = copy_records(s, w, o.limit);
		xlat_source_close(s);
	}
	char msg[256];
	snprintf(msg, sizeof msg, "%s", xlat_error());
	if (rc < 0)
		kill(pid, SIGTERM);   /* it would block on a full pipe */
	close(pfd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	uint64_t count = xlat_trace_writer_count(w);
	if (rc < 0) {
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "%s", msg);
	}
	if (o.limit == UINT64_MAX && count == 0) {
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "valgrind produced no trace (exit status %d)",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (xlat_trace_writer_close(w) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	if (WIFSIGNALED(status) && o.limit == UINT64_MAX)
		fprintf(stderr, "xlat trace: note: the command was killed by signal %d; the trace "
			"holds what it did before\n", WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "xlat trace: note: the command exited with status %d\n", WEXITSTATUS(status));
	struct out *out = out_begin(o.fmt, stdout);
	out_str(out, "output", out_path, "wrote");
	out_u64(out, "records", count, "records");
	out_end(out);
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "info"))
		return trace_info(argc - 1, argv + 1);
	if (!strcmp(sub, "convert"))
		return trace_convert(argc - 1, argv + 1);
	if (!strcmp(sub, "record"))
		return trace_record(argc - 1, argv + 1);
	return usage_fail("unknown subcommand '%s' (record, convert, info)", sub);
}
