/*
 * bench_pt: how fast pt builds and tears down a table, and what the sparse
 * space holding it costs in host memory.
 *
 * Maps 1M 4 KiB pages (4 GiB) one pt_map call per page at increasing
 * addresses, then unmaps them one pt_unmap call per page, ROUNDS times on
 * the same table; reports the best round. Targets (issue "Foundation"):
 *   maps/s >= 10 M, and phys host bytes <= 1.1 * table bytes + 16 MiB.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "xlat/format.h"
#include "xlat/phys.h"
#include "xlat/pt.h"

#define PAGES   (1u << 20)
#define ROUNDS  5
#define VA_BASE 0x7f0000000000ULL   /* a typical mmap area */
#define MAPS_TARGET 10e6            /* maps per second */

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench_pt: %s failed (%d): %s\n", what, err, xlat_error());
	return 1;
}

int main(void)
{
	struct phys *mem = phys_create(52, 0);
	if (!mem)
		return fail("phys_create", -1);
	/* The data pages: allocated (never touched) so pa values are real frames. */
	uint64_t data;
	int err = phys_alloc(mem, PAGES, 1ULL << 18, &data);
	if (err)
		return fail("phys_alloc", err);
	struct pt pt;
	if ((err = pt_init(&pt, mem, &fmt_x86_4, 52)))
		return fail("pt_init", err);

	double best_map = 1e30, best_unmap = 1e30;
	struct pt_stats st = { 0 };
	struct phys_stats ps = { 0 };
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = bench_now();
		for (uint64_t i = 0; i < PAGES; i++) {
			err = pt_map(&pt, VA_BASE + (i << 12), (data + i) << 12, 4096,
				     XLAT_R | XLAT_W | XLAT_U, PT_PAGE_4K);
			if (err)
				return fail("pt_map", err);
		}
		double t1 = bench_now();
		if (r == 0) {   /* every round builds the same table */
			pt_get_stats(&pt, &st);
			phys_get_stats(mem, &ps);
		}
		for (uint64_t i = 0; i < PAGES; i++) {
			err = pt_unmap(&pt, VA_BASE + (i << 12), 4096);
			if (err)
				return fail("pt_unmap", err);
		}
		double t2 = bench_now();
		if (t1 - t0 < best_map)
			best_map = t1 - t0;
		if (t2 - t1 < best_unmap)
			best_unmap = t2 - t1;
	}
	struct pt_stats empty;
	pt_get_stats(&pt, &empty);

	double maps = PAGES / best_map, unmaps = PAGES / best_unmap;
	double limit = 1.1 * (double)st.table_bytes + 16.0 * (1 << 20);
	double ratio = (double)ps.host_bytes / (double)st.table_bytes;
	printf("bench_pt: %u x 4 KiB pages (%llu MiB), one call per page, best of %d rounds\n",
	       PAGES, (unsigned long long)PAGES * 4096 >> 20, ROUNDS);
	printf("  map     %8.2f M pages/s  (%.1f ns/page)\n", maps / 1e6, best_map / PAGES * 1e9);
	printf("  unmap   %8.2f M pages/s  (%.1f ns/page)\n", unmaps / 1e6, best_unmap / PAGES * 1e9);
	printf("  tables  %llu pages = %llu bytes (PT %llu, PD %llu, PDPT %llu, PML4 %llu)\n",
	       (unsigned long long)st.total_pages, (unsigned long long)st.table_bytes,
	       (unsigned long long)st.table_pages[1], (unsigned long long)st.table_pages[2],
	       (unsigned long long)st.table_pages[3], (unsigned long long)st.table_pages[4]);
	printf("  phys    host %llu bytes for %llu touched frames; host/table = %.3f; limit 1.1*table+16MiB = %.0f\n",
	       (unsigned long long)ps.host_bytes, (unsigned long long)ps.touched_frames, ratio, limit);
	printf("  after unmapping: %llu table page(s) left\n", (unsigned long long)empty.total_pages);
	printf("  maps/s >= 10 M: target %s\n", maps >= MAPS_TARGET ? "met" : "MISSED");
	printf("  host <= 1.1*table + 16 MiB: target %s\n", (double)ps.host_bytes <= limit ? "met" : "MISSED");

	pt_destroy(&pt);
	phys_free(mem, data, PAGES);
	phys_destroy(mem);
	return 0;
}
