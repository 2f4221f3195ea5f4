/* The demand-paging OS: page-size policies, regions, events and their
 * shootdowns, and that every frame it took comes back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "helpers.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/phys.h"

struct rig {
	struct phys *mem;
	struct mmu *mmu;
	struct os *os;
};

static void rig_up(struct rig *r, enum os_page_policy pol)
{
	struct mmu_config mc;
	struct os_config oc = { .fmt = &fmt_x86_4, .policy = pol, .fault_cycles = 1000, .pcid = true };
	test_mmu_config(&mc, 64, 0);
	r->mem = phys_create(46, 0);
	r->mmu = mmu_create(&mc, r->mem);
	r->os = os_create(r->mem, &oc);
	assert_non_null(r->os);
	os_attach(r->os, r->mmu);
	assert_int_equal(os_switch(r->os, r->mmu, 0), 0);
}

static void rig_down(struct rig *r)
{
	os_destroy(r->os);
	mmu_destroy(r->mmu);
	struct phys_stats ps;
	phys_get_stats(r->mem, &ps);
	assert_int_equal(ps.allocated_frames, 0);   /* every frame came back */
	phys_destroy(r->mem);
}

static void rec(struct rig *r, unsigned kind, uint64_t va, uint32_t size, uint8_t flags, uint16_t asid)
{
	struct xlat_access a = { .va = va, .size = size, .kind = (uint8_t)kind, .flags = flags, .asid = asid };
	assert_int_equal(mmu_run(r->mmu, &a, 1), 0);
}

static void test_policy_4k(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_WRITE, 0x40000123, 8, 0, 0);
	const struct os_stats *st = os_get_stats(r.os);
	assert_int_equal(st->mapped[0], 1);
	assert_int_equal(st->mapped[1], 0);
	rig_down(&r);
}

static void test_policy_thp_needs_room(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_THP);
	/* A 4 MiB region at a 2 MiB boundary: 2 MiB pages. */
	rec(&r, XLAT_EV_MAP, 0x40000000, 1024, XLAT_ACC_WRITABLE, 0);
	rec(&r, XLAT_WRITE, 0x40000123, 8, 0, 0);
	rec(&r, XLAT_WRITE, 0x40200123, 8, 0, 0);
	const struct os_stats *st = os_get_stats(r.os);
	assert_int_equal(st->mapped[1], 2);
	assert_int_equal(st->mapped[0], 0);
	/* A 1 MiB region: no 2 MiB block fits, 4 KiB it is. */
	rec(&r, XLAT_EV_MAP, 0x50000000, 256, XLAT_ACC_WRITABLE, 0);
	rec(&r, XLAT_WRITE, 0x50000000, 8, 0, 0);
	assert_int_equal(st->mapped[0], 1);
	struct pt_leaf leaf;
	assert_int_equal(pt_lookup(os_pt(r.os), 0x40000123, &leaf), 0);
	assert_int_equal(leaf.shift, 21);
	rig_down(&r);
}

static void test_policy_1g_for_huge_regions(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_1G);
	rec(&r, XLAT_EV_MAP, 0x80000000, 1u << 18, XLAT_ACC_WRITABLE | XLAT_ACC_HUGE, 0);   /* 1 GiB */
	rec(&r, XLAT_READ, 0x80000040, 8, 0, 0);
	assert_int_equal(os_get_stats(r.os)->mapped[2], 1);
	struct pt_stats ts;
	os_table_stats(r.os, &ts);
	assert_int_equal(ts.total_pages, 2);   /* root + PDPT: the seed's "1 GiB page costs 2 pages" */
	rig_down(&r);
}

static void test_segv_and_protect(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_EV_MAP, 0x40000000, 4, 0, 0);              /* read-only */
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 0);               /* not allowed */
	rec(&r, XLAT_READ, 0x90000000, 8, 0, 0);                /* no region */
	const struct os_stats *st = os_get_stats(r.os);
	assert_int_equal(st->segv, 2);
	assert_int_equal(mmu_get_stats(r.mmu)->unresolved, 2);
	rec(&r, XLAT_READ, 0x40000000, 8, 0, 0);
	assert_int_equal(st->faults, 1);
	rec(&r, XLAT_EV_PROTECT, 0x40000000, 4, XLAT_ACC_WRITABLE, 0);
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 0);               /* now allowed */
	assert_int_equal(st->segv, 2);
	rig_down(&r);
}

/* map, touch, unmap: the frames and the table pages come back, and the
 * stale translation is gone from the TLB. */
static void test_unmap_frees_and_shoots_down(void **state)
{
	struct rig r;
	struct phys_stats before, after;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	phys_get_stats(r.mem, &before);
	rec(&r, XLAT_EV_MAP, 0x40000000, 16, XLAT_ACC_WRITABLE, 0);
	for (unsigned i = 0; i < 16; i++)
		rec(&r, XLAT_WRITE, 0x40000000 + i * 4096ull, 8, 0, 0);
	rec(&r, XLAT_EV_UNMAP, 0x40000000, 16, 0, 0);
	phys_get_stats(r.mem, &after);
	assert_int_equal(after.allocated_frames, before.allocated_frames);
	assert_int_equal(os_get_stats(r.os)->unmapped_pages, 16);
	uint64_t misses = mmu_get_stats(r.mmu)->tlb_misses;
	rec(&r, XLAT_READ, 0x40000000, 8, 0, 0);   /* region gone: a miss and a segfault */
	assert_int_equal(mmu_get_stats(r.mmu)->tlb_misses, misses + 1);
	assert_int_equal(os_get_stats(r.os)->segv, 1);
	rig_down(&r);
}

/* Address spaces are separate tables, tagged by PCID in the TLB. */
static void test_switch_between_processes(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 0);
	xlat_pa cr3_0 = os_cr3(r.os);
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 7);
	assert_int_equal(os_current_asid(r.os), 7);
	assert_true(os_cr3(r.os) != cr3_0);
	uint64_t misses = mmu_get_stats(r.mmu)->tlb_misses;
	rec(&r, XLAT_WRITE, 0x40000000, 8, 0, 7);   /* same VA, other process: a miss */
	assert_int_equal(mmu_get_stats(r.mmu)->tlb_misses, misses + 1);
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 0);
	rec(&r, XLAT_READ, 0x40000000, 8, 0, 0);    /* still cached under PCID 0 */
	assert_int_equal(mmu_get_stats(r.mmu)->tlb_misses, misses + 1);
	assert_int_equal(os_get_stats(r.os)->procs, 2);
	rig_down(&r);
}

/* Dirty tracking: os_clear_dirty reports the dirty pages and drops their
 * cached dirty translations, so the next write sets D again; clearing the
 * bits in the table alone (pt_clear_ad) does not, because the TLB entry
 * still says dirty. */
struct dirty_seen {
	unsigned n;
	xlat_va va[4];
};

static int saw_dirty(const struct pt_leaf *leaf, void *priv)
{
	struct dirty_seen *d = priv;

	assert_int_equal(leaf->shift, 12);
	if (d->n < 4)
		d->va[d->n] = leaf->va;
	d->n++;
	return 0;
}

static bool page_dirty(struct rig *r, xlat_va va)
{
	struct pt_leaf leaf;

	assert_int_equal(pt_lookup(os_pt(r->os), va, &leaf), 0);
	return leaf.dirty;
}

static void test_clear_dirty_rearms_d(void **state)
{
	const xlat_va a = 0x40000000, b = 0x40001000, c = 0x40002000;
	struct dirty_seen d = { 0 };
	struct rig r;
	(void)state;

	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_WRITE, a, 8, 0, 0);
	rec(&r, XLAT_WRITE, b, 8, 0, 0);
	rec(&r, XLAT_READ, c, 8, 0, 0);
	assert_int_equal(os_clear_dirty(r.os, r.mmu, 0, a, 16 * 4096, saw_dirty, &d), 2);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.va[0], a);
	assert_int_equal(d.va[1], b);
	assert_false(page_dirty(&r, a));

	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	uint64_t misses = st->tlb_misses;
	rec(&r, XLAT_READ, c, 8, 0, 0);             /* clean: its entry stayed */
	assert_int_equal(st->tlb_misses, misses);
	rec(&r, XLAT_WRITE, a, 8, 0, 0);            /* dirty: its entry went */
	assert_int_equal(st->tlb_misses, misses + 1);
	assert_true(page_dirty(&r, a));
	d.n = 0;
	assert_int_equal(os_clear_dirty(r.os, r.mmu, 0, a, 16 * 4096, saw_dirty, &d), 1);
	assert_int_equal(d.va[0], a);

	/* The table alone: the TLB still holds a's dirty translation, so the
	 * write hits and D stays clear. */
	rec(&r, XLAT_WRITE, a, 8, 0, 0);
	assert_int_equal(pt_clear_ad(os_pt(r.os), a, 4096, NULL, NULL), 1);
	rec(&r, XLAT_WRITE, a, 8, 0, 0);
	assert_false(page_dirty(&r, a));

	assert_int_equal(os_clear_dirty(r.os, r.mmu, 9, a, 4096, NULL, NULL), -ENOENT);
	rig_down(&r);
}

/* ---- regions split as VMAs do ------------------------------------------- */

#define RBASE 0x40000000ull
#define PG    4096ull

/* Writes each of pages [0, n) of RBASE and checks which fault as a
 * segfault: want[i] is true where the write must succeed. */
static void expect_writable(struct rig *r, unsigned n, const bool *want)
{
	const struct os_stats *st = os_get_stats(r->os);
	for (unsigned i = 0; i < n; i++) {
		uint64_t segv = st->segv;
		rec(r, XLAT_WRITE, RBASE + i * PG + 8, 8, 0, 0);
		if ((st->segv == segv) != want[i])
			fail_msg("page %u: write %s, expected it to %s", i,
				 st->segv == segv ? "succeeded" : "faulted", want[i] ? "succeed" : "fault");
	}
}

/* The case: 16 writable pages as one region, the first 2 protected
 * read-only before any is touched: a write to page 0 faults. */
static void test_partial_protect_sticks(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_EV_MAP, RBASE, 16, XLAT_ACC_WRITABLE, 0);
	rec(&r, XLAT_EV_PROTECT, RBASE, 2, 0, 0);
	uint64_t segv = os_get_stats(r.os)->segv;
	rec(&r, XLAT_WRITE, RBASE, 8, 0, 0);
	assert_int_equal(os_get_stats(r.os)->segv, segv + 1);
	rec(&r, XLAT_READ, RBASE, 8, 0, 0);                     /* readable still */
	assert_int_equal(os_get_stats(r.os)->segv, segv + 1);
	rec(&r, XLAT_WRITE, RBASE + 2 * PG, 8, 0, 0);           /* page 2 stayed writable */
	assert_int_equal(os_get_stats(r.os)->segv, segv + 1);
	rig_down(&r);
}

/* protect / unmap of [first, first + n) pages after mapping 32 pages, as
 * one region or as two of 16; then every page is written. */
static void split_case(bool unmap, bool two, unsigned first, unsigned n, bool touch_first)
{
	struct rig r;
	bool want[32];

	rig_up(&r, OS_PAGE_4K);
	if (two) {
		rec(&r, XLAT_EV_MAP, RBASE, 16, XLAT_ACC_WRITABLE, 0);
		rec(&r, XLAT_EV_MAP, RBASE + 16 * PG, 16, XLAT_ACC_WRITABLE, 0);
	} else {
		rec(&r, XLAT_EV_MAP, RBASE, 32, XLAT_ACC_WRITABLE, 0);
	}
	if (touch_first)                /* some pages mapped before the change */
		for (unsigned i = 0; i < 32; i += 3)
			rec(&r, XLAT_READ, RBASE + i * PG, 8, 0, 0);
	rec(&r, unmap ? XLAT_EV_UNMAP : XLAT_EV_PROTECT, RBASE + first * PG, n, 0, 0);
	for (unsigned i = 0; i < 32; i++)
		want[i] = i < first || i >= first + n;
	expect_writable(&r, 32, want);
	/* Reads: an unmapped page faults, a read-only one does not. */
	const struct os_stats *st = os_get_stats(r.os);
	for (unsigned i = 0; i < 32; i++) {
		uint64_t segv = st->segv;
		rec(&r, XLAT_READ, RBASE + i * PG, 8, 0, 0);
		bool faulted = st->segv != segv;
		if (faulted != (unmap && !want[i]))
			fail_msg("%s [%u, +%u) %s: read of page %u %s", unmap ? "unmap" : "protect", first, n,
				 two ? "over two regions" : "of one region", i, faulted ? "faulted" : "succeeded");
	}
	rig_down(&r);
}

static void test_regions_split_at_any_page(void **state)
{
	static const struct { unsigned first, n; bool two; } cases[] = {
		{ 0, 1, false },    /* first page */
		{ 31, 1, false },   /* last page */
		{ 5, 3, false },    /* middle */
		{ 0, 32, false },   /* whole */
		{ 14, 4, true },    /* across two regions */
		{ 0, 16, true },    /* exactly the first of two */
		{ 16, 1, true },    /* first page of the second */
		{ 15, 1, true },    /* last page of the first */
	};
	(void)state;
	for (unsigned u = 0; u < 2; u++)
		for (unsigned t = 0; t < 2; t++)
			for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
				split_case(u, cases[i].two, cases[i].first, cases[i].n, t);
}

/* A process that never declared regions (a trace) owns its lower half; a
 * protect or an unmap event splits that region like any other. */
static void test_implicit_region_splits(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_EV_PROTECT, RBASE + 4 * PG, 2, 0, 0);
	rec(&r, XLAT_EV_UNMAP, RBASE + 8 * PG, 1, 0, 0);
	bool want[10] = { true, true, true, true, false, false, true, true, false, true };
	expect_writable(&r, 10, want);
	rig_down(&r);
}

/* ---- address spaces: many, and PCIDs 4096 apart ------------------------- */

/* What va translates to for the current process, through the mmu (TLB
 * first), against its own table. */
static void expect_own_translation(struct rig *r, xlat_va va)
{
	xlat_pa got;
	struct pt_leaf leaf;

	assert_int_equal(mmu_translate(r->mmu, va, XLAT_READ, false, &got), 0);
	assert_int_equal(pt_lookup(os_pt(r->os), va, &leaf), 0);
	if (got != leaf.pa + (va - leaf.va))
		fail_msg("asid %u: va %#llx translated to %#llx, its table says %#llx", os_current_asid(r->os),
			 (unsigned long long)va, (unsigned long long)got,
			 (unsigned long long)(leaf.pa + (va - leaf.va)));
}

/* Address spaces 1 and 4097 share PCID 1: neither may use the other's TLB
 * entries. Address spaces below 4096 keep theirs across switches. */
static void test_pcid_reuse_flushes(void **state)
{
	struct rig r;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 1);
	rec(&r, XLAT_WRITE, RBASE, 8, 0, 1);
	expect_own_translation(&r, RBASE);
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 4097);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	uint64_t misses = st->tlb_misses;
	expect_own_translation(&r, RBASE);           /* not asid 1's page */
	assert_int_equal(st->tlb_misses, misses + 1);
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 1);
	expect_own_translation(&r, RBASE);           /* not asid 4097's page */
	assert_int_equal(st->tlb_misses, misses + 2);
	/* An event for 4097 while 1 owns the PCID must not invalidate 1's. */
	rec(&r, XLAT_EV_UNMAP, RBASE, 1, 0, 4097);
	expect_own_translation(&r, RBASE);
	assert_int_equal(st->tlb_misses, misses + 2);
	/* 1 and 2: separate PCIDs, nothing flushed on the way back. */
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 2);
	rec(&r, XLAT_WRITE, RBASE, 8, 0, 2);
	rec(&r, XLAT_EV_SWITCH, 0, 0, 0, 1);
	misses = st->tlb_misses;
	expect_own_translation(&r, RBASE);
	assert_int_equal(st->tlb_misses, misses);
	rig_down(&r);
}

/* Thousands of address spaces: each switch finds its own (the lookup is a
 * hash, not a scan), across the PCID wrap. */
static void test_many_address_spaces(void **state)
{
	struct rig r;
	const unsigned n = 5000;
	(void)state;
	rig_up(&r, OS_PAGE_4K);
	for (unsigned round = 0; round < 2; round++)
		for (unsigned a = 0; a < n; a += round ? 7 : 1) {
			rec(&r, XLAT_EV_SWITCH, 0, 0, 0, (uint16_t)a);
			assert_int_equal(os_current_asid(r.os), a);
			rec(&r, XLAT_WRITE, RBASE + (a % 64) * PG, 8, 0, (uint16_t)a);
			if (a % 97 == 0)
				expect_own_translation(&r, RBASE + (a % 64) * PG);
		}
	assert_int_equal(os_get_stats(r.os)->procs, n);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_4k),
		cmocka_unit_test(test_policy_thp_needs_room),
		cmocka_unit_test(test_policy_1g_for_huge_regions),
		cmocka_unit_test(test_segv_and_protect),
		cmocka_unit_test(test_unmap_frees_and_shoots_down),
		cmocka_unit_test(test_switch_between_processes),
		cmocka_unit_test(test_clear_dirty_rearms_d),
		cmocka_unit_test(test_partial_protect_sticks),
		cmocka_unit_test(test_regions_split_at_any_page),
		cmocka_unit_test(test_implicit_region_splits),
		cmocka_unit_test(test_pcid_reuse_flushes),
		cmocka_unit_test(test_many_address_spaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
