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

#define CMD "sim"

static const char usage_head[] =
	"usage: xlat sim (TRACE | --trace FILE [--format F] | --workload NAME [--size S] [--count N]\n"
	"                 [--seed N] [--write F] [--wl-opt K=V,...]) [--warmup N] [--limit N]\n"
	"                [--mode native|nested|shadow] [--levels 4|5] [--page-policy 4k|thp|1g]\n"
	"                [--host-ram SIZE] [--guest-ram SIZE] [--host-levels 4|5]\n"
	"                [--host-page-policy 4k|thp|1g] [--no-pcid] [--ept-ad] [--no-unsync]\n"
	"                [--cpu NAME] [--cpu-param KEY=VALUE ...] [--tlb SPEC] [--itlb SPEC]\n"
	"                [--pwc none|split|unified] [--no-fetch] [--quiet] [--json|--csv]\n"
	"       xlat sim --list-cpus\n"
	"       xlat sim --list-params [--cpu NAME] [--cpu-param KEY=VALUE ...] [--pwc P] [--json|--csv]\n"
	"\n"
	"Runs a trace or a generated workload through the MMU model (TLBs, paging-\n"
	"structure caches, the walker, a page-table line cache, a cost model) with a\n"
	"demand-paging OS that maps pages on first touch, natively or in a VM, and\n"
	"reports what translation cost. Options go before or after TRACE.\n"
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
	"  --mode M             native (default), nested (a guest under EPT) or shadow\n"
	"  --levels 4|5         paging levels, native or the guest's (default 4)\n"
	"  --page-policy P      pages the OS maps: 4k (default), thp (2 MiB where it\n"
	"                       fits, as Linux's THP), 1g (1 GiB where it fits)\n"
	"  --host-ram SIZE      native: simulated RAM (default 64 GiB); a run that fills\n"
	"                       it stops with a message\n"
	"  --guest-ram SIZE     nested, shadow: the guest's RAM (default 64 GiB)\n"
	"  --host-levels 4|5    nested, shadow: levels of the EPT / memslot table\n"
	"  --host-page-policy P nested, shadow: host pages backing guest memory\n"
	"  --no-pcid            processes untagged: a switch flushes the TLBs\n"
	"  --ept-ad             nested: EPT accessed/dirty flags on (the walker sets them)\n"
	"  --no-unsync          shadow: write-protect every guest table page (no unsync\n"
	"                       leaf pages, as KVM without them)\n"
	"\n"
	"hardware:\n"
	"  --cpu NAME           CPU preset (default skylake; --list-cpus shows them)\n"
	"  --cpu-param K=V      override one parameter of the preset (repeat it; alias\n"
	"                       --set; --list-params shows the keys)\n"
	"  --tlb SPEC           data-side TLB levels, first level first, each\n"
	"                       ENTRIES[xWAYS][:lru|plru|random], unified over page sizes\n"
	"                       (\"64\" is fully associative; \"64x4,1536x12:plru\" two levels)\n"
	"  --itlb SPEC          the same for instruction fetches; after its levels the\n"
	"                       fetch side goes on into the data side's next levels (one\n"
	"                       shared STLB, as ChampSim and most CPUs): \"64x4\" or\n"
	"                       \"64x4,shared\" share the data side's L2 on; \"64x4,private\"\n"
	"                       gives the fetch side that one level alone\n"
	"  --pwc P              paging-structure caches: none, split (per level), unified\n"
	"  --no-fetch           drop instruction fetches\n"
	"\n"
	"output:\n"
	"  --json, --csv        machine-readable output (CSV: fields, then list blocks)\n"
	"  -q, --quiet          no progress bar\n"
	"  --list-cpus          the CPU presets\n"
	"  --list-params        the chosen preset's parameters, with their sources\n"
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
	O_JSON, O_CSV, O_LISTCPUS, O_LISTPARAMS, O_END
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
	{ "cpu-param", required_argument, 0, O_CPUPARAM },
	{ "set", required_argument, 0, O_CPUPARAM },
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

struct sim_opts {
	const char *trace, *workload, *cpu;
	enum xlat_trace_format format;
	const char *tlb, *itlb, *pwc;
	char *sets[64];
	int nsets;
	const char *wl_key[64], *wl_val[64];
	int nwl;
	bool given[O_END];
	enum out_format out;
};

/* ---- the progress bar ---------------------------------------------------- */

static bool bar_shown;

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (!total)
		return;
	unsigned pct = (unsigned)(done * 100 / total), bar = pct / 4;
	fprintf(stderr, "\r  [%.*s%*s] %3u%%", bar, "#########################", 25 - bar, "", pct);
	bar_shown = true;
	if (done >= total) {
		fputs("\r\033[K", stderr);
		bar_shown = false;
	}
}

/* An error during a run starts on a fresh line. */
static void progress_clear(void)
{
	if (bar_shown)
		fputs("\r\033[K", stderr);
	bar_shown = false;
}

/* ---- TLB specs ----------------------------------------------------------- */

enum share { SHARE_DEFAULT, SHARE_YES, SHARE_NO };

/* Parses "L1[,L2[,L3]][,shared|,private]" (the keyword only for --itlb). */
static int parse_tlb_spec(const char *spec, struct tlb_config *levels, unsigned *n, const char *opt,
			  enum share *share)
{
	char *copy = strdup(spec), *save = NULL;
	unsigned k = 0;
	int rc = 0;

	*share = SHARE_DEFAULT;
	if (!copy)
		return xlat_fail(-ENOMEM, "out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*share != SHARE_DEFAULT) {
			rc = xlat_fail(-EINVAL, "%s: '%s' must be the last item of the list", opt,
				       *share == SHARE_YES ? "shared" : "private");
			break;
		}
		if (!strcmp(opt, "--itlb") && (!strcmp(tok, "shared") || !strcmp(tok, "private"))) {
			if (k == 0) {
				rc = xlat_fail(-EINVAL, "--itlb: give the fetch side's own first level before '%s'", tok);
				break;
			}
			*share = tok[0] == 's' ? SHARE_YES : SHARE_NO;
			continue;
		}
		if (k == MMU_MAX_TLB_LEVELS) {
			rc = xlat_fail(-EINVAL, "%s: at most %d levels", opt, MMU_MAX_TLB_LEVELS);
			break;
		}
		if (tlb_parse_level(tok, &levels[k])) {
			rc = xlat_fail(-EINVAL, "%s: %s", opt, xlat_error());
			break;
		}
		levels[k].name = k == 0 ? (opt[2] == 'i' ? "L1 ITLB" : "L1 DTLB") : k == 1 ? "L2 TLB" : "L3 TLB";
		k++;
	}
	if (!rc && k == 0)
		rc = xlat_fail(-EINVAL, "%s: empty TLB specification", opt);
	free(copy);
	if (!rc)
		*n = k;
	return rc;
}

/* Applies --tlb and --itlb to the mmu config the preset gave. */
static int apply_tlbs(const struct sim_opts *so, struct mmu_config *mc)
{
	enum share share;
	unsigned n;

	if (so->tlb) {
		if (parse_tlb_spec(so->tlb, mc->dtlb, &n, "--tlb", &share))
			return -EINVAL;
		mc->ndtlb = n;
		for (unsigned l = n; l < MMU_MAX_TLB_LEVELS; l++)
			mc->costs.tlb_hit_cycles[l] = 0;
	}
	if (so->itlb) {
		if (parse_tlb_spec(so->itlb, mc->itlb, &n, "--itlb", &share))
			return -EINVAL;
		if (share == SHARE_YES && mc->ndtlb <= n)
			return xlat_fail(-EINVAL, "--itlb %s: the fetch side would share the data side's "
					 "level %u, but the data side has %u level%s (see --tlb)",
					 so->itlb, n + 1, mc->ndtlb, mc->ndtlb == 1 ? "" : "s");
		if (share != SHARE_NO && mc->ndtlb > n) {
			/* Levels n.. are the data side's: one structure for both. */
			mc->nitlb = mc->ndtlb;
			mc->shared_from = n;
		} else {
			mc->nitlb = n;
			mc->shared_from = MMU_MAX_TLB_LEVELS;
		}
	}
	return 0;
}

/* ---- parameters ---------------------------------------------------------- */

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
	bool native = cfg->mode == SIM_NATIVE;

	xlat_source_info(src, &info);
	out_section(o, "input");
	out_str(o, "input", info.name, "input");
	out_str(o, "format", info.format, "format");
	out_str(o, "origin", info.origin, "origin");
	out_u64(o, "warmup_records", r->warmup_records, "records of warm-up (not counted)");
	out_u64(o, "records", r->records, "records counted");
	out_str(o, "mode", sim_mode_name(cfg->mode), "mode");
	out_str(o, "cpu", cpu->name, "cpu preset");
	out_str(o, "page_policy", sim_policy_name(cfg->policy), native ? "page policy" : "guest page policy");
	if (!native)
		out_str(o, "host_page_policy", sim_policy_name(cfg->host_policy), "host page policy");
	out_u64(o, "levels", cfg->levels, native ? "paging levels" : "guest paging levels");
	if (!native)
		out_u64(o, "host_levels", cfg->host_levels, "host table levels");
	if (native) {
		out_u64(o, "host_ram", cfg->host_ram, "simulated RAM (bytes)");
	} else {
		out_u64(o, "guest_ram", cfg->guest_ram, "guest RAM (bytes)");
	}
	(void)so;

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
			snprintf(label, sizeof label, "%s L%u hits%s", side_name[s], l + 1,
				 s == 1 && l >= cfg->mmu.shared_from && l < cfg->mmu.ndtlb ?
				 " (in the shared level)" : "");
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
		   "walks retried after a fault", m->fault_retry_walks, m->fault_retry_refs,
		   m->fault_retry_hist);
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
	out_u64(o, "os_faults", r->os.faults, native ? "demand faults (OS)" : "demand faults (guest OS)");
	out_u64(o, "pages_4k", r->os.mapped[0], "  4K pages mapped");
	out_u64(o, "pages_2m", r->os.mapped[1], "  2M pages mapped");
	out_u64(o, "pages_1g", r->os.mapped[2], "  1G pages mapped");
	out_u64(o, "unresolved", m->unresolved, "accesses dropped (segfaults)");
	if (!native) {
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

	out_section(o, "page tables (at the end of the run)");
	out_u64(o, "table_pages", r->tables.total_pages, native ? "table pages" : "guest table pages");
	out_u64(o, "table_bytes", r->tables.table_bytes, native ? "table bytes" : "guest table bytes");
	if (!native) {
		out_u64(o, "gpa_map_bytes", r->gpa_map.table_bytes,
			cfg->mode == SIM_NESTED ? "EPT bytes" : "memslot table bytes");
		if (cfg->mode == SIM_SHADOW)
			out_u64(o, "shadow_bytes", r->shadow.table_bytes, "shadow table bytes");
	}

	out_section(o, "cost (cycles, from the cost model below)");
	out_u64(o, "translation_cycles", r->translation_cycles, "translation cycles (TLB + walks)");
	out_u64(o, "tlb_cycles", m->tlb_cycles, "  TLB hits beyond L1");
	out_u64(o, "walk_cycles", m->walk_cycles, "  walks (every cause)");
	out_f64(o, "cycles_per_access", ratio(r->translation_cycles, m->accesses),
		"translation cycles per access");
	out_u64(o, "fault_exit_cycles", r->fault_exit_cycles, "fault and exit cycles");
	out_u64(o, "fault_cycles", m->fault_cycles, "  faults (first touches, fills)");
	out_u64(o, "exit_cycles", m->exit_cycles, "  VM exits");
	out_f64(o, "fault_exit_cycles_per_access", ratio(r->fault_exit_cycles, m->accesses),
		"fault and exit cycles per access");
	out_u64(o, "total_cycles", r->total_cycles, "all cycles charged");
	out_f64(o, "translation_share", r->translation_share, "translation share of all cycles");
	out_f64(o, "translation_seconds", r->seconds, "translation seconds");
	char c1[64], c2[64];
	out_text(o, "=> %s translation cycles per access (TLB + walks), %s more per access for faults "
		 "and exits%s\n", out_fmt_ratio(c1, sizeof c1, ratio(r->translation_cycles, m->accesses)),
		 out_fmt_ratio(c2, sizeof c2, ratio(r->fault_exit_cycles, m->accesses)),
		 r->warmup_records ? "" : " (no --warmup: first touches included)");

	if (out_format(o) == OUT_TEXT) {
		print_params_text(stdout, cpu);
	} else {
		out_list_begin(o, "params", NULL);
		cpu_foreach_param(cpu, print_param, o);
		out_list_end(o);
	}
}

/* ---- arguments ----------------------------------------------------------- */

static int parse_records(const char *opt, const char *arg, uint64_t *out)
{
	if (parse_count(arg, out))
		return cli_fail(2, CMD, "%s: %s", opt, xlat_error());
	if (*out == 0)
		return cli_fail(2, CMD, "%s 0: give at least 1 record, or leave %s out", opt, opt);
	return 0;
}

/* Options that do not apply to what the command line asks for are refused
 * with the reason. 0 or the exit status. */
static int check_applicable(const struct sim_opts *so, const struct sim_config *cfg, bool listing)
{
	static const int not_native[] = { O_GUESTRAM, O_HOSTLEVELS, O_HOSTPOL, O_EPTAD, O_NOUNSYNC };
	static const int input_opts[] = { O_TRACE, O_FORMAT, O_WORKLOAD, O_SIZE, O_COUNT, O_SEED,
					  O_WRITE, O_WLOPT, O_WARMUP, O_LIMIT, O_MODE, O_TLB, O_ITLB,
					  O_NOFETCH, O_PAGEPOL, O_HOSTPOL, O_LEVELS, O_HOSTLEVELS,
					  O_GUESTRAM, O_HOSTRAM, O_NOPCID, O_EPTAD, O_NOUNSYNC, O_QUIET };
	const bool *g = so->given;

	if (g[O_JSON] && g[O_CSV])
		return cli_fail(2, CMD, "--json and --csv: choose one output format");
	if (g[O_LISTCPUS]) {
		for (int id = O_TRACE; id < O_END; id++)
			if (g[id] && id != O_LISTCPUS)
				return cli_fail(2, CMD, "--list-cpus takes no other option (--%s given)",
						opt_name(id));
		return 0;
	}
	if (listing) {
		for (size_t i = 0; i < sizeof input_opts / sizeof input_opts[0]; i++)
			if (g[input_opts[i]])
				return cli_fail(2, CMD, "--list-params shows the preset's parameters and runs "
						"nothing: --%s does not apply", opt_name(input_opts[i]));
		return 0;
	}
	if (cfg->mode == SIM_NATIVE)
		for (size_t i = 0; i < sizeof not_native / sizeof not_native[0]; i++)
			if (g[not_native[i]])
				return cli_fail(2, CMD, "--%s applies to --mode nested or shadow, not to a "
						"native run", opt_name(not_native[i]));
	if (cfg->mode != SIM_NATIVE && g[O_HOSTRAM])
		return cli_fail(2, CMD, "--host-ram sizes a native machine; a VM's memory is its "
				"--guest-ram (the host backs what the guest uses)");
	if (cfg->mode == SIM_SHADOW && g[O_EPTAD])
		return cli_fail(2, CMD, "--ept-ad applies to --mode nested: under shadow paging the "
				"walker does not walk the EPT");
	if (cfg->mode == SIM_NESTED && g[O_NOUNSYNC])
		return cli_fail(2, CMD, "--no-unsync applies to --mode shadow (unsync shadow pages)");
	if (g[O_NOFETCH] && g[O_ITLB])
		return cli_fail(2, CMD, "--itlb with --no-fetch: fetches are dropped, so no ITLB is used");
	if (!so->trace == !so->workload)
		return cli_fail(2, CMD, "give exactly one input: TRACE (or --trace FILE) or --workload NAME");
	if (so->trace && so->nwl)
		return cli_fail(2, CMD, "--size, --count, --seed, --write and --wl-opt go with "
				"--workload, not with a trace");
	if (so->workload && g[O_FORMAT])
		return cli_fail(2, CMD, "--format applies to a trace, not to --workload");
	return 0;
}

int cmd_sim(int argc, char **argv)
{
	static struct sim_opts so;
	struct mmu_config mc;
	struct sim_config cfg;
	struct cpu_preset cpu;
	int c, status = 1;
	uint64_t v;

	memset(&so, 0, sizeof so);
	so.out = OUT_TEXT;
	memset(&mc, 0, sizeof mc);
	sim_config_init(&cfg, &mc);
	optind = 1;
	opterr = 0;
	/* "-": operands come back in order as code 1, wherever they are. */
	while ((c = getopt_long(argc, argv, "-:hq", opts, NULL)) != -1) {
		if (c >= O_TRACE && c < O_END)
			so.given[c] = true;
		switch (c) {
		case 1:
			if (so.trace)
				return cli_fail(2, CMD, "one trace at a time ('%s' and '%s')", so.trace, optarg);
			so.trace = optarg;
			break;
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
		case O_MODE:
			if (sim_mode_parse(optarg, &cfg.mode))
				return cli_fail(2, CMD, "--mode: %s", xlat_error());
			break;
		case O_CPU: so.cpu = optarg; break;
		case O_CPUPARAM:
			if (so.nsets == 64)
				return cli_fail(2, CMD, "too many --cpu-param options (at most 64)");
			so.sets[so.nsets++] = optarg;
			break;
		case O_TLB: so.tlb = optarg; break;
		case O_ITLB: so.itlb = optarg; break;
		case O_PWC: so.pwc = optarg; break;
		case O_NOFETCH: cfg.mmu.no_fetch = true; break;
		case O_PAGEPOL:
		case O_HOSTPOL:
			if (sim_policy_parse(optarg, c == O_PAGEPOL ? &cfg.policy : &cfg.host_policy))
				return cli_fail(2, CMD, "--%s: %s", opt_name(c), xlat_error());
			break;
		case O_LEVELS:
		case O_HOSTLEVELS:
			if (strcmp(optarg, "4") && strcmp(optarg, "5"))
				return cli_fail(2, CMD, "--%s takes 4 or 5, not '%s'", opt_name(c), optarg);
			*(c == O_LEVELS ? &cfg.levels : &cfg.host_levels) = (unsigned)atoi(optarg);
			break;
		case O_GUESTRAM:
		case O_HOSTRAM:
			if (parse_size(optarg, &v))
				return cli_fail(2, CMD, "--%s: %s", opt_name(c), xlat_error());
			*(c == O_GUESTRAM ? &cfg.guest_ram : &cfg.host_ram) = v;
			break;
		case O_NOPCID: cfg.pcid = false; break;
		case O_EPTAD: cfg.ept_ad = true; break;
		case O_NOUNSYNC: cfg.unsync = false; break;
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
	status = 1;
	bool listing = so.given[O_LISTPARAMS];
	if ((c = check_applicable(&so, &cfg, listing)))
		return c;

	if (so.given[O_LISTCPUS]) {
		size_t n;
		const struct cpu_preset *list = cpu_preset_list(&n);
		for (size_t i = 0; i < n; i++)
			printf("%-16s %-6s %s\n", list[i].name, list[i].vendor, list[i].model);
		return 0;
	}

	const struct cpu_preset *base = so.cpu ? cpu_preset_by_name(so.cpu) : cpu_preset_default();
	if (!base)
		return cli_fail(2, CMD, "--cpu: %s", xlat_error());
	cpu = *base;
	for (int i = 0; i < so.nsets; i++)
		if (cpu_override_spec(&cpu, so.sets[i]))
			return cli_fail(2, CMD, "--cpu-param %s: %s", so.sets[i], xlat_error());
	if (so.pwc && cpu_override(&cpu, "pwc.style", so.pwc))
		return cli_fail(2, CMD, "--pwc: %s", xlat_error());
	if (cpu_check(&cpu))
		return cli_fail(2, CMD, "%s", xlat_error());
	if (listing) {
		struct out *o = out_begin(so.out, stdout);
		if (so.out == OUT_TEXT)
			print_params_text(stdout, &cpu);
		else {
			out_str(o, "cpu", cpu.name, NULL);
			out_list_begin(o, "params", NULL);
			cpu_foreach_param(&cpu, print_param, o);
			out_list_end(o);
		}
		out_end(o);
		return 0;
	}

	bool no_fetch = cfg.mmu.no_fetch;
	cpu_mmu_config(&cpu, &cfg.mmu);
	cfg.mmu.no_fetch = no_fetch;
	if (apply_tlbs(&so, &cfg.mmu))
		return cli_fail(2, CMD, "%s", xlat_error());
	if (sim_check_config(&cfg))
		return cli_fail(2, CMD, "%s", xlat_error());

	struct xlat_source *src = NULL;
	if (so.trace) {
		if (xlat_source_open_as(&src, so.trace, so.format))
			return cli_fail(1, CMD, "%s", xlat_error());
	} else {
		struct xlat_workload wl;
		if (xlat_workload_init(&wl, so.workload))
			return cli_fail(2, CMD, "--workload: %s", xlat_error());
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

	if (!so.given[O_QUIET] && isatty(STDERR_FILENO))
		cfg.progress = progress;

	struct sim_result res;
	if (sim_run(&cfg, src, &res)) {
		progress_clear();
		status = cli_fail(1, CMD, "%s", xlat_error());
		goto out;
	}
	progress_clear();
	struct out *o = out_begin(so.out, stdout);
	report(o, &so, &cfg, &cpu, src, &res);
	out_end(o);
	status = 0;
out:
	xlat_source_close(src);
	return status;
}
