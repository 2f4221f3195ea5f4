/* xlat trace — record, convert and inspect traces (xlat/trace.h) and
 * workload streams (xlat/workload.h). Outputs go through xlat/outfile.h:
 * a failed or interrupted run never changes an existing file. */
#define _GNU_SOURCE   /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "progress.h"
#include "xlat/outfile.h"
#include "xlat/parse.h"
#include "xlat/trace.h"
#include "xlat/workload.h"

#define CMD "trace"
#define BATCH 4096
#define DEFAULT_MAX_REGIONS (1u << 20)   /* 2 MiB regions: 2 TiB of address space, ~100 MB */

static const char usage_text[] =
	"usage: xlat trace info [OPTIONS] FILE\n"
	"       xlat trace info [OPTIONS] --workload NAME [--wl-opt OPTS]...\n"
	"       xlat trace convert [OPTIONS] IN OUT\n"
	"       xlat trace convert [OPTIONS] --workload NAME [--wl-opt OPTS]... OUT\n"
	"       xlat trace record [OPTIONS] [-o OUT] -- CMD [ARGS...]\n"
	"\n"
	"info     decodes the whole input: records per kind, distinct 4 KiB pages\n"
	"         and 2 MiB regions (per address space), the address range; for\n"
	"         ChampSim, instruction records and accesses apart\n"
	"convert  any readable input, or a workload's stream, to .xlt, or to\n"
	"         lackey text when OUT ends in .lackey or .txt or is '-' (stdout)\n"
	"record   runs CMD under valgrind's lackey tool and converts its memory\n"
	"         trace to .xlt on the fly (default OUT: trace.xlt)\n"
	"\n"
	"OUT is written to a temporary file beside it and renamed into place when\n"
	"complete: a failed or interrupted run leaves an existing OUT as it was.\n"
	"OUT may not be the input (nor a link to it), a directory or a device.\n"
	"Options may come before or after the operands (record: before CMD).\n"
	"\n"
	"options ([the subcommands they apply to]):\n"
	"  --format F        [info convert] input format: auto (default), xlt,\n"
	"                    lackey, champsim. auto: .xlt by magic or name;\n"
	"                    .lackey/.txt/.log -> lackey; .champsim/.champsimtrace/\n"
	"                    .trace -> ChampSim; otherwise text -> lackey, binary\n"
	"                    -> ChampSim if its first records look like it.\n"
	"                    gzip, xz, zstd and bzip2 are decompressed by magic\n"
	"  --workload NAME   [info convert] a generator instead of a file (below)\n"
	"  --wl-opt OPTS     [info convert] its options, key=value[,key=value...]\n"
	"                    (repeatable), e.g. size=1g,count=10M,seed=1,write=0.3\n"
	"  -n, --limit N     [info convert record] stop after N records (records as\n"
	"                    xlat reads them: for ChampSim, accesses, not\n"
	"                    instructions); counts: 10M = 10,000,000\n"
	"  --to F            [convert record] output format, xlt or lackey\n"
	"                    (default: lackey for OUT *.lackey, *.txt or '-', else xlt)\n"
	"  -o, --output OUT  [record] the trace to write (default trace.xlt)\n"
	"  --valgrind PATH   [record] the valgrind to run (default: valgrind on PATH)\n"
	"  --decode-only     [info] count records only (the bare decode loop): no\n"
	"                    page sets, address spaces or address range\n"
	"  --max-regions N   [info] distinct 2 MiB regions the page sets may hold\n"
	"                    (default 1M = 2 TiB of touched address space, about\n"
	"                    100 bytes each); more is an error, not a slow death\n"
	"  -q, --quiet       [info convert record] no progress line on a terminal\n"
	"  --json, --csv     [info convert record] machine-readable output\n"
	"                    (convert: not when OUT is '-', which holds the trace)\n"
	"  -h, --help        this text\n"
	"\n"
	"workloads (options: size count seed write base access, plus those in [];\n"
	"details in docs/traces.md):\n";

static void usage(FILE *fp)
{
	fputs(usage_text, fp);
	for (size_t i = 0; i < xlat_workload_count(); i++)
		fprintf(fp, "  %-10s %s\n", xlat_workload_name(i), xlat_workload_summary(i));
}

enum sub { SUB_INFO, SUB_CONVERT, SUB_RECORD };
static const char *const sub_names[] = { "info", "convert", "record" };

/* Options, by bit, for checking which apply to the subcommand. */
enum {
	OPT_FORMAT = 1 << 0, OPT_TO = 1 << 1, OPT_LIMIT = 1 << 2, OPT_WORKLOAD = 1 << 3,
	OPT_WLOPT = 1 << 4, OPT_DECODE = 1 << 5, OPT_VALGRIND = 1 << 6, OPT_OUTPUT = 1 << 7,
	OPT_FMT = 1 << 8, OPT_MAXREG = 1 << 9, OPT_QUIET = 1 << 10,
};

struct opts {
	enum sub sub;
	unsigned given;         /* OPT_* bits */
	enum xlat_trace_format in_fmt, out_fmt;
	uint64_t limit;
	uint64_t max_regions;
	const char *workload;
	char wl_opts[1024];
	const char *output;
	const char *valgrind;
	bool decode_only, quiet;
	enum out_format fmt;
	char **args;            /* the operands, in order */
	int nargs;
};

static int usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_fail(const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	return cli_fail(2, CMD, "%s (see xlat trace --help)", b);
}

/* Why `opt` does not apply to the subcommand, or NULL if it does. */
static const char *refusal(const struct opts *o, unsigned opt)
{
	switch (o->sub) {
	case SUB_INFO:
		if (opt == OPT_TO)
			return "info writes no trace";
		if (opt == OPT_OUTPUT)
			return "info writes no trace";
		if (opt == OPT_VALGRIND)
			return "only record runs valgrind";
		break;
	case SUB_CONVERT:
		if (opt == OPT_OUTPUT)
			return "convert takes OUT as its last operand";
		if (opt == OPT_VALGRIND)
			return "only record runs valgrind";
		if (opt == OPT_DECODE || opt == OPT_MAXREG)
			return "only info counts pages";
		break;
	case SUB_RECORD:
		if (opt == OPT_FORMAT)
			return "record reads valgrind's lackey output";
		if (opt == OPT_WORKLOAD || opt == OPT_WLOPT)
			return "record runs a command; for a workload use convert";
		if (opt == OPT_DECODE || opt == OPT_MAXREG)
			return "only info counts pages";
		break;
	}
	return NULL;
}

static const char *opt_name(unsigned opt)
{
	switch (opt) {
	case OPT_FORMAT: return "--format";
	case OPT_TO: return "--to";
	case OPT_LIMIT: return "--limit";
	case OPT_WORKLOAD: return "--workload";
	case OPT_WLOPT: return "--wl-opt";
	case OPT_DECODE: return "--decode-only";
	case OPT_VALGRIND: return "--valgrind";
	case OPT_OUTPUT: return "--output";
	case OPT_FMT: return "--json/--csv";
	case OPT_MAXREG: return "--max-regions";
	case OPT_QUIET: return "--quiet";
	}
	return "?";
}

/* Parses the options of a subcommand; 0 ok, 1 help shown, 2 bad usage. */
static int parse_opts(int argc, char **argv, struct opts *o, enum sub sub)
{
	enum { O_FORMAT = 256, O_TO, O_WORKLOAD, O_WLOPT, O_DECODE, O_VALGRIND, O_JSON, O_CSV, O_MAXREG };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "to", required_argument, NULL, O_TO },
		{ "limit", required_argument, NULL, 'n' },
		{ "workload", required_argument, NULL, O_WORKLOAD },
		{ "wl-opt", required_argument, NULL, O_WLOPT },
		{ "decode-only", no_argument, NULL, O_DECODE },
		{ "max-regions", required_argument, NULL, O_MAXREG },
		{ "valgrind", required_argument, NULL, O_VALGRIND },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	o->sub = sub;
	o->limit = UINT64_MAX;
	o->max_regions = DEFAULT_MAX_REGIONS;
	o->fmt = OUT_TEXT;
	opterr = 0;
	optind = 1;
	/* Options anywhere (GNU order), except for record, whose operands are a
	 * command line: "+" stops at the first operand so `-- CMD -x` keeps -x. */
	const char *short_opts = sub == SUB_RECORD ? "+:hqo:n:" : ":hqo:n:";
	int c;
	while ((c = getopt_long(argc, argv, short_opts, longopts, NULL)) != -1) {
		unsigned bit = 0;
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case O_FORMAT:
			bit = OPT_FORMAT;
			if (xlat_trace_format_parse(optarg, &o->in_fmt))
				return usage_fail("--format: %s", xlat_error());
			break;
		case O_TO:
			bit = OPT_TO;
			if (xlat_trace_format_parse(optarg, &o->out_fmt) ||
			    (o->out_fmt != XLAT_TRACE_XLT && o->out_fmt != XLAT_TRACE_LACKEY))
				return usage_fail("--to %s: xlat writes xlt or lackey", optarg);
			break;
		case 'n':
			bit = OPT_LIMIT;
			if (xlat_parse_count(optarg, &o->limit))
				return usage_fail("--limit: %s", xlat_error());
			break;
		case O_WORKLOAD:
			bit = OPT_WORKLOAD;
			o->workload = optarg;
			break;
		case O_WLOPT: {
			bit = OPT_WLOPT;
			size_t len = strlen(o->wl_opts);
			if (len + strlen(optarg) + 2 > sizeof o->wl_opts)
				return usage_fail("--wl-opt: options too long (%s)", optarg);
			snprintf(o->wl_opts + len, sizeof o->wl_opts - len, "%s%s", len ? "," : "", optarg);
			break;
		}
		case O_DECODE:
			bit = OPT_DECODE;
			o->decode_only = true;
			break;
		case O_MAXREG:
			bit = OPT_MAXREG;
			if (xlat_parse_count(optarg, &o->max_regions))
				return usage_fail("--max-regions: %s", xlat_error());
			if (o->max_regions == 0)
				return usage_fail("--max-regions 0: the page sets need at least 1 region "
						  "(--decode-only skips them)");
			if (o->max_regions > (1ULL << 32))
				return usage_fail("--max-regions %s: at most 4G regions", optarg);
			break;
		case O_VALGRIND:
			bit = OPT_VALGRIND;
			o->valgrind = optarg;
			break;
		case 'o':
			bit = OPT_OUTPUT;
			o->output = optarg;
			break;
		case 'q':
			bit = OPT_QUIET;
			o->quiet = true;
			break;
		case O_JSON:
			bit = OPT_FMT;
			o->fmt = OUT_JSON;
			break;
		case O_CSV:
			bit = OPT_FMT;
			o->fmt = OUT_CSV;
			break;
		case ':':
			return usage_fail("option %s needs a value", argv[optind - 1]);
		default:
			return usage_fail("unknown option %s", argv[optind - 1]);
		}
		const char *why = refusal(o, bit);
		if (why)
			return usage_fail("%s %s: %s", sub_names[sub], opt_name(bit), why);
		o->given |= bit;
	}
	if ((o->given & OPT_WLOPT) && !o->workload)
		return usage_fail("--wl-opt needs --workload");
	if (o->workload && (o->given & OPT_FORMAT))
		return usage_fail("--format: a workload has no file format");
	if (o->decode_only && (o->given & OPT_MAXREG))
		return usage_fail("--max-regions: --decode-only keeps no page sets");
	o->args = argv + optind;
	o->nargs = argc - optind;
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

/* "1,234,567" */
static const char *commas(uint64_t v, char *buf, size_t len)
{
	char d[24];
	int n = snprintf(d, sizeof d, "%" PRIu64, v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = d[i];
	}
	buf[o] = 0;
	return buf;
}

/* ---- progress on a terminal ---- */

struct progress {
	bool on;
	const struct xlat_source *s;
	bool by_records;        /* the source counts progress in records (a workload) */
	double t0, next;
	bool shown;
};

static void progress_init(struct progress *p, const struct xlat_source *s, const struct opts *o)
{
	memset(p, 0, sizeof *p);
	p->on = cli_progress_wanted(o->quiet);
	p->s = s;
	p->by_records = o->workload != NULL;
	p->t0 = now_seconds();
	p->next = p->t0 + 0.5;   /* quick runs show nothing */
}

static void human_bytes(double b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = 0;
	while (b >= 1024 && u < 5) {
		b /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static void human_duration(double s, char *buf, size_t len)
{
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/* A line like `sim`'s: records, rate, bytes read (of the size), ETA. */
static void progress_tick(struct progress *p, uint64_t records)
{
	if (!p->on)
		return;
	double t = now_seconds();
	if (t < p->next)
		return;
	p->next = t + 0.25;
	uint64_t done, total;
	xlat_source_progress(p->s, &done, &total);
	double secs = t - p->t0;
	char rec[32], where[96] = "", eta[48] = "";
	commas(records, rec, sizeof rec);
	double rate = secs > 0 ? (double)records / secs : 0;
	if (p->by_records) {
		char tot[32];
		if (total)
			snprintf(where, sizeof where, "  of %s", commas(total, tot, sizeof tot));
	} else {
		char a[32], b[32];
		human_bytes((double)done, a, sizeof a);
		if (total) {
			human_bytes((double)total, b, sizeof b);
			snprintf(where, sizeof where, "  %s of %s read", a, b);
		} else {
			snprintf(where, sizeof where, "  %s read", a);
		}
	}
	if (total && done > 0 && done <= total) {
		char d[24];
		human_duration(secs * (double)(total - done) / (double)done, d, sizeof d);
		snprintf(eta, sizeof eta, "  %3u%%  ETA %s", (unsigned)(done * 100 / total), d);
	}
	cli_progress_line("  %s records  %.1f M/s%s%s", rec, rate / 1e6, where, eta);
	p->shown = true;
}

/* Clears the line, so that what follows (a result, an error) starts fresh. */
static void progress_end(struct progress *p)
{
	if (p->shown)
		cli_progress_clear();
	p->shown = false;
}

/* ---- outputs: signals ---- */

static void on_fatal_signal(int sig)
{
	xlat_outfile_signal_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* An interrupted convert or record removes its temporary file. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

/* ---- info ---- */

/*
 * Distinct pages, per address space, in bounded memory: a hash map from
 * (asid, 2 MiB region) to a 512-bit bitmap of its 4 KiB pages. A region
 * costs ~100 bytes (its bitmap, 64 B, plus a slot of 16 B at most half
 * full), and an access of up to 1 GiB touches at most 513 regions, so the
 * work per access is bounded too. At most `max` regions: more is an error.
 */
struct rslot {
	uint64_t key;           /* region number + 1 (0 = empty) */
	uint32_t idx;           /* its bitmap */
	uint16_t asid;
};

struct rset {
	struct rslot *slot;
	uint64_t (*bits)[8];
	size_t cap, n, bits_cap, max;
	uint64_t pages;         /* bits set, over all regions */
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static int rset_grow(struct rset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct rslot *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slot[i].key)
			continue;
		size_t h = mix64(s->slot[i].key ^ (uint64_t)s->slot[i].asid << 48) & (cap - 1);
		while (slot[h].key)
			h = (h + 1) & (cap - 1);
		slot[h] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

/* The bitmap of (region, asid), added if new; NULL: -ENOMEM or -ENOSPC in *rc. */
static uint64_t *rset_get(struct rset *s, uint64_t region, uint16_t asid, int *rc)
{
	if (2 * (s->n + 1) > s->cap && rset_grow(s) < 0) {
		*rc = -ENOMEM;
		return NULL;
	}
	uint64_t k = region + 1;
	size_t h = mix64(k ^ (uint64_t)asid << 48) & (s->cap - 1);
	while (s->slot[h].key) {
		if (s->slot[h].key == k && s->slot[h].asid == asid)
			return s->bits[s->slot[h].idx];
		h = (h + 1) & (s->cap - 1);
	}
	if (s->n == s->max) {
		*rc = -ENOSPC;
		return NULL;
	}
	if (s->n == s->bits_cap) {
		size_t bc = s->bits_cap ? s->bits_cap * 2 : 1024;
		if (bc > s->max)
			bc = s->max;
		void *nb = realloc(s->bits, bc * sizeof *s->bits);
		if (!nb) {
			*rc = -ENOMEM;
			return NULL;
		}
		s->bits = nb;
		s->bits_cap = bc;
	}
	memset(s->bits[s->n], 0, sizeof s->bits[0]);
	s->slot[h] = (struct rslot){ k, (uint32_t)s->n, asid };
	return s->bits[s->n++];
}

/* Marks the pages of [first, last] (bytes, inclusive) for asid. 0 or -errno. */
static int rset_add(struct rset *s, uint64_t first, uint64_t last, uint16_t asid)
{
	uint64_t r0 = first >> 21, r1 = last >> 21;
	for (uint64_t r = r0;; r++) {
		int rc = 0;
		uint64_t *b = rset_get(s, r, asid, &rc);
		if (!b)
			return rc;
		unsigned lo = r == r0 ? (unsigned)(first >> 12) & 511 : 0;
		unsigned hi = r == r1 ? (unsigned)(last >> 12) & 511 : 511;
		for (unsigned w = lo / 64; w <= hi / 64; w++) {
			unsigned a = w == lo / 64 ? lo % 64 : 0, z = w == hi / 64 ? hi % 64 : 63;
			uint64_t mask = (z == 63 ? ~0ULL : (2ULL << z) - 1) & ~((1ULL << a) - 1);
			s->pages += (uint64_t)__builtin_popcountll(mask & ~b[w]);
			b[w] |= mask;
		}
		if (r == r1)
			return 0;
	}
}

static void rset_free(struct rset *s)
{
	free(s->slot);
	free(s->bits);
}

struct info {
	uint64_t records, by_kind[XLAT_KIND_COUNT];
	uint64_t va_min, va_max;     /* over accesses: first byte, last byte */
	bool any_access;
	struct rset regions;
	uint64_t asid_bits[65536 / 64];
	uint64_t asids;
};

/* 0 or -errno with a message naming the input and the record. */
static int info_add(struct info *in, const struct xlat_access *a, size_t n, bool decode_only,
		    const char *name)
{
	if (decode_only) {
		for (size_t i = 0; i < n; i++)
			in->by_kind[a[i].kind < XLAT_KIND_COUNT ? a[i].kind : 0]++;
		in->records += n;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		in->by_kind[a[i].kind < XLAT_KIND_COUNT ? a[i].kind : 0]++;
		uint64_t bit = 1ULL << (a[i].asid % 64);
		if (!(in->asid_bits[a[i].asid / 64] & bit)) {
			in->asid_bits[a[i].asid / 64] |= bit;
			in->asids++;
		}
		if (xlat_is_event(a[i].kind))
			continue;
		uint64_t first = a[i].va;
		uint64_t last = a[i].size && first + (a[i].size - 1) >= first ? first + (a[i].size - 1) : first;
		if (!in->any_access || first < in->va_min)
			in->va_min = first;
		if (!in->any_access || last > in->va_max)
			in->va_max = last;
		in->any_access = true;
		int rc = rset_add(&in->regions, first, last, a[i].asid);
		if (rc < 0) {
			char r[32], m[32];
			if (rc == -ENOSPC)
				return xlat_fail(rc, "%s: record %s: more than %s distinct 2 MiB regions "
						 "touched; raise --max-regions (about 100 bytes each) or use "
						 "--decode-only", name, commas(in->records + i, r, sizeof r),
						 commas(in->regions.max, m, sizeof m));
			return xlat_fail(rc, "%s: record %s: out of memory for the page sets (%s regions); "
					 "use --decode-only", name, commas(in->records + i, r, sizeof r),
					 commas(in->regions.n, m, sizeof m));
		}
	}
	in->records += n;
	return 0;
}

/* Standard output's errors are the command's errors. */
static int finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail(1, CMD, "standard output: write failed: %s", strerror(errno));
	return status;
}

static int trace_info(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, SUB_INFO);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (o.workload ? o.nargs != 0 : o.nargs != 1)
		return usage_fail(o.workload ? "info --workload takes no FILE (got '%s')"
					     : o.nargs ? "info takes one FILE (an extra operand: '%s')"
						       : "info needs a FILE, or --workload NAME%s",
				  o.nargs ? o.args[o.workload ? 0 : 1] : "");
	const char *path = o.workload ? o.workload : o.args[0];

	struct xlat_source *s;
	if (open_input(&o, path, &s) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	struct xlat_access *buf = malloc(BATCH * sizeof *buf);
	struct info *in = calloc(1, sizeof *in);
	if (!buf || !in) {
		free(buf);
		free(in);
		xlat_source_close(s);
		return cli_fail(1, CMD, "out of memory");
	}
	in->regions.max = (size_t)o.max_regions;
	struct progress pg;
	progress_init(&pg, s, &o);
	double t0 = now_seconds();
	int64_t n = 0;
	while (in->records < o.limit) {
		size_t want = o.limit - in->records < BATCH ? (size_t)(o.limit - in->records) : BATCH;
		if ((n = xlat_source_next(s, buf, want)) <= 0)
			break;
		if ((n = info_add(in, buf, (size_t)n, o.decode_only, path)) < 0)
			break;
		progress_tick(&pg, in->records);
	}
	double secs = now_seconds() - t0;
	progress_end(&pg);
	free(buf);
	if (n < 0) {
		rset_free(&in->regions);
		free(in);
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
	uint64_t accesses = in->by_kind[XLAT_READ] + in->by_kind[XLAT_WRITE] + in->by_kind[XLAT_FETCH];
	struct out *out = out_begin(o.fmt, stdout);
	out_section(out, si.name);
	out_str(out, "input", si.name, "input");
	out_str(out, "format", si.format, "format");
	out_str(out, "codec", si.codec, "compression");
	if (si.origin[0])
		out_str(out, "origin", si.origin, "origin");
	if (!o.workload)
		out_u64(out, "bytes", done, "bytes read");
	if (o.limit != UINT64_MAX)
		out_u64(out, "limit", o.limit, "stopped after (-n) records");
	if (si.instructions >= 0)
		out_u64(out, "instructions", (uint64_t)si.instructions, "ChampSim instruction records");
	out_u64(out, "records", in->records, "records (accesses + events)");
	out_u64(out, "accesses", accesses, "accesses (reads+writes+fetches)");
	out_u64(out, "events", in->records - accesses, "events (map/unmap/protect/switch)");
	for (int k = 0; k < XLAT_KIND_COUNT; k++)
		out_u64(out, keys[k], in->by_kind[k], keys[k]);
	if (!o.workload && in->records)
		out_f64(out, "bytes_per_record", (double)done / (double)in->records, "bytes per record");
	if (!o.decode_only) {
		char b[32];
		out_u64(out, "address_spaces", in->asids, "address spaces (asids)");
		out_u64(out, "pages_4k", in->regions.pages, "distinct 4 KiB pages");
		out_u64(out, "regions_2m", in->regions.n, "distinct 2 MiB regions");
		snprintf(b, sizeof b, "0x%" PRIx64, in->any_access ? in->va_min : 0);
		out_str(out, "va_min", b, "lowest address");
		snprintf(b, sizeof b, "0x%" PRIx64, in->any_access ? in->va_max : 0);
		out_str(out, "va_max", b, "highest address (last byte)");
		char sz[48];
		xlat_parse_size_str(in->regions.pages * XLAT_PAGE_SIZE, sz, sizeof sz);
		out_str(out, "footprint", sz, "footprint (4 KiB pages)");
	}
	out_f64(out, "seconds", secs, "decode seconds");
	out_f64(out, "records_per_second", secs > 0 ? (double)in->records / secs : 0, "records per second");
	out_end(out);
	rset_free(&in->regions);
	free(in);
	xlat_source_close(s);
	return finish_stdout(0);
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
static int copy_records(struct xlat_source *s, struct xlat_trace_writer *w, uint64_t limit,
			struct progress *pg)
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
		progress_tick(pg, done);
	}
	free(buf);
	progress_end(pg);
	return n < 0 ? (int)n : 0;
}

static int trace_convert(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, SUB_CONVERT);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (o.workload ? o.nargs != 1 : o.nargs != 2)
		return usage_fail("convert takes IN OUT, or --workload NAME OUT (got %d operand%s)",
				  o.nargs, o.nargs == 1 ? "" : "s");
	const char *in_path = o.workload ? o.workload : o.args[0];
	const char *out_path = o.args[o.nargs - 1];
	if (!strcmp(out_path, "-") && o.fmt != OUT_TEXT)
		return usage_fail("convert --json/--csv: OUT '-' sends the trace to standard output");
	const char *inputs[] = { o.workload ? NULL : in_path, NULL };

	/* Refuse a bad OUT before reading anything. */
	if (xlat_outfile_check(out_path, inputs) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
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
	catch_signals();
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, out_path, o.out_fmt, origin, inputs) < 0) {
		xlat_source_close(s);
		return cli_fail(1, CMD, "%s", xlat_error());
	}
	struct progress pg;
	progress_init(&pg, s, &o);
	rc = copy_records(s, w, o.limit, &pg);
	uint64_t count = xlat_trace_writer_count(w);
	xlat_source_close(s);
	if (rc < 0) {
		char *msg = strdup(xlat_error());
		xlat_trace_writer_abort(w);
		rc = cli_fail(1, CMD, "%s%s", msg ? msg : "out of memory",
			      strcmp(out_path, "-") ? "; nothing was written" : "");
		free(msg);
		return rc;
	}
	if (xlat_trace_writer_close(w) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	if (strcmp(out_path, "-")) {
		struct out *out = out_begin(o.fmt, stdout);
		out_str(out, "output", out_path, "wrote");
		out_u64(out, "records", count, "records");
		out_end(out);
	}
	return finish_stdout(0);
}

/* ---- record ---- */

static int trace_record(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, SUB_RECORD);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (o.nargs < 1)
		return usage_fail("record needs a command: xlat trace record [-o OUT] -- CMD [ARGS...]");
	const char *out_path = o.output ? o.output : "trace.xlt";
	const char *valgrind = o.valgrind ? o.valgrind : "valgrind";
	char **cmd = o.args;
	int ncmd = o.nargs;
	if (!strcmp(out_path, "-"))
		return usage_fail("record -o -: the command's own output goes to standard output; "
				  "name a file");

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return cli_fail(1, CMD, "pipe: %s", strerror(errno));
	char origin[2048];
	join_args(origin, sizeof origin, "xlat trace record --", ncmd, cmd);
	catch_signals();
	/* The command's own files are not our inputs: only valgrind's pipe is. */
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, out_path, o.out_fmt, origin, NULL) < 0) {
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
		/* The child keeps only the pipe's write end, as valgrind's log, and
		 * the default signal actions. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
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
		return cli_fail(1, CMD, "cannot run '%s': %s (is valgrind installed? --valgrind PATH)%s",
				valgrind, strerror(exec_errno),
				strcmp(out_path, "-") ? "; nothing was written" : "");
	}

	struct xlat_source *s;
	char *msg = NULL;
	bool empty = false;
	if ((rc = xlat_source_open_fd(&s, pfd[0], XLAT_TRACE_LACKEY, "valgrind output")) < 0) {
		empty = rc == -ENODATA;
	} else {
		struct progress pg;
		progress_init(&pg, s, &o);
		rc = copy_records(s, w, o.limit, &pg);
		xlat_source_close(s);
	}
	if (rc < 0 && !empty) {
		msg = strdup(xlat_error());
		kill(pid, SIGTERM);   /* it would block on a full pipe */
	}
	close(pfd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	uint64_t count = xlat_trace_writer_count(w);
	if (rc < 0 && !empty) {
		xlat_trace_writer_abort(w);
		rc = cli_fail(1, CMD, "%s; nothing was written", msg ? msg : "out of memory");
		free(msg);
		return rc;
	}
	if (empty || (o.limit == UINT64_MAX && count == 0)) {
		xlat_trace_writer_abort(w);
		return cli_fail(1, CMD, "valgrind produced no trace (exit status %d); nothing was written",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (xlat_trace_writer_close(w) < 0)
		return cli_fail(1, CMD, "%s", xlat_error());
	if (WIFSIGNALED(status) && o.limit == UINT64_MAX)
		fprintf(stderr, "xlat trace: note: the command was killed by signal %d; the trace "
			"holds what it did before\n", WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "xlat trace: note: the command exited with status %d\n", WEXITSTATUS(status));
	if (strcmp(out_path, "-")) {
		struct out *out = out_begin(o.fmt, stdout);
		out_str(out, "output", out_path, "wrote");
		out_u64(out, "records", count, "records");
		out_end(out);
	}
	return finish_stdout(0);
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
