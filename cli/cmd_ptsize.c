/* xlat ptsize — page-table memory of synthetic layouts and live processes
 * (xlat/ptsize.h). The seed's first claim: 64 MiB of use costs a few hundred
 * KiB of tables, not the terabytes of a flat table. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "xlat/format.h"
#include "xlat/parse.h"
#include "xlat/ptsize.h"

#define CMD "ptsize"
#define MAX_MAPS 256

static const char usage_text[] =
	"usage: xlat ptsize --map SIZE [--at ADDR] [--map SIZE [--at ADDR]]... [options]\n"
	"       xlat ptsize --layout process [options]\n"
	"       xlat ptsize --pid PID [--no-scan] [--json|--csv]\n"
	"       xlat ptsize --all [--no-scan] [--json|--csv]\n"
	"\n"
	"Page-table memory, counted on tables built for real with libxlat.\n"
	"\n"
	"synthetic (every page of each region mapped):\n"
	"  --map SIZE          a region of SIZE bytes (4096, 4k, 64M, 64MiB, 1g, 2T)\n"
	"  --at ADDR           where the last --map starts (0x7fff00000000, 128T);\n"
	"                      default 1 GiB, then right after the previous region\n"
	"  --layout process    a typical process: text, data, heap, mmap area,\n"
	"                      libraries and stack across the 47-bit space\n"
	"  --page 4k|2m|1g     leaf size (default 4k); --map regions must be aligned\n"
	"                      to it, --layout regions are rounded out to it\n"
	"  --levels 4|5        4-level (48-bit) or 5-level (57-bit) paging (default 4)\n"
	"  --max-tables SIZE   refuse to build more page tables than SIZE (default 1G;\n"
	"                      at least 4k, one table page)\n"
	"\n"
	"live processes (Linux, x86-64; their paging levels and page sizes are the\n"
	"process's own, so --page, --levels and --max-tables do not apply):\n"
	"  --pid PID           build the tables of PID's present/swapped pages and\n"
	"                      huge mappings from /proc, compare with its VmPTE\n"
	"  --all               the same for every readable process\n"
	"  --no-scan           read pagemap instead of the PAGEMAP_SCAN ioctl\n"
	"\n"
	"  --json, --csv       machine-readable output (CSV: the fields, then the\n"
	"                      regions or processes as a block, one row each)\n"
	"  -h, --help          this text\n"
	"\n"
	"Sizes and addresses are binary (k = 1024); hex takes no unit.\n";

struct opts {
	struct ptsize_region maps[MAX_MAPS];
	size_t nmaps;
	bool at_given[MAX_MAPS];
	bool layout;
	unsigned page_shift;
	int levels;
	uint64_t max_tables;
	int pid;
	bool all, no_scan;
	enum out_format fmt;
	bool given[16];   /* by option id - O_MAP */
};

__attribute__((format(printf, 1, 2)))
static int usage_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = malloc(n > 0 ? (size_t)n + 1 : 1);
	if (!msg)
		return cli_fail(2, CMD, "out of memory");
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = cli_fail(2, CMD, "%s (see xlat ptsize --help)", msg);
	free(msg);
	return rc;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_MAP = 256, O_AT, O_PAGE, O_LEVELS, O_LAYOUT, O_MAXT, O_PID, O_ALL, O_NOSCAN,
	       O_JSON, O_CSV };
	static const struct option longopts[] = {
		{ "map", required_argument, NULL, O_MAP },
		{ "at", required_argument, NULL, O_AT },
		{ "page", required_argument, NULL, O_PAGE },
		{ "levels", required_argument, NULL, O_LEVELS },
		{ "layout", required_argument, NULL, O_LAYOUT },
		{ "max-tables", required_argument, NULL, O_MAXT },
		{ "pid", required_argument, NULL, O_PID },
		{ "all", no_argument, NULL, O_ALL },
		{ "no-scan", no_argument, NULL, O_NOSCAN },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->page_shift = 12;
	o->levels = 4;
	o->max_tables = XLAT_SIZE_1G;
	o->pid = -1;
	o->fmt = OUT_TEXT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c >= O_MAP && c <= O_CSV)
			o->given[c - O_MAP] = true;
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case O_MAP:
			if (o->nmaps == MAX_MAPS)
				return cli_fail(2, CMD, "too many --map options (at most %d)", MAX_MAPS);
			if (xlat_parse_size(optarg, &v))
				return cli_fail(2, CMD, "--map: %s", xlat_error());
			if (!v)
				return cli_fail(2, CMD, "--map: a region must not be empty");
			o->maps[o->nmaps].size = v;
			o->maps[o->nmaps].name = NULL;
			o->nmaps++;
			break;
		case O_AT:
			if (!o->nmaps)
				return usage_fail("--at %s comes before any --map", optarg);
			if (o->at_given[o->nmaps - 1])
				return usage_fail("two --at for one --map (second: %s)", optarg);
			if (xlat_parse_addr(optarg, &v))
				return cli_fail(2, CMD, "--at: %s", xlat_error());
			o->maps[o->nmaps - 1].start = v;
			o->at_given[o->nmaps - 1] = true;
			break;
		case O_PAGE:
			if (xlat_parse_size(optarg, &v))
				return cli_fail(2, CMD, "--page: %s", xlat_error());
			if (v != XLAT_SIZE_4K && v != XLAT_SIZE_2M && v != XLAT_SIZE_1G)
				return usage_fail("--page %s: x86-64 pages are 4k, 2m or 1g", optarg);
			o->page_shift = v == XLAT_SIZE_4K ? 12 : v == XLAT_SIZE_2M ? 21 : 30;
			break;
		case O_LEVELS:
			if (strcmp(optarg, "4") && strcmp(optarg, "5"))
				return usage_fail("--levels %s: x86-64 paging has 4 or 5 levels", optarg);
			o->levels = optarg[0] - '0';
			break;
		case O_LAYOUT:
			if (strcmp(optarg, "process"))
				return usage_fail("--layout %s: the only layout is 'process'", optarg);
			o->layout = true;
			break;
		case O_MAXT:
			if (xlat_parse_size(optarg, &o->max_tables))
				return cli_fail(2, CMD, "--max-tables: %s", xlat_error());
			if (o->max_tables < XLAT_PAGE_SIZE)
				return usage_fail("--max-tables %s: every build needs at least one 4 KiB "
						  "table page (leave the option out for the 1 GiB default)", optarg);
			break;
		case O_PID:
			if (xlat_parse_count(optarg, &v) || v == 0 || v > INT32_MAX ||
			    strspn(optarg, "0123456789") != strlen(optarg))
				return usage_fail("--pid %s: not a process id", optarg);
			o->pid = (int)v;
			break;
		case O_ALL:
			o->all = true;
			break;
		case O_NOSCAN:
			o->no_scan = true;
			break;
		case O_JSON:
			o->fmt = OUT_JSON;
			break;
		case O_CSV:
			o->fmt = OUT_CSV;
			break;
		case ':':
			return usage_fail("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_fail("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_fail("unexpected argument '%s' (ptsize takes options only)", argv[optind]);
	int modes = (o->nmaps || o->layout) + (o->pid > 0) + o->all;
	if (modes == 0)
		return cli_fail(2, CMD, "nothing to measure: give --map SIZE, --layout process, "
				"--pid PID or --all (see xlat ptsize --help)");
	if (modes > 1)
		return cli_fail(2, CMD, "--map/--layout, --pid and --all are separate studies: "
				"give one (see xlat ptsize --help)");
	if (o->given[O_JSON - O_MAP] && o->given[O_CSV - O_MAP])
		return cli_fail(2, CMD, "--json and --csv: choose one output format");
	if (o->pid > 0 || o->all) {
		static const struct { int id; const char *name; } synthetic_only[] = {
			{ O_PAGE, "--page" }, { O_LEVELS, "--levels" }, { O_MAXT, "--max-tables" },
		};
		for (size_t i = 0; i < sizeof synthetic_only / sizeof synthetic_only[0]; i++)
			if (o->given[synthetic_only[i].id - O_MAP])
				return cli_fail(2, CMD, "%s applies to --map and --layout: a live process's "
						"tables have its own levels and page sizes (%s)",
						synthetic_only[i].name, o->all ? "--all" : "--pid");
	} else if (o->no_scan) {
		return cli_fail(2, CMD, "--no-scan applies to --pid and --all (how a live process's "
				"pages are read), not to --map or --layout");
	}
	return 0;
}

/* Places --map regions without --at: the first at PTSIZE_DEFAULT_START, each
 * next one right after the previous, rounded up to the page size. */
static void place_maps(struct opts *o)
{
	uint64_t page = 1ULL << o->page_shift, next = PTSIZE_DEFAULT_START;
	for (size_t i = 0; i < o->nmaps; i++) {
		if (!o->at_given[i])
			o->maps[i].start = next;
		next = xlat_align_up(o->maps[i].start + o->maps[i].size, page);
	}
}

static const char *level_key(int level)
{
	static const char *const keys[] = { "", "l1_pages", "l2_pages", "l3_pages", "l4_pages",
					    "l5_pages" };
	return keys[level];
}

static int run_synthetic(struct opts *o)
{
	struct ptsize_region regions[MAX_MAPS + PTSIZE_LAYOUT_MAX];
	size_t n = 0;
	struct ptsize_result res;
	char b1[48], b2[48], b3[48];

	if (o->layout)
		n = ptsize_layout_process(o->page_shift, regions);
	place_maps(o);
	for (size_t i = 0; i < o->nmaps; i++)
		regions[n++] = o->maps[i];
	int rc = ptsize_build(regions, n, o->levels, o->page_shift, o->max_tables, &res);
	if (rc)
		return cli_fail(rc == -EINVAL || rc == -E2BIG ? 2 : 1, CMD, "%s", xlat_error());

	const struct xlat_format *fmt = fmt_x86(o->levels);
	struct out *out = out_begin(o->fmt, stdout);
	xlat_parse_size_str(res.st.mapped_bytes, b1, sizeof b1);
	xlat_parse_size_str(1ULL << res.page_shift, b2, sizeof b2);
	out_text(out, "%s mapped in %zu region%s on %s pages, %d-level paging (%u-bit)\n", b1, n,
		 n == 1 ? "" : "s", b2, res.levels, res.va_bits);
	out_u64(out, "levels", (uint64_t)res.levels, "paging levels");
	out_u64(out, "page_bytes", 1ULL << res.page_shift, "page size (bytes)");
	out_u64(out, "va_bits", res.va_bits, "virtual address bits");
	if (o->fmt != OUT_TEXT) {
		out_list_begin(out, "regions", NULL);
		for (size_t i = 0; i < n; i++) {
			char start[24];
			snprintf(start, sizeof start, "0x%" PRIx64, regions[i].start);
			out_item_begin(out);
			out_str(out, "name", regions[i].name ? regions[i].name : "", NULL);
			out_str(out, "start", start, NULL);
			out_u64(out, "size", regions[i].size, NULL);
			out_item_end(out);
		}
		out_list_end(out);
	} else {
		for (size_t i = 0; i < n; i++) {
			xlat_parse_size_str(regions[i].size, b3, sizeof b3);
			out_text(out, "    %-6s 0x%012" PRIx64 "-0x%012" PRIx64 "  %s\n",
				 regions[i].name ? regions[i].name : "", regions[i].start,
				 regions[i].start + regions[i].size, b3);
		}
	}
	out_section(out, "table pages, by the level of the entries they hold");
	for (int l = res.levels; l >= 1; l--) {
		char label[64];
		snprintf(label, sizeof label, "level %d (%s%s)", l, fmt_level_name(fmt, l),
			 l == res.levels ? ", the root" : "");
		out_u64(out, level_key(l), res.st.table_pages[l], label);
	}
	out_u64(out, "table_pages", res.st.total_pages, "table pages");
	out_u64(out, "table_bytes", res.st.table_bytes, "table bytes");
	out_u64(out, "mapped_bytes", res.st.mapped_bytes, "mapped bytes");
	out_u64(out, "leaves", res.st.leaves[1] + res.st.leaves[2] + res.st.leaves[3], "leaf entries");
	out_f64(out, "overhead", (double)res.st.table_bytes / (double)res.st.mapped_bytes,
		"table bytes per mapped byte");
	out_u64(out, "flat_table_bytes", res.flat_bytes, "flat one-level table bytes");
	out_f64(out, "flat_ratio", (double)res.flat_bytes / (double)res.st.table_bytes,
		"flat / radix");
	xlat_parse_size_str(res.st.table_bytes, b1, sizeof b1);
	xlat_parse_size_str(res.flat_bytes, b3, sizeof b3);
	out_text(out, "=> %s of page tables; a flat table for the whole %u-bit space on %s pages "
		 "would take %s (2^%u entries x 8 bytes)\n", b1, res.va_bits, b2, b3,
		 res.va_bits - res.page_shift);
	out_end(out);
	return 0;
}

static void proc_fields(struct out *out, const struct ptsize_proc *p, bool brief)
{
	out_id(out, "pid", (uint64_t)p->pid, NULL);
	out_str(out, "comm", p->comm, NULL);
	if (!brief) {
		out_u64(out, "vmas", p->vmas, "VMAs");
		out_u64(out, "pages_4k", p->pages_4k, "4 KiB pages present or swapped");
		out_u64(out, "leaves_2m", p->leaves_2m, "PMD-mapped 2 MiB pages");
		out_u64(out, "leaves_1g", p->leaves_1g, "PUD-mapped 1 GiB pages");
		const struct xlat_format *fmt = fmt_x86((int)p->va_levels);
		for (int l = (int)p->va_levels; fmt && l >= 1; l--) {
			char label[64];
			snprintf(label, sizeof label, "level %d (%s) table pages", l,
				 fmt_level_name(fmt, l));
			out_u64(out, level_key(l), p->st.table_pages[l], label);
		}
	}
	out_u64(out, "table_pages", p->st.total_pages, "xlat table pages (root included)");
	out_u64(out, "table_bytes", p->st.table_bytes, "xlat table bytes");
	out_u64(out, "deposited_pte_tables", p->deposited, "deposited PTE tables (anon THP)");
	out_u64(out, "computed_kernel_bytes", p->computed_kernel_bytes,
		"kernel-accounting equivalent (bytes)");
	out_u64(out, "kernel_vmpte_bytes", p->kernel_vmpte_bytes, "kernel VmPTE (bytes)");
	out_bool(out, "match", p->match, "match");
	out_str(out, "method", p->used_scan ? "pagemap_scan" : "pagemap", NULL);
	if (!brief)
		out_u64(out, "attempts", p->attempts, "reads until VmPTE was stable");
	if (out_format(out) != OUT_TEXT || p->note[0])
		out_str(out, "note", p->note, NULL);
}

/* A process names itself: no control bytes on the terminal. out holds
 * sizeof(struct ptsize_proc.comm) bytes. */
static const char *safe_comm(char *out, const char *comm)
{
	size_t k;
	for (k = 0; comm[k] && k + 1 < sizeof ((struct ptsize_proc *)0)->comm; k++) {
		unsigned char ch = (unsigned char)comm[k];
		out[k] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[k] = 0;
	return out;
}

static int run_pid(struct opts *o)
{
	struct ptsize_proc p;
	int rc = ptsize_pid(o->pid, o->no_scan ? PTSIZE_NO_SCAN : 0, &p);
	if (rc)
		return cli_fail(1, CMD, "%s", xlat_error());
	struct out *out = out_begin(o->fmt, stdout);
	char b1[48], b2[48], b3[32], b4[32], b5[32], comm[sizeof p.comm];
	out_text(out, "process %d (%s): %u VMAs, %s 4K pages, %s 2M leaves, %s 1G leaves\n",
		 p.pid, safe_comm(comm, p.comm), p.vmas, out_fmt_count(b3, sizeof b3, p.pages_4k),
		 out_fmt_count(b4, sizeof b4, p.leaves_2m), out_fmt_count(b5, sizeof b5, p.leaves_1g));
	proc_fields(out, &p, false);
	xlat_parse_size_str(p.computed_kernel_bytes, b1, sizeof b1);
	xlat_parse_size_str(p.kernel_vmpte_bytes, b2, sizeof b2);
	out_text(out, "=> computed %s, kernel VmPTE %s: %s%s%s\n", b1, b2,
		 p.match ? "match" : "MISMATCH", p.note[0] ? " — " : "", p.note);
	out_end(out);
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int run_all(struct opts *o)
{
	DIR *d = opendir("/proc");
	if (!d)
		return cli_fail(1, CMD, "cannot open /proc: %s", strerror(errno));
	int *pids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			int *np = realloc(pids, cap * sizeof *np);
			if (!np) {
				free(pids);
				closedir(d);
				return cli_fail(1, CMD, "out of memory");
			}
			pids = np;
		}
		pids[n++] = (int)pid;
	}
	closedir(d);
	qsort(pids, n, sizeof *pids, by_pid);

	struct out *out = out_begin(o->fmt, stdout);
	uint64_t matched = 0, total = 0, unreadable = 0, no_mm = 0;
	uint64_t sum_tables = 0, sum_computed = 0, sum_vmpte = 0;
	out_text(out, "%7s %-16s %14s %14s %14s  %s\n", "PID", "COMM", "XLAT", "COMPUTED",
		 "VmPTE", "RESULT");
	if (o->fmt != OUT_TEXT)
		out_list_begin(out, "processes", NULL);
	for (size_t i = 0; i < n; i++) {
		struct ptsize_proc p;
		int rc = ptsize_pid(pids[i], o->no_scan ? PTSIZE_NO_SCAN : 0, &p);
		if (rc == -ENODATA || rc == -ESRCH) {
			no_mm += rc == -ENODATA;
			continue;
		}
		if (rc) {
			unreadable++;
			continue;
		}
		total++;
		matched += p.match;
		sum_tables += p.st.table_bytes;
		sum_computed += p.computed_kernel_bytes;
		sum_vmpte += p.kernel_vmpte_bytes;
		if (o->fmt != OUT_TEXT) {
			out_item_begin(out);
			proc_fields(out, &p, true);
			out_item_end(out);
		} else {
			char b1[32], b2[32], b3[32], comm[sizeof p.comm];
			out_text(out, "%7d %-16s %14s %14s %14s  %s%s%s\n", p.pid, safe_comm(comm, p.comm),
				 out_fmt_count(b1, sizeof b1, p.st.table_bytes),
				 out_fmt_count(b2, sizeof b2, p.computed_kernel_bytes),
				 out_fmt_count(b3, sizeof b3, p.kernel_vmpte_bytes),
				 p.match ? "match" : "MISMATCH", p.note[0] ? ": " : "", p.note);
		}
	}
	free(pids);
	if (o->fmt != OUT_TEXT)
		out_list_end(out);
	out_u64(out, "processes_total", total, NULL);
	out_u64(out, "processes_matched", matched, NULL);
	out_u64(out, "skipped_unreadable", unreadable, NULL);
	out_u64(out, "skipped_no_mm", no_mm, NULL);
	out_u64(out, "table_bytes_total", sum_tables, NULL);
	out_u64(out, "computed_kernel_bytes_total", sum_computed, NULL);
	out_u64(out, "kernel_vmpte_bytes_total", sum_vmpte, NULL);
	char m1[32], m2[32];
	out_text(out, "%s of %s processes match\n", out_fmt_count(m1, sizeof m1, matched),
		 out_fmt_count(m2, sizeof m2, total));
	out_end(out);
	return 0;
}

int cmd_ptsize(int argc, char **argv)
{
	static struct opts o;   /* MAX_MAPS regions: keep it off the stack */
	memset(&o, 0, sizeof o);
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (o.all)
		return run_all(&o);
	if (o.pid > 0)
		return run_pid(&o);
	return run_synthetic(&o);
}
