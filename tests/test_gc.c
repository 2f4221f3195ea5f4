/* The gc workload (src/input/gen_gc.c) and the GC pause study (xlat/gc.h):
 * the stream against the heap it describes (every count, every live object
 * reached once, the sweep's chunks exactly the dead runs), its options,
 * and the study's figures against their definitions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/cpu.h"
#include "xlat/gc.h"
#include "xlat/workload.h"

static void wl(struct xlat_workload *w, const char *opts)
{
	assert_int_equal(xlat_workload_init(w, "gc"), 0);
	int rc = xlat_workload_parse(w, opts);
	if (rc)
		print_error("gc %s: %s\n", opts, xlat_error());
	assert_int_equal(rc, 0);
}

static void info_of(const char *opts, struct xlat_gc_info *info)
{
	struct xlat_workload w;
	wl(&w, opts);
	int rc = xlat_workload_gc_info(&w, info);
	if (rc)
		print_error("gc %s: %s\n", opts, xlat_error());
	assert_int_equal(rc, 0);
}

/* The whole stream of gc with opts; *n records. */
static struct xlat_access *stream(const char *opts, size_t *n)
{
	struct xlat_workload w;
	struct xlat_source *s;
	wl(&w, opts);
	int rc = xlat_workload_open(&s, &w);
	if (rc)
		print_error("gc %s: %s\n", opts, xlat_error());
	assert_int_equal(rc, 0);
	struct xlat_source_info si;
	xlat_source_info(s, &si);
	assert_true(si.records > 0);
	size_t total = (size_t)si.records, len = 0;
	struct xlat_access *a = malloc((total + 1) * sizeof *a);
	int64_t got;
	while ((got = xlat_source_next(s, a + len, 1000)) > 0)
		len += (size_t)got;
	assert_int_equal(got, 0);
	assert_int_equal(len, total);
	xlat_source_close(s);
	*n = len;
	return a;
}

/* Every phase alone holds the records info counts, and all of them the sum
 * (the generator also checks that nothing is left when its count ends). */
static void test_counts(void **state)
{
	(void)state;
	static const char *const heaps[] = {
		"size=1m", "size=1m,marks=header", "size=1m,live=1", "size=1m,ptrs=0", "size=1m,ptrs=1",
		"size=1m,roots=1", "size=1m,obj=24", "size=1m,obj=2048", "size=2m,live=0.05,seed=9",
		"size=4k,live=1", "size=3m,obj=300,ptrs=0.9,roots=0.3,marks=header,seed=4",
	};
	static const char *const phases[] = { "fill", "mark", "sweep" };
	for (size_t h = 0; h < sizeof heaps / sizeof heaps[0]; h++) {
		struct xlat_gc_info info;
		char opts[160];
		size_t n, sum = 0;
		info_of(heaps[h], &info);
		for (int p = 0; p < 3; p++) {
			snprintf(opts, sizeof opts, "%s,phase=%s", heaps[h], phases[p]);
			free(stream(opts, &n));
			if (n != info.records[p]) {
				print_error("%s: %zu records, info says %" PRIu64 "\n", opts, n, info.records[p]);
				fail();
			}
			sum += n;
		}
		snprintf(opts, sizeof opts, "%s,phase=all", heaps[h]);
		free(stream(opts, &n));
		assert_int_equal(n, sum);
		snprintf(opts, sizeof opts, "%s,phase=mark+sweep", heaps[h]);
		free(stream(opts, &n));
		assert_int_equal(n, info.records[1] + info.records[2]);
	}
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static bool in(const uint64_t *sorted, size_t n, uint64_t v)
{
	return bsearch(&v, sorted, n, sizeof v, cmp_u64) != NULL;
}

/* Header marks: the stream says which objects are live (the mark's writes
 * into the heap), so the sweep can be checked against it. */
static void test_shape(void **state)
{
	(void)state;
	const char *heap = "size=8m,marks=header,seed=3";
	char opts[128];
	struct xlat_gc_info info;
	size_t n;
	info_of(heap, &info);
	snprintf(opts, sizeof opts, "%s,phase=all", heap);
	struct xlat_access *a = stream(opts, &n);
	const struct xlat_access *fill = a, *mark = a + info.records[0], *sweep = mark + info.records[1];
	uint64_t heap_end = info.heap + info.blocks * 4096;

	/* fill: every heap page written once, at its start; the heads; roots */
	uint64_t pages = 0, heads = 0, roots = 0;
	for (size_t i = 0; i < info.records[0]; i++) {
		assert_int_equal(fill[i].kind, XLAT_WRITE);
		if (fill[i].va >= info.heap && fill[i].va < heap_end) {
			assert_int_equal(fill[i].va, info.heap + pages * 4096);
			pages++;
		} else if (fill[i].va >= info.meta + 4096) {
			assert_int_equal(fill[i].va, info.meta + 4096 + roots * 8);
			roots++;
		} else {
			assert_int_equal(fill[i].va, info.meta + heads * 8);
			heads++;
		}
	}
	assert_int_equal(pages, info.blocks);
	assert_int_equal(roots, info.roots);
	assert_int_equal(heads, 64);

	/* mark: a root slot read per root; every live object's header set
	 * once (the writes into the heap), pushed once, popped once and its
	 * header read right after the pop */
	uint64_t *live = malloc(info.live * sizeof *live), nlive = 0, pushes = 0, pops = 0, slots = 0;
	uint64_t *popped = malloc(info.live * sizeof *popped), npopped = 0;
	for (size_t i = 0; i < info.records[1]; i++) {
		const struct xlat_access *r = &mark[i];
		assert_int_equal(r->size, 8);
		if (r->va >= info.stack) {
			if (r->kind == XLAT_WRITE) {
				pushes++;
			} else {
				pops++;
				assert_true(i + 1 < info.records[1]);
				assert_int_equal(mark[i + 1].kind, XLAT_READ);
				assert_true(mark[i + 1].va >= info.heap && mark[i + 1].va < heap_end);
				popped[npopped++] = mark[i + 1].va;
			}
		} else if (r->va >= info.meta) {
			assert_int_equal(r->kind, XLAT_READ);
			assert_int_equal(r->va, info.meta + 4096 + slots * 8);
			slots++;
		} else {
			assert_true(r->va >= info.heap && r->va < heap_end);
			if (r->kind == XLAT_WRITE) {
				assert_true(nlive < info.live);
				live[nlive++] = r->va;
			}
		}
	}
	assert_int_equal(slots, info.roots);
	assert_int_equal(nlive, info.live);
	assert_int_equal(pushes, info.live);
	assert_int_equal(pops, info.live);
	qsort(live, nlive, sizeof *live, cmp_u64);
	qsort(popped, npopped, sizeof *popped, cmp_u64);
	for (uint64_t i = 1; i < nlive; i++)
		assert_true(live[i] > live[i - 1]);   /* each marked once */
	assert_memory_equal(live, popped, nlive * sizeof *live);   /* each scanned once */

	/* sweep: every header in address order; after each run of dead
	 * objects, one 16-byte write at its first; heads at block ends */
	uint64_t objects = 0, chunks = 0, prev = 0, run = 0, live_seen = 0, head_writes = 0;
	for (size_t i = 0; i < info.records[2]; i++) {
		const struct xlat_access *r = &sweep[i];
		if (r->va >= info.meta) {
			assert_int_equal(r->kind, XLAT_WRITE);
			assert_true(r->va < info.meta + 64 * 8);
			assert_int_equal(run, 0);
			head_writes++;
			continue;
		}
		assert_true(r->va >= info.heap && r->va < heap_end);
		if (r->kind == XLAT_WRITE) {
			assert_int_equal(r->size, 16);
			assert_int_equal(r->va, run);   /* the run's first object */
			run = 0;
			chunks++;
			continue;
		}
		assert_int_equal(r->size, 8);
		assert_true(objects == 0 || r->va > prev);
		if ((r->va - info.heap) % 4096 == 0)
			assert_int_equal(run, 0);       /* runs end at block ends */
		prev = r->va;
		objects++;
		if (in(live, nlive, r->va)) {
			live_seen++;
			assert_true(run == 0 || (i + 1 < info.records[2] && sweep[i + 1].kind == XLAT_WRITE));
		} else if (!run) {
			run = r->va;
		}
	}
	assert_int_equal(run, 0);
	assert_int_equal(objects, info.objects);
	assert_int_equal(live_seen, info.live);
	assert_int_equal(chunks, info.chunks);
	assert_true(head_writes >= info.blocks / 2);

	/* the shape the options ask for: mean object ~80 bytes, half live,
	 * a thousandth of them roots */
	double mean = (double)(info.blocks * 4096) / (double)info.objects;
	if (mean < 72 || mean > 88) {
		print_error("mean object %.1f bytes, want ~80\n", mean);
		fail();
	}
	double lf = (double)info.live / (double)info.objects;
	if (fabs(lf - 0.5) > 0.01) {
		print_error("live fraction %.4f, want 0.5\n", lf);
		fail();
	}
	assert_int_equal(info.roots, (uint64_t)llround(0.001 * (double)info.live));
	free(live);
	free(popped);
	free(a);
}

/* Side bitmap: marks are bitmap words (one bit per heap word), the sweep
 * reads each block's 64 bytes of bitmap first; the same objects live as
 * with header marks. */
static void test_bitmap(void **state)
{
	(void)state;
	struct xlat_gc_info ih, ib;
	size_t nh, nb;
	info_of("size=4m,seed=5,marks=header", &ih);
	info_of("size=4m,seed=5", &ib);
	assert_int_equal(ib.live, ih.live);
	assert_int_equal(ib.objects, ih.objects);
	assert_int_equal(ib.bitmap_bytes, 4 * 1024 * 1024 / 64);
	assert_int_equal(ih.bitmap_bytes, 0);
	struct xlat_access *h = stream("size=4m,seed=5,marks=header,phase=mark", &nh);
	struct xlat_access *b = stream("size=4m,seed=5,phase=mark", &nb);
	assert_int_equal(nh, nb);
	/* the same records, but each mark test/set moves from the header to
	 * its bitmap word (and the regions after the bitmap move up) */
	uint64_t moved = 0;
	for (size_t i = 0; i < nh; i++) {
		assert_int_equal(h[i].kind, b[i].kind);
		if (h[i].va >= ih.stack) {
			assert_int_equal(b[i].va - ib.stack, h[i].va - ih.stack);
		} else if (h[i].va >= ih.meta) {
			assert_int_equal(b[i].va - ib.meta, h[i].va - ih.meta);
		} else if (h[i].va != b[i].va) {
			assert_true(b[i].va >= ib.bitmap && b[i].va < ib.bitmap + ib.bitmap_bytes);
			assert_int_equal(b[i].va, ib.bitmap + (h[i].va - ih.heap) / 512 * 8);
			moved++;
		}
	}
	assert_true(moved >= 2 * ih.live);
	free(h);
	free(b);
	b = stream("size=4m,seed=5,phase=sweep", &nb);
	uint64_t reads = 0;
	for (size_t i = 0; i < nb; i++)
		if (b[i].va >= ib.bitmap && b[i].va < ib.bitmap + ib.bitmap_bytes) {
			assert_int_equal(b[i].size, 64);
			assert_int_equal(b[i].va, ib.bitmap + reads * 64);
			assert_int_equal(b[i + 1].va, ib.heap + reads * 4096);   /* then the block's first header */
			reads++;
		}
	assert_int_equal(reads, ib.blocks);
	free(b);
}

static void test_options(void **state)
{
	(void)state;
	static const struct {
		const char *opts, *msg;
	} bad[] = {
		{ "size=5000", "multiple of 4 KiB" },
		{ "size=0", "size" },
		{ "obj=16", "obj: must be 24..2048" },
		{ "obj=4k", "obj: must be 24..2048" },
		{ "live=0", "live must be a fraction in (0, 1]" },
		{ "live=1.5", "live must be" },
		{ "ptrs=-0.1", "ptrs must be a fraction 0..1" },
		{ "roots=0", "roots must be" },
		{ "marks=both", "marks must be bitmap or header" },
		{ "phase=fill+fill", "phase must be" },
		{ "phase=", "phase must be" },
		{ "phase=sweep+", "phase must be" },
		{ "count=5", "no option 'count'" },
		{ "write=0.5", "no option 'write'" },
		{ "base=0x123", "not 4 KiB aligned" },
		{ "base=0xffffffffc0000000", "overflow" },
		{ "size=4k,live=0.0001", "no object of the heap is live" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct xlat_source *s = NULL;
		int rc = xlat_workload_open_str(&s, "gc", bad[i].opts);
		if (rc == 0 || !strstr(xlat_error(), bad[i].msg)) {
			print_error("gc %s: rc %d, message '%s', want '%s'\n", bad[i].opts, rc, xlat_error(), bad[i].msg);
			fail();
		}
		assert_null(s);
	}
	/* the canonical string parses back to the same options */
	struct xlat_workload w, w2;
	char a[512], b[512];
	wl(&w, "size=12m,seed=7,obj=96,live=0.25,ptrs=0.5,roots=0.01,marks=header,phase=mark+sweep");
	xlat_workload_format(&w, a, sizeof a);
	assert_string_equal(a, "size=12m,seed=7,base=0x10000000000,obj=96,live=0.25,ptrs=0.5,roots=0.01,"
			       "marks=header,phase=mark+sweep");
	wl(&w2, a);
	xlat_workload_format(&w2, b, sizeof b);
	assert_string_equal(a, b);
	wl(&w, "");
	xlat_workload_format(&w, a, sizeof a);
	assert_string_equal(a, "size=64m,seed=1,base=0x10000000000,obj=80,live=0.5,ptrs=0.25,roots=0.001,"
			       "marks=bitmap,phase=all");
	/* info refuses other workloads */
	assert_int_equal(xlat_workload_init(&w, "random"), 0);
	struct xlat_gc_info info;
	assert_int_equal(xlat_workload_gc_info(&w, &info), -EINVAL);
}

/* ---- the study ---- */

static void config(struct gc_config *cfg, const char *heap, enum machine_mode mode, uint8_t phases)
{
	gc_config_init(cfg);
	cfg->machine.mode = mode;
	cfg->phases = phases;
	assert_int_equal(xlat_workload_parse(&cfg->heap, heap), 0);
}

static void run(const struct gc_config *cfg, struct gc_result *r)
{
	int rc = gc_run(cfg, r);
	if (rc)
		print_error("gc_run: %s\n", xlat_error());
	assert_int_equal(rc, 0);
}

static void test_study_sweep(void **state)
{
	(void)state;
	struct gc_config cfg;
	struct gc_result r, r2;
	config(&cfg, "size=16m", MACHINE_NESTED, XLAT_GC_SWEEP);
	run(&cfg, &r);
	assert_true(r.virtualized);
	/* the same records on both machines; the TLBs see the same virtual
	 * addresses, so they miss alike */
	assert_int_equal(r.run.pause.accesses, r.heap.records[2]);
	assert_int_equal(r.native.pause.accesses, r.heap.records[2]);
	assert_int_equal(r.run.fill.accesses, r.heap.records[0]);
	assert_int_equal(r.run.pause.tlb_misses, r.native.pause.tlb_misses);
	assert_memory_equal(&r.run.mark, &(struct gc_counts){ 0 }, sizeof r.run.mark);
	/* the sweep touches every heap page and the bitmap's: about one miss
	 * per page, the faults all taken in the fill */
	uint64_t pages = r.heap.blocks + r.heap.bitmap_bytes / 4096;
	assert_true(r.run.pause.tlb_misses > pages * 9 / 10 && r.run.pause.tlb_misses <= pages + 8);
	assert_int_equal(r.run.pause.faults, 0);
	assert_int_equal(r.run.pause.exits, 0);
	assert_true(r.run.fill.faults >= pages);
	/* nested walks are longer; the model's penalty is their difference */
	assert_true(r.run.pause.walk_refs > r.native.pause.walk_refs);
	assert_true(r.model_penalty_per_miss > 0);
	double want = r.run.walk_cycles_per_miss - r.native.walk_cycles_per_miss;
	assert_true(r.model_penalty_per_miss == want);
	double hz = cfg.machine.cpu.ghz * 1e9;
	assert_true(fabs(r.model_added_pause_s - ((double)r.run.pause.translation_cycles -
						  (double)r.native.pause.translation_cycles) / hz) < 1e-15);
	assert_true(r.added_pause_s == r.model_added_pause_s);
	assert_true(r.run.translation_s == (double)r.run.pause.translation_cycles / hz);
	assert_int_equal(r.run.pause.translation_cycles, r.run.pause.tlb_cycles + r.run.pause.walk_cycles +
			 r.run.pause.fault_cycles + r.run.pause.exit_cycles);

	/* the seed's computation: misses * N / clock, the model's beside it */
	cfg.extra_miss_cycles = 1100;
	cfg.machine.cpu.ghz = 3;
	run(&cfg, &r2);
	assert_true(r2.extra_added_pause_s == (double)r2.run.pause.tlb_misses * 1100 / 3e9);
	assert_true(r2.added_pause_s == r2.extra_added_pause_s);
	assert_true(r2.model_penalty_per_miss == r.model_penalty_per_miss);   /* the clock does not move cycles */
	/* deterministic */
	struct gc_result r3;
	run(&cfg, &r3);
	assert_memory_equal(&r2, &r3, sizeof r2);

	/* (2 MiB pages: tests/cli_gc.sh, on the seed's 8 GiB heap) */
}

static void test_study_modes(void **state)
{
	(void)state;
	struct gc_config cfg;
	struct gc_result r;

	/* shadow walks the shadow table natively: no penalty of its own */
	config(&cfg, "size=8m", MACHINE_SHADOW, XLAT_GC_SWEEP);
	run(&cfg, &r);
	assert_int_equal(r.run.pause.walk_refs, r.native.pause.walk_refs);
	assert_true(fabs(r.model_penalty_per_miss) < 1);

	/* native: one machine, nothing beside it */
	config(&cfg, "size=8m", MACHINE_NATIVE, XLAT_GC_SWEEP);
	run(&cfg, &r);
	assert_false(r.virtualized);
	assert_int_equal(r.native.pause.accesses, 0);
	assert_true(r.added_pause_s == 0);

	/* both phases: the pause is their sum; the mark's pointer chasing
	 * misses far more often per access than the scan */
	config(&cfg, "size=32m", MACHINE_NESTED, XLAT_GC_MARK | XLAT_GC_SWEEP);
	run(&cfg, &r);
	assert_int_equal(r.run.mark.accesses, r.heap.records[1]);
	assert_int_equal(r.run.sweep.accesses, r.heap.records[2]);
	assert_int_equal(r.run.pause.accesses, r.run.mark.accesses + r.run.sweep.accesses);
	assert_int_equal(r.run.pause.translation_cycles,
			 r.run.mark.translation_cycles + r.run.sweep.translation_cycles);
	assert_true((double)r.run.mark.tlb_misses / (double)r.run.mark.accesses >
		    5 * (double)r.run.sweep.tlb_misses / (double)r.run.sweep.accesses);
}

static void test_study_refusals(void **state)
{
	(void)state;
	struct gc_config cfg;
	struct gc_result r;

	config(&cfg, "size=16m", MACHINE_NESTED, XLAT_GC_SWEEP);
	cfg.machine.guest_ram = 8ULL << 20;
	assert_int_equal(gc_run(&cfg, &r), -EINVAL);
	assert_non_null(strstr(xlat_error(), "larger than the guest RAM"));
	cfg.machine.guest_ram = 16ULL << 20;   /* the heap fits, its bitmap does not */
	assert_int_equal(gc_run(&cfg, &r), -EINVAL);
	assert_non_null(strstr(xlat_error(), "more than the guest RAM"));

	config(&cfg, "size=16m", MACHINE_NATIVE, XLAT_GC_SWEEP);
	cfg.extra_miss_cycles = 1100;
	assert_int_equal(gc_run(&cfg, &r), -EINVAL);
	assert_non_null(strstr(xlat_error(), "nested or shadow"));

	config(&cfg, "size=16m", MACHINE_NESTED, 0);
	assert_int_equal(gc_run(&cfg, &r), -EINVAL);
	config(&cfg, "size=16m", MACHINE_NESTED, XLAT_GC_FILL);
	assert_int_equal(gc_run(&cfg, &r), -EINVAL);
	config(&cfg, "size=16m", MACHINE_NESTED, XLAT_GC_SWEEP);
	cfg.extra_miss_cycles = -1;
	assert_int_equal(gc_run(&cfg, &r), -EINVAL);

	uint8_t p;
	assert_int_equal(gc_phase_parse("both", &p), 0);
	assert_int_equal(p, XLAT_GC_MARK | XLAT_GC_SWEEP);
	assert_string_equal(gc_phase_name(p), "both");
	assert_int_equal(gc_phase_parse("fill", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_study_sweep),
		cmocka_unit_test(test_study_modes),
		cmocka_unit_test(test_study_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
