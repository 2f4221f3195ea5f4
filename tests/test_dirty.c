/* Dirty logging (xlat/dirty.h) on the machine: each mechanism's cost
 * against its definition (wp: one exit per first write per page per round;
 * pml: a drain per 512 logged pages; ad: a scan reads every EPT leaf;
 * shadow: one shadow fault per first write), huge pages split eagerly, on
 * the first write or logged whole, no write of the guest's left unlogged
 * (every page whose bytes changed is reported), and the refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/dirty.h"
#include "xlat/machine.h"
#include "xlat/phys.h"

#define GUEST_RAM (32ULL << 20)
#define NPAGES (GUEST_RAM >> 12)
#define BASE 0x10000000000ULL     /* the workloads' default base: 1 TiB */

static struct machine *make(const char *mode, const char *host_policy, bool ept_ad)
{
	struct machine_config c;
	struct machine *m = NULL;
	char ram[32];

	machine_config_init(&c);
	snprintf(ram, sizeof ram, "%llu", (unsigned long long)GUEST_RAM);
	assert_int_equal(machine_config_set(&c, "mode", mode), 0);
	if (strcmp(mode, "native"))
		assert_int_equal(machine_config_set(&c, "guest_ram", ram), 0);
	if (host_policy && strcmp(mode, "shadow"))
		assert_int_equal(machine_config_set(&c, "host_page_policy", host_policy), 0);
	if (host_policy && !strcmp(mode, "shadow")) {
		assert_int_equal(machine_config_set(&c, "host_page_policy", host_policy), 0);
		assert_int_equal(machine_config_set(&c, "page_policy", host_policy), 0);
	}
	if (ept_ad)
		assert_int_equal(machine_config_set(&c, "ept_ad", "1"), 0);
	int rc = machine_create(&c, &m);
	if (rc)
		print_error("machine_create: %s\n", xlat_error());
	assert_int_equal(rc, 0);
	return m;
}

static void feed1(struct machine *m, xlat_va va, unsigned kind)
{
	struct xlat_access a = { .va = va, .size = 8, .kind = (uint8_t)kind };
	int rc = machine_feed(m, &a, 1);
	if (rc)
		print_error("feed: %s\n", xlat_error());
	assert_int_equal(rc, 0);
}

/* Writes every page of [BASE, BASE + n pages): the guest has touched its
 * memory before logging starts. */
static void pretouch(struct machine *m, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		feed1(m, BASE + i * 4096, XLAT_WRITE);
}

static uint64_t gpa_of(struct machine *m, xlat_va va)
{
	struct pt_leaf leaf;
	assert_int_equal(pt_lookup(os_pt(machine_os(m)), va, &leaf), 0);
	return leaf.pa + (va - leaf.va);
}

static bool bit(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/* ---- guest memory, for "nothing written goes unlogged" ---------------------- */

/* Every guest page's bytes (the zero page for those not backed). */
static uint8_t *snapshot(struct machine *m)
{
	struct vm *vm = machine_vm(m);
	uint8_t *img = calloc(NPAGES, 4096);
	assert_non_null(img);
	for (uint64_t p = 0; p < NPAGES; p++) {
		hpa_t hpa;
		if (vm_gpa_to_hpa(vm, p << 12, &hpa, false))
			continue;
		assert_int_equal(phys_read(machine_host(m), hpa, img + p * 4096, 4096), 0);
	}
	return img;
}

/* Every page whose bytes changed between the snapshots is in map. */
static void changed_are_logged(const uint8_t *a, const uint8_t *b, const uint64_t *map, const char *what)
{
	uint64_t changed = 0;
	for (uint64_t p = 0; p < NPAGES; p++)
		if (memcmp(a + p * 4096, b + p * 4096, 4096)) {
			changed++;
			if (!bit(map, p))
				print_error("%s: page %#llx changed and was not logged\n", what,
					    (unsigned long long)(p << 12));
			assert_true(bit(map, p));
		}
	(void)changed;
}

/* ---- wp: one exit per first write per page per round ------------------------- */

static void test_wp_first_writes(void **state)
{
	(void)state;
	struct machine *m = make("nested", NULL, false);
	uint64_t *map = calloc(NPAGES / 64, 8);
	struct dirty_config dc;

	pretouch(m, 512);
	dirty_config_init(&dc);
	assert_int_equal(machine_dirty_log_start(m, &dc), 0);
	const struct dirty_stats *st = dirty_log_stats(machine_dirty_log(m));
	assert_int_equal(dirty_log_mech(machine_dirty_log(m)), DIRTY_WP);
	for (unsigned round = 0; round < 3; round++) {
		uint64_t faults0 = st->wp_faults, exits0 = mmu_get_stats(machine_mmu(m))->exits;
		unsigned stride = round + 2;      /* a different set each round */
		uint64_t distinct = 0;
		/* Each page written five times, interleaved, and every page read. */
		for (unsigned rep = 0; rep < 5; rep++)
			for (uint64_t i = 0; i < 512; i++) {
				feed1(m, BASE + i * 4096 + 8 * rep, XLAT_READ);
				if (i % stride == 0)
					feed1(m, BASE + i * 4096 + 64 * rep, XLAT_WRITE);
			}
		for (uint64_t i = 0; i < 512; i += stride)
			distinct++;
		assert_int_equal(st->wp_faults - faults0, distinct);
		assert_int_equal(mmu_get_stats(machine_mmu(m))->exits - exits0, distinct);
		memset(map, 0, NPAGES / 8);
		int64_t n = machine_dirty_log_sync(m, map);
		assert_int_equal(n, (int64_t)distinct);
		for (uint64_t i = 0; i < 512; i++)
			assert_int_equal(bit(map, gpa_of(m, BASE + i * 4096) >> 12), i % stride == 0);
	}
	machine_dirty_log_stop(m);
	assert_null(machine_dirty_log(m));
	/* Logging off: writes run without exits. */
	uint64_t exits0 = mmu_get_stats(machine_mmu(m))->exits;
	for (uint64_t i = 0; i < 512; i++)
		feed1(m, BASE + i * 4096, XLAT_WRITE);
	assert_int_equal(mmu_get_stats(machine_mmu(m))->exits, exits0);
	free(map);
	machine_destroy(m);
}

/* ---- pml: the buffer drains every 512 logged pages ---------------------------- */

static void test_pml_buffer(void **state)
{
	(void)state;
	struct machine *m = make("nested", NULL, true);
	uint64_t *map = calloc(NPAGES / 64, 8);
	struct dirty_config dc;

	pretouch(m, 3000);
	dirty_config_init(&dc);
	dc.mech = DIRTY_PML;
	assert_int_equal(machine_dirty_log_start(m, &dc), 0);
	const struct dirty_stats *st = dirty_log_stats(machine_dirty_log(m));
	static const unsigned writes[] = { 1, 511, 512, 513, 1500, 2999 };
	for (size_t r = 0; r < sizeof writes / sizeof writes[0]; r++) {
		uint64_t logged0 = st->pml_logged, full0 = st->pml_full_exits, drains0 = st->pml_drains;
		uint64_t exits0 = st->exits;
		for (uint64_t i = 0; i < writes[r]; i++)
			feed1(m, BASE + i * 4096, XLAT_WRITE);
		memset(map, 0, NPAGES / 8);
		int64_t n = machine_dirty_log_sync(m, map);
		uint64_t logged = st->pml_logged - logged0;
		/* Every page written is logged, once (its D stays set until the
		 * sync clears it); the guest's table pages the walks touched too
		 * (EPT A/D treats table reads as writes). */
		assert_int_equal(n, (int64_t)logged);
		assert_true(logged >= writes[r]);
		for (uint64_t i = 0; i < writes[r]; i++)
			assert_true(bit(map, gpa_of(m, BASE + i * 4096) >> 12));
		/* Full exits when the 513th entry comes, then the sync's kick
		 * drains the rest: ceil(logged / 512) drains in all. */
		uint64_t drains = (st->pml_full_exits - full0) + 1;
		assert_int_equal(drains, (logged + 511) / 512);
		assert_int_equal(st->pml_drains - drains0, (logged + 511) / 512);
		/* Exits: the full ones, the sync's kick, and its TLB flush. */
		assert_int_equal(st->exits - exits0, st->pml_full_exits - full0 + 2);
	}
	free(map);
	machine_destroy(m);
}

/* ---- ad: a scan reads every EPT leaf --------------------------------------------- */

static int count_dirty(const struct pt_leaf *leaf, void *priv)
{
	uint64_t *n = priv;
	*n += leaf->dirty;
	return 0;
}

static void test_ad_scan(void **state)
{
	(void)state;
	struct machine *m = make("nested", NULL, true);
	uint64_t *map = calloc(NPAGES / 64, 8);
	struct dirty_config dc;

	pretouch(m, 700);
	dirty_config_init(&dc);
	dc.mech = DIRTY_AD;
	assert_int_equal(machine_dirty_log_start(m, &dc), 0);
	const struct dirty_stats *st = dirty_log_stats(machine_dirty_log(m));
	for (unsigned round = 0; round < 3; round++) {
		for (uint64_t i = round; i < 700; i += 3)
			feed1(m, BASE + i * 4096, XLAT_WRITE);
		struct pt_stats ps;
		pt_get_stats(vm_gpa_map(machine_vm(m)), &ps);
		uint64_t leaves = ps.leaves[1] + ps.leaves[2] + ps.leaves[3], dirty = 0;
		assert_true(pt_for_each(vm_gpa_map(machine_vm(m)), 0, GUEST_RAM, count_dirty, &dirty) >= 0);
		uint64_t scanned0 = st->scanned_leaves, scans0 = st->scans;
		memset(map, 0, NPAGES / 8);
		int64_t n = machine_dirty_log_sync(m, map);
		assert_int_equal(st->scans - scans0, 1);
		assert_int_equal(st->scanned_leaves - scanned0, leaves);
		assert_int_equal(n, (int64_t)dirty);
		for (uint64_t i = round; i < 700; i += 3)
			assert_true(bit(map, gpa_of(m, BASE + i * 4096) >> 12));
		/* The writes were exit-free: D is the CPU's. */
	}
	assert_int_equal(st->wp_faults, 0);
	free(map);
	machine_destroy(m);
}

/* ---- shadow paging: the shadow entries are write-protected -------------------------- */

static void test_shadow_first_writes(void **state)
{
	(void)state;
	struct machine *m = make("shadow", NULL, false);
	uint64_t *map = calloc(NPAGES / 64, 8);
	struct dirty_config dc;

	pretouch(m, 300);
	dirty_config_init(&dc);   /* wp: under shadow paging, the shadow entries */
	assert_int_equal(machine_dirty_log_start(m, &dc), 0);
	assert_int_equal(dirty_log_mech(machine_dirty_log(m)), DIRTY_SHADOW);
	const struct dirty_stats *st = dirty_log_stats(machine_dirty_log(m));
	for (unsigned round = 0; round < 3; round++) {
		uint64_t faults0 = st->wp_faults;
		for (unsigned rep = 0; rep < 4; rep++)
			for (uint64_t i = round % 2; i < 300; i += 2) {
				feed1(m, BASE + i * 4096 + rep * 8, XLAT_WRITE);
				feed1(m, BASE + (i ^ 1) * 4096, XLAT_READ);
			}
		uint64_t distinct = 150;
		assert_int_equal(st->wp_faults - faults0, distinct);
		memset(map, 0, NPAGES / 8);
		int64_t n = machine_dirty_log_sync(m, map);
		assert_int_equal(n, (int64_t)distinct);
		for (uint64_t i = 0; i < 300; i++) {
			if (bit(map, gpa_of(m, BASE + i * 4096) >> 12) != ((i % 2) == (round % 2)))
				print_error("round %u page %llu gpa %#llx\n", round, (unsigned long long)i,
					    (unsigned long long)gpa_of(m, BASE + i * 4096));
			assert_int_equal(bit(map, gpa_of(m, BASE + i * 4096) >> 12), (i % 2) == (round % 2));
		}
	}
	free(map);
	machine_destroy(m);
}

/* ---- huge host pages: eager, split, whole ------------------------------------------- */

static void test_huge_pages(void **state)
{
	(void)state;
	static const enum dirty_mech mechs[] = { DIRTY_WP, DIRTY_AD, DIRTY_PML };
	for (size_t k = 0; k < 3; k++)
		for (unsigned h = 0; h < DIRTY_HUGE_COUNT; h++) {
			/* EPT A/D for ad and pml only: with it a guest walk's
			 * table reads are EPT writes, which wp would log too. */
			struct machine *m = make("nested", "thp", mechs[k] != DIRTY_WP);
			uint64_t *map = calloc(NPAGES / 64, 8);
			struct dirty_config dc;
			struct pt_stats ps;

			pretouch(m, 2048);   /* 8 MiB: 2 MiB host pages back it */
			pt_get_stats(vm_gpa_map(machine_vm(m)), &ps);
			assert_true(ps.leaves[2] > 0);
			uint64_t huge0 = ps.leaves[2];
			dirty_config_init(&dc);
			dc.mech = mechs[k];
			dc.huge = (enum dirty_huge)h;
			assert_int_equal(machine_dirty_log_start(m, &dc), 0);
			const struct dirty_stats *st = dirty_log_stats(machine_dirty_log(m));
			pt_get_stats(vm_gpa_map(machine_vm(m)), &ps);
			if (h == DIRTY_HUGE_EAGER) {
				assert_int_equal(ps.leaves[2], 0);
				assert_int_equal(st->splits, huge0);
			} else {
				assert_int_equal(ps.leaves[2], huge0);
				assert_int_equal(st->splits, 0);
			}
			/* Three pages of one huge page, twice. */
			for (unsigned rep = 0; rep < 2; rep++)
				for (uint64_t i = 0; i < 3; i++)
					feed1(m, BASE + (1024 + i) * 4096, XLAT_WRITE);
			if (h == DIRTY_HUGE_SPLIT)
				assert_int_equal(st->splits, 1);
			memset(map, 0, NPAGES / 8);
			int64_t n = machine_dirty_log_sync(m, map);
			for (uint64_t i = 0; i < 3; i++)
				assert_true(bit(map, gpa_of(m, BASE + (1024 + i) * 4096) >> 12));
			if (h == DIRTY_HUGE_WHOLE) {
				/* The whole 2 MiB page is reported, every page of it. */
				uint64_t g = gpa_of(m, BASE + 1024 * 4096) & ~((2ULL << 20) - 1);
				for (uint64_t p = 0; p < 512; p++)
					assert_true(bit(map, (g >> 12) + p));
				assert_true(n >= 512);
			} else {
				assert_true(n < 512);
			}
			if (mechs[k] == DIRTY_WP && h != DIRTY_HUGE_WHOLE)
				assert_int_equal(st->wp_faults, 3);
			free(map);
			machine_destroy(m);
		}
}

/* ---- nothing unlogged: every page whose bytes changed is reported ---------------------- */

/* A round of guest activity that changes guest memory by itself: new
 * regions touched (the guest OS writes new table pages and PTEs), pages
 * read for the first time (A bits), writes (D bits). */
static void busy_round(struct machine *m, unsigned round)
{
	for (uint64_t i = 0; i < 64; i++) {
		if (i < 8)   /* new tables */
			feed1(m, BASE + (1ULL << 30) + (round * 8 + i) * 4096 * 513, XLAT_WRITE);
		feed1(m, BASE + (1024 + round * 64 + i) * 4096, XLAT_READ);   /* first reads */
		feed1(m, BASE + (i * 7 + round) * 4096, XLAT_WRITE);
	}
}

static void test_nothing_unlogged(void **state)
{
	(void)state;
	static const struct { const char *mode; enum dirty_mech mech; bool ad; } cases[] = {
		{ "nested", DIRTY_WP, false }, { "nested", DIRTY_WP, true }, { "nested", DIRTY_AD, true },
		{ "nested", DIRTY_PML, true }, { "shadow", DIRTY_WP, false },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		for (unsigned h = 0; h < DIRTY_HUGE_COUNT; h++) {
			struct machine *m = make(cases[k].mode, "thp", cases[k].ad);
			uint64_t *map = calloc(NPAGES / 64, 8);
			struct dirty_config dc;

			pretouch(m, 1024);
			dirty_config_init(&dc);
			dc.mech = cases[k].mech;
			dc.huge = (enum dirty_huge)h;
			assert_int_equal(machine_dirty_log_start(m, &dc), 0);
			for (unsigned round = 0; round < 3; round++) {
				uint8_t *before = snapshot(m);
				busy_round(m, round);
				memset(map, 0, NPAGES / 8);
				assert_true(machine_dirty_log_sync(m, map) >= 0);
				uint8_t *after = snapshot(m);
				char what[64];
				snprintf(what, sizeof what, "%s %s %s", cases[k].mode, dirty_mech_name(cases[k].mech),
					 dirty_huge_name((enum dirty_huge)h));
				changed_are_logged(before, after, map, what);
				free(before);
				free(after);
			}
			free(map);
			machine_destroy(m);
		}
}

/* ---- refusals ------------------------------------------------------------------------------ */

static void test_refusals(void **state)
{
	(void)state;
	struct dirty_config dc;
	dirty_config_init(&dc);

	struct machine *m = make("nested", NULL, false);
	dc.mech = DIRTY_PML;
	assert_int_equal(machine_dirty_log_start(m, &dc), -EINVAL);
	assert_non_null(strstr(xlat_error(), "ept_ad"));
	dc.mech = DIRTY_AD;
	assert_int_equal(machine_dirty_log_start(m, &dc), -EINVAL);
	dc.mech = DIRTY_SHADOW;
	assert_int_equal(machine_dirty_log_start(m, &dc), -EINVAL);
	dc.mech = DIRTY_WP;
	assert_int_equal(machine_dirty_log_start(m, &dc), 0);
	assert_int_equal(machine_dirty_log_start(m, &dc), -EINVAL);   /* one log per VM */
	assert_int_equal(dirty_log_enable(machine_dirty_log(m), 4096, 3), -EINVAL);
	assert_int_equal(dirty_log_enable(machine_dirty_log(m), 0, GUEST_RAM + 4096), -EINVAL);
	machine_destroy(m);   /* with the log on */

	m = make("shadow", NULL, false);
	dc.mech = DIRTY_PML;
	assert_int_equal(machine_dirty_log_start(m, &dc), -EINVAL);
	assert_non_null(strstr(xlat_error(), "shadow"));
	machine_destroy(m);

	m = make("native", NULL, false);
	dc.mech = DIRTY_WP;
	assert_int_equal(machine_dirty_log_start(m, &dc), -EINVAL);
	machine_destroy(m);

	enum dirty_mech mech;
	enum dirty_huge huge;
	assert_int_equal(dirty_mech_parse("pml", &mech), 0);
	assert_int_equal(mech, DIRTY_PML);
	assert_int_equal(dirty_mech_parse("dirty", &mech), -EINVAL);
	assert_int_equal(dirty_huge_parse("split", &huge), 0);
	assert_int_equal(huge, DIRTY_HUGE_SPLIT);
	assert_int_equal(dirty_huge_parse("big", &huge), -EINVAL);
	assert_int_equal(dirty_costs_set(&dc.costs, "dirty.scan_cycles", "7", NULL), 0);
	assert_int_equal(dc.costs.scan_cycles, 7);
	assert_int_equal(dirty_costs_set(&dc.costs, "dirty.nope", "7", NULL), -EINVAL);
	assert_int_equal(dirty_costs_set(&dc.costs, "dirty.scan_cycles", "-1", NULL), -EINVAL);
}

/* ---- the walker's A/D hook is free when unused and sees what it must ------------------- */

static void test_costs_counted(void **state)
{
	(void)state;
	/* The same writes with and without logging: the difference in exit
	 * cycles is the log's exits at the preset's price. */
	struct machine *a = make("nested", NULL, false), *b = make("nested", NULL, false);
	struct dirty_config dc;
	pretouch(a, 256);
	pretouch(b, 256);
	dirty_config_init(&dc);
	assert_int_equal(machine_dirty_log_start(b, &dc), 0);
	const struct dirty_stats *st = dirty_log_stats(machine_dirty_log(b));
	uint64_t ea = mmu_get_stats(machine_mmu(a))->exit_cycles, eb = mmu_get_stats(machine_mmu(b))->exit_cycles;
	uint64_t x0 = st->exits;
	for (uint64_t i = 0; i < 256; i++) {
		feed1(a, BASE + i * 4096, XLAT_WRITE);
		feed1(b, BASE + i * 4096, XLAT_WRITE);
	}
	uint64_t per_exit = mmu_get_config(machine_mmu(b))->costs.exit_cycles;
	assert_int_equal(mmu_get_stats(machine_mmu(a))->exit_cycles - ea, 0);
	assert_int_equal(mmu_get_stats(machine_mmu(b))->exit_cycles - eb, (st->exits - x0) * per_exit);
	assert_int_equal(st->exits - x0, 256);
	assert_int_equal(st->guest_cycles, 256 * (uint64_t)dc.costs.wp_fault_cycles);
	machine_destroy(a);
	machine_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wp_first_writes),
		cmocka_unit_test(test_pml_buffer),
		cmocka_unit_test(test_ad_scan),
		cmocka_unit_test(test_shadow_first_writes),
		cmocka_unit_test(test_huge_pages),
		cmocka_unit_test(test_nothing_unlogged),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_costs_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
