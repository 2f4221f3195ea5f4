/* xlat calibrate — measure this machine with built-in microbenchmarks,
 * report, and fit a preset file to the measurements (xlat/calibrate.h,
 * docs/calibrate.md). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "out.h"
#include "progress.h"
#include "xlat/calibrate.h"
#include "xlat/parse.h"

#define CMD "calibrate"

static const char usage_text[] =
	"usage: xlat calibrate [--out FILE] [--max-mem SIZE] [--quick] [--reps N] [--base PRESET]\n"
	"                      [--pin CPU] [--no-thp] [--no-fit] [--seed N] [--quiet] [--json|--csv]\n"
	"\n"
	"Measures the machine it runs on (Linux, x86-64) and fits a CPU preset to it:\n"
	"the core clock, cache latencies, TLB reach (4 KiB pages and THP), first-touch\n"
	"fault cost, and the translation cost of a chase over one line per 4 KiB page\n"
	"against the same lines packed into few pages, 64 KiB up to --max-mem. Then the\n"
	"model predicts every chase with the closest built-in preset and with the\n"
	"calibrated one, and shows the error per point.\n"
	"\n"
	"  --out FILE      write the calibrated preset (load it with xlat sim --cpu-file FILE)\n"
	"  --max-mem SIZE  largest footprint (default: MemAvailable / 4, at most 4 GiB)\n"
	"  --quick         small footprints and few repetitions (seconds; for tests)\n"
	"  --reps N        repetitions per point, 3..32 (default 5; --quick 3)\n"
	"  --base PRESET   fit from this preset instead of the one CPUID suggests\n"
	"  --pin CPU       run on this CPU (default: the one it starts on)\n"
	"  --no-thp        measure 4 KiB pages only\n"
	"  --no-fit        measure and report; no model runs, no preset\n"
	"  --seed N        chase orders (default 1)\n"
	"  --quiet         no progress line on stderr\n"
	"  --json, --csv   machine-readable output\n"
	"\n"
	"Run it on an otherwise idle machine: the report marks every point whose\n"
	"repetitions spread by 20 % or more as unstable, and the fit leaves those out.\n";

/* Called from several threads during the fit, one at a time: it only
 * writes to stderr. */
static void progress(void *ctx, const char *step, unsigned done, unsigned total)
{
	(void)ctx;
	cli_progress_bar(done, total, step);
}

/* The library's message without its "calibrate: " (cli_fail names the command). */
static const char *msg(void)
{
	const char *m = xlat_error();
	return strncmp(m, "calibrate: ", 11) ? m : m + 11;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* A measured point: its median, and in JSON/CSV its spread and extremes
 * (text shows the spread in the label's line). */
static void stat_out(struct out *o, const char *key, const struct calibrate_stat *s, const char *label)
{
	char k[64];
	if (out_format(o) == OUT_TEXT) {
		char v[96];
		snprintf(v, sizeof v, "%.4g  (spread %.0f %%%s)", s->median, 100 * fmin(s->spread, 9.99),
			 calibrate_stable(s) ? "" : ", unstable");
		out_str(o, key, v, label);
		return;
	}
	out_f64(o, key, s->median, label);
	snprintf(k, sizeof k, "%s_spread", key);
	out_f64(o, k, s->spread, NULL);
	{
		snprintf(k, sizeof k, "%s_lo", key);
		out_f64(o, k, s->lo, NULL);
		snprintf(k, sizeof k, "%s_hi", key);
		out_f64(o, k, s->hi, NULL);
	}
}

static const char *size_str(uint64_t b, char *buf, size_t len)
{
	xlat_parse_size_str(b, buf, len);
	return buf;
}

static void report_host(struct out *o, const struct calibrate_result *r)
{
	const struct calibrate_host *h = &r->host;
	char buf[256];

	out_section(o, "host");
	out_str(o, "date", h->date, "date");
	out_str(o, "hostname", h->hostname, "host name");
	snprintf(buf, sizeof buf, "%s family %#x model %#x stepping %u%s%s", h->vendor[0] ? h->vendor : "?", h->family,
		 h->model, h->stepping, h->brand[0] ? ": " : "", h->brand);
	out_str(o, "cpu", buf, "cpu (CPUID)");
	if (out_format(o) != OUT_TEXT) {
		out_bool(o, "vm", h->is_vm, NULL);
		out_str(o, "hv_signature", h->hv_signature, NULL);
		out_bool(o, "cpuid_hypervisor", h->hypervisor, NULL);
		out_bool(o, "cpuinfo_hypervisor", h->cpuinfo_hypervisor, NULL);
		out_str(o, "dmi_vendor", h->dmi_vendor, NULL);
		out_str(o, "dmi_product", h->dmi_product, NULL);
	}
	out_text(o, "  %-36s %s%s%s%s%s\n", "virtual machine", yes_no(h->is_vm),
		 h->hypervisor ? " (CPUID hypervisor bit" : "", h->hv_signature[0] ? ", signature " : "",
		 h->hv_signature, h->hypervisor ? ")" : "");
	if (h->dmi_vendor[0] || h->dmi_product[0])
		out_text(o, "  %-36s %s / %s\n", "DMI vendor / product", h->dmi_vendor, h->dmi_product);
	out_str(o, "thp_enabled", h->thp_enabled, "THP enabled (sysfs)");
	out_str(o, "thp_defrag", h->thp_defrag, "THP defrag (sysfs)");
	out_u64(o, "cpus", h->ncpus, "online CPUs");
	out_i64(o, "pinned_cpu", h->cpu, "pinned to CPU");
	out_u64(o, "mem_available", h->mem_available, "MemAvailable (bytes)");
	for (int l = 0; l < 3; l++) {
		static const char *const key[] = { "os_l1d_bytes", "os_l2_bytes", "os_l3_bytes" };
		static const char *const label[] = { "L1D as the OS reports it", "L2 as the OS reports it",
						     "L3 as the OS reports it" };
		if (!h->cache_bytes[l])
			continue;
		if (out_format(o) == OUT_TEXT) {
			char s[32];
			out_text(o, "  %-36s %s, %u-way\n", label[l], size_str(h->cache_bytes[l], s, sizeof s), h->cache_ways[l]);
		} else {
			out_u64(o, key[l], h->cache_bytes[l], NULL);
		}
	}
	out_section(o, "clock (cycles are the core's: every time below x this clock)");
	stat_out(o, "ghz", &r->clock, "core GHz: dependent register adds");
	out_f64(o, "ghz_imul", r->clock_imul, "  cross-check: dependent multiplies");
	out_f64(o, "seconds", r->seconds, "measuring took (s)");
}

static void report_latency(struct out *o, const struct calibrate_result *r)
{
	static const char *const name[] = { "l1d", "l2", "l3", "mem" };
	static const char *const label[] = { "L1D", "L2", "L3", "memory" };
	char k[64], s[32];

	out_section(o, "cache latency (load-to-use cycles: a chase over 32 lines of each 4 KiB page, pages in random order)");
	for (int l = 0; l < 4; l++) {
		const struct calibrate_stat *st = &r->lat[l];
		if (!st->reps) {
			out_text(o, "  %-36s not seen\n", label[l]);
			continue;
		}
		if (out_format(o) == OUT_TEXT) {
			out_text(o, "  %-36s %.1f  (at %s of pages, spread %.0f %%%s, %.1f of it translation removed)%s\n",
				 label[l], st->median, size_str(r->lat_bytes[l], s, sizeof s), 100 * st->spread,
				 calibrate_stable(st) ? "" : ", UNSTABLE", r->lat_walk_share[l], "");
		} else {
			snprintf(k, sizeof k, "lat_%s", name[l]);
			stat_out(o, k, st, NULL);
			snprintf(k, sizeof k, "lat_%s_bytes", name[l]);
			out_u64(o, k, r->lat_bytes[l], NULL);
		}
	}
	if (r->llc_knee) {
		if (out_format(o) == OUT_TEXT)
			out_text(o, "  %-36s %.1f MiB of pages\n", "L3 this thread gets (half-way knee)",
				 (double)r->llc_knee / (1 << 20));
		else
			out_u64(o, "llc_knee_bytes", r->llc_knee, NULL);
	}
}

static void report_reach(struct out *o, const struct calibrate_result *r)
{
	static const char *const verdict[] = { "unknown", "no", "yes" };
	char k[64];

	out_section(o, "TLB reach (a chase over P pages, one line each, minus the same P lines packed: where it steps up)");
	for (int b = 0; b < CALIBRATE_BACKINGS; b++) {
		const struct calibrate_reach *rc = &r->reach[b];
		const char *bn = calibrate_backing_name(b);
		if (!rc->n)
			continue;
		if (out_format(o) == OUT_TEXT) {
			out_text(o, "  %-36s L1 %llu, L2 %llu 4 KiB pages; %.1f / %.1f / %.1f cycles per load\n",
				 b == CALIBRATE_4K ? "4 KiB pages" : "THP", (unsigned long long)rc->knee[0],
				 (unsigned long long)rc->knee[1], rc->level[0], rc->level[1], rc->level[2]);
			continue;
		}
		snprintf(k, sizeof k, "reach_%s_l1_pages", bn);
		out_u64(o, k, rc->knee[0], NULL);
		snprintf(k, sizeof k, "reach_%s_l2_pages", bn);
		out_u64(o, k, rc->knee[1], NULL);
		for (int i = 0; i < 3; i++) {
			snprintf(k, sizeof k, "reach_%s_level%d", bn, i);
			out_f64(o, k, rc->level[i], NULL);
		}
		if (out_format(o) == OUT_JSON) {
			snprintf(k, sizeof k, "reach_%s", bn);
			out_list_begin(o, k, NULL);
			for (unsigned i = 0; i < rc->n; i++) {
				out_item_begin(o);
				out_u64(o, "pages", rc->pages[i], NULL);
				stat_out(o, "xlat", &rc->xlat[i], NULL);
				out_item_end(o);
			}
			out_list_end(o);
		}
	}
	out_str(o, "huge_reach", verdict[r->huge_reach + 1], "2 MiB pages give 2 MiB TLB reach");
	if (out_format(o) == OUT_TEXT && r->reach[0].n) {
		out_text(o, "  sweep (translation cycles per load, P pages):\n");
		for (int b = 0; b < CALIBRATE_BACKINGS; b++) {
			const struct calibrate_reach *rc = &r->reach[b];
			if (!rc->n)
				continue;
			out_text(o, "    %-4s", calibrate_backing_name(b));
			for (unsigned i = 0; i < rc->n; i++)
				out_text(o, "%s%llu:%.1f%s", i && i % 8 == 0 ? "\n        " : " ",
					 (unsigned long long)rc->pages[i], rc->xlat[i].median, calibrate_stable(&rc->xlat[i]) ? "" : "?");
			out_text(o, "\n");
		}
		out_text(o, "    (? = unstable: spread >= 20 %%)\n");
	}
}

static void report_faults(struct out *o, const struct calibrate_result *r)
{
	out_section(o, "first touch (a write to each new page: fault, zeroing, mapping)");
	if (r->fault[0].reps) {
		stat_out(o, "fault_4k_cycles", &r->fault[0], "4 KiB page (cycles)");
		out_f64(o, "fault_4k_us", r->fault[0].median / r->ghz / 1e3, "  microseconds");
	}
	if (r->fault[1].reps) {
		stat_out(o, "fault_thp_cycles", &r->fault[1], "THP, per 2 MiB (cycles)");
		out_f64(o, "fault_thp_us", r->fault[1].median / r->ghz / 1e3, "  microseconds");
		out_f64(o, "fault_thp_huge_fraction", r->fault_huge_fraction, "  AnonHugePages share");
	}
}

static void report_series(struct out *o, const struct calibrate_result *r)
{
	const struct calibrate_fit *f = &r->fit;
	char s[32];

	out_section(o, "chase: translation cycles per load = (a) one line per 4 KiB page - (b) the same lines packed");
	out_f64(o, "frames_consecutive_4k", r->series[CALIBRATE_4K].frames_consecutive,
		"4 KiB pages on neighbouring frames (share; -1: unreadable)");
	if (out_format(o) == OUT_TEXT) {
		out_text(o, "  %-5s %9s %8s %8s %8s %7s", "pages", "footprint", "(a)", "(b)", "(a)-(b)", "spread");
		if (f->done)
			out_text(o, " %9s %6s %9s %6s", "base", "ratio", "calib.", "ratio");
		if (f->done && f->other)
			out_text(o, " %9s %6s", f->other->name, "ratio");
		out_text(o, "\n");
		for (int b = 0; b < CALIBRATE_BACKINGS; b++)
			for (unsigned i = 0; i < r->series[b].n; i++) {
				const struct calibrate_point *p = &r->series[b].pt[i];
				bool ok = calibrate_stable(&p->xlat);
				out_text(o, "  %-5s %9s %8.1f %8.1f %8.1f %6.0f%%%s", calibrate_backing_name(b),
					 size_str(p->pages * 4096, s, sizeof s), p->spread.median, p->packed.median,
					 p->xlat.median, fmin(100 * p->xlat.spread, 999), ok ? " " : "?");
				if (f->done)
					for (int w = 0; w < (f->other ? 3 : 2); w++) {
						if (p->xlat.median >= 1 && p->pred[w] >= 0)
							out_text(o, " %9.1f %5.2fx", p->pred[w],
								 (p->pred[w] > 0.01 ? p->pred[w] : 0.01) / p->xlat.median);
						else
							out_text(o, " %9.1f %6s", p->pred[w], "-");
					}
				out_text(o, "\n");
			}
		out_text(o, "  (? = unstable, not fitted; ratio = predicted / measured, shown from 1 cycle up)\n");
		return;
	}
	if (out_format(o) != OUT_JSON)
		return;
	out_list_begin(o, "series", NULL);
	for (int b = 0; b < CALIBRATE_BACKINGS; b++)
		for (unsigned i = 0; i < r->series[b].n; i++) {
			const struct calibrate_point *p = &r->series[b].pt[i];
			out_item_begin(o);
			out_str(o, "backing", calibrate_backing_name(b), NULL);
			out_u64(o, "pages", p->pages, NULL);
			out_u64(o, "footprint", p->pages * 4096, NULL);
			out_u64(o, "reps", p->spread.reps, NULL);
			stat_out(o, "per_page", &p->spread, NULL);
			stat_out(o, "packed", &p->packed, NULL);
			stat_out(o, "xlat", &p->xlat, NULL);
			out_bool(o, "stable", calibrate_stable(&p->xlat), NULL);
			if (f->done) {
				out_f64(o, "pred_base", p->pred[0], NULL);
				out_f64(o, "pred_calibrated", p->pred[1], NULL);
				out_f64(o, "miss_base", p->pred_miss[0], NULL);
				out_f64(o, "miss_calibrated", p->pred_miss[1], NULL);
				if (f->other) {
					out_f64(o, "pred_other", p->pred[2], NULL);
					out_f64(o, "miss_other", p->pred_miss[2], NULL);
				}
			}
			out_item_end(o);
		}
	out_list_end(o);
}

static void report_fit(struct out *o, const struct calibrate_result *r)
{
	const struct calibrate_fit *f = &r->fit;

	if (!f->done)
		return;
	out_section(o, "fit");
	out_str(o, "base", f->base->name, "closest built-in preset");
	out_str(o, "base_why", f->base_why, "  because");
	out_bool(o, "nested", f->nested, NULL);
	out_text(o, "  %-36s %s\n", "model of this host",
		 f->nested ? "nested paging, 4 KiB host pages (--mode nested --host-page-policy 4k)" : "native");
	out_u64(o, "fit_points", f->used, "stable points compared");
	out_f64(o, "error_base", f->gm_error[0], "error, base preset (geometric mean x)");
	out_f64(o, "worst_base", f->worst_error[0], "  worst (x)");
	out_u64(o, "within_base", f->within[0], "  points within 0.67-1.5x");
	out_f64(o, "error_calibrated", f->gm_error[1], "error, calibrated (geometric mean x)");
	out_f64(o, "worst_calibrated", f->worst_error[1], "  worst (x)");
	out_u64(o, "within_calibrated", f->within[1], "  points within 0.67-1.5x");
	if (f->other) {
		char label[96];
		out_str(o, "other", f->other->name, "shown beside them");
		snprintf(label, sizeof label, "error, %s (geometric mean x)", f->other->name);
		out_f64(o, "error_other", f->gm_error[2], label);
		out_f64(o, "worst_other", f->worst_error[2], "  worst (x)");
		out_u64(o, "within_other", f->within[2], "  points within 0.67-1.5x");
	}
	if (f->thp_points) {
		out_bool(o, "thp_reproduced", f->thp_reproduced, NULL);
		out_f64(o, "thp_worst_excess", f->thp_worst, NULL);
		out_text(o, "  %-36s %s (THP changes the predicted misses per load by at most the measured change + "
			 "0.10 at %u footprints: worst margin %+.2f)\n", "THP effect reproduced",
			 f->thp_reproduced ? "yes" : "NO", f->thp_points, f->thp_worst);
	}
	if (out_format(o) == OUT_TEXT) {
		out_text(o, "  %-20s %-10s %-10s %-9s %s\n", "parameter", "value", "base", "how", "from");
		for (unsigned i = 0; i < f->nparams; i++) {
			const struct calibrate_param *p = &f->param[i];
			out_text(o, "  %-20s %-10s %-10s %-9s %s\n", p->key, p->value, p->base_value, p->how, p->note);
		}
	} else if (out_format(o) == OUT_JSON) {
		out_list_begin(o, "params", NULL);
		for (unsigned i = 0; i < f->nparams; i++) {
			const struct calibrate_param *p = &f->param[i];
			out_item_begin(o);
			out_str(o, "key", p->key, NULL);
			out_str(o, "value", p->value, NULL);
			out_str(o, "base_value", p->base_value, NULL);
			out_str(o, "how", p->how, NULL);
			out_str(o, "note", p->note, NULL);
			out_item_end(o);
		}
		out_list_end(o);
	}
}

static void report_notes(struct out *o, const struct calibrate_result *r)
{
	if (out_format(o) == OUT_TEXT) {
		out_text(o, "what this means\n");
		for (unsigned i = 0; i < r->nnotes; i++)
			out_text(o, "  - %s\n", r->notes[i]);
		return;
	}
	if (out_format(o) == OUT_JSON) {
		out_list_begin(o, "notes", NULL);
		for (unsigned i = 0; i < r->nnotes; i++) {
			out_item_begin(o);
			out_str(o, "text", r->notes[i], NULL);
			out_item_end(o);
		}
		out_list_end(o);
	}
}

int cmd_calibrate(int argc, char **argv)
{
	enum { O_OUT = 256, O_MAXMEM, O_QUICK, O_REPS, O_BASE, O_PIN, O_NOTHP, O_NOFIT, O_SEED, O_QUIET, O_JSON,
	       O_CSV };
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, O_OUT },
		{ "max-mem", required_argument, NULL, O_MAXMEM },
		{ "quick", no_argument, NULL, O_QUICK },
		{ "reps", required_argument, NULL, O_REPS },
		{ "base", required_argument, NULL, O_BASE },
		{ "pin", required_argument, NULL, O_PIN },
		{ "no-thp", no_argument, NULL, O_NOTHP },
		{ "no-fit", no_argument, NULL, O_NOFIT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct calibrate_options opts;
	struct calibrate_result *res;
	enum out_format fmt = OUT_TEXT;
	const char *out_path = NULL;
	bool quiet = false, no_fit = false;
	uint64_t v;
	int c, rc;

	calibrate_options_init(&opts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_OUT: out_path = optarg; break;
		case O_MAXMEM:
			if (xlat_parse_size(optarg, &opts.max_mem))
				return cli_fail(2, CMD, "--max-mem: %s", xlat_error());
			if (opts.max_mem < (4ULL << 20))
				return cli_fail(2, CMD, "--max-mem: at least 4 MiB, not '%s'", optarg);
			break;
		case O_QUICK: opts.quick = true; break;
		case O_REPS:
			if (xlat_parse_count(optarg, &v) || v < 3 || v > CALIBRATE_MAX_REPS)
				return cli_fail(2, CMD, "--reps: a number from 3 to %d, not '%s'", CALIBRATE_MAX_REPS, optarg);
			opts.reps = (unsigned)v;
			break;
		case O_BASE:
			if (!cpu_preset_by_name(optarg))
				return cli_fail(2, CMD, "--base: %s", xlat_error());
			opts.base = optarg;
			break;
		case O_PIN:
			if (xlat_parse_count(optarg, &v) || v >= 4096)
				return cli_fail(2, CMD, "--pin: a CPU number, not '%s'", optarg);
			opts.cpu = (int)v;
			break;
		case O_NOTHP: opts.no_thp = true; break;
		case O_NOFIT: no_fit = true; break;
		case O_SEED:
			if (xlat_parse_count(optarg, &opts.seed))
				return cli_fail(2, CMD, "--seed: %s", xlat_error());
			break;
		case O_QUIET: quiet = true; break;
		case O_JSON: fmt = OUT_JSON; break;
		case O_CSV: fmt = OUT_CSV; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_fail(2, CMD, "unknown or incomplete option '%s' (see xlat calibrate --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_fail(2, CMD, "unexpected argument '%s'", argv[optind]);
	if (out_path && no_fit)
		return cli_fail(2, CMD, "--out needs the fit: drop --no-fit");

	if (cli_progress_wanted(quiet)) {
		opts.progress = progress;
		opts.progress_ctx = NULL;
	}
	res = calloc(1, sizeof *res);
	if (!res)
		return cli_fail(1, CMD, "out of memory");
	rc = calibrate_measure(&opts, res);
	if (!rc && !no_fit)
		rc = calibrate_fit(res, &opts);
	if (opts.progress)
		cli_progress_clear();
	if (rc) {
		/* -EINVAL: what was asked for cannot be done here (usage). */
		int status = cli_fail(rc == -EINVAL ? 2 : 1, CMD, "%s", msg());
		free(res);
		return status;
	}
	if (out_path && (rc = calibrate_write_preset(res, out_path))) {
		int status = cli_fail(1, CMD, "--out: %s", msg());
		free(res);
		return status;
	}

	struct out *o = out_begin(fmt, stdout);
	out_text(o, "xlat calibrate: %s, %s%s\n\n", res->host.hostname, res->host.date,
		 opts.quick ? " (--quick: small footprints, few repetitions)" : "");
	report_host(o, res);
	report_latency(o, res);
	report_reach(o, res);
	report_faults(o, res);
	report_series(o, res);
	report_fit(o, res);
	report_notes(o, res);
	if (out_path) {
		out_str(o, "preset_file", out_path, "preset written to");
		out_text(o, "  load it with: xlat sim --cpu-file %s%s\n", out_path,
			 res->fit.nested ? " (it runs nested paging with 4 KiB host pages: its mode lines)" : "");
	}
	out_end(o);
	free(res);
	return 0;
}
