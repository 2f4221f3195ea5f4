/* xlat sim — run a whole trace or workload through the MMU model. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "xlat/cpu.h"
#include "xlat/parse.h"
#include "xlat/sim.h"
#include "xlat/workload.h"

static const char usage[] =
	"usage: xlat sim (--trace FILE [--format auto|xlt|lackey|champsim] |\n"
	"                 --workload NAME [--size S] [--count N] [--seed N] [--write F] [--wl-opt K=V,...])\n"
	"                [--mode native|nested|shadow] [--cpu NAME] [--cpu-param KEY=VALUE ...]\n"
	"                [--tlb SPEC] [--itlb SPEC] [--pwc none|split|unified] [--no-fetch]\n"
	"                [--page-policy 4k|thp|1g] [--host-page-policy 4k|thp|1g]\n"
	"                [--levels 4|5] [--host-levels 4|5] [--guest-ram SIZE]\n"
	"                [--no-pcid] [--ept-ad] [--no-unsync] [--quiet] [--json|--csv]\n"
	"\n"
	"  --tlb SPEC     data-side TLB levels, first level first, each\n"
	"                 ENTRIES[xWAYS][:lru|plru|random], unified over page sizes\n"
	"                 (\"64\" is fully associative; \"64x4,1536x12:plru\" two levels)\n"
	"  --itlb SPEC    the same for instruction fetches\n"
	"  --cpu-param K=V  override one CPU parameter (see --list-params; alias --set)\n"
	"  --list-cpus    the CPU presets;  --list-params: the chosen preset's parameters\n"
	"\n"
	"Every cycle figure is printed with the cost-model parameters that produced it.\n";

struct sim_opts {
	const char *trace, *workload, *cpu;
	enum xlat_trace_format format;
	struct xlat_workload wl;
	bool have_wl;
	const char *tlb, *itlb, *pwc;
	char **sets;
	int nsets;
	bool no_fetch, quiet, list_cpus, list_params;
	enum out_format out;
};

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (!total)
		return;
	unsigned pct = (unsigned)(done * 100 / total), bar = pct / 4;
	fprintf(stderr, "\r  [%.*s%*s] %3u%%", bar, "#########################", 25 - bar, "", pct);
	if (done >= total)
		fputs("\r\033[K", stderr);
}

static int apply_tlb_spec(const char *spec, struct tlb_config *levels, unsigned *n, const char *what)
{
	char *copy = strdup(spec), *save = NULL;
	unsigned k = 0;
	int rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (k == MMU_MAX_TLB_LEVELS) {
			rc = xlat_fail(-EINVAL, "%s: at most %d levels", what, MMU_MAX_TLB_LEVELS);
			break;
		}
		if ((rc = tlb_parse_level(tok, &levels[k])) != 0) {
			rc = xlat_fail(-EINVAL, "%s: %s", what, xlat_error());
			break;
		}
		levels[k].name = k == 0 ? (what[2] == 'i' ? "L1 ITLB" : "L1 DTLB") : k == 1 ? "L2 TLB" : "L3 TLB";
		k++;
	}
	if (!rc && k == 0)
		rc = xlat_fail(-EINVAL, "%s: empty TLB specification", what);
	free(copy);
	if (!rc)
		*n = k;
	return rc;
}

static int print_param(void *ctx, const char *key, const char *value, const char *source)
{
	struct out *o = ctx;
	out_item_begin(o);
	out_str(o, "key", key, NULL);
	out_str(o, "value", value, NULL);
	out_str(o, "source", source, NULL);
	out_item_end(o);
	return 0;
}

/* Text mode: "key=value[n]" three to a line, then each distinct source
 * once, numbered. */
struct param_text {
	char line[4096];
	size_t used;
	unsigned col;
	const char *src[128];
	unsigned nsrc;
	FILE *fp;
};

static int print_param_text(void *ctx, const char *key, const char *value, const char *source)
{
	struct param_text *pt = ctx;
	unsigned n;
	for (n = 0; n < pt->nsrc && strcmp(pt->src[n], source); n++)
		;
	if (n == pt->nsrc && pt->nsrc < 128)
		pt->src[pt->nsrc++] = source;
	char item[160];
	snprintf(item, sizeof item, "%s=%s[%u]", key, value, n + 1);
	fprintf(pt->fp, "%s%-34s", pt->col ? " " : "    ", item);
	if (++pt->col == 3) {
		fputc('\n', pt->fp);
		pt->col = 0;
	}
	return 0;
}

static void print_params_text(FILE *fp, const struct cpu_preset *cpu)
{
	struct param_text pt = { .fp = fp };
	fprintf(fp, "cost model and hardware parameters (key=value[source])\n");
	cpu_foreach_param(cpu, print_param_text, &pt);
	if (pt.col)
		fputc('\n', fp);
	fprintf(fp, "  sources:\n");
	for (unsigned i = 0; i < pt.nsrc; i++)
		fprintf(fp, "    [%u] %s\n", i + 1, pt.src[i]);
}

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

/* One cause of walks: how many, their references, (for misses) references
 * per walk, and the histogram "refs:walks ..." ("63+" for 63 or more). */
static void walk_cause(struct out *o, const char *k_walks, const char *k_refs, const char *k_per,
		       const char *k_hist, const char *what, uint64_t walks, uint64_t refs,
		       const uint64_t hist[64])
{
	char text[64 * 48] = "", *p = text, c[32];

	out_u64(o, k_walks, walks, what);
	out_u64(o, k_refs, refs, "  references");
	if (k_per)
		out_f64(o, k_per, ratio(refs, walks), "  references per walk");
	for (unsigned i = 0; i < 64; i++)
		if (hist[i])
			p += sprintf(p, "%s%u%s:%s", p == text ? "" : " ", i, i == 63 ? "+" : "",
				     count(o, c, sizeof c, hist[i]));
	out_str(o, k_hist, text, "  by references read");
}

static void report(struct out *o, const struct sim_opts *so, const struct sim_config *cfg,
		   const struct cpu_preset *cpu, struct xlat_source *src, const struct sim_result *r)
{
	const struct mmu_stats *m = &r->mmu;
	struct xlat_source_info info;
	static const char *const side_name[2] = { "data", "fetch" };
	static const char *const size_name[3] = { "4k", "2m", "1g" };
	char key[64], label[96];

	xlat_source_info(src, &info);
	out_section(o, "input");
	out_str(o, "input", info.name, "input");
	out_str(o, "format", info.format, "format");
	out_str(o, "mode", sim_mode_name(cfg->mode), "mode");
	out_str(o, "cpu", cpu->name, "cpu preset");
	out_str(o, "page_policy", sim_policy_name(cfg->policy),
		cfg->mode == SIM_NATIVE ? "page policy" : "guest page policy");
	if (cfg->mode != SIM_NATIVE)
		out_str(o, "host_page_policy", sim_policy_name(cfg->host_policy), "host page policy");
	out_u64(o, "levels", cfg->levels, cfg->mode == SIM_NATIVE ? "paging levels" : "guest paging levels");
	if (cfg->mode != SIM_NATIVE)
		out_u64(o, "host_levels", cfg->host_levels, "host table levels");

	out_section(o, "accesses");
	out_u64(o, "accesses", m->accesses, "accesses");
	out_u64(o, "pages", m->pages, "page lookups (after splitting)");
	out_u64(o, "reads", m->by_kind[XLAT_READ], "  reads");
	out_u64(o, "writes", m->by_kind[XLAT_WRITE], "  writes");
	out_u64(o, "fetches", m->by_kind[XLAT_FETCH], "  fetches");
	out_u64(o, "events", m->events, "map/unmap/protect/switch events");

	out_section(o, "TLBs");
	unsigned nl[2] = { cfg->mmu.ndtlb, cfg->mmu.nitlb };
	for (unsigned s = 0; s < 2; s++)
		for (unsigned l = 0; l < nl[s]; l++) {
			snprintf(key, sizeof key, "tlb_%s_l%u_hits", side_name[s], l + 1);
			snprintf(label, sizeof label, "%s L%u hits", side_name[s], l + 1);
			out_u64(o, key, m->tlb_hits[s][l], label);
			for (unsigned z = 0; z < 3; z++) {
				if (!m->tlb_hits_by_size[s][l][z])
					continue;
				snprintf(key, sizeof key, "tlb_%s_l%u_hits_%s", side_name[s], l + 1, size_name[z]);
				snprintf(label, sizeof label, "  on %s pages", size_name[z]);
				out_u64(o, key, m->tlb_hits_by_size[s][l][z], label);
			}
		}
	out_u64(o, "tlb_misses", m->tlb_misses, "TLB misses (all levels)");
	out_u64(o, "tlb_misses_data", m->tlb_misses_side[0], "  data side");
	out_u64(o, "tlb_misses_fetch", m->tlb_misses_side[1], "  fetch side");
	out_f64(o, "miss_rate", ratio(m->tlb_misses, m->pages), "misses per page lookup");

	out_section(o, "walks (references: entries read; a histogram is walks by references read)");
	walk_cause(o, "walks", "walk_refs", "refs_per_walk", "refs_hist", "walks after TLB misses",
		   m->walks, m->walk_refs, m->refs_hist);
	walk_cause(o, "fault_retry_walks", "fault_retry_refs", NULL, "fault_retry_hist",
		   "walks retried after a fault", m->fault_retry_walks, m->fault_retry_refs, m->fault_retry_hist);
	walk_cause(o, "dirty_walks", "dirty_walk_refs", NULL, "dirty_walk_hist",
		   "walks to set a dirty bit", m->dirty_walks, m->dirty_walk_refs, m->dirty_walk_hist);
	walk_cause(o, "perm_walks", "perm_walk_refs", NULL, "perm_walk_hist",
		   "walks after a permission refusal", m->perm_walks, m->perm_walk_refs, m->perm_walk_hist);
	char starts[256] = "", *p = starts;
	for (int l = XLAT_MAX_LEVELS; l >= 1; l--)
		if (m->walk_start[l]) {
			char c[32];
			p += sprintf(p, "%sL%d:%s", p == starts ? "" : " ", l, count(o, c, sizeof c, m->walk_start[l]));
		}
	out_str(o, "walk_start", starts, "all walks by first level read");
	static const char *const where[] = { "l1d", "l2", "llc", "mem" };
	for (unsigned w = 0; w <= PCACHE_LEVELS; w++) {
		snprintf(key, sizeof key, "refs_from_%s", where[w]);
		snprintf(label, sizeof label, "  references served by %s", where[w]);
		out_u64(o, key, m->ref_where[w], label);
	}

	out_section(o, "faults and exits");
	out_u64(o, "faults", m->faults, "faults taken by the walker");
	out_u64(o, "os_faults", r->os.faults, cfg->mode == SIM_NATIVE ? "demand faults (OS)" : "demand faults (guest OS)");
	out_u64(o, "pages_4k", r->os.mapped[0], "  4K pages mapped");
	out_u64(o, "pages_2m", r->os.mapped[1], "  2M pages mapped");
	out_u64(o, "pages_1g", r->os.mapped[2], "  1G pages mapped");
	out_u64(o, "unresolved", m->unresolved, "accesses dropped (segfaults)");
	if (cfg->mode != SIM_NATIVE) {
		out_u64(o, "exits", m->exits, "VM exits");
		for (unsigned e = 0; e < VM_EXIT_COUNT; e++) {
			snprintf(key, sizeof key, "exits_%s", vm_exit_name((enum vm_exit)e));
			snprintf(label, sizeof label, "  %s", vm_exit_name((enum vm_exit)e));
			out_u64(o, key, r->vm.exits[e], label);
		}
		if (cfg->mode == SIM_SHADOW) {
			out_u64(o, "injected_pf", r->vm.injected_pf, "guest #PF injected");
			out_u64(o, "shadow_fills", r->vm.shadow_fills, "shadow entries filled");
			out_u64(o, "shadow_zaps", r->vm.shadow_zaps, "shadow entries zapped");
			out_u64(o, "resyncs", r->vm.resyncs, "unsync pages resynced");
		}
	}

	out_section(o, "page tables");
	out_u64(o, "table_pages", r->tables.total_pages,
		cfg->mode == SIM_NATIVE ? "table pages" : "guest table pages");
	out_u64(o, "table_bytes", r->tables.table_bytes,
		cfg->mode == SIM_NATIVE ? "table bytes" : "guest table bytes");
	if (cfg->mode != SIM_NATIVE) {
		out_u64(o, "gpa_map_bytes", r->gpa_map.table_bytes,
			cfg->mode == SIM_NESTED ? "EPT bytes" : "memslot table bytes");
		if (cfg->mode == SIM_SHADOW)
			out_u64(o, "shadow_bytes", r->shadow.table_bytes, "shadow table bytes");
	}

	out_section(o, "cost (cycles, from the cost model below)");
	out_u64(o, "translation_cycles", r->translation_cycles, "translation cycles");
	out_u64(o, "tlb_cycles", m->tlb_cycles, "  TLB hits beyond L1");
	out_u64(o, "walk_cycles", m->walk_cycles, "  walks");
	out_u64(o, "fault_cycles", m->fault_cycles, "  faults");
	out_u64(o, "exit_cycles", m->exit_cycles, "  VM exits");
	out_f64(o, "cycles_per_access", ratio(r->translation_cycles, m->accesses), "translation cycles per access");
	out_f64(o, "translation_share", r->translation_share, "share of all cycles");
	out_f64(o, "translation_seconds", r->seconds, "translation seconds");

	if (out_format(o) == OUT_JSON) {
		out_list_begin(o, "params", NULL);
		cpu_foreach_param(cpu, print_param, o);
		out_list_end(o);
	} else if (out_format(o) == OUT_TEXT) {
		print_params_text(stdout, cpu);
	}
	(void)so;
}

int cmd_sim(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trace", required_argument, 0, 't' },
		{ "format", required_argument, 0, 'F' },
		{ "workload", required_argument, 0, 'w' },
		{ "size", required_argument, 0, 's' },
		{ "count", required_argument, 0, 'n' },
		{ "seed", required_argument, 0, 'S' },
		{ "write", required_argument, 0, 'W' },
		{ "wl-opt", required_argument, 0, 'o' },
		{ "mode", required_argument, 0, 'm' },
		{ "cpu", required_argument, 0, 'c' },
		{ "cpu-param", required_argument, 0, 'x' },
		{ "set", required_argument, 0, 'x' },
		{ "tlb", required_argument, 0, 'T' },
		{ "itlb", required_argument, 0, 'I' },
		{ "pwc", required_argument, 0, 'P' },
		{ "no-fetch", no_argument, 0, 'N' },
		{ "page-policy", required_argument, 0, 'p' },
		{ "host-page-policy", required_argument, 0, 'H' },
		{ "levels", required_argument, 0, 'l' },
		{ "host-levels", required_argument, 0, 'L' },
		{ "guest-ram", required_argument, 0, 'g' },
		{ "no-pcid", no_argument, 0, 1 },
		{ "ept-ad", no_argument, 0, 2 },
		{ "no-unsync", no_argument, 0, 3 },
		{ "quiet", no_argument, 0, 'q' },
		{ "json", no_argument, 0, 'j' },
		{ "csv", no_argument, 0, 'C' },
		{ "list-cpus", no_argument, 0, 4 },
		{ "list-params", no_argument, 0, 5 },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct sim_opts so = { .out = OUT_TEXT };
	struct mmu_config mc;
	struct sim_config cfg;
	struct cpu_preset cpu;
	const char *wl_key[64], *wl_val[64];
	int nwl = 0, c, status = 1;
	char *sets[64];

	memset(&mc, 0, sizeof mc);
	sim_config_init(&cfg, &mc);
	so.sets = sets;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 't': so.trace = optarg; break;
		case 'F':
			if (xlat_trace_format_parse(optarg, &so.format))
				return cli_fail(2, "sim", "%s", xlat_error());
			break;
		case 'w': so.workload = optarg; break;
		case 's': case 'n': case 'S': case 'W': case 'o': {
			static const char *const keys[] = { ['s'] = "size", ['n'] = "count", ['S'] = "seed", ['W'] = "write" };
			if (nwl == 64)
				return cli_fail(2, "sim", "too many workload options");
			wl_key[nwl] = c == 'o' ? NULL : keys[c];   /* NULL: a "k=v,..." list */
			wl_val[nwl++] = optarg;
			break;
		}
		case 'm':
			if (sim_mode_parse(optarg, &cfg.mode))
				return cli_fail(2, "sim", "%s", xlat_error());
			break;
		case 'c': so.cpu = optarg; break;
		case 'x':
			if (so.nsets == 64)
				return cli_fail(2, "sim", "too many --cpu-param options");
			sets[so.nsets++] = optarg;
			break;
		case 'T': so.tlb = optarg; break;
		case 'I': so.itlb = optarg; break;
		case 'P': so.pwc = optarg; break;
		case 'N': so.no_fetch = true; break;
		case 'p':
		case 'H':
			if (sim_policy_parse(optarg, c == 'p' ? &cfg.policy : &cfg.host_policy))
				return cli_fail(2, "sim", "%s", xlat_error());
			break;
		case 'l':
		case 'L':
			if (strcmp(optarg, "4") && strcmp(optarg, "5"))
				return cli_fail(2, "sim", "--%s takes 4 or 5, not '%s'",
						c == 'l' ? "levels" : "host-levels", optarg);
			*(c == 'l' ? &cfg.levels : &cfg.host_levels) = (unsigned)atoi(optarg);
			break;
		case 'g':
			if (parse_size(optarg, &cfg.guest_ram))
				return cli_fail(2, "sim", "--guest-ram: %s", xlat_error());
			break;
		case 1: cfg.pcid = false; break;
		case 2: cfg.ept_ad = true; break;
		case 3: cfg.unsync = false; break;
		case 4: so.list_cpus = true; break;
		case 5: so.list_params = true; break;
		case 'q': so.quiet = true; break;
		case 'j': so.out = OUT_JSON; break;
		case 'C': so.out = OUT_CSV; break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_fail(2, "sim", "unknown or incomplete option '%s' (see xlat sim --help)",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_fail(2, "sim", "unexpected argument '%s'", argv[optind]);

	if (so.list_cpus) {
		size_t n;
		const struct cpu_preset *list = cpu_preset_list(&n);
		for (size_t i = 0; i < n; i++)
			printf("%-16s %-6s %s\n", list[i].name, list[i].vendor, list[i].model);
		return 0;
	}

	const struct cpu_preset *base = so.cpu ? cpu_preset_by_name(so.cpu) : cpu_preset_default();
	if (!base)
		return cli_fail(2, "sim", "%s", xlat_error());
	cpu = *base;
	for (int i = 0; i < so.nsets; i++)
		if (cpu_override_spec(&cpu, sets[i]))
			return cli_fail(2, "sim", "--cpu-param %s: %s", sets[i], xlat_error());
	if (so.pwc && cpu_override(&cpu, "pwc.style", so.pwc))
		return cli_fail(2, "sim", "--pwc: %s", xlat_error());
	if (cpu_check(&cpu))
		return cli_fail(2, "sim", "%s", xlat_error());
	if (so.list_params && so.out == OUT_TEXT) {
		print_params_text(stdout, &cpu);
		return 0;
	}
	if (so.list_params) {
		struct out *o = out_begin(so.out, stdout);
		out_list_begin(o, "params", "parameters of the preset (key value source)");
		cpu_foreach_param(&cpu, print_param, o);
		out_list_end(o);
		out_end(o);
		return 0;
	}

	cpu_mmu_config(&cpu, &cfg.mmu);
	cfg.mmu.no_fetch = so.no_fetch;
	if (so.tlb) {
		unsigned n;
		if (apply_tlb_spec(so.tlb, cfg.mmu.dtlb, &n, "--tlb"))
			return cli_fail(2, "sim", "%s", xlat_error());
		cfg.mmu.ndtlb = n;
		for (unsigned l = n; l < MMU_MAX_TLB_LEVELS; l++)
			cfg.mmu.costs.tlb_hit_cycles[l] = 0;
	}
	if (so.itlb) {
		unsigned n;
		if (apply_tlb_spec(so.itlb, cfg.mmu.itlb, &n, "--itlb"))
			return cli_fail(2, "sim", "%s", xlat_error());
		cfg.mmu.nitlb = n;
		cfg.mmu.shared_from = MMU_MAX_TLB_LEVELS;
	}

	if (!so.trace == !so.workload)
		return cli_fail(2, "sim", "give exactly one of --trace FILE or --workload NAME");
	if (so.trace && nwl)
		return cli_fail(2, "sim", "--size/--count/--seed/--write/--wl-opt go with --workload");

	struct xlat_source *src = NULL;
	if (so.trace) {
		if (xlat_source_open_as(&src, so.trace, so.format))
			return cli_fail(1, "sim", "%s", xlat_error());
	} else {
		struct xlat_workload wl;
		if (xlat_workload_init(&wl, so.workload))
			return cli_fail(2, "sim", "%s", xlat_error());
		for (int i = 0; i < nwl; i++) {
			int bad = wl_key[i] ? xlat_workload_set(&wl, wl_key[i], wl_val[i])
					    : xlat_workload_parse(&wl, wl_val[i]);
			if (bad) {
				status = cli_fail(2, "sim", "%s", xlat_error());
				goto out;
			}
		}
		if (xlat_workload_open(&src, &wl)) {
			status = cli_fail(2, "sim", "%s", xlat_error());
			goto out;
		}
	}

	if (!so.quiet && isatty(STDERR_FILENO))
		cfg.progress = progress;

	struct sim_result res;
	if (sim_run(&cfg, src, &res)) {
		status = cli_fail(1, "sim", "%s", xlat_error());
		goto out;
	}
	struct out *o = out_begin(so.out, stdout);
	report(o, &so, &cfg, &cpu, src, &res);
	out_end(o);
	status = 0;
out:
	xlat_source_close(src);
	return status;
}
