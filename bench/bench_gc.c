/*
 * bench_gc: how fast the GC pause study simulates, measured in one run.
 *
 * The 8 GiB heap of the seed's example (`xlat gc --heap 8G --phase sweep`):
 * its sweep under nested paging and, beside it, natively, each on its own
 * machine after an untimed fill. Reported: simulated guest seconds per
 * wall second, the guest seconds being the sweep's modelled duration
 * (accesses * base_cycles_per_access + translation cycles, at the preset's
 * clock: the study's pause_s), the wall seconds those of generating the
 * sweep's records and running them through the machine. The generator
 * alone is timed too, to show the split. One round each: an 8 GiB sweep
 * takes seconds. CPU seconds are printed beside wall seconds: on a machine
 * shared with other work, they say what a free core would take.
 *
 * Argument: the heap size (default 8g), for a quicker look.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "xlat/cpu.h"
#include "xlat/mmu.h"
#include "xlat/machine.h"
#include "xlat/workload.h"

#define BATCH 4096

static struct xlat_source *open_heap(const char *size, const char *phase)
{
	struct xlat_workload w;
	struct xlat_source *s;
	char opts[64];
	snprintf(opts, sizeof opts, "size=%s,phase=%s", size, phase);
	if (xlat_workload_init(&w, "gc") || xlat_workload_parse(&w, opts) || xlat_workload_open(&s, &w))
		bench_die("workload");
	return s;
}

/* n records of s through m (m NULL: generate only). */
static void feed(struct xlat_source *s, struct machine *m, uint64_t n, struct xlat_access *buf)
{
	while (n) {
		int64_t got = xlat_source_next(s, buf, n < BATCH ? (size_t)n : BATCH);
		if (got <= 0)
			bench_die("the heap's stream ended early");
		if (m && machine_feed(m, buf, (size_t)got))
			bench_die("run");
		n -= (uint64_t)got;
	}
}

/* The sweep of the heap on a machine of `mode`: guest seconds per wall
 * second; *guest and *wall set. */
static double sweep(const char *size, enum machine_mode mode, const struct xlat_gc_info *info, double *guest,
		    double *wall, double *cpu_s)
{
	struct xlat_access *buf = malloc(BATCH * sizeof *buf);
	struct machine_config cfg;
	struct machine *m;
	struct machine_result r;

	machine_config_init(&cfg);
	cfg.mode = mode;
	if (!buf || machine_create(&cfg, &m))
		bench_die("boot");
	struct xlat_source *s = open_heap(size, "fill+sweep");
	feed(s, m, info->records[0], buf);
	machine_reset_stats(m);
	double t0 = bench_now(), c0 = bench_cpu();
	feed(s, m, info->records[2], buf);
	*wall = bench_now() - t0;
	*cpu_s = bench_cpu() - c0;
	machine_collect(m, &r);
	*guest = ((double)r.mmu.accesses * r.base_cycles_per_access + (double)machine_total_cycles(&r)) /
		 (r.ghz * 1e9);
	xlat_source_close(s);
	machine_destroy(m);
	free(buf);
	return *guest / *wall;
}

int main(int argc, char **argv)
{
	const char *size = argc > 1 ? argv[1] : "8g";
	struct xlat_workload w;
	struct xlat_gc_info info;
	char opts[32];
	double guest, wall, cpu_s;

	snprintf(opts, sizeof opts, "size=%s", size);
	if (xlat_workload_init(&w, "gc") || xlat_workload_parse(&w, opts) || xlat_workload_gc_info(&w, &info))
		bench_die("heap");
	printf("bench_gc (cpu preset %s, one round each): the sweep of a %s heap, %llu objects, "
	       "%llu records\n", cpu_preset_default()->name, size, (unsigned long long)info.objects,
	       (unsigned long long)info.records[2]);

	static const enum machine_mode modes[] = { MACHINE_NESTED, MACHINE_NATIVE };
	for (int i = 0; i < 2; i++) {
		double r = sweep(size, modes[i], &info, &guest, &wall, &cpu_s);
		printf("  sweep, %-7s %8.4f guest s per wall s  (%.4f guest s in %.2f s wall, %.2f s CPU: "
		       "%.4f per CPU s; %.1f M records/s)\n", machine_mode_name(modes[i]), r, guest, wall, cpu_s,
		       guest / cpu_s, (double)info.records[2] / wall / 1e6);
	}

	struct xlat_access *buf = malloc(BATCH * sizeof *buf);
	struct xlat_source *s = open_heap(size, "sweep");
	double t0 = bench_now(), c0 = bench_cpu();
	feed(s, NULL, info.records[2], buf);
	wall = bench_now() - t0;
	cpu_s = bench_cpu() - c0;
	printf("  the generator alone: %.1f M records/s (%.2f s wall, %.2f s CPU)\n",
	       (double)info.records[2] / wall / 1e6, wall, cpu_s);
	xlat_source_close(s);
	free(buf);
	return 0;
}
