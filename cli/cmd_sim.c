/* xlat sim — run a whole trace or workload through the MMU model. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "out.h"
#include "params.h"
#include "progress.h"
#include "xlat/cpu.h"
#include "xlat/parse.h"
#include "xlat/sim.h"
#include "xlat/workload.h"

#define CMD "sim"

static const char usage_head[] =
	"usage: xlat sim (TRACE | --trace FILE [--format F] | --workload NAME [--size S] [--count N]\n"
	"                 [--seed N] [--write F] [--wl-opt K=V,...]) [--warmup N] [--limit N]\n"
	"                [--mode native|nested|shadow|secure] [--levels 4|5] [--page-policy 4k|thp|1g]\n"
	"                [--host-ram SIZE] [--guest-ram SIZE] [--host-levels 4|5]\n"
	"                [--host-page-policy 4k|thp|1g] [--no-pcid] [--ept-ad] [--no-unsync]\n"
	"                [--tee fold|stage3|rmp|gpt|tdx] [--monitor-levels 4|5]\n"
	"                [--cpu NAME | --cpu-file FILE] [--set KEY=VALUE ...] [--tlb SPEC]\n"
	"                [--itlb SPEC] [--pwc none|split|unified|amd] [--no-fetch] [--quiet] [--json|--csv]\n"
	"       xlat sim --list-cpus\n"
	"       xlat sim --list-params [machine and hardware options] [--json|--csv]\n"
	"\n"
	"Runs a trace or a generated workload through the MMU model (TLBs, paging-\n"
	"structure caches, the walker, a page-table line cache, a cost model) with a\n"
	"demand-paging OS that maps pages on first touch, natively or in a VM, and\n"
	"reports what translation cost. Options go before or after TRACE.\n"
	"\n"
	"Every machine and hardware option sets a configuration key, named in [brackets]:\n"
	"--set KEY=VALUE sets any key, and --list-params lists them all with their\n"
	"values and sources, as every result prints them.\n"
	"\n"
	"input (one of):\n"
	"  TRACE, --trace FILE  a trace: .xlt, lackey text or ChampSim, maybe gzip/xz/zstd\n"
	"  --format F           the trace's format: auto (default), xlt, lackey, champsim\n"
	"  --workload NAME      a generator:";

static const char usage_tail[] =
	"  --size S             generator: bytes it touches (4k, 64m, 1g)\n"
	"  --count N            generator: records it yields (100k, 1M)\n"
	"  --seed N             generator: random seed\n"
	"  --write F            generator: share of writes, 0 to 1\n"
	"  --wl-opt K=V,...     generator: its other options (docs/traces.md)\n"
	"  --warmup N           the first N records (accesses and events as the input\n"
	"                       yields them) warm the TLBs, caches and page tables and are\n"
	"                       not counted, as ChampSim's warm-up\n"
	"  --limit N            count at most N records after warm-up (ChampSim's -i)\n"
	"\n"
	"machine:\n"
	"  --mode M             [mode] native (default), nested (a guest under EPT), shadow,\n"
	"                       or secure (a confidential VM under a secure monitor)\n"
	"  --levels 4|5         [levels] paging levels, native or the guest's (default 4)\n"
	"  --page-policy P      [page_policy] pages the OS maps: 4k (default), thp (2 MiB where it\n"
	"                       fits, as Linux's THP), 1g (1 GiB where it fits)\n"
	"  --host-ram SIZE      [host_ram] native: simulated RAM (default 64 GiB); a run\n"
	"                       that fills it stops with a message\n"
	"  --guest-ram SIZE     [guest_ram] nested, shadow, secure: the guest's RAM (default\n"
	"                       64 GiB)\n"
	"  --host-levels 4|5    [host_levels] nested, shadow, secure: levels of the EPT /\n"
	"                       memslot table / host dimension\n"
	"  --host-page-policy P [host_page_policy] nested, shadow: host pages backing guest memory\n"
	"  --no-pcid            [pcid=0] processes untagged: a switch flushes the TLBs\n"
	"  --ept-ad             [ept_ad=1] nested: EPT accessed/dirty flags on (the walker sets them)\n"
	"  --tee MODEL          [tee] secure: fold, stage3, rmp (AMD SEV-SNP, default), gpt\n"
	"                       (Arm CCA) or tdx (Intel TDX); docs/tee.md\n"
	"  --monitor-levels 4|5 [monitor_levels] secure, --tee stage3: the monitor's stage\n"
	"  --no-unsync          [unsync=0] shadow: write-protect every guest table page (no unsync\n"
	"                       leaf pages, as KVM without them)\n"
	"\n"
	"hardware:\n"
	"  --cpu NAME           [cpu] CPU preset (default skylake; --list-cpus shows them)\n"
	"  --cpu-file FILE      a preset file (xlat calibrate --out writes one) instead; the\n"
	"                       machine keys it carries (mode, host_page_policy) apply too,\n"
	"                       before the options\n"
	"  --set KEY=VALUE      set any key (repeat it; alias --cpu-param); applied after\n"
	"                       --cpu/--cpu-file, in command-line order with the options\n"
	"  --tlb SPEC           [tlb] data-side TLB levels, first level first, each\n"
	"                       ENTRIES[xWAYS][@SIZES][:lru|plru|random], arrays of a level\n"
	"                       joined by '+' (\"64\" is fully associative over all sizes;\n"
	"                       \"64x4,1536x12:plru\" two levels; \"64x4@4k+32x4@2m,1536x12\"\n"
	"                       splits the first level by page size)\n"
	"  --itlb SPEC          [itlb] the same for instruction fetches; after its levels the\n"
	"                       fetch side goes on into the data side's next levels (one\n"
	"                       shared STLB, as ChampSim and most CPUs): \"64x4\" or\n"
	"                       \"64x4,shared\" share the data side's L2 on; \"64x4,private\"\n"
	"                       gives the fetch side that one level alone\n"
	"  --pwc P              [pwc.style] paging-structure caches: none, split (Intel),\n"
	"                       unified, amd (PML4Es/PDPEs in a cache, PDEs in the L2 DTLB)\n"
	"  --no-fetch           [fetch=0] drop instruction fetches\n"
	"\n"
	"output:\n"
	"  --json, --csv        machine-readable output (CSV: fields, then list blocks)\n"
	"  -q, --quiet          no progress bar\n"
	"  --list-cpus          the CPU presets\n"
	"  --list-params        every key of the configuration given, value and source\n"
	"  -h, --help           this text\n"
	"\n"
	"Every cycle figure is printed with the cost-model parameters that produced it.\n"
	"Translation cycles (TLB hits beyond L1 + walks) are reported apart from fault\n"
	"and VM-exit cycles, which first touches dominate on short runs: use --warmup.\n";

static void print_usage(FILE *fp)
{
	fputs(usage_head, fp);
	for (size_t i = 0; i < xlat_workload_count(); i++)
		fprintf(fp, "%s %s", i ? "," : "", xlat_workload_name(i));
	fputs("\n", fp);
	fputs(usage_tail, fp);
}

/* Options by id; names[] gives each one's spelling for messages. */
enum {
	O_TRACE = 256, O_FORMAT, O_WORKLOAD, O_SIZE, O_COUNT, O_SEED, O_WRITE, O_WLOPT, O_WARMUP,
	O_LIMIT, O_MODE, O_CPU, O_CPUPARAM, O_TLB, O_ITLB, O_PWC, O_NOFETCH, O_PAGEPOL, O_HOSTPOL,
	O_LEVELS, O_HOSTLEVELS, O_GUESTRAM, O_HOSTRAM, O_NOPCID, O_EPTAD, O_NOUNSYNC, O_QUIET,
	O_JSON, O_CSV, O_LISTCPUS, O_LISTPARAMS, O_CPUFILE, O_TEE, O_MONLEVELS, O_END
};

static const struct option opts[] = {
	{ "trace", required_argument, 0, O_TRACE },
	{ "format", required_argument, 0, O_FORMAT },
	{ "workload", required_argument, 0, O_WORKLOAD },
	{ "size", required_argument, 0, O_SIZE },
	{ "count", required_argument, 0, O_COUNT },
	{ "seed", required_argument, 0, O_SEED },
	{ "write", required_argument, 0, O_WRITE },
	{ "wl-opt", required_argument, 0, O_WLOPT },
	{ "warmup", required_argument, 0, O_WARMUP },
	{ "limit", required_argument, 0, O_LIMIT },
	{ "mode", required_argument, 0, O_MODE },
	{ "cpu", required_argument, 0, O_CPU },
	{ "cpu-file", required_argument, 0, O_CPUFILE },
	{ "set", required_argument, 0, O_CPUPARAM },
	{ "cpu-param", required_argument, 0, O_CPUPARAM },
	{ "tlb", required_argument, 0, O_TLB },
	{ "itlb", required_argument, 0, O_ITLB },
	{ "pwc", required_argument, 0, O_PWC },
	{ "no-fetch", no_argument, 0, O_NOFETCH },
	{ "page-policy", required_argument, 0, O_PAGEPOL },
	{ "host-page-policy", required_argument, 0, O_HOSTPOL },
	{ "levels", required_argument, 0, O_LEVELS },
	{ "host-levels", required_argument, 0, O_HOSTLEVELS },
	{ "guest-ram", required_argument, 0, O_GUESTRAM },
	{ "host-ram", required_argument, 0, O_HOSTRAM },
	{ "no-pcid", no_argument, 0, O_NOPCID },
	{ "ept-ad", no_argument, 0, O_EPTAD },
	{ "no-unsync", no_argument, 0, O_NOUNSYNC },
	{ "tee", required_argument, 0, O_TEE },
	{ "monitor-levels", required_argument, 0, O_MONLEVELS },
	{ "quiet", no_argument, 0, O_QUIET },
	{ "json", no_argument, 0, O_JSON },
	{ "csv", no_argument, 0, O_CSV },
	{ "list-cpus", no_argument, 0, O_LISTCPUS },
	{ "list-params", no_argument, 0, O_LISTPARAMS },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 },
};

static const char *opt_name(int id)
{
	for (const struct option *o = opts; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

/* An option that sets a configuration key, in command-line order. */
struct setting {
	int id;
	const char *arg;
};

#define MAX_SETTINGS 128

struct sim_opts {
	const char *trace, *workload, *cpu, *cpu_file;
	enum xlat_trace_format format;
	struct setting sets[MAX_SETTINGS];
	int nsets;
	const char *wl_key[64], *wl_val[64];
	int nwl;
	bool given[O_END];
	enum out_format out;
};

/* ---- the report ---------------------------------------------------------- */

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* A count inside a string: grouped in text, plain in JSON and CSV. */
static const char *count(const struct out *o, char *buf, size_t size, uint64_t v)
{
	if (out_format(o) == OUT_TEXT)
		return out_fmt_count(buf, size, v);
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

struct report_ctx {
	struct out *o;
	const char *section;
};

/* One result of the machine, as the library named and computed it. */
static int report_value(void *ctx, const struct machine_value *v)
{
	struct report_ctx *rc = ctx;
	struct out *o = rc->o;
	char text[64 * 48] = "", *p = text, c[32];

	if (v->section != rc->section) {
		out_section(o, v->section);
		rc->section = v->section;
	}
	switch (v->kind) {
	case MV_COUNT: out_u64(o, v->key, v->count, v->label); break;
	case MV_RATIO: out_f64(o, v->key, v->ratio, v->label); break;
	case MV_TEXT: out_str(o, v->key, v->text, v->label); break;
	case MV_HIST:   /* "refs:walks ..." ("63+" for 63 or more) */
		for (unsigned i = 0; i < 64; i++)
			if (v->hist[i])
				p += sprintf(p, "%s%u%s:%s", p == text ? "" : " ", i, i == 63 ? "+" : "",
					     count(o, c, sizeof c, v->hist[i]));
		out_str(o, v->key, text, v->label);
		break;
	case MV_LEVELS:   /* "L4:walks ..." from the top level down */
		for (int l = XLAT_MAX_LEVELS; l >= 1; l--)
			if (v->hist[l])
				p += sprintf(p, "%sL%d:%s", p == text ? "" : " ", l, count(o, c, sizeof c, v->hist[l]));
		out_str(o, v->key, text, v->label);
		break;
	}
	return 0;
}

static void report(struct out *o, const struct sim_config *cfg, struct xlat_source *src,
		   const struct sim_result *r)
{
	const struct machine_result *mr = &r->machine;
	struct xlat_source_info info;
	struct report_ctx rc = { o, NULL };

	xlat_source_info(src, &info);
	out_section(o, "input");
	out_str(o, "input", info.name, "input");
	out_str(o, "format", info.format, "format");
	out_str(o, "origin", info.origin, "origin");
	out_u64(o, "warmup_records", r->warmup_records, "records of warm-up (not counted)");
	out_u64(o, "records", r->records, "records counted");
	machine_result_foreach(mr, report_value, &rc);

	char c1[64], c2[64];
	uint64_t acc = mr->mmu.accesses;
	out_text(o, "=> %s translation cycles per access (TLB + walks), %s more per access for faults "
		 "and exits%s\n", out_fmt_ratio(c1, sizeof c1, ratio(machine_translation_cycles(mr), acc)),
		 out_fmt_ratio(c2, sizeof c2, ratio(machine_fault_exit_cycles(mr), acc)),
		 r->warmup_records ? "" : " (no --warmup: first touches included)");

	cli_params(o, stdout, &cfg->machine);
}

/* ---- arguments ----------------------------------------------------------- */

static int parse_records(const char *opt, const char *arg, uint64_t *out)
{
	if (xlat_parse_count(arg, out))
		return cli_fail(2, CMD, "%s: %s", opt, xlat_error());
	if (*out == 0)
		return cli_fail(2, CMD, "%s 0: give at least 1 record, or leave %s out", opt, opt);
	return 0;
}

/* The options that are spellings of a configuration key: --mode M is
 * --set mode=M. */
static const int flag_ids[] = {
	O_MODE, O_LEVELS, O_PAGEPOL, O_HOSTRAM, O_GUESTRAM, O_HOSTLEVELS, O_HOSTPOL, O_NOPCID,
	O_EPTAD, O_NOUNSYNC, O_TLB, O_ITLB, O_PWC, O_NOFETCH, O_TEE, O_MONLEVELS,
};
static const struct cli_key_option flag_keys[] = {
	{ "mode", "mode", NULL },
	{ "levels", "levels", NULL },
	{ "page-policy", "page_policy", NULL },
	{ "host-ram", "host_ram", NULL },
	{ "guest-ram", "guest_ram", NULL },
	{ "host-levels", "host_levels", NULL },
	{ "host-page-policy", "host_page_policy", NULL },
	{ "no-pcid", "pcid", "0" },
	{ "ept-ad", "ept_ad", "1" },
	{ "no-unsync", "unsync", "0" },
	{ "tlb", "tlb", NULL },
	{ "itlb", "itlb", NULL },
	{ "pwc", "pwc.style", NULL },
	{ "no-fetch", "fetch", "0" },
	{ "tee", "tee", NULL },
	{ "monitor-levels", "monitor_levels", NULL },
};

#define NFLAGS (sizeof flag_keys / sizeof flag_keys[0])
_Static_assert(sizeof flag_ids / sizeof flag_ids[0] == NFLAGS, "flag_ids and flag_keys pair up");

/* Options that do not apply to what the command line asks for are refused
 * with the reason. 0 or the exit status. */
static int check_applicable(const struct sim_opts *so, const struct sim_config *cfg, bool listing)
{
	static const int not_native[] = { O_GUESTRAM, O_HOSTLEVELS, O_HOSTPOL, O_EPTAD, O_NOUNSYNC };
	static const int input_opts[] = { O_TRACE, O_FORMAT, O_WORKLOAD, O_SIZE, O_COUNT, O_SEED,
					  O_WRITE, O_WLOPT, O_WARMUP, O_LIMIT, O_QUIET };
	const bool *g = so->given;
	enum machine_mode mode = cfg->machine.mode;

	if (g[O_JSON] && g[O_CSV])
		return cli_fail(2, CMD, "--json and --csv: choose one output format");
	if (g[O_LISTCPUS]) {
		for (int id = O_TRACE; id < O_END; id++)
			if (g[id] && id != O_LISTCPUS)
				return cli_fail(2, CMD, "--list-cpus takes no other option (--%s given)",
						opt_name(id));
		return 0;
	}
	if (g[O_CPU] && g[O_CPUFILE])
		return cli_fail(2, CMD, "--cpu and --cpu-file: give one preset");
	if (listing) {
		for (size_t i = 0; i < sizeof input_opts / sizeof input_opts[0]; i++)
			if (g[input_opts[i]])
				return cli_fail(2, CMD, "--list-params shows the machine's parameters and runs "
						"nothing: --%s does not apply", opt_name(input_opts[i]));
	}
	if (mode != MACHINE_SECURE && (g[O_TEE] || g[O_MONLEVELS]))
		return cli_fail(2, CMD, "--%s applies to --mode secure (a confidential VM)",
				g[O_TEE] ? "tee" : "monitor-levels");
	if (mode == MACHINE_NATIVE)
		for (size_t i = 0; i < sizeof not_native / sizeof not_native[0]; i++)
			if (g[not_native[i]])
				return cli_fail(2, CMD, "--%s applies to --mode nested, shadow or secure, not "
						"to a native run", opt_name(not_native[i]));
	if (mode != MACHINE_NATIVE && g[O_HOSTRAM])
		return cli_fail(2, CMD, "--host-ram sizes a native machine; a VM's memory is its "
				"--guest-ram (the host backs what the guest uses)");
	if (mode == MACHINE_SECURE && (g[O_HOSTPOL] || g[O_EPTAD] || g[O_NOUNSYNC]))
		return cli_fail(2, CMD, "--%s does not apply to --mode secure (host pages are 4k, the "
				"monitor's records are per 4 KiB frame)", g[O_HOSTPOL] ? "host-page-policy" :
				g[O_EPTAD] ? "ept-ad" : "no-unsync");
	if (mode == MACHINE_SHADOW && g[O_EPTAD])
		return cli_fail(2, CMD, "--ept-ad applies to --mode nested: under shadow paging the "
				"walker does not walk the EPT");
	if (mode == MACHINE_NESTED && g[O_NOUNSYNC])
		return cli_fail(2, CMD, "--no-unsync applies to --mode shadow (unsync shadow pages)");
	if (g[O_NOFETCH] && g[O_ITLB])
		return cli_fail(2, CMD, "--itlb with --no-fetch: fetches are dropped, so no ITLB is used");
	if (listing)
		return 0;
	if (!so->trace == !so->workload)
		return cli_fail(2, CMD, "give exactly one input: TRACE (or --trace FILE) or --workload NAME");
	if (so->trace && so->nwl)
		return cli_fail(2, CMD, "--size, --count, --seed, --write and --wl-opt go with "
				"--workload, not with a trace");
	if (so->workload && g[O_FORMAT])
		return cli_fail(2, CMD, "--format applies to a trace, not to --workload");
	return 0;
}

/* The preset first (--cpu or --cpu-file: it replaces every CPU key), then
 * every key-setting option in command-line order. 0 or the exit status. */
static int configure(struct sim_opts *so, struct machine_config *mc, struct cpu_preset **file_cpu)
{
	if (so->cpu && machine_config_set(mc, "cpu", so->cpu))
		return cli_fail(2, CMD, "--cpu: %s", xlat_error());
	if (so->cpu_file && machine_config_load_file(mc, so->cpu_file, file_cpu))
		return cli_fail(2, CMD, "--cpu-file: %s", xlat_error());
	for (int i = 0; i < so->nsets; i++) {
		const struct setting *st = &so->sets[i];
		const struct cli_key_option *opt = NULL;
		for (size_t f = 0; f < NFLAGS; f++)
			if (flag_ids[f] == st->id)
				opt = &flag_keys[f];
		int rc = cli_set_key(CMD, mc, opt, st->arg);
		if (rc)
			return rc;
	}
	return 0;
}

int cmd_sim(int argc, char **argv)
{
	static struct sim_opts so;
	struct sim_config cfg;
	struct cpu_preset *file_cpu = NULL;
	struct xlat_source *src = NULL;
	int c, status = 1;

	memset(&so, 0, sizeof so);
	so.out = OUT_TEXT;
	sim_config_init(&cfg);
	optind = 1;
	opterr = 0;
	/* "-": operands come back in order as code 1, wherever they are. */
	while ((c = getopt_long(argc, argv, "-:hq", opts, NULL)) != -1) {
		if (c >= O_TRACE && c < O_END)
			so.given[c] = true;
		bool sets_key = c == O_CPUPARAM;
		for (size_t f = 0; f < NFLAGS; f++)
			sets_key |= flag_ids[f] == c;
		if (sets_key) {
			if (so.nsets == MAX_SETTINGS)
				return cli_fail(2, CMD, "too many machine and CPU options (at most %d)", MAX_SETTINGS);
			so.sets[so.nsets++] = (struct setting){ c, optarg };
			continue;
		}
		switch (c) {
		case 1:
		case O_TRACE:
			if (so.trace)
				return cli_fail(2, CMD, "one trace at a time ('%s' and '%s')", so.trace, optarg);
			so.trace = optarg;
			break;
		case O_FORMAT:
			if (xlat_trace_format_parse(optarg, &so.format))
				return cli_fail(2, CMD, "--format: %s", xlat_error());
			break;
		case O_WORKLOAD: so.workload = optarg; break;
		case O_SIZE: case O_COUNT: case O_SEED: case O_WRITE: case O_WLOPT:
			if (so.nwl == 64)
				return cli_fail(2, CMD, "too many workload options (at most 64)");
			/* NULL key: a "k=v,..." list. */
			so.wl_key[so.nwl] = c == O_WLOPT ? NULL : opt_name(c);
			so.wl_val[so.nwl++] = optarg;
			break;
		case O_WARMUP:
			if ((status = parse_records("--warmup", optarg, &cfg.warmup)))
				return status;
			break;
		case O_LIMIT:
			if ((status = parse_records("--limit", optarg, &cfg.limit)))
				return status;
			break;
		case O_CPU: so.cpu = optarg; break;
		case O_CPUFILE: so.cpu_file = optarg; break;
		case O_QUIET: case 'q': so.given[O_QUIET] = true; break;
		case O_JSON: so.out = OUT_JSON; break;
		case O_CSV: so.out = OUT_CSV; break;
		case O_LISTCPUS: case O_LISTPARAMS: break;
		case 'h':
			print_usage(stdout);
			return 0;
		case ':':
			return cli_fail(2, CMD, "option '%s' needs a value (see xlat sim --help)", argv[optind - 1]);
		default:
			return cli_fail(2, CMD, "unknown option '%s' (see xlat sim --help)", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {   /* operands after "--" */
		if (so.trace)
			return cli_fail(2, CMD, "one trace at a time ('%s' and '%s')", so.trace, argv[optind]);
		so.trace = argv[optind];
	}

	if (so.given[O_LISTCPUS]) {
		if ((c = check_applicable(&so, &cfg, false)))
			return c;
		size_t n;
		const struct cpu_preset *list = cpu_preset_list(&n);
		for (size_t i = 0; i < n; i++)
			printf("%-16s %-6s %s\n", list[i].name, list[i].vendor, list[i].model);
		return 0;
	}
	status = 2;
	bool listing = so.given[O_LISTPARAMS];
	if ((c = configure(&so, &cfg.machine, &file_cpu)) || (c = check_applicable(&so, &cfg, listing))) {
		status = c;
		goto out;
	}
	bool given[NFLAGS];
	for (size_t f = 0; f < NFLAGS; f++)
		given[f] = so.given[flag_ids[f]];
	if ((status = cli_check_keys(CMD, &cfg.machine, flag_keys, NFLAGS, given)))
		goto out;
	if (listing) {
		struct out *o = out_begin(so.out, stdout);
		if (so.out != OUT_TEXT)
			out_str(o, "cpu", cfg.machine.cpu.name, NULL);
		cli_params(o, stdout, &cfg.machine);
		out_end(o);
		status = 0;
		goto out;
	}

	if (so.trace) {
		if (xlat_source_open_as(&src, so.trace, so.format)) {
			status = cli_fail(1, CMD, "%s", xlat_error());
			goto out;
		}
	} else {
		struct xlat_workload wl;
		if (xlat_workload_init(&wl, so.workload)) {
			status = cli_fail(2, CMD, "--workload: %s", xlat_error());
			goto out;
		}
		for (int i = 0; i < so.nwl; i++) {
			int bad = so.wl_key[i] ? xlat_workload_set(&wl, so.wl_key[i], so.wl_val[i])
					       : xlat_workload_parse(&wl, so.wl_val[i]);
			if (bad) {
				status = cli_fail(2, CMD, "%s%s: %s", so.wl_key[i] ? "--" : "--wl-opt",
						  so.wl_key[i] ? so.wl_key[i] : "", xlat_error());
				goto out;
			}
		}
		if (xlat_workload_open(&src, &wl)) {
			status = cli_fail(2, CMD, "--workload %s: %s", so.workload, xlat_error());
			goto out;
		}
	}

	bool progress = cli_progress_wanted(so.given[O_QUIET]);
	if (progress)
		cfg.progress = cli_progress_machine;

	struct sim_result res;
	int rc = sim_run(&cfg, src, &res);
	/* What follows (the result, an error) starts on a fresh line. */
	if (progress)
		cli_progress_clear();
	if (rc) {
		status = cli_fail(1, CMD, "%s", xlat_error());
		goto out;
	}
	struct out *o = out_begin(so.out, stdout);
	report(o, &cfg, src, &res);
	out_end(o);
	status = 0;
out:
	xlat_source_close(src);
	cpu_file_free(file_cpu);
	return status;
}
