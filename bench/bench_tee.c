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
#include "xlat/machine.h"
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
static struct machine *boot(int model)
{
	struct machine_config cfg;
	struct machine *m;
	machine_config_init(&cfg);
	if (machine_config_set(&cfg, "mode", model < 0 ? "nested" : "secure") ||
	    (model >= 0 && machine_config_set(&cfg, "tee", tee_model_name((enum tee_model)model))) ||
	    machine_create(&cfg, &m))
		die("boot");
	return m;
}

int main(void)
{
	size_t nwarm, nrun;
	struct xlat_access *warm = generate("stride", "size=1g,count=262144,stride=4k", &nwarm);
	struct xlat_access *run = generate("random", "size=1g,count=1M,seed=7", &nrun);
	double nested_rate = 0;

	printf("bench_tee (cpu preset %s, best of %d rounds): uniform random over 1 GiB, %zu accesses, warm\n",
	       cpu_preset_default()->name, ROUNDS, nrun);
	printf("  %-8s %12s %10s %14s %16s\n", "mode", "M acc/s", "vs nested", "refs per walk",
	       "xlat cyc/access");
	for (int model = -1; model < TEE_MODEL_COUNT; model++) {
		double best = 0, refs_per_walk = 0, cyc = 0;
		for (int r = 0; r < ROUNDS; r++) {
			struct machine *m = boot(model);
			struct machine_result res;
			if (machine_feed(m, warm, nwarm))
				die("warm-up");
			machine_reset_stats(m);
			double t0 = now();
			if (machine_feed(m, run, nrun))
				die("run");
			double t = now() - t0;
			if (nrun / t > best)
				best = nrun / t;
			machine_collect(m, &res);
			refs_per_walk = res.mmu.walks ? (double)res.mmu.walk_refs / (double)res.mmu.walks : 0;
			cyc = (double)machine_total_cycles(&res) / (double)nrun;
			if (res.mmu.unresolved)
				die("an access was dropped");
			machine_destroy(m);
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
