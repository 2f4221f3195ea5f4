/* The machine (xlat/machine.h): its configuration keys, runs in steps,
 * counters since a reset, changes between steps, results as keys, and two
 * machines in two threads at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/machine.h"
#include "xlat/workload.h"

static struct xlat_source *open_wl(const char *name, const char *opts)
{
	struct xlat_source *s = NULL;
	int rc = xlat_workload_open_str(&s, name, opts);
	if (rc)
		print_error("%s %s: %s\n", name, opts, xlat_error());
	assert_int_equal(rc, 0);
	return s;
}

static struct machine *make(const char *const *kv)
{
	struct machine_config c;
	struct machine *m = NULL;
	machine_config_init(&c);
	for (; kv && kv[0]; kv += 2) {
		int rc = machine_config_set(&c, kv[0], kv[1]);
		if (rc)
			print_error("set %s=%s: %s\n", kv[0], kv[1], xlat_error());
		assert_int_equal(rc, 0);
	}
	int rc = machine_create(&c, &m);
	if (rc)
		print_error("machine_create: %s\n", xlat_error());
	assert_int_equal(rc, 0);
	return m;
}

/* ---- configuration ------------------------------------------------------ */

struct roundtrip {
	const struct machine_config *orig;
	unsigned n;
};

/* Every listed key, set back to its listed value on a fresh copy of the
 * same preset, lists the same value: the listing is a configuration. */
static int set_back(void *ctx, const char *key, const char *value, const char *source)
{
	struct roundtrip *rt = ctx;
	struct machine_config c = *rt->orig;
	char got[512];
	(void)source;
	if (!strcmp(key, "cpu") || !strcmp(key, "vendor") || !strcmp(key, "model"))
		return 0;
	c.set = 0;   /* as if nothing had been set yet: `cpu` may follow */
	int rc = machine_config_set(&c, key, value);
	if (rc)
		print_error("%s=%s: %s\n", key, value, xlat_error());
	assert_int_equal(rc, 0);
	assert_int_equal(machine_config_get(&c, key, got, sizeof got), 0);
	if (strcmp(got, value))
		print_error("%s: set %s, got %s\n", key, value, got);
	assert_string_equal(got, value);
	rt->n++;
	return 0;
}

static void test_listing_round_trips(void **state)
{
	static const char *const modes[] = { "native", "nested", "shadow", "secure" };
	size_t np;
	const struct cpu_preset *presets = cpu_preset_list(&np);
	(void)state;

	for (size_t p = 0; p < np; p++)
		for (unsigned m = 0; m < 4; m++) {
			struct machine_config c;
			machine_config_init(&c);
			assert_int_equal(machine_config_set(&c, "cpu", presets[p].name), 0);
			assert_int_equal(machine_config_set(&c, "mode", modes[m]), 0);
			assert_int_equal(machine_config_check(&c), 0);
			struct roundtrip rt = { &c, 0 };
			assert_int_equal(machine_config_foreach(&c, set_back, &rt), 0);
			assert_true(rt.n > 30);
		}
}

/* A TLB side written as a spec and read back is the same hierarchy, for
 * every preset and both sides, as the mmu will build it. */
static void test_tlb_spec_round_trips(void **state)
{
	size_t np;
	const struct cpu_preset *presets = cpu_preset_list(&np);
	(void)state;

	for (size_t p = 0; p < np; p++) {
		struct cpu_preset a = presets[p], b = presets[p];
		char spec[2][512];
		for (int side = 0; side < 2; side++) {
			assert_int_equal(cpu_tlb_spec(&a, side, spec[side], sizeof spec[side]), 0);
			int rc = cpu_set_tlb_spec(&b, side, spec[side]);
			if (rc)
				print_error("%s side %d '%s': %s\n", a.name, side, spec[side], xlat_error());
			assert_int_equal(rc, 0);
		}
		struct mmu_config ma, mb;
		memset(&ma, 0, sizeof ma);
		memset(&mb, 0, sizeof mb);
		cpu_mmu_config(&a, &ma);
		cpu_mmu_config(&b, &mb);
		assert_int_equal(ma.ndtlb, mb.ndtlb);
		assert_int_equal(ma.nitlb, mb.nitlb);
		assert_int_equal(ma.shared_from, mb.shared_from);
		for (unsigned l = 0; l < ma.ndtlb; l++) {
			assert_int_equal(ma.dtlb[l].narrays, mb.dtlb[l].narrays);
			assert_memory_equal(ma.dtlb[l].array, mb.dtlb[l].array, sizeof ma.dtlb[l].array);
			assert_int_equal(ma.costs.tlb_hit_cycles[l], mb.costs.tlb_hit_cycles[l]);
		}
		for (unsigned l = 0; l < ma.nitlb; l++)
			assert_memory_equal(ma.itlb[l].array, mb.itlb[l].array, sizeof ma.itlb[l].array);
	}
}

static void test_spec_forms(void **state)
{
	struct cpu_preset p = *cpu_preset_by_name("skylake");
	char s[256];
	(void)state;

	assert_int_equal(cpu_set_tlb_spec(&p, 0, "64x4@4k+32x4@2m:plru,1536x12@4k/2m+16x4@1g"), 0);
	assert_int_equal(p.data.nlevels, 2);
	assert_int_equal(p.data.level[0].narrays, 2);
	assert_int_equal(p.data.level[0].array[1].sizes, TLB_2M);
	assert_int_equal(p.data.level[0].array[1].repl, TLB_PLRU);
	assert_int_equal(p.data.level[1].array[0].sizes, TLB_4K | TLB_2M);
	assert_int_equal(cpu_tlb_spec(&p, 0, s, sizeof s), 0);
	assert_string_equal(s, "64x4@4k+32x4@2m:plru,1536x12@4k/2m+16x4@1g");
	/* Fetch side: one level, shared by default, private on request. */
	assert_int_equal(cpu_set_tlb_spec(&p, 1, "64x4"), 0);
	assert_true(p.stlb_shared);
	assert_int_equal(cpu_tlb_spec(&p, 1, s, sizeof s), 0);
	assert_string_equal(s, "64x4,shared");
	assert_int_equal(cpu_set_tlb_spec(&p, 1, "64x4,private"), 0);
	assert_false(p.stlb_shared);
	/* Refusals. */
	static const char *const bad[] = { "", "64,", "x4", "64@8k", "64@", "64+64", "64,64,64,64",
					   "64x3", "shared", "64,shared", "0" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct cpu_preset q = p;
		if (cpu_set_tlb_spec(&q, 0, bad[i]) != -EINVAL)
			print_error("'%s' accepted\n", bad[i]);
		assert_int_equal(cpu_set_tlb_spec(&q, 0, bad[i]), -EINVAL);
		assert_memory_equal(&q, &p, sizeof q);
	}
}

static void test_keys_refused(void **state)
{
	struct machine_config c;
	(void)state;
	machine_config_init(&c);
	struct { const char *k, *v, *msg; } bad[] = {
		{ "NO_SUCH_KEY", "1", "NO_SUCH_KEY" },
		{ "l1d.4k.entries", "-3", "l1d.4k.entries" },
		{ "mode", "sideways", "mode: unknown value 'sideways'" },
		{ "levels", "3", "levels: 4 or 5" },
		{ "host_pa_bits", "60", "host_pa_bits" },
		{ "guest_ram", "1m", "too small" },
		{ "host_ram", "4097", "not a multiple of 4 KiB" },
		{ "fetch", "sometimes", "not a boolean" },
		{ "tlb", "64x3", "tlb: TLB level '64x3'" },
		{ "", "1", "empty" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct machine_config before = c;
		assert_int_equal(machine_config_set(&c, bad[i].k, bad[i].v), -EINVAL);
		if (!strstr(xlat_error(), bad[i].msg))
			print_error("%s=%s: '%s' lacks '%s'\n", bad[i].k, bad[i].v, xlat_error(), bad[i].msg);
		assert_non_null(strstr(xlat_error(), bad[i].msg));
		assert_memory_equal(&before, &c, sizeof c);
	}
	/* A key for another mode is refused by the check, naming it. */
	assert_int_equal(machine_config_set(&c, "ept_ad", "1"), 0);
	assert_int_equal(machine_config_check(&c), -EINVAL);
	assert_non_null(strstr(xlat_error(), "ept_ad: does not apply to native"));
	assert_int_equal(machine_config_set(&c, "mode", "nested"), 0);
	assert_int_equal(machine_config_check(&c), 0);
	struct machine *m;
	assert_int_equal(machine_config_set(&c, "guest_ram", "128t"), 0);
	assert_int_equal(machine_create(&c, &m), -EINVAL);
	assert_non_null(strstr(xlat_error(), "too large"));
}

/* ---- running in steps --------------------------------------------------- */

static void test_steps_add_up(void **state)
{
	static const char *const modes[] = { "native", "nested", "shadow", "secure" };
	(void)state;

	for (unsigned i = 0; i < 4; i++) {
		const char *kv[] = { "mode", modes[i], NULL };
		const char *wl = "size=64m,count=60k,seed=3,write=0.3";
		struct machine_result whole, part;
		uint64_t done;

		struct machine *a = make(kv);
		struct xlat_source *s = open_wl("random", wl);
		assert_int_equal(machine_run(a, s, MACHINE_ALL, &done), 0);
		assert_int_equal(done, 60000);
		machine_collect(a, &whole);
		xlat_source_close(s);
		machine_destroy(a);

		/* The same records in three steps of odd sizes. */
		struct machine *b = make(kv);
		s = open_wl("random", wl);
		assert_int_equal(machine_run(b, s, 12345, &done), 0);
		assert_int_equal(done, 12345);
		assert_int_equal(machine_run(b, s, 1, &done), 0);
		assert_int_equal(done, 1);
		assert_int_equal(machine_run(b, s, MACHINE_ALL, &done), 0);
		assert_int_equal(done, 60000 - 12346);
		assert_int_equal(machine_run(b, s, MACHINE_ALL, &done), 0);
		assert_int_equal(done, 0);
		machine_collect(b, &part);
		assert_memory_equal(&whole.mmu, &part.mmu, sizeof whole.mmu);
		assert_memory_equal(&whole.vm, &part.vm, sizeof whole.vm);
		assert_int_equal(whole.tables.table_bytes, part.tables.table_bytes);
		xlat_source_close(s);
		machine_destroy(b);
	}
}

/* Counters since a reset are the whole run's minus those before it. */
static void test_reset_is_a_baseline(void **state)
{
	const char *kv[] = { "mode", "nested", NULL };
	struct machine_result head, tail, whole;
	(void)state;

	struct machine *m = make(kv);
	struct xlat_source *s = open_wl("zipf", "size=256m,count=40k,seed=5,write=0.5");
	assert_int_equal(machine_run(m, s, 15000, NULL), 0);
	machine_collect(m, &head);
	machine_reset_stats(m);
	assert_int_equal(machine_run(m, s, MACHINE_ALL, NULL), 0);
	machine_collect(m, &tail);
	xlat_source_close(s);
	machine_destroy(m);

	m = make(kv);
	s = open_wl("zipf", "size=256m,count=40k,seed=5,write=0.5");
	assert_int_equal(machine_run(m, s, MACHINE_ALL, NULL), 0);
	machine_collect(m, &whole);
	xlat_source_close(s);
	machine_destroy(m);

	assert_int_equal(head.mmu.accesses + tail.mmu.accesses, whole.mmu.accesses);
	assert_int_equal(head.mmu.tlb_misses + tail.mmu.tlb_misses, whole.mmu.tlb_misses);
	assert_int_equal(head.mmu.walk_refs + tail.mmu.walk_refs, whole.mmu.walk_refs);
	assert_int_equal(head.mmu.walk_cycles + tail.mmu.walk_cycles, whole.mmu.walk_cycles);
	assert_int_equal(head.vm.exits[VM_EXIT_EPT_VIOLATION] + tail.vm.exits[VM_EXIT_EPT_VIOLATION],
			 whole.vm.exits[VM_EXIT_EPT_VIOLATION]);
	assert_int_equal(head.os.faults + tail.os.faults, whole.os.faults);
	assert_true(tail.mmu.accesses == 25000);
}

/* Between steps: protect a page read-only, and a write to it is dropped
 * (a segfault); a flush makes the next access of a warm page miss. */
static void test_changes_between_steps(void **state)
{
	struct machine_result r;
	(void)state;

	struct machine *m = make(NULL);
	const xlat_va va = 0x7f0000000000ULL;
	struct xlat_access w = { .va = va, .size = 8, .kind = XLAT_WRITE };
	assert_int_equal(machine_feed(m, &w, 1), 0);
	assert_int_equal(machine_feed(m, &w, 1), 0);
	machine_collect(m, &r);
	assert_int_equal(r.mmu.tlb_misses, 1);
	assert_int_equal(r.mmu.unresolved, 0);

	machine_flush_tlbs(m);
	machine_reset_stats(m);
	struct xlat_access rd = { .va = va, .size = 8, .kind = XLAT_READ };
	assert_int_equal(machine_feed(m, &rd, 1), 0);
	machine_collect(m, &r);
	assert_int_equal(r.mmu.tlb_misses, 1);
	assert_int_equal(r.os.faults, 0);

	struct xlat_access prot = { .va = va, .size = 1, .kind = XLAT_EV_PROTECT };
	assert_int_equal(machine_event(m, &prot), 0);
	assert_int_equal(machine_event(m, &w), -EINVAL);
	machine_reset_stats(m);
	assert_int_equal(machine_feed(m, &w, 1), 0);
	machine_collect(m, &r);
	assert_int_equal(r.mmu.unresolved, 1);
	assert_int_equal(r.mmu.accesses, 1);
	machine_destroy(m);
}

/* mmu_translate says what one access did, as a timing simulator needs. */
static void test_translate_outcome(void **state)
{
	const char *kv[] = { "mode", "nested", "pwc.style", "none", NULL };
	struct mmu_outcome o;
	(void)state;

	struct machine *m = make(kv);
	struct mmu *mmu = machine_mmu(m);
	const xlat_va va = 0x7f0000123000ULL;
	/* First touch: a miss, a guest fault and EPT violations, then the
	 * retried walks; the cost of all of it. */
	assert_int_equal(mmu_translate(mmu, va, XLAT_WRITE, false, &o), 0);
	assert_int_equal(o.tlb_level, -1);
	assert_true(o.faults >= 2);           /* the guest's #PF and at least one EPT violation */
	assert_true(o.exits >= 1);
	assert_true(o.walks == o.faults + 1); /* each fault's retry, and the first walk */
	assert_true(o.refs > 24);
	assert_true(o.cycles > 0);
	assert_false(o.dropped);
	assert_int_equal(o.shift, 12);
	assert_int_equal(o.pa & 0xfff, 0);
	xlat_pa pa = o.pa;
	/* Again: an L1 hit, nothing else, free. */
	assert_int_equal(mmu_translate(mmu, va + 8, XLAT_READ, false, &o), 0);
	assert_int_equal(o.tlb_level, 0);
	assert_int_equal(o.walks, 0);
	assert_int_equal(o.cycles, 0);
	assert_int_equal(o.pa, pa + 8);
	/* After a flush: one walk of 24 references (caches off), no fault. */
	machine_flush_tlbs(m);
	assert_int_equal(mmu_translate(mmu, va, XLAT_READ, false, &o), 0);
	assert_int_equal(o.tlb_level, -1);
	assert_int_equal(o.walks, 1);
	assert_int_equal(o.refs, 24);
	assert_int_equal(o.faults, 0);
	/* A kernel address the guest never mapped: dropped. */
	assert_int_equal(mmu_translate(mmu, 0xffff800000000000ULL, XLAT_READ, false, &o), 1);
	assert_true(o.dropped);
	machine_destroy(m);
}

/* ---- results as keys ------------------------------------------------------ */

struct seen {
	unsigned n;
	bool refs_per_walk, exits, miss_rate;
	double rpw;
};

static int look(void *ctx, const struct machine_value *v)
{
	struct seen *s = ctx;
	s->n++;
	assert_non_null(v->key);
	assert_non_null(v->label);
	assert_non_null(v->section);
	if (!strcmp(v->key, "refs_per_walk")) {
		s->refs_per_walk = true;
		s->rpw = v->ratio;
	}
	s->exits |= !strcmp(v->key, "exits");
	s->miss_rate |= !strcmp(v->key, "miss_rate");
	return 0;
}

static int stop_at_third(void *ctx, const struct machine_value *v)
{
	unsigned *n = ctx;
	(void)v;
	return ++*n == 3 ? 42 : 0;
}

static void test_results_are_keys(void **state)
{
	struct machine_result r;
	(void)state;

	struct machine *m = make(NULL);
	struct xlat_source *s = open_wl("random", "size=64m,count=20k,seed=1");
	assert_int_equal(machine_run(m, s, MACHINE_ALL, NULL), 0);
	machine_collect(m, &r);
	struct seen seen = { 0 };
	assert_int_equal(machine_result_foreach(&r, look, &seen), 0);
	assert_true(seen.n > 40);
	assert_true(seen.refs_per_walk && seen.miss_rate);
	assert_false(seen.exits);   /* natively there are no VM exits to report */
	assert_true(seen.rpw == (double)r.mmu.walk_refs / (double)r.mmu.walks);
	unsigned n = 0;
	assert_int_equal(machine_result_foreach(&r, stop_at_third, &n), 42);
	assert_int_equal(n, 3);
	assert_int_equal(machine_total_cycles(&r),
			 r.mmu.tlb_cycles + r.mmu.walk_cycles + r.mmu.fault_cycles + r.mmu.exit_cycles);
	xlat_source_close(s);
	machine_destroy(m);
}

/* ---- two machines, two threads ---------------------------------------------- */

struct job {
	const char *mode;
	struct machine_result r;
	int rc;
};

/* ---- AMD's page directory cache --------------------------------------------
 * pwc.style=amd caches what the others cache, elsewhere: every style
 * translates every address alike and takes the same faults; AMD's PDEs in
 * the L2 DTLB (3072 entries on zen4) cut the references of random walks
 * over 1 GiB below the unified 64-entry cache's, and take TLB entries
 * from translations, so it misses at least as often. */
static void test_amd_pwc_translates_alike(void **state)
{
	static const char *const modes[] = { "native", "nested", "shadow" };
	static const char *const styles[] = { "amd", "unified", "split", "none" };
	(void)state;
	for (int i = 0; i < 3; i++) {
		uint64_t faults[4], misses[4], refs[4], walks[4], pa[4][64];
		for (int k = 0; k < 4; k++) {
			const char *kv[] = { "cpu", "zen4", "mode", modes[i], "pwc.style", styles[k], NULL };
			struct machine *m = make(kv);
			struct xlat_source *src = open_wl("random", "size=256m,count=150k,write=0.3,seed=5");
			assert_int_equal(machine_run(m, src, MACHINE_ALL, NULL), 0);
			xlat_source_close(src);
			src = open_wl("mmapbench", "size=2m,count=20k");
			assert_int_equal(machine_run(m, src, MACHINE_ALL, NULL), 0);
			xlat_source_close(src);
			struct machine_result r;
			machine_collect(m, &r);
			faults[k] = r.mmu.faults;
			misses[k] = r.mmu.tlb_misses;
			refs[k] = r.mmu.walk_refs;
			walks[k] = r.mmu.walks;
			uint64_t x = 12345;
			for (int j = 0; j < 64; j++) {
				struct mmu_outcome o;
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				assert_true(mmu_translate(machine_mmu(m), (1ULL << 40) + (x & ((1ULL << 28) - 1)),
							  XLAT_READ, false, &o) >= 0);
				pa[k][j] = o.pa;
			}
			machine_destroy(m);
		}
		for (int k = 1; k < 4; k++) {
			assert_int_equal(faults[k], faults[0]);
			assert_memory_equal(pa[k], pa[0], sizeof pa[0]);
		}
		assert_true(misses[0] >= misses[1]);
		assert_true(refs[0] * walks[1] < refs[1] * walks[0]);
	}
}

/* ---- fault costs by mode and page size -------------------------------------
 * Each mode prices the OS's faults from its own row, by the size of the
 * page the fault mapped; the host's backing faults are priced apart
 * (here 0, so that fault_cycles is the guest OS's alone). */
static void test_fault_costs_by_mode_and_size(void **state)
{
	static const char *const modes[] = { "native", "nested", "shadow" };
	static const uint64_t price[3][2] = { { 1, 1000 }, { 10, 10000 }, { 100, 100000 } };
	(void)state;
	for (int i = 0; i < 3; i++)
		for (int thp = 0; thp < 2; thp++) {
			const char *kv[] = { "mode", modes[i], "page_policy", thp ? "thp" : "4k", "fetch", "0",
					     "fault.4k", "1", "fault.2m", "1000", "fault.nested.4k", "10",
					     "fault.nested.2m", "10000", "fault.shadow.4k", "100",
					     "fault.shadow.2m", "100000", i ? "host_fault.4k" : NULL, "0",
					     "host_fault.2m", "0", "host_fault.1g", "0", NULL };
			struct machine *m = make(kv);
			struct xlat_source *src = open_wl("stride", "size=8m,count=2048,stride=4k");
			assert_int_equal(machine_run(m, src, MACHINE_ALL, NULL), 0);
			xlat_source_close(src);
			struct machine_result r;
			machine_collect(m, &r);
			assert_true(r.os.faults > 0);
			assert_int_equal(r.os.mapped[thp], r.os.faults);
			assert_int_equal(r.mmu.fault_cycles, r.os.faults * price[i][thp]);
			machine_destroy(m);
		}
}

/* ---- data lines -----------------------------------------------------------
 *
 * Random reads over 1 GiB of 4 KiB pages, every page touched first: with
 * the accesses' own lines in the cache model (cache.data=1) most walk
 * references are served by the L2, the LLC or memory rather than the L1D,
 * and fewer come from the L1D, more from memory, than with page-table
 * lines alone. (tests/test_mmu.c has the hand-computable case.) */
static void random_gib(const char *mode, const char *data, uint64_t where[PCACHE_LEVELS + 1])
{
	const char *kv[] = { "mode", mode, "cache.data", data, "fetch", "0", NULL };
	struct machine *m = make(kv);
	struct xlat_access a[4096];
	const uint64_t base = 1ULL << 32, pages = (1ULL << 30) >> 12;
	uint64_t x = 88172645463325252ULL;
	size_t n = 0;

	for (uint64_t p = 0; p < pages; p++) {
		a[n++] = (struct xlat_access){ .va = base + p * 4096, .size = 8, .kind = XLAT_WRITE };
		if (n == 4096) {
			assert_int_equal(machine_feed(m, a, n), 0);
			n = 0;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			machine_reset_stats(m);
		for (unsigned b = 0; b < 100; b++) {
			for (unsigned i = 0; i < 4096; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				a[i] = (struct xlat_access){ .va = base + (x & ((1ULL << 30) - 1) & ~7ULL), .size = 8,
							     .kind = XLAT_READ };
			}
			assert_int_equal(machine_feed(m, a, 4096), 0);
		}
	}
	struct machine_result r;
	machine_collect(m, &r);
	assert_int_equal(r.mmu.faults, 0);
	assert_true(r.mmu.tlb_misses > r.mmu.accesses / 2);
	memcpy(where, r.mmu.ref_where, sizeof r.mmu.ref_where);
	machine_destroy(m);
}

static void test_data_lines_push_walks_out_of_l1(void **state)
{
	static const char *const modes[] = { "native", "nested" };
	(void)state;
	for (int i = 0; i < 2; i++) {
		uint64_t on[PCACHE_LEVELS + 1], off[PCACHE_LEVELS + 1];
		random_gib(modes[i], "1", on);
		random_gib(modes[i], "0", off);
		print_message("%s: refs from l1d/l2/llc/mem, data lines on: %llu %llu %llu %llu; off: %llu %llu %llu %llu\n",
			      modes[i], (unsigned long long)on[0], (unsigned long long)on[1], (unsigned long long)on[2],
			      (unsigned long long)on[3], (unsigned long long)off[0], (unsigned long long)off[1],
			      (unsigned long long)off[2], (unsigned long long)off[3]);
		assert_true(on[1] + on[2] + on[3] > on[0]);
		assert_true(on[0] < off[0]);
		assert_true(on[3] > off[3]);
	}
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct machine_config c;
	struct machine *m;
	struct xlat_source *s;

	machine_config_init(&c);
	j->rc = machine_config_set(&c, "mode", j->mode);
	if (!j->rc)
		j->rc = xlat_workload_open_str(&s, "zipf", "size=512m,count=150k,seed=9,write=0.4");
	if (!j->rc) {
		j->rc = machine_create(&c, &m);
		if (!j->rc) {
			j->rc = machine_run(m, s, MACHINE_ALL, NULL);
			machine_collect(m, &j->r);
			machine_destroy(m);
		}
		xlat_source_close(s);
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	static const char *const modes[] = { "shadow", "nested" };
	struct job alone[2], together[2];
	pthread_t t[2];
	(void)state;

	for (int i = 0; i < 2; i++) {
		alone[i] = (struct job){ .mode = modes[i] };
		run_job(&alone[i]);
		assert_int_equal(alone[i].rc, 0);
	}
	for (int i = 0; i < 2; i++) {
		together[i] = (struct job){ .mode = modes[i] };
		assert_int_equal(pthread_create(&t[i], NULL, run_job, &together[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(together[i].rc, 0);
		assert_memory_equal(&alone[i].r.mmu, &together[i].r.mmu, sizeof alone[i].r.mmu);
		assert_memory_equal(&alone[i].r.vm, &together[i].r.vm, sizeof alone[i].r.vm);
		assert_memory_equal(&alone[i].r.cache, &together[i].r.cache, sizeof alone[i].r.cache);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listing_round_trips),
		cmocka_unit_test(test_tlb_spec_round_trips),
		cmocka_unit_test(test_spec_forms),
		cmocka_unit_test(test_keys_refused),
		cmocka_unit_test(test_steps_add_up),
		cmocka_unit_test(test_reset_is_a_baseline),
		cmocka_unit_test(test_changes_between_steps),
		cmocka_unit_test(test_translate_outcome),
		cmocka_unit_test(test_results_are_keys),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_data_lines_push_walks_out_of_l1),
		cmocka_unit_test(test_fault_costs_by_mode_and_size),
		cmocka_unit_test(test_amd_pwc_translates_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
