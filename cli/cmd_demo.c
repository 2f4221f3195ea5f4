/*
 * xlat demo — the main demonstration (`make run`): the seed's claims, each
 * measured on the spot by the library and printed with the one command that
 * reproduces it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "out.h"
#include "xlat/explain.h"
#include "xlat/parse.h"
#include "xlat/cpu.h"
#include "xlat/ptsize.h"
#include "xlat/sim.h"
#include "xlat/workload.h"
#include <unistd.h>

static const char usage[] =
	"usage: xlat demo [--help]\n"
	"\n"
	"Measures the seed's figures with the model (no arguments, built-in\n"
	"defaults) and prints, beside each, the xlat command that reproduces it.\n"
	"\n"
	"  -h, --help    this text\n";

static void say(const char *claim, const char *measured, const char *cmd)
{
	printf("  %-58s %s\n      $ %s\n\n", claim, measured, cmd);
}

static int tables(uint64_t size, unsigned shift, int levels, struct ptsize_result *r)
{
	struct ptsize_region reg = { PTSIZE_DEFAULT_START, size, "map" };
	return ptsize_build(&reg, 1, levels, shift, PTSIZE_NO_LIMIT, r);
}

static int walk_refs(enum machine_mode mode, unsigned lg, unsigned lh, unsigned gs, unsigned hs, uint32_t *refs)
{
	static struct explain_result res;
	struct explain_config cfg;
	explain_config_init(&cfg);
	cfg.mode = mode;
	cfg.levels = lg;
	cfg.host_levels = lh;
	cfg.guest_shift = gs;
	cfg.host_shift = hs;
	int rc = explain_walk(&cfg, &res);
	*refs = res.walk.refs;
	explain_result_free(&res);
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	struct ptsize_result r4k, r2m, r64, proc;
	struct ptsize_region layout[PTSIZE_LAYOUT_MAX];
	char a[64], b[64], m[256], c1[32], c2[48], c3[48], c4[48], c5[48];
	uint32_t native, nested, nested55, nested45, huge, shadow;

	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == 1)
			return cli_fail(2, "demo", "unexpected argument '%s': demo takes none (see xlat demo --help)",
					optarg);
		return cli_fail(2, "demo", "unknown option '%s': demo takes only --help",
				argv[optind - 1]);
	}
	if (optind < argc)
		return cli_fail(2, "demo", "unexpected argument '%s': demo takes none (see xlat demo --help)",
				argv[optind]);
	size_t n = ptsize_layout_process(12, layout);
	if (tables(64ULL << 20, 12, 4, &r64) || tables(256ULL << 20, 12, 4, &r4k) ||
	    tables(256ULL << 20, 21, 4, &r2m) || ptsize_build(layout, n, 4, 12, PTSIZE_NO_LIMIT, &proc) ||
	    walk_refs(MACHINE_NATIVE, 4, 4, 12, 12, &native) || walk_refs(MACHINE_NESTED, 4, 4, 12, 12, &nested) ||
	    walk_refs(MACHINE_NESTED, 5, 5, 12, 12, &nested55) || walk_refs(MACHINE_NESTED, 4, 5, 12, 12, &nested45) ||
	    walk_refs(MACHINE_NESTED, 4, 4, 21, 21, &huge) || walk_refs(MACHINE_SHADOW, 4, 4, 12, 12, &shadow))
		return cli_fail(1, "demo", "%s", xlat_error());

	printf("xlat: what address translation costs, measured on real page-table bytes\n\n");

	printf("Page-table memory scales with what is used, not with the address space\n\n");
	xlat_parse_size_str(r64.st.table_bytes, a, sizeof a);
	xlat_parse_size_str(r64.flat_bytes, b, sizeof b);
	snprintf(m, sizeof m, "%s table pages = %s (flat table: %s)",
		 out_fmt_count(c1, sizeof c1, r64.st.total_pages), a, b);
	say("64 MiB in use, 4 KiB pages, 4 levels:", m, "xlat ptsize --map 64M");
	uint64_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += layout[i].size;
	xlat_parse_size_str(proc.st.table_bytes, a, sizeof a);
	xlat_parse_size_str(used, b, sizeof b);
	snprintf(m, sizeof m, "%s table pages = %s for %s MiB",
		 out_fmt_count(c1, sizeof c1, proc.st.total_pages), a,
		 out_fmt_ratio(c2, sizeof c2, (double)used / (1 << 20)));
	say("a typical process spread over 128 TiB:", m, "xlat ptsize --layout process");
	struct ptsize_proc self;
	if (ptsize_pid(getpid(), 0, &self) == 0) {
		xlat_parse_size_str(self.computed_kernel_bytes, a, sizeof a);
		xlat_parse_size_str(self.kernel_vmpte_bytes, b, sizeof b);
		snprintf(m, sizeof m, "computed %s, kernel VmPTE %s: %s", a, b,
			 self.match ? "match" : "MISMATCH");
		say("this very process, from /proc/self, vs the kernel:", m, "xlat ptsize --pid PID   (or --all)");
	}

	printf("Huge pages shrink the map and the walk\n\n");
	xlat_parse_size_str(r2m.st.table_bytes, a, sizeof a);
	xlat_parse_size_str(r4k.st.table_bytes, b, sizeof b);
	snprintf(m, sizeof m, "%s on 2 MiB pages vs %s on 4 KiB pages", a, b);
	say("256 MiB of tables:", m, "xlat ptsize --map 256M --page 2m   (--page 4k)");

	printf("Virtualization multiplies the walk (caches off)\n\n");
	snprintf(m, sizeof m, "%u references", native);
	say("native 4-level walk:", m, "xlat walk --mode native");
	snprintf(m, sizeof m, "%u references = (4+1)(4+1)-1", nested);
	say("nested 4+4-level 2D walk:", m, "xlat walk --mode nested --explain");
	snprintf(m, sizeof m, "%u references (+%u)", nested45, nested45 - nested);
	say("one more level in the host dimension:", m, "xlat walk --mode nested --host-levels 5");
	snprintf(m, sizeof m, "%u references", nested55);
	say("5+5 levels:", m, "xlat walk --mode nested --levels 5 --host-levels 5");
	snprintf(m, sizeof m, "%u references", huge);
	say("2 MiB pages in both dimensions:", m, "xlat walk --mode nested --guest-page 2m --host-page 2m");
	snprintf(m, sizeof m, "%u references (but page-table writes exit)", shadow);
	say("shadow paging:", m, "xlat walk --mode shadow");

	printf("Whole workloads: TLBs, caches, faults, exits and cycles (cpu preset %s)\n\n",
	       cpu_preset_default()->name);
	static const enum machine_mode modes[] = { MACHINE_NATIVE, MACHINE_NESTED, MACHINE_SHADOW };
	for (unsigned i = 0; i < 3; i++) {
		struct sim_config cfg;
		struct sim_result sr;
		struct xlat_source *src;
		sim_config_init(&cfg);
		cfg.machine.mode = modes[i];
		if (xlat_workload_open_str(&src, "random", "size=1g,count=1M,seed=1") ||
		    sim_run(&cfg, src, &sr))
			return cli_fail(1, "demo", "%s", xlat_error());
		xlat_source_close(src);
		const struct machine_result *res = &sr.machine;
		snprintf(m, sizeof m, "%s misses/access, %s refs/miss walk, %s translation + %s "
			 "fault/exit cycles/access, %s exits",
			 out_fmt_ratio(c2, sizeof c2, (double)res->mmu.tlb_misses / (double)res->mmu.pages),
			 out_fmt_ratio(c3, sizeof c3, (double)res->mmu.walk_refs / (double)res->mmu.walks),
			 out_fmt_ratio(c4, sizeof c4, (double)machine_translation_cycles(res) / (double)res->mmu.accesses),
			 out_fmt_ratio(c5, sizeof c5, (double)machine_fault_exit_cycles(res) / (double)res->mmu.accesses),
			 out_fmt_count(c1, sizeof c1, res->mmu.exits));
		char claim[96], cmd[160];
		snprintf(claim, sizeof claim, "random 8-byte reads over 1 GiB, %s:", machine_mode_name(modes[i]));
		snprintf(cmd, sizeof cmd, "xlat sim --workload random --size 1g --count 1M --mode %s",
			 machine_mode_name(modes[i]));
		say(claim, m, cmd);
	}
	return 0;
}
