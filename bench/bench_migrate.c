/*
 * bench_migrate: how fast the live-migration model simulates, measured in
 * one run.
 *
 * A 4 GiB VM migrated with the wp tracker (EPT write protection, KVM's
 * eager splitting) over the data-center link (10 Gbit/s, 0.1 ms), its
 * guest streaming through 1 GiB of its memory with 20 % writes (the seq
 * workload), the guest's time on the cost model (no pinned rate): the
 * whole of `xlat migrate --mem 4g --workload seq --size 1g --write 0.2`.
 * Reported: simulated guest seconds per wall second (the guest seconds
 * being the time the guest ran during the migration: its accesses x
 * base_cycles_per_access + translation, fault and exit cycles + the dirty
 * log's handler cycles, at the preset's clock), with CPU seconds beside
 * wall seconds (on a machine shared with other work, they say what a free
 * core would take), and the migration's own figures. The untracked twin
 * that measures the slowdown runs the same records and is in the time.
 *
 * The guest writes all of its 1 GiB in every pass (a stream never
 * converges): round 0 then a forced stop and copy (--max-rounds 1) bound
 * the run to about a second of guest time.
 *
 * Arguments: the VM's memory (default 4g) and the link (dc or wan), for a
 * quicker or a slower look.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "xlat/migrate.h"
#include "xlat/parse.h"

int main(int argc, char **argv)
{
	const char *mem = argc > 1 ? argv[1] : "4g";
	const char *link = argc > 2 ? argv[2] : "dc";
	struct mig_config c;
	struct mig_result r;
	enum mig_link_preset lp;
	uint64_t ram;

	mig_config_init(&c);
	if (xlat_parse_size(mem, &ram) || machine_config_set(&c.machine, "guest_ram", mem) ||
	    mig_link_preset_parse(link, &lp))
		bench_die("arguments (MEM [dc|wan])");
	mig_link_preset(&c.link, lp);
	if (xlat_workload_init(&c.workload, "seq") || xlat_workload_parse(&c.workload, "write=0.2"))
		bench_die("workload");
	c.workload.size = ram / 4;
	c.policy.max_rounds = 1;
	printf("bench_migrate (cpu preset %s, one run): a %s VM, wp tracking (eager), the %s link, "
	       "the seq workload over %llu MiB with 20%% writes, guest time on the cost model, "
	       "--max-rounds 1\n",
	       c.machine.cpu.name, mem, mig_link_preset_name(lp), (unsigned long long)(c.workload.size >> 20));
	fflush(stdout);
	double t0 = bench_now(), c0 = bench_cpu();
	if (mig_run(&c, &r))
		bench_die("migrate");
	double wall = bench_now() - t0, cpu = bench_cpu() - c0;
	printf("  migration: %u rounds, %s, downtime %.3f ms, total %.3f ms, %llu bytes sent, verified: %s\n",
	       r.rounds, r.converged ? "converged" : "not converged", r.downtime * 1e3, r.total * 1e3,
	       (unsigned long long)r.bytes_sent, r.verified ? "yes" : "NO");
	printf("  guest: %llu accesses, %.4f s of guest time, slowdown from tracking %.4f, %llu tracking exits\n",
	       (unsigned long long)r.guest_accesses, r.guest_seconds, r.guest_slowdown,
	       (unsigned long long)r.tracking_exits);
	printf("  simulated guest seconds per wall second: %.4f (wall %.1f s); per CPU second %.4f (%.1f s)\n",
	       r.guest_seconds / wall, wall, r.guest_seconds / cpu, cpu);
	int ok = r.verified;
	mig_result_free(&r);
	return ok ? 0 : 1;
}
