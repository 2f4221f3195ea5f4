/* xlat gc — the GC pause: a managed heap marked and/or swept, natively and
 * virtualized, and what translation adds to the pause. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "out.h"
#include "params.h"
#include "progress.h"
#include "xlat/cpu.h"
#include "xlat/gc.h"
#include "xlat/parse.h"

static const char usage[] =
	"usage: xlat gc --heap SIZE [--phase mark|sweep|both] [--mode native|nested|shadow|secure]\n"
	"               [--tee fold|stage3|rmp|gpt|tdx]\n"
	"               [--page-policy 4k|thp|1g] [--host-page-policy 4k|thp|1g]\n"
	"               [--cpu NAME] [--set KEY=VALUE ...] [--ghz F] [--extra-miss-cycles N]\n"
	"               [--seed N] [--live F] [--obj BYTES] [--ptrs F] [--roots F]\n"
	"               [--marks bitmap|header] [--wl-opt K=V,...] [--guest-ram SIZE]\n"
	"               [--quiet] [--json|--csv]\n"
	"\n"
	"A heap of SIZE bytes (a multiple of 4 KiB) filled with objects, then marked from\n"
	"its roots and/or swept linearly (docs/gc.md); the fill is warm-up, the mark and\n"
	"sweep are the pause. A nested or shadow run has the same heap run natively\n"
	"beside it, and the difference is the pause virtualization adds.\n"
	"\n"
	"  --heap SIZE            heap bytes (\"8G\"); it must fit the guest RAM\n"
	"  --phase P              the pause: mark, sweep (default) or both\n"
	"  --mode M               [mode] nested (default), shadow, secure (a confidential\n"
	"                         VM) or native\n"
	"  --tee MODEL            [tee] secure: fold, stage3, rmp (default), gpt or tdx\n"
	"  --page-policy P        [page_policy] (guest) OS pages: 4k (default), thp, 1g\n"
	"  --host-page-policy P   [host_page_policy] host pages backing guest memory: 4k\n"
	"                         (default), thp, 1g\n"
	"  --cpu NAME             [cpu] CPU preset (default skylake; xlat sim --list-cpus)\n"
	"  --set KEY=VALUE        set any machine or CPU key (alias --cpu-param; xlat sim\n"
	"                         --list-params lists them), after --cpu\n"
	"  --ghz F                [ghz] clock, to turn cycles into seconds\n"
	"  --extra-miss-cycles N  the seed's computation: the virtualized run's TLB misses\n"
	"                         * N cycles / clock is the added pause, in place of the\n"
	"                         model's own (which is printed beside it)\n"
	"  --seed N               the heap's seed (default 1)\n"
	"  --live F               fraction of objects live, (0, 1] (default 0.5)\n"
	"  --obj BYTES            mean object size, 24..2048 (default 80)\n"
	"  --ptrs F               fraction of an object's fields that are references\n"
	"                         (default 0.25; at least two per object)\n"
	"  --roots F              fraction of live objects that are roots (default 0.001)\n"
	"  --marks M              mark bits in a side bitmap (default) or in headers\n"
	"  --wl-opt K=V,...       any of the gc workload's options (docs/traces.md)\n"
	"  --guest-ram SIZE       [guest_ram] the guest's RAM (default 64 GiB)\n"
	"  --quiet                no progress bar\n"
	"\n"
	"Every cycle figure is printed with the cost-model parameters that produced it.\n";

/* A size for a message: exact ("64 GiB") when a unit divides it, else
 * GiB with two decimals. */
static void gib(uint64_t bytes, char *buf, size_t len)
{
	if (bytes % (1ULL << 20) == 0 || bytes < (1ULL << 30))
		xlat_parse_size_str(bytes, buf, len);
	else
		snprintf(buf, len, "%.2f GiB", (double)bytes / (1ULL << 30));
}

/* The study's message without its "gc: " (the command names itself). */
static const char *why(void)
{
	const char *e = xlat_error();
	return strncmp(e, "gc: ", 4) ? e : e + 4;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* A key with a prefix: "native_" + "tlb_misses". */
static const char *key(char *buf, size_t len, const char *prefix, const char *k)
{
	snprintf(buf, len, "%s%s", prefix, k);
	return buf;
}

/* One phase's counters on one machine, keys prefixed. */
static void counts(struct out *o, const char *prefix, const struct gc_counts *c, bool cycles)
{
	char k[64];
	out_u64(o, key(k, sizeof k, prefix, "accesses"), c->accesses, "accesses");
	out_u64(o, key(k, sizeof k, prefix, "tlb_misses"), c->tlb_misses, "TLB misses (all levels)");
	out_u64(o, key(k, sizeof k, prefix, "walks"), c->walks, "walks (fault retries included)");
	out_u64(o, key(k, sizeof k, prefix, "walk_refs"), c->walk_refs, "walk references");
	out_f64(o, key(k, sizeof k, prefix, "refs_per_walk"), ratio(c->walk_refs, c->walks), "  per walk");
	out_u64(o, key(k, sizeof k, prefix, "faults"), c->faults, "faults");
	out_u64(o, key(k, sizeof k, prefix, "exits"), c->exits, "VM exits");
	if (!cycles)
		return;
	out_u64(o, key(k, sizeof k, prefix, "translation_cycles"), c->translation_cycles,
		"translation cycles");
	out_u64(o, key(k, sizeof k, prefix, "tlb_cycles"), c->tlb_cycles, "  TLB hits beyond L1");
	out_u64(o, key(k, sizeof k, prefix, "walk_cycles"), c->walk_cycles, "  walks");
	out_u64(o, key(k, sizeof k, prefix, "fault_cycles"), c->fault_cycles, "  faults");
	out_u64(o, key(k, sizeof k, prefix, "exit_cycles"), c->exit_cycles, "  VM exits");
}

/* A machine's pause: the phases run, their sum, the seconds. */
static void machine(struct out *o, const char *prefix, const char *title, const struct gc_machine_result *r,
		    uint8_t phases)
{
	char k[64], p[64];
	out_section(o, title);
	counts(o, prefix, &r->pause, true);
	out_f64(o, key(k, sizeof k, prefix, "walk_cycles_per_miss"), ratio(r->pause.walk_cycles, r->pause.tlb_misses),
		"walk cycles per TLB miss");
	out_f64(o, key(k, sizeof k, prefix, "translation_s"), r->translation_s,
		"pause translation adds (s)");
	out_f64(o, key(k, sizeof k, prefix, "pause_s"), r->pause_s,
		"pause, estimate (s)");
	if (phases == (XLAT_GC_MARK | XLAT_GC_SWEEP)) {
		out_section(o, "  of which mark");
		counts(o, key(p, sizeof p, prefix, "mark_"), &r->mark, true);
		out_section(o, "  of which sweep");
		counts(o, key(p, sizeof p, prefix, "sweep_"), &r->sweep, true);
	}
	out_section(o, "  fill (warm-up, not in the pause)");
	counts(o, key(p, sizeof p, prefix, "fill_"), &r->fill, false);
}

static void report(struct out *o, const struct gc_config *cfg, const struct gc_result *r, double extra)
{
	const struct xlat_gc_info *h = &r->heap;

	out_section(o, "heap");
	out_u64(o, "heap_bytes", cfg->heap.size, "heap bytes");
	out_u64(o, "heap_pages", h->blocks, "  4 KiB pages");
	out_u64(o, "objects", h->objects, "objects");
	out_u64(o, "live_objects", h->live, "live objects");
	out_u64(o, "live_bytes", h->live_bytes, "live bytes");
	out_u64(o, "roots", h->roots, "roots");
	out_u64(o, "live_refs", h->live_refs, "reference fields of live objects");
	out_u64(o, "free_chunks", h->chunks, "free chunks the sweep makes");
	out_str(o, "marks", cfg->heap.marks == XLAT_GC_MARKS_HEADER ? "header" : "bitmap", "mark bits in");
	struct xlat_workload w = cfg->heap;
	char opts[512];
	w.phases = (uint8_t)(XLAT_GC_FILL | cfg->phases);
	xlat_workload_format(&w, opts, sizeof opts);
	out_str(o, "workload", opts, "workload gc");

	out_section(o, "machine");
	const struct machine_config *mc = &cfg->machine;
	char v[64];
	out_str(o, "mode", machine_mode_name(mc->mode), "mode");
	out_str(o, "phase", gc_phase_name(cfg->phases), "pause");
	out_str(o, "cpu", mc->cpu.name, "cpu preset");
	out_f64(o, "ghz", mc->cpu.ghz, "clock (GHz)");
	if (machine_config_get(mc, "page_policy", v, sizeof v))
		snprintf(v, sizeof v, "?");
	out_str(o, "page_policy", v, mc->mode == MACHINE_NATIVE ? "page policy" : "guest page policy");
	if (mc->mode != MACHINE_NATIVE) {
		if (machine_config_get(mc, "host_page_policy", v, sizeof v))
			snprintf(v, sizeof v, "?");
		out_str(o, "host_page_policy", v, "host page policy");
		out_u64(o, "guest_ram", mc->guest_ram, "guest RAM (bytes)");
	}

	char title[96];
	snprintf(title, sizeof title, "pause: %s, %s", gc_phase_name(cfg->phases), machine_mode_name(mc->mode));
	machine(o, "", title, &r->run, cfg->phases);
	if (r->virtualized) {
		machine(o, "native_", "the same heap natively", &r->native, cfg->phases);
		out_section(o, "what virtualization adds");
		out_f64(o, "model_penalty_cycles_per_miss", r->model_penalty_per_miss,
			"model: walk cycles/miss over native");
		out_f64(o, "model_added_pause_s", r->model_added_pause_s,
			"model: added pause (s)");
		if (extra > 0) {
			out_f64(o, "extra_miss_cycles", extra, "given: cycles/miss over native");
			out_f64(o, "extra_added_pause_s", r->extra_added_pause_s,
				"given: misses x cycles / clock (s)");
		}
		out_f64(o, "added_pause_s", r->added_pause_s, "added pause (s)");
		out_str(o, "added_pause_basis", extra > 0 ? "extra-miss-cycles" : "model", "  from");
	}
	cli_params(o, stdout, mc);
}

int cmd_gc(int argc, char **argv)
{
	enum { O_HEAP = 256, O_PHASE, O_MODE, O_PP, O_HPP, O_GUESTRAM, O_GHZ, O_TEE, O_CPU, O_CPUPARAM, O_EXTRA, O_SEED,
	       O_LIVE, O_OBJ, O_PTRS, O_ROOTS, O_MARKS, O_WLOPT, O_QUIET, O_JSON, O_CSV, O_HELP };
	/* The options that are keys, O_MODE .. O_TEE in order. */
	static const struct cli_key_option keys[] = {
		{ "mode", "mode", NULL },
		{ "page-policy", "page_policy", NULL },
		{ "host-page-policy", "host_page_policy", NULL },
		{ "guest-ram", "guest_ram", NULL },
		{ "ghz", "ghz", NULL },
		{ "tee", "tee", NULL },
	};
	enum { NKEYS = sizeof keys / sizeof keys[0] };
	static const struct option opts[] = {
		{ "heap", required_argument, 0, O_HEAP },
		{ "phase", required_argument, 0, O_PHASE },
		{ "mode", required_argument, 0, O_MODE },
		{ "page-policy", required_argument, 0, O_PP },
		{ "host-page-policy", required_argument, 0, O_HPP },
		{ "cpu", required_argument, 0, O_CPU },
		{ "set", required_argument, 0, O_CPUPARAM },
		{ "cpu-param", required_argument, 0, O_CPUPARAM },
		{ "ghz", required_argument, 0, O_GHZ },
		{ "tee", required_argument, 0, O_TEE },
		{ "extra-miss-cycles", required_argument, 0, O_EXTRA },
		{ "seed", required_argument, 0, O_SEED },
		{ "live", required_argument, 0, O_LIVE },
		{ "obj", required_argument, 0, O_OBJ },
		{ "ptrs", required_argument, 0, O_PTRS },
		{ "roots", required_argument, 0, O_ROOTS },
		{ "marks", required_argument, 0, O_MARKS },
		{ "wl-opt", required_argument, 0, O_WLOPT },
		{ "guest-ram", required_argument, 0, O_GUESTRAM },
		{ "quiet", no_argument, 0, O_QUIET },
		{ "json", no_argument, 0, O_JSON },
		{ "csv", no_argument, 0, O_CSV },
		{ "help", no_argument, 0, O_HELP },
		{ 0, 0, 0, 0 },
	};
	/* workload keys of the options that set one, in option order */
	static const char *const wl_keys[] = {
		[O_HEAP - O_HEAP] = "size", [O_SEED - O_HEAP] = "seed", [O_LIVE - O_HEAP] = "live",
		[O_OBJ - O_HEAP] = "obj", [O_PTRS - O_HEAP] = "ptrs", [O_ROOTS - O_HEAP] = "roots",
		[O_MARKS - O_HEAP] = "marks",
	};
	struct gc_config cfg;
	const char *cpu_name = NULL, *set_arg[64];
	const struct cli_key_option *set_opt[64];
	bool given[NKEYS] = { false };
	const char *wl_key[64], *wl_val[64];
	int nsets = 0, nwl = 0, c;
	bool have_heap = false, quiet = false;
	uint64_t extra = 0;
	enum out_format fmt = OUT_TEXT;

	gc_config_init(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_HEAP: case O_SEED: case O_LIVE: case O_OBJ: case O_PTRS: case O_ROOTS: case O_MARKS:
		case O_WLOPT:
			if (nwl == 64)
				return cli_fail(2, "gc", "too many heap options");
			have_heap |= c == O_HEAP;
			wl_key[nwl] = c == O_WLOPT ? NULL : wl_keys[c - O_HEAP];
			wl_val[nwl++] = optarg;
			break;
		case O_PHASE:
			if (gc_phase_parse(optarg, &cfg.phases))
				return cli_fail(2, "gc", "--phase: %s", xlat_error());
			break;
		case O_MODE: case O_PP: case O_HPP: case O_GUESTRAM: case O_GHZ: case O_TEE: case O_CPUPARAM:
			/* In order, after --cpu: each sets a key. */
			if (nsets == 64)
				return cli_fail(2, "gc", "too many machine and CPU options (at most 64)");
			set_opt[nsets] = c == O_CPUPARAM ? NULL : &keys[c - O_MODE];
			set_arg[nsets++] = optarg;
			if (c != O_CPUPARAM)
				given[c - O_MODE] = true;
			break;
		case O_CPU: cpu_name = optarg; break;
		case O_EXTRA:
			if (xlat_parse_count(optarg, &extra))
				return cli_fail(2, "gc", "--extra-miss-cycles: %s", xlat_error());
			if (extra == 0 || extra > 1000000000)
				return cli_fail(2, "gc", "--extra-miss-cycles must be 1..1e9 cycles, not '%s'", optarg);
			break;
		case O_QUIET: quiet = true; break;
		case O_JSON: fmt = OUT_JSON; break;
		case O_CSV: fmt = OUT_CSV; break;
		case 'h':
		case O_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			return cli_fail(2, "gc", "unknown or incomplete option '%s' (see xlat gc --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_fail(2, "gc", "unexpected argument '%s'", argv[optind]);
	if (!have_heap)
		return cli_fail(2, "gc", "--heap SIZE is required");
	for (int i = 0; i < nwl; i++) {
		if (!wl_key[i] && strstr(wl_val[i], "phase="))
			return cli_fail(2, "gc", "--wl-opt: the phase is --phase");
		int bad = wl_key[i] ? xlat_workload_set(&cfg.heap, wl_key[i], wl_val[i])
				    : xlat_workload_parse(&cfg.heap, wl_val[i]);
		if (bad)
			return cli_fail(2, "gc", "--%s: %s", !wl_key[i] ? "wl-opt" : !strcmp(wl_key[i], "size") ?
					"heap" : wl_key[i], xlat_error());
	}
	static const struct cli_key_option cpu_key = { "cpu", "cpu", NULL };
	if (cpu_name && (c = cli_set_key("gc", &cfg.machine, &cpu_key, cpu_name)))
		return c;
	for (int i = 0; i < nsets; i++)
		if ((c = cli_set_key("gc", &cfg.machine, set_opt[i], set_arg[i])))
			return c;
	if ((c = cli_check_keys("gc", &cfg.machine, keys, NKEYS, given)))
		return c;
	if (cfg.machine.mode == MACHINE_NATIVE && extra)
		return cli_fail(2, "gc", "--extra-miss-cycles is a virtualization penalty: give --mode nested or shadow");
	cfg.extra_miss_cycles = (double)extra;

	uint64_t need = gc_footprint(&cfg, NULL);   /* the exact check is the run's */
	if (need > cfg.machine.guest_ram) {
		char h[32], n[32], g[32];
		gib(cfg.heap.size, h, sizeof h);
		gib(need, n, sizeof n);
		gib(cfg.machine.guest_ram, g, sizeof g);
		if (cfg.heap.size > cfg.machine.guest_ram)
			return cli_fail(2, "gc", "--heap %s is larger than the guest RAM (%s; --guest-ram)", h, g);
		return cli_fail(2, "gc", "--heap %s needs %s with its mark bitmap and roots, more than the guest RAM "
				"(%s; --guest-ram)", h, n, g);
	}

	if (gc_check(&cfg))
		return cli_fail(2, "gc", "%s", why());
	bool progress = cli_progress_wanted(quiet);
	if (progress)
		cfg.progress = cli_progress_machine;
	struct gc_result res;
	int rc = gc_run(&cfg, &res);
	if (progress)
		cli_progress_clear();
	if (rc)
		return cli_fail(1, "gc", "%s", why());
	struct out *o = out_begin(fmt, stdout);
	report(o, &cfg, &res, (double)extra);
	out_end(o);
	return 0;
}
