/*
 * TLB micro-benchmark: nanoseconds per lookup on the simulator's hot path.
 * Prints one line per case; the numbers are this machine's, for comparing
 * changes to tlb.c, not a pass/fail check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "xlat/tlb.h"

static struct tlb *mk(unsigned entries, unsigned ways, unsigned sizes)
{
	struct tlb_config c = {
		.name = "bench", .narrays = 1, .seed = 1,
		.array = { { .entries = entries, .ways = ways, .repl = TLB_LRU, .sizes = sizes } },
	};
	return tlb_create(&c);
}

/* Cycles through `pages` 4 KiB pages `rounds` times (page stride `stride`),
 * inserting on a miss. Returns ns per lookup and the hit fraction. */
static double run(struct tlb *t, unsigned pages, unsigned stride, unsigned long rounds, double *hit)
{
	struct tlb_xlat x = { .shift = 12, .perms = 7 };
	unsigned long n = 0, hits = 0;
	volatile uint64_t sink = 0;
	double t0 = bench_now();

	for (unsigned long r = 0; r < rounds; r++)
		for (unsigned p = 0; p < pages; p++) {
			xlat_va va = 0x7f0000000000ULL + (uint64_t)p * stride * 4096;
			struct tlb_xlat got;
			n++;
			if (tlb_lookup(t, 1, va, &got)) {
				hits++;
				sink += got.pa;
			} else {
				x.pa = va;
				tlb_insert(t, 1, va, &x);
			}
		}
	double dt = bench_now() - t0;
	(void)sink;
	*hit = (double)hits / (double)n;
	return dt * 1e9 / (double)n;
}

/* argv[1]: divide every round count by it (for runs under valgrind);
 * argv[2]: run only that case. */
int main(int argc, char **argv)
{
	unsigned long div = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
	long only = argc > 2 ? strtol(argv[2], NULL, 10) : -1;

	static const struct { const char *what; unsigned entries, ways, pages, stride; unsigned long rounds; } c[] = {
		{ "same page (last-hit check)", 64, 0, 1, 1, 50000000 },
		{ "48 pages in 64 fully assoc.", 64, 0, 48, 1, 1000000 },
		{ "48 pages in 64x4", 64, 4, 48, 1, 1000000 },
		{ "1024 pages in 1536x12", 1536, 12, 1024, 1, 50000 },
		{ "1024 pages in 1536x4 (384 sets)", 1536, 4, 1024, 1, 50000 },
		{ "100 pages in 64 fully (all miss)", 64, 0, 100, 1, 500000 },
		{ "3000 pages in 1536x12 (all miss)", 1536, 12, 3000, 1, 20000 },
	};
	struct tlb_config split = {
		.name = "L1 DTLB", .narrays = 3, .seed = 1,
		.array = { { 64, 4, TLB_LRU, TLB_4K }, { 32, 4, TLB_LRU, TLB_2M }, { 4, 0, TLB_LRU, TLB_1G } },
	};

	for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
		if (only >= 0 && only != (long)i)
			continue;
		struct tlb *t = mk(c[i].entries, c[i].ways, TLB_ALL_SIZES);
		double hit, ns = run(t, c[i].pages, c[i].stride, c[i].rounds / (div ? div : 1) + 1, &hit);
		printf("%-36s %6.2f ns/lookup  (%.0f%% hits)\n", c[i].what, ns, hit * 100);
		tlb_destroy(t);
	}
	if (only >= 0 && only != (long)(sizeof c / sizeof c[0]))
		return 0;
	struct tlb *t = tlb_create(&split);
	double hit, ns = run(t, 48, 1, 1000000 / (div ? div : 1) + 1, &hit);
	printf("%-36s %6.2f ns/lookup  (%.0f%% hits)\n", "48 pages in split L1 (64x4/32x4/4)", ns, hit * 100);
	tlb_destroy(t);
	return 0;
}
