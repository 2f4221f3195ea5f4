/* xlat walk — one page walk, reference by reference, drawn as the 2D grid. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "out.h"
#include "plot_walk.h"
#include "xlat/explain.h"
#include "xlat/parse.h"

static const char usage[] =
	"usage: xlat walk [ADDR] [--va ADDR] [--mode native|nested|shadow|secure] [--levels 4|5]\n"
	"                 [--host-levels 4|5] [--guest-page 4k|2m|1g] [--host-page 4k|2m|1g]\n"
	"                 [--tee fold|stage3|rmp|gpt|tdx] [--monitor-levels 4|5]\n"
	"                 [--write|--fetch] [--warm] [--explain] [--plot FILE.svg|.png]\n"
	"                 [--json|--csv]\n"
	"\n"
	"Builds real page tables for one address (native, or a guest under nested or\n"
	"shadow paging, or a confidential VM under a secure monitor), walks it once\n"
	"with caches off, and prints every memory reference in order, whose\n"
	"structure it reads and why. Nested walks are drawn as the 2D grid: guest\n"
	"levels down, host (EPT) levels across. Options go before or after ADDR.\n"
	"\n"
	"  ADDR, --va ADDR       the virtual address walked (default 0x7f123456789a)\n"
	"  --mode M              native (default), nested, shadow or secure\n"
	"  --levels 4|5          paging levels, native or the guest's (default 4)\n"
	"  --host-levels 4|5     nested, shadow: levels of the EPT / memslot table\n"
	"  --guest-page P        the page mapping ADDR: 4k (default), 2m or 1g (alias\n"
	"                        --page)\n"
	"  --host-page P         nested, shadow: the host page backing it (secure: 4k)\n"
	"  --tee MODEL           secure: the hardware model (docs/tee.md): fold (one\n"
	"                        monitor level on top of the host dimension), stage3 (a\n"
	"                        full HPA -> MPA stage), rmp (AMD SEV-SNP), gpt (Arm CCA),\n"
	"                        tdx (Intel TDX); default rmp\n"
	"  --monitor-levels 4|5  secure, --tee stage3: levels of the monitor's stage\n"
	"  --write, --fetch      walk for a write or an instruction fetch (default: a read)\n"
	"  --warm                walk once first, so the paging-structure caches and the\n"
	"                        nested TLB are warm for the walk shown\n"
	"  --explain             text: every entry decoded, whose structure it is and why\n"
	"                        it is read, and how a 2D walk adds up\n"
	"  --plot FILE           draw the walk: FILE.svg, or FILE.png (via rsvg-convert)\n"
	"  --json, --csv         machine-readable output (CSV: the fields, then the steps\n"
	"                        as a block with one row per reference)\n"
	"  -h, --help            this text\n";

static int page_shift(const char *s, unsigned *shift)
{
	uint64_t v;
	if (xlat_parse_size(s, &v) || (v != 4096 && v != (2u << 20) && v != (1u << 30)))
		return -1;
	*shift = (unsigned)__builtin_ctzll(v);
	return 0;
}

static const char *dim_name(const struct explain_result *r, unsigned stage, enum machine_mode mode)
{
	if (r->stages == 1)
		return mode == MACHINE_SHADOW ? "shadow" : "native";
	return stage == 0 ? "guest" : stage == 1 ? "host" : "secure";
}

static void print_grid(FILE *fp, const struct explain_result *r)
{
	unsigned gl = r->levels[0], hl = r->levels[1];
	/* cell[row][col]: row 0..gl-1 = guest levels top-down, row gl = data;
	 * col 0..hl-1 = host levels top-down, col hl = the guest entry. */
	unsigned cell[XLAT_MAX_LEVELS + 1][XLAT_MAX_LEVELS + 1];
	memset(cell, 0, sizeof cell);
	for (unsigned i = 0; i < r->nsteps; i++) {
		const struct walk_ref *f = &r->steps[i].ref;
		unsigned row = f->for_level ? gl - f->for_level : gl;
		if (f->stage == 0)
			row = gl - f->level;
		unsigned col = f->stage == 0 ? hl : hl - f->level;
		if (row <= gl && col <= hl)
			cell[row][col] = i + 1;
	}
	fprintf(fp, "\n  2D walk: each guest entry's GPA is translated through the EPT first\n\n");
	fprintf(fp, "  %-14s", "");
	for (unsigned c = 0; c < hl; c++)
		fprintf(fp, " EPT L%u", hl - c);
	fprintf(fp, "   guest entry\n");
	for (unsigned row = 0; row <= gl; row++) {
		char label[32];
		if (row < gl)
			snprintf(label, sizeof label, "g%s", fmt_level_name(r->fmts[0], (int)(gl - row)));
		else
			snprintf(label, sizeof label, "data GPA");
		fprintf(fp, "  %-14s", label);
		for (unsigned c = 0; c <= hl; c++) {
			if (cell[row][c])
				fprintf(fp, c == hl ? "   %4u" : " %6u", cell[row][c]);
			else
				fprintf(fp, c == hl ? "   %4s" : " %6s", c == hl && row == gl ? "HPA" : ".");
		}
		fputc('\n', fp);
	}
	fputc('\n', fp);
}

int cmd_walk(int argc, char **argv)
{
	enum { O_MODE = 256, O_LEVELS, O_HOSTLEVELS, O_GUESTPAGE, O_HOSTPAGE, O_VA, O_WRITE, O_FETCH,
	       O_WARM, O_EXPLAIN, O_PLOT, O_JSON, O_CSV, O_TEE, O_MONLEVELS, O_END };
	static const struct option opts[] = {
		{ "mode", required_argument, 0, O_MODE },
		{ "levels", required_argument, 0, O_LEVELS },
		{ "host-levels", required_argument, 0, O_HOSTLEVELS },
		{ "guest-page", required_argument, 0, O_GUESTPAGE },
		{ "page", required_argument, 0, O_GUESTPAGE },
		{ "host-page", required_argument, 0, O_HOSTPAGE },
		{ "va", required_argument, 0, O_VA },
		{ "tee", required_argument, 0, O_TEE },
		{ "monitor-levels", required_argument, 0, O_MONLEVELS },
		{ "write", no_argument, 0, O_WRITE },
		{ "fetch", no_argument, 0, O_FETCH },
		{ "warm", no_argument, 0, O_WARM },
		{ "explain", no_argument, 0, O_EXPLAIN },
		{ "plot", required_argument, 0, O_PLOT },
		{ "json", no_argument, 0, O_JSON },
		{ "csv", no_argument, 0, O_CSV },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct explain_config cfg;
	static struct explain_result res;
	enum out_format fmt = OUT_TEXT;
	const char *plot = NULL, *va_arg = NULL;
	bool explain = false, given[O_END] = { false };
	int c;

	explain_config_init(&cfg);
	optind = 1;
	opterr = 0;
	/* "-": operands come back in order as code 1, wherever they are. */
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		uint64_t v;
		if (c >= O_MODE && c < O_END)
			given[c] = true;
		switch (c) {
		case 1:
		case O_VA:
			if (va_arg)
				return cli_fail(2, "walk", "one address at a time ('%s' and '%s')", va_arg, optarg);
			va_arg = optarg;
			if (xlat_parse_addr(optarg, &v))
				return cli_fail(2, "walk", "%s%s", c == O_VA ? "--va: " : "", xlat_error());
			cfg.va = v;
			break;
		case O_MODE:
			if (machine_mode_parse(optarg, &cfg.mode))
				return cli_fail(2, "walk", "--mode: %s", xlat_error());
			break;
		case O_LEVELS:
		case O_HOSTLEVELS:
			if (strcmp(optarg, "4") && strcmp(optarg, "5"))
				return cli_fail(2, "walk", "--%s takes 4 or 5, not '%s'",
						c == O_LEVELS ? "levels" : "host-levels", optarg);
			*(c == O_LEVELS ? &cfg.levels : &cfg.host_levels) = (unsigned)atoi(optarg);
			break;
		case O_GUESTPAGE:
		case O_HOSTPAGE:
			if (page_shift(optarg, c == O_GUESTPAGE ? &cfg.guest_shift : &cfg.host_shift))
				return cli_fail(2, "walk", "--%s takes 4k, 2m or 1g, not '%s'",
						c == O_GUESTPAGE ? "guest-page" : "host-page", optarg);
			break;
		case O_TEE:
			if (tee_model_parse(optarg, &cfg.tee))
				return cli_fail(2, "walk", "--tee: unknown model '%s' (fold, stage3, rmp, gpt or tdx)",
						optarg);
			break;
		case O_MONLEVELS:
			if (strcmp(optarg, "4") && strcmp(optarg, "5"))
				return cli_fail(2, "walk", "--monitor-levels takes 4 or 5, not '%s'", optarg);
			cfg.monitor_levels = (unsigned)atoi(optarg);
			break;
		case O_WRITE: cfg.kind = XLAT_WRITE; break;
		case O_FETCH: cfg.kind = XLAT_FETCH; break;
		case O_WARM: cfg.warm = true; break;
		case O_EXPLAIN: explain = true; break;
		case O_PLOT: plot = optarg; break;
		case O_JSON: fmt = OUT_JSON; break;
		case O_CSV: fmt = OUT_CSV; break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return cli_fail(2, "walk", "option '%s' needs a value (see xlat walk --help)",
					argv[optind - 1]);
		default:
			return cli_fail(2, "walk", "unknown option '%s' (see xlat walk --help)",
					argv[optind - 1]);
		}
	}
	if (optind < argc) {   /* an operand after "--" */
		if (va_arg || optind + 1 < argc)
			return cli_fail(2, "walk", "one address at a time ('%s' and '%s')",
					va_arg ? va_arg : argv[optind], argv[va_arg ? optind : optind + 1]);
		uint64_t v;
		if (xlat_parse_addr(argv[optind], &v))
			return cli_fail(2, "walk", "%s", xlat_error());
		cfg.va = v;
	}
	if (given[O_JSON] && given[O_CSV])
		return cli_fail(2, "walk", "--json and --csv: choose one output format");
	if (given[O_WRITE] && given[O_FETCH])
		return cli_fail(2, "walk", "--write and --fetch: a walk is for one kind of access");
	if (cfg.mode == MACHINE_NATIVE && (given[O_HOSTLEVELS] || given[O_HOSTPAGE]))
		return cli_fail(2, "walk", "--%s applies to --mode nested, shadow or secure, not to a native walk",
				given[O_HOSTLEVELS] ? "host-levels" : "host-page");
	if (cfg.mode != MACHINE_SECURE && (given[O_TEE] || given[O_MONLEVELS]))
		return cli_fail(2, "walk", "--%s applies to --mode secure", given[O_TEE] ? "tee" : "monitor-levels");
	if (given[O_MONLEVELS] && cfg.tee != TEE_STAGE3)
		return cli_fail(2, "walk", "--monitor-levels applies to --tee stage3 (the other models have no "
				"monitor stage)");
	if (cfg.mode == MACHINE_SECURE && cfg.host_shift != XLAT_PAGE_SHIFT)
		return cli_fail(2, "walk", "--host-page: a confidential VM's host pages are 4k (the monitor "
				"keeps one record per 4 KiB frame)");
	if (explain && fmt != OUT_TEXT)
		return cli_fail(2, "walk", "--explain adds prose to the text output; --json and --csv "
				"already carry every step's meaning");

	if (explain_walk(&cfg, &res))
		return cli_fail(1, "walk", "%s", xlat_error());

	struct out *o = out_begin(fmt, stdout);
	out_str(o, "mode", machine_mode_name(cfg.mode), "mode");
	char va[32];
	snprintf(va, sizeof va, "%#" PRIx64, (uint64_t)cfg.va);
	out_str(o, "va", va, "virtual address");
	if (res.secure)
		out_str(o, "tee", tee_model_name(res.tee), "confidential-computing model");
	out_u64(o, "levels", cfg.levels, cfg.mode == MACHINE_NATIVE ? "paging levels" : "guest levels");
	if (cfg.mode != MACHINE_NATIVE)
		out_u64(o, "host_levels", cfg.host_levels,
			cfg.mode == MACHINE_NESTED ? "EPT levels" : cfg.mode == MACHINE_SHADOW ?
			"memslot table levels" : "host-dimension levels");
	if (res.secure && res.tee == TEE_STAGE3)
		out_u64(o, "monitor_levels", res.levels[2], "monitor stage levels");
	out_u64(o, "guest_page", 1ULL << cfg.guest_shift, cfg.mode == MACHINE_NATIVE ? "page bytes" : "guest page bytes");
	if (cfg.mode != MACHINE_NATIVE)
		out_u64(o, "host_page", 1ULL << cfg.host_shift, "host page bytes");
	out_bool(o, "warm", cfg.warm, "caches warm");
	out_u64(o, "refs", res.walk.refs, "memory references");
	if (res.secure)
		out_u64(o, "check_refs", res.check_refs, "  of which the model's checks (RMP / GPT reads)");
	char pa[32];
	snprintf(pa, sizeof pa, "%#" PRIx64, (uint64_t)res.walk.pa);
	out_str(o, "pa", pa, cfg.mode == MACHINE_NATIVE ? "physical address" : "host-physical address");
	if (cfg.mode == MACHINE_NESTED || res.secure) {
		char gpa[32];
		snprintf(gpa, sizeof gpa, "%#" PRIx64, (uint64_t)res.gpa);
		out_str(o, "gpa", gpa, "guest-physical address");
	}
	out_u64(o, "page_bytes", 1ULL << res.walk.shift, "translation page bytes");
	/* The grid fits two stages without checks between their reads. */
	if (res.stages == 2 && res.check_refs == 0 && fmt == OUT_TEXT)
		print_grid(stdout, &res);

	if (fmt == OUT_TEXT) {
		/* A table a person can read; JSON and CSV get the list below. */
		printf("\n  %3s  %-6s %-10s %-20s %-18s %s\n", "#", "dim", "entry",
		       res.stages > 1 ? "read at (gpa > hpa)" : "read at", "value",
		       explain ? "structure: why; meaning" : "");
		for (unsigned i = 0; i < res.nsteps; i++) {
			const struct explain_step *s = &res.steps[i];
			char at[48];
			if (res.stages > 1 && s->ref.stage == 0)
				snprintf(at, sizeof at, "%#" PRIx64 " > %#" PRIx64, (uint64_t)s->ref.in_addr,
					 (uint64_t)s->ref.addr);
			else
				snprintf(at, sizeof at, "%#" PRIx64, (uint64_t)s->ref.addr);
			const char *meaning = strstr(s->meaning, "->");
			const char *entry = s->fmt ? fmt_level_name(s->fmt, s->ref.level) : s->structure;
			const char *dim = s->fmt ? dim_name(&res, s->ref.stage, cfg.mode) : "check";
			if (explain)
				printf("  %3u  %-6s %-10s %-20s %#018" PRIx64 " %s: %s; %s\n", i + 1, dim, entry,
				       at, s->ref.entry, s->structure, s->why, s->meaning);
			else
				printf("  %3u  %-6s %-10s %-20s %#018" PRIx64 " %s\n", i + 1, dim, entry, at,
				       s->ref.entry, s->fmt ? (meaning ? meaning : "") : s->meaning);
		}
	} else {
		out_list_begin(o, "steps", "references in order");
		for (unsigned i = 0; i < res.nsteps; i++) {
			const struct explain_step *s = &res.steps[i];
			char in[32], addr[32], entry[32];
			snprintf(in, sizeof in, "%#" PRIx64, (uint64_t)s->ref.in_addr);
			snprintf(addr, sizeof addr, "%#" PRIx64, (uint64_t)s->ref.addr);
			snprintf(entry, sizeof entry, "%#018" PRIx64, s->ref.entry);
			out_item_begin(o);
			out_u64(o, "n", i + 1, NULL);
			out_str(o, "dim", s->fmt ? dim_name(&res, s->ref.stage, cfg.mode) : "check", NULL);
			out_str(o, "entry_name", s->fmt ? fmt_level_name(s->fmt, s->ref.level) : s->structure, NULL);
			out_u64(o, "stage", s->ref.stage, NULL);
			out_u64(o, "level", s->ref.level, NULL);
			out_u64(o, "for_level", s->ref.for_level, NULL);
			out_str(o, "in_addr", in, NULL);
			out_str(o, "addr", addr, NULL);
			out_str(o, "value", entry, NULL);
			out_str(o, "meaning", s->meaning, NULL);
			out_str(o, "structure", s->structure ? s->structure : "", NULL);
			out_str(o, "why", s->why, NULL);
			out_item_end(o);
		}
		out_list_end(o);
	}
	if (explain && fmt == OUT_TEXT) {
		out_text(o, "\n  Reading the steps: a native walk reads one entry per level, top down.\n");
		if (res.stages == 2)
			out_text(o, "  Nested: the guest's CR3 and every guest entry hold guest-physical addresses, so\n"
				    "  before each guest entry is read its GPA goes through the %u-level EPT walk; the\n"
				    "  final GPA is translated once more: (%u+1)(%u+1)-1 = %u references with caches off.\n",
				 res.levels[1], res.levels[0], res.levels[1],
				 (res.levels[0] + 1) * (res.levels[1] + 1) - 1);
		if (res.secure)
			out_text(o, "  Secure (%s): see docs/tee.md for what each model reads and why; %u of the %u\n"
				    "  references are the model's checks.\n", tee_model_name(res.tee), res.check_refs,
				 res.walk.refs);
	}
	out_end(o);

	int status = 0;
	if (plot && plot_walk(plot, &res, cfg.mode))
		status = cli_fail(1, "walk", "%s", xlat_error());
	explain_result_free(&res);
	return status;
}
