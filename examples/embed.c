/*
 * Embedding libxlat in another simulator: the host simulator keeps its own
 * loop and clock; for every memory access it asks xlat's MMU what the
 * translation costs (TLB levels, page walks through real page tables, the
 * faults a demand-paging guest OS and its hypervisor take) and adds that
 * latency to its own. docs/embedding.md walks through it.
 *
 *   cc embed.c $(pkg-config --cflags --libs --static xlat) -o embed
 *   ./embed [MODE]          (native, nested or shadow; default nested)
 */
#include <stdio.h>
#include <stdlib.h>

#include <xlat/machine.h>
#include <xlat/version.h>

/* The host simulator's own workload: a strided walk, one access per page,
 * round and round 8 MiB (2,048 pages: more than the L1 TLB holds, less
 * than the STLB), one access per "instruction". */
static uint64_t next_address(uint64_t i)
{
	return 0x10000000ULL + (i * 4160) % (8ULL << 20);
}

static int print_value(void *ctx, const struct machine_value *v)
{
	(void)ctx;
	if (v->kind == MV_COUNT && (v->key[0] == 't' || v->key[0] == 'w'))
		printf("  %-28s %llu\n", v->key, (unsigned long long)v->count);
	return 0;
}

int main(int argc, char **argv)
{
	struct machine_config cfg;
	struct machine *m;

	if (xlat_version() != XLAT_VERSION_HEX) {
		fprintf(stderr, "embed: headers %s, library %s\n", XLAT_VERSION_STRING, xlat_version_string());
		return 1;
	}
	machine_config_init(&cfg);
	if (machine_config_set(&cfg, "cpu", "skylake") ||
	    machine_config_set(&cfg, "mode", argc > 1 ? argv[1] : "nested") ||
	    machine_config_set(&cfg, "stlb.entries", "3072") ||
	    machine_create(&cfg, &m)) {
		fprintf(stderr, "embed: %s\n", xlat_error());
		return 2;
	}

	/* Booting charged its own events (a shadow-paging guest's first CR3
	 * load exits): count from here. */
	machine_reset_stats(m);

	/* The host's loop: its clock advances by its own work plus what each
	 * translation cost. */
	uint64_t clock = 0, walks = 0, faults = 0;
	const uint64_t n = 200000;
	for (uint64_t i = 0; i < n; i++) {
		struct mmu_outcome o;
		int rc = mmu_translate(machine_mmu(m), next_address(i), i % 4 ? XLAT_READ : XLAT_WRITE,
				       false, &o);
		if (rc < 0) {
			fprintf(stderr, "embed: %s\n", xlat_error());
			machine_destroy(m);
			return 1;
		}
		clock += 1 + o.cycles;     /* one cycle of the host's own work per access */
		walks += o.tlb_level < 0;
		faults += o.faults;
	}
	printf("libxlat %s, %s mode: %llu accesses in %llu cycles (%llu walked, %llu faults)\n",
	       xlat_version_string(), argc > 1 ? argv[1] : "nested", (unsigned long long)n,
	       (unsigned long long)clock, (unsigned long long)walks, (unsigned long long)faults);

	/* The machine's own account agrees, and names every figure. */
	struct machine_result r;
	machine_collect(m, &r);
	machine_result_foreach(&r, print_value, NULL);
	printf("  %-28s %llu\n", "host clock check", (unsigned long long)(n + machine_total_cycles(&r)));
	machine_destroy(m);
	return clock == n + machine_total_cycles(&r) ? 0 : 3;
}
