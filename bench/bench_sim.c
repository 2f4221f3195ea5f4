/*
 * bench_sim: how fast the simulator runs, measured in one run.
 *
 *  1. TLB-hit-dominated input (a sequential 8-byte scan: 512 accesses per
 *     page), native, after a warm-up pass mapped every page.   target >= 100 M/s
 *  2. miss-dominated input (uniform random over 1 GiB: ~every access misses
 *     the TLBs and walks), native, warm.                        target >= 20 M/s
 *  3. the same miss-dominated input under nested paging         target >= 15 M/s
 *     and under shadow paging (reported).
 *  4. `xlat sim` on an .xlt trace against a loop that only decodes the same
 *     file: the ratio of their times.                           target <= 3
 *
 * 1-3 run twice: with the accesses' own lines in the cache model (cache.data
 * =1, the default) and with page-table lines only (cache.data=0, the model
 * the targets were set for).
 *
 * Inputs are generated into memory first, so 1-3 time the model alone.
 * Times are the best of ROUNDS, to be fair on a shared machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "xlat/cpu.h"
#include "xlat/hv.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/phys.h"
#include "xlat/machine.h"
#include "xlat/sim.h"
#include "xlat/trace.h"
#include "xlat/workload.h"

#define ROUNDS 3

struct boot_args {
	enum machine_mode mode;
	bool data;
	double miss_ratio;      /* the last round's TLB misses per access */
	size_t nrun;
};

static struct machine *boot(void *ctx)
{
	const struct boot_args *b = ctx;
	struct machine_config cfg;
	struct machine *m;
	machine_config_init(&cfg);
	if (machine_config_set(&cfg, "mode", machine_mode_name(b->mode)) ||
	    machine_config_set(&cfg, "cache.data", b->data ? "1" : "0"))
		bench_die("configure");
	if (machine_create(&cfg, &m))
		bench_die("boot");
	return m;
}

static void misses(void *ctx, struct machine *m)
{
	struct boot_args *b = ctx;
	struct machine_result res;
	machine_collect(m, &res);
	b->miss_ratio = (double)res.mmu.tlb_misses / (double)b->nrun;
}

/* Accesses per second of `run` on a machine warmed by `warm`. */
static double rate(enum machine_mode mode, bool data, const struct xlat_access *warm, size_t nwarm,
		   const struct xlat_access *run, size_t nrun, double *miss_ratio)
{
	struct boot_args b = { .mode = mode, .data = data, .nrun = nrun };
	struct bench_rounds r = {
		.rounds = ROUNDS, .warm = warm, .nwarm = nwarm, .run = run, .nrun = nrun,
		.boot = boot, .after = misses, .ctx = &b,
	};
	double best = bench_machine_rate(&r);
	*miss_ratio = b.miss_ratio;
	return best;
}

static void verdict(const char *what, double got, double target, bool at_least)
{
	bool ok = at_least ? got >= target : got <= target;
	printf("  %-46s %s (target %s %.3g)\n", what, ok ? "target met" : "target MISSED",
	       at_least ? ">=" : "<=", target);
}

/* Times decoding `path` alone and running `xlat sim` (default preset,
 * native) on it; prints both rates and their ratio. */
static void ratio_of(const char *path, const char *what, bool target)
{
	double best_dec = 1e99, best_sim = 1e99;
	uint64_t n = 0;
	for (int r = 0; r < ROUNDS; r++) {
		struct xlat_source *s;
		static struct xlat_access buf[4096];
		int64_t got;
		double t0 = bench_now();
		if (xlat_source_open(&s, path))
			bench_die(path);
		n = 0;
		while ((got = xlat_source_next(s, buf, 4096)) > 0)
			n += (uint64_t)got;
		xlat_source_close(s);
		double t = bench_now() - t0;
		if (t < best_dec)
			best_dec = t;

		struct sim_config cfg;
		struct sim_result res;
		sim_config_init(&cfg);
		t0 = bench_now();
		if (xlat_source_open(&s, path) || sim_run(&cfg, s, &res))
			bench_die("sim");
		xlat_source_close(s);
		t = bench_now() - t0;
		if (t < best_sim)
			best_sim = t;
	}
	printf("  %s: %llu records\n", what, (unsigned long long)n);
	printf("    .xlt decode only:      %7.1f M records/s\n", n / best_dec / 1e6);
	printf("    xlat sim on the same:  %7.1f M records/s\n", n / best_sim / 1e6);
	printf("    ratio sim / decode:    %7.2f\n", best_sim / best_dec);
	if (target)
		verdict("sim / decode ratio", best_sim / best_dec, 3, false);
}

static bool want(int argc, char **argv, const char *part)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], part))
			return true;
	return false;
}

/* Parts: hit, miss, virt, ratio (default: all). */
int main(int argc, char **argv)
{
	size_t nwarm, nhit, nmiss;
	double mr;

	printf("bench_sim (cpu preset %s, best of %d rounds)\n", cpu_preset_default()->name, ROUNDS);

	/* 1. hits: warm = one touch per page of 64 MiB; run = 8-byte scan. */
	static const char *const lines[2] = { "page-table lines only", "with data lines" };
	struct xlat_access *warm;
	if (want(argc, argv, "hit")) {
	warm = bench_generate("stride", "size=64m,count=16384,stride=4k", &nwarm);
	struct xlat_access *hit = bench_generate("seq", "size=64m,count=40M,access=8", &nhit);
	for (int d = 1; d >= 0; d--) {
		double hit_rate = rate(MACHINE_NATIVE, d, warm, nwarm, hit, nhit, &mr);
		printf("  hit-dominated, native, %-21s %7.1f M accesses/s  (TLB miss ratio %.5f)\n", lines[d],
		       hit_rate / 1e6, mr);
		verdict(d ? "hit-dominated (data lines)" : "hit-dominated (page-table lines only)", hit_rate / 1e6, 100, true);
	}
	free(warm);
	free(hit);
	}

	/* 2-3. misses: warm = every page of 1 GiB; run = uniform random. */
	if (want(argc, argv, "miss") || want(argc, argv, "virt")) {
	warm = bench_generate("stride", "size=1g,count=262144,stride=4k", &nwarm);
	struct xlat_access *miss = bench_generate("random", "size=1g,count=4M,seed=7", &nmiss);
	for (int d = 1; d >= 0; d--) {
		char what[96];
		if (want(argc, argv, "miss")) {
			double native = rate(MACHINE_NATIVE, d, warm, nwarm, miss, nmiss, &mr);
			printf("  miss-dominated, native, %-21s %5.1f M accesses/s  (TLB miss ratio %.3f)\n", lines[d],
			       native / 1e6, mr);
			snprintf(what, sizeof what, "miss-dominated native (%s)", d ? "data lines" : "page-table lines");
			verdict(what, native / 1e6, 20, true);
		}
		if (want(argc, argv, "virt")) {
			double nested = rate(MACHINE_NESTED, d, warm, nwarm, miss, nmiss, &mr);
			printf("  miss-dominated, nested, %-21s %5.1f M accesses/s  (TLB miss ratio %.3f)\n", lines[d],
			       nested / 1e6, mr);
			snprintf(what, sizeof what, "miss-dominated nested (%s)", d ? "data lines" : "page-table lines");
			verdict(what, nested / 1e6, 15, true);
			double shadow = rate(MACHINE_SHADOW, d, warm, nwarm, miss, nmiss, &mr);
			printf("  miss-dominated, shadow, %-21s %5.1f M accesses/s  (TLB miss ratio %.3f)\n", lines[d],
			       shadow / 1e6, mr);
		}
	}
	free(warm);
	free(miss);
	}
	if (!want(argc, argv, "ratio"))
		return 0;

	/* 4. sim vs decode on the same .xlt: a real program (valgrind lackey of
	 * `sort -n` on 3,000 shuffled numbers, recorded with `xlat trace record`
	 * and committed), then a miss-heavy zipf stream for comparison. */
	ratio_of(XLAT_BENCH_DATA "/sort-3000.xlt", "real trace (sort)", true);

	char path[64];
	snprintf(path, sizeof path, "/tmp/bench_sim_%d.xlt", (int)getpid());
	size_t nz;
	struct xlat_access *z = bench_generate("zipf", "size=1g,count=20M,seed=3,write=0.3", &nz);
	struct xlat_trace_writer *w;
	if (xlat_trace_writer_open(&w, path, XLAT_TRACE_XLT, "bench_sim zipf", NULL) ||
	    xlat_trace_writer_write(w, z, nz) || xlat_trace_writer_close(w))
		bench_die("write trace");
	free(z);
	ratio_of(path, "zipf over 1 GiB (miss-heavy)", false);
	unlink(path);
	return 0;
}
