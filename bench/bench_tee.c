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

#include "bench_util.h"
#include "xlat/cpu.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/machine.h"
#include "xlat/tee.h"
#include "xlat/workload.h"

#define ROUNDS 3

struct tee_run {
	int model;              /* < 0: nested paging; else the confidential VM's tee_model */
	size_t nrun;
	double refs_per_walk;   /* the last round's */
	double cyc;             /* translation cycles per access, the last round's */
};

/* One machine: nested paging (model < 0) or a confidential VM. */
static struct machine *boot(void *ctx)
{
	const struct tee_run *t = ctx;
	int model = t->model;
	struct machine_config cfg;
	struct machine *m;
	machine_config_init(&cfg);
	if (machine_config_set(&cfg, "mode", model < 0 ? "nested" : "secure") ||
	    (model >= 0 && machine_config_set(&cfg, "tee", tee_model_name((enum tee_model)model))) ||
	    machine_create(&cfg, &m))
		bench_die("boot");
	return m;
}

static void costs(void *ctx, struct machine *m)
{
	struct tee_run *t = ctx;
	struct machine_result res;
	machine_collect(m, &res);
	t->refs_per_walk = res.mmu.walks ? (double)res.mmu.walk_refs / (double)res.mmu.walks : 0;
	t->cyc = (double)machine_total_cycles(&res) / (double)t->nrun;
	if (res.mmu.unresolved)
		bench_die("an access was dropped");
}

int main(void)
{
	size_t nwarm, nrun;
	struct xlat_access *warm = bench_generate("stride", "size=1g,count=262144,stride=4k", &nwarm);
	struct xlat_access *run = bench_generate("random", "size=1g,count=1M,seed=7", &nrun);
	double nested_rate = 0;

	printf("bench_tee (cpu preset %s, best of %d rounds): uniform random over 1 GiB, %zu accesses, warm\n",
	       cpu_preset_default()->name, ROUNDS, nrun);
	printf("  %-8s %12s %10s %14s %16s\n", "mode", "M acc/s", "vs nested", "refs per walk",
	       "xlat cyc/access");
	for (int model = -1; model < TEE_MODEL_COUNT; model++) {
		struct tee_run t = { .model = model, .nrun = nrun };
		struct bench_rounds r = {
			.rounds = ROUNDS, .warm = warm, .nwarm = nwarm, .run = run, .nrun = nrun,
			.boot = boot, .after = costs, .ctx = &t,
		};
		double best = bench_machine_rate(&r);
		if (model < 0)
			nested_rate = best;
		printf("  %-8s %12.2f %9.2fx %14.2f %16.1f\n",
		       model < 0 ? "nested" : tee_model_name((enum tee_model)model), best / 1e6,
		       best / nested_rate, t.refs_per_walk, t.cyc);
	}
	free(warm);
	free(run);
	return 0;
}
