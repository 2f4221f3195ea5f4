/*
 * bench_tee: the secure models' throughput beside nested paging, on the
 * same miss-dominated input (uniform random over 1 GiB after a warm-up that
 * touched every page), measured in one run. Also prints what each mode
 * costs the model it simulates: references per walk and translation cycles
 * per access (the default preset's cost model). Best of ROUNDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xlat/cpu.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/sim.h"
#include "xlat/tee.h"
#include "xlat/workload.h"

#define ROUNDS 3

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_tee: %s: %s\n", what, xlat_error());
	exit(1);
}

static struct xlat_access *generate(const char *name, const char *opts, size_t *n)
{
	struct xlat_source *s;
	struct xlat_workload w;
	if (xlat_workload_init(&w, name) || xlat_workload_parse(&w, opts) || xlat_workload_open(&s, &w))
		die("workload");
	size_t cap = xlat_workload_records(&w) + 1, len = 0;
	struct xlat_access *a = malloc(cap * sizeof *a);
	int64_t got;
	if (!a)
		die("out of memory");
	while ((got = xlat_source_next(s, a + len, cap - len)) > 0)
		len += (size_t)got;
	if (got < 0)
		die("generate");
	xlat_source_close(s);
	*n = len;
	return a;
}

/* One machine: nested paging (model < 0) or a confidential VM. */
struct box {
	struct sim_machine sm;
	struct tee *t;
	struct mmu *mmu;
	struct tee_cvm *c;
};

static void boot(struct box *b, int model, const struct mmu_config *mmc)
{
	memset(b, 0, sizeof *b);
	if (model < 0) {
		struct sim_config cfg;
		sim_config_init(&cfg, mmc);
		cfg.mode = SIM_NESTED;
		if (sim_machine_boot(&b->sm, &cfg))
			die("boot nested");
		b->mmu = b->sm.mmu;
		return;
	}
	struct tee_config tc;
	struct tee_cvm_config cc = {
		.guest_ram = 64ULL << 30, .guest_pa_bits = 46, .vpid = 1,
		.guest = { .fmt = &fmt_x86_4, .policy = OS_PAGE_4K,
			   .fault_cycles = mmc->costs.fault_cycles, .pcid = true },
		.exit_cycles = mmc->costs.exit_cycles, .host_fault_cycles = mmc->costs.fault_cycles,
		.accept_cycles = mmc->costs.fault_cycles,
	};
	tee_config_init(&tc, (enum tee_model)model);
	if (!(b->t = tee_create(&tc)) || !(b->mmu = mmu_create(mmc, tee_machine(b->t))) ||
	    !(b->c = tee_cvm_create(b->t, &cc)) || tee_cvm_attach(b->c, b->mmu))
		die("boot secure");
}

static void halt(struct box *b)
{
	if (b->t) {
		tee_cvm_destroy(b->c);
		mmu_destroy(b->mmu);
		tee_destroy(b->t);
	} else {
		sim_machine_halt(&b->sm);
	}
}

int main(void)
{
	struct mmu_config mmc;
	size_t nwarm, nrun;
	struct xlat_access *warm = generate("stride", "size=1g,count=262144,stride=4k", &nwarm);
	struct xlat_access *run = generate("random", "size=1g,count=1M,seed=7", &nrun);
	double nested_rate = 0;

	memset(&mmc, 0, sizeof mmc);
	cpu_mmu_config(cpu_preset_default(), &mmc);
	printf("bench_tee (cpu preset %s, best of %d rounds): uniform random over 1 GiB, %zu accesses, warm\n",
	       cpu_preset_default()->name, ROUNDS, nrun);
	printf("  %-8s %12s %10s %14s %16s\n", "mode", "M acc/s", "vs nested", "refs per walk",
	       "xlat cyc/access");
	for (int model = -1; model < TEE_MODEL_COUNT; model++) {
		double best = 0, refs_per_walk = 0, cyc = 0;
		for (int r = 0; r < ROUNDS; r++) {
			struct box b;
			boot(&b, model, &mmc);
			if (mmu_run(b.mmu, warm, nwarm))
				die("warm-up");
			const struct mmu_stats *st = mmu_get_stats(b.mmu);
			uint64_t walks = st->walks, refs = st->walk_refs, c0 = mmu_translation_cycles(b.mmu);
			double t0 = now();
			if (mmu_run(b.mmu, run, nrun))
				die("run");
			double t = now() - t0;
			if (nrun / t > best)
				best = nrun / t;
			refs_per_walk = st->walks > walks ? (double)(st->walk_refs - refs) / (double)(st->walks - walks) : 0;
			cyc = (double)(mmu_translation_cycles(b.mmu) - c0) / (double)nrun;
			if (st->unresolved)
				die("an access was dropped");
			halt(&b);
		}
		if (model < 0)
			nested_rate = best;
		printf("  %-8s %12.2f %9.2fx %14.2f %16.1f\n",
		       model < 0 ? "nested" : tee_model_name((enum tee_model)model), best / 1e6,
		       best / nested_rate, refs_per_walk, cyc);
	}
	free(warm);
	free(run);
	return 0;
}
