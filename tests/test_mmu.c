/* The MMU model: TLB-miss counting rules, page splitting, the L1 fast path's
 * exactness against a reference LRU, and walk accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/phys.h"

struct rig {
	struct phys *mem;
	struct mmu *mmu;
	struct os *os;
};

static void rig_up(struct rig *r, const struct mmu_config *mc, enum os_page_policy pol)
{
	struct os_config oc = { .fmt = &fmt_x86_4, .policy = pol, .fault_cycles = 1000, .pcid = true };
	r->mem = phys_create(46, 0);
	assert_non_null(r->mem);
	r->mmu = mmu_create(mc, r->mem);
	assert_non_null(r->mmu);
	r->os = os_create(r->mem, &oc);
	assert_non_null(r->os);
	os_attach(r->os, r->mmu);
	assert_int_equal(os_switch(r->os, r->mmu, 0), 0);
}

static void rig_down(struct rig *r)
{
	os_destroy(r->os);
	mmu_destroy(r->mmu);
	phys_destroy(r->mem);
}

static void run1(struct rig *r, uint64_t va, unsigned size, unsigned kind)
{
	struct xlat_access a = { .va = va, .size = size, .kind = (uint8_t)kind };
	assert_int_equal(mmu_run(r->mmu, &a, 1), 0);
}

/* N distinct pages through a 64-entry L1: N misses, each a 4-reference walk
 * (plus the retry walk after the demand fault: faults don't add misses). */
static void test_sequential_scan_misses(void **state)
{
	struct mmu_config mc;
	struct rig r;
	const unsigned n = 1000;

	(void)state;
	test_mmu_config(&mc, 64, 0);
	rig_up(&r, &mc, OS_PAGE_4K);
	for (unsigned i = 0; i < n; i++)
		run1(&r, 0x10000000 + (uint64_t)i * 4096, 8, XLAT_READ);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	assert_int_equal(st->tlb_misses, n);
	assert_int_equal(st->faults, n);
	/* One walk per miss, and one retry per demand fault, counted apart. */
	assert_int_equal(st->walks, n);
	assert_int_equal(st->fault_retry_walks, n);
	/* Every retry reads 4 entries; the faulting miss walks stop early
	 * (the very first finds an empty root: 1 reference). */
	assert_int_equal(st->fault_retry_hist[4], n);
	assert_int_equal(st->fault_retry_refs, 4 * n);
	assert_true(st->walk_refs < 4 * n);
	/* Scanning again: the last 64 pages hit, the others miss (LRU). */
	for (unsigned i = n - 64; i < n; i++)
		run1(&r, 0x10000000 + (uint64_t)i * 4096, 8, XLAT_READ);
	assert_int_equal(st->tlb_misses, n);
	assert_int_equal(st->tlb_hits[0][0], 64);
	rig_down(&r);
}

/* An access that crosses a page boundary touches (and may miss on) both. */
static void test_straddle_counts_both_pages(void **state)
{
	struct mmu_config mc;
	struct rig r;

	(void)state;
	test_mmu_config(&mc, 64, 0);
	rig_up(&r, &mc, OS_PAGE_4K);
	run1(&r, 0x10000ffc, 8, XLAT_WRITE);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	assert_int_equal(st->accesses, 1);
	assert_int_equal(st->pages, 2);
	assert_int_equal(st->tlb_misses, 2);
	run1(&r, 0x10000ff8, 8, XLAT_WRITE);   /* inside the first page only */
	assert_int_equal(st->pages, 3);
	assert_int_equal(st->tlb_misses, 2);
	rig_down(&r);
}

/* A reference fully associative LRU TLB of `cap` pages. */
struct ref_lru {
	uint64_t *page;
	unsigned n, cap;
};

static bool ref_access(struct ref_lru *t, uint64_t pg)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->page[i] == pg) {
			memmove(&t->page[1], &t->page[0], i * sizeof pg);
			t->page[0] = pg;
			return true;
		}
	if (t->n < t->cap)
		t->n++;
	memmove(&t->page[1], &t->page[0], (t->n - 1) * sizeof pg);
	t->page[0] = pg;
	return false;
}

/* The L1 fast path (same page as the previous access) must not change any
 * count: the mmu's hits and misses equal a brute-force LRU model's. */
static void test_fast_path_matches_reference_lru(void **state)
{
	struct mmu_config mc;
	struct rig r;
	uint64_t pages[16];
	struct ref_lru ref = { calloc(16, sizeof(uint64_t)), 0, 16 };
	uint64_t misses = 0, seed = 12345;

	(void)state;
	test_mmu_config(&mc, 16, 0);
	rig_up(&r, &mc, OS_PAGE_4K);
	for (unsigned i = 0; i < 16; i++)
		pages[i] = 0x20000000 + (uint64_t)i * 7 * 4096;
	for (unsigned i = 0; i < 16; i++)
		run1(&r, pages[i], 1, XLAT_WRITE);   /* map everything, dirty */
	for (unsigned i = 0; i < 16; i++)
		ref_access(&ref, pages[i] >> 12);
	uint64_t base = mmu_get_stats(r.mmu)->tlb_misses;
	for (unsigned i = 0; i < 20000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		/* runs of accesses to one page, drawn from 20 pages for a 16-entry TLB */
		unsigned k = (unsigned)(seed >> 33) % 20;
		uint64_t pg = k < 16 ? pages[k] : 0x30000000 + (uint64_t)k * 4096;
		unsigned run = 1 + (unsigned)(seed >> 20) % 4;
		for (unsigned j = 0; j < run; j++) {
			run1(&r, pg + j * 8, 8, XLAT_READ);
			if (!ref_access(&ref, pg >> 12))
				misses++;
		}
	}
	assert_int_equal(mmu_get_stats(r.mmu)->tlb_misses - base, misses);
	free(ref.page);
	rig_down(&r);
}

/* A write hit on a clean entry walks again (to set D) without a miss. */
static void test_dirty_walk_on_clean_hit(void **state)
{
	struct mmu_config mc;
	struct rig r;

	(void)state;
	test_mmu_config(&mc, 64, 0);
	rig_up(&r, &mc, OS_PAGE_4K);
	run1(&r, 0x40000000, 8, XLAT_READ);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	uint64_t walks = st->walks;
	run1(&r, 0x40000000, 8, XLAT_WRITE);
	assert_int_equal(st->tlb_misses, 1);
	assert_int_equal(st->dirty_walks, 1);
	assert_int_equal(st->dirty_walk_refs, 4);
	assert_int_equal(st->walks, walks);   /* not a miss walk */
	run1(&r, 0x40000008, 8, XLAT_WRITE);   /* now dirty: a plain hit */
	assert_int_equal(st->dirty_walks, 1);
	assert_int_equal(st->walks, walks);
	struct pt_leaf leaf;
	assert_int_equal(pt_lookup(os_pt(r.os), 0x40000000, &leaf), 0);
	assert_true(leaf.dirty);
	assert_true(leaf.accessed);
	rig_down(&r);
}

static uint64_t hist_sum(const uint64_t h[64], uint64_t *refs)
{
	uint64_t n = 0;
	*refs = 0;
	for (unsigned i = 0; i < 64; i++) {
		n += h[i];
		*refs += h[i] * i;
	}
	return n;
}

/* Each cause of a walk has its own count, references and histogram: a miss,
 * the retry after a demand fault, a write to a clean entry, a write to a
 * read-only one. */
static void test_walk_causes_counted_apart(void **state)
{
	struct mmu_config mc;
	struct rig r;
	struct os_region rw = { 0x40000000, 0x40001000, XLAT_R | XLAT_W | XLAT_U, false };
	struct os_region ro = { 0x70000000, 0x70001000, XLAT_R | XLAT_U, false };
	uint64_t refs;

	(void)state;
	test_mmu_config(&mc, 64, 0);
	rig_up(&r, &mc, OS_PAGE_4K);
	assert_int_equal(os_add_region(r.os, &rw), 0);
	assert_int_equal(os_add_region(r.os, &ro), 0);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);

	run1(&r, 0x40000000, 8, XLAT_READ);    /* miss, fault, retry */
	assert_int_equal(st->walks, 1);
	assert_int_equal(st->fault_retry_walks, 1);
	assert_int_equal(st->fault_retry_refs, 4);
	assert_int_equal(st->dirty_walks + st->perm_walks, 0);

	run1(&r, 0x40000000, 8, XLAT_WRITE);   /* hit on a clean entry: sets D */
	assert_int_equal(st->walks, 1);
	assert_int_equal(st->dirty_walks, 1);
	assert_int_equal(st->dirty_walk_refs, 4);
	assert_int_equal(st->dirty_walk_hist[4], 1);

	run1(&r, 0x70000000, 8, XLAT_READ);    /* read-only page: miss, fault, retry */
	assert_int_equal(st->walks, 2);
	assert_int_equal(st->fault_retry_walks, 2);
	run1(&r, 0x70000000, 8, XLAT_WRITE);   /* refused by the entry: walks, faults, dropped */
	assert_int_equal(st->perm_walks, 1);
	assert_int_equal(st->perm_walk_refs, 4);
	assert_int_equal(st->unresolved, 1);
	assert_int_equal(st->walks, 2);
	assert_int_equal(st->fault_retry_walks, 2);
	assert_int_equal(st->dirty_walks, 1);
	assert_int_equal(st->tlb_misses, 2);

	/* Each histogram sums to its count and its references. */
	assert_int_equal(hist_sum(st->refs_hist, &refs), st->walks);
	assert_int_equal(refs, st->walk_refs);
	assert_int_equal(hist_sum(st->fault_retry_hist, &refs), st->fault_retry_walks);
	assert_int_equal(refs, st->fault_retry_refs);
	assert_int_equal(hist_sum(st->dirty_walk_hist, &refs), st->dirty_walks);
	assert_int_equal(refs, st->dirty_walk_refs);
	assert_int_equal(hist_sum(st->perm_walk_hist, &refs), st->perm_walks);
	assert_int_equal(refs, st->perm_walk_refs);
	rig_down(&r);
}

/* --no-fetch drops fetches entirely; fetches use the ITLB side. */
static void test_fetch_side_and_no_fetch(void **state)
{
	struct mmu_config mc;
	struct rig r;

	(void)state;
	test_mmu_config(&mc, 64, 0);
	rig_up(&r, &mc, OS_PAGE_4K);
	run1(&r, 0x50000000, 4, XLAT_FETCH);
	run1(&r, 0x50000000, 4, XLAT_READ);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	assert_int_equal(st->tlb_misses_side[1], 1);
	assert_int_equal(st->tlb_misses_side[0], 1);
	rig_down(&r);

	mc.no_fetch = true;
	rig_up(&r, &mc, OS_PAGE_4K);
	run1(&r, 0x50000000, 4, XLAT_FETCH);
	st = mmu_get_stats(r.mmu);
	assert_int_equal(st->accesses, 0);
	assert_int_equal(st->tlb_misses, 0);
	rig_down(&r);
}

/* With PWCs on, the second walk to a neighbouring page starts at level 1. */
static void test_pwc_shortens_walks(void **state)
{
	struct mmu_config mc;
	struct rig r;

	(void)state;
	test_mmu_config(&mc, 1, 0);
	mc.pwc.style = PWC_SPLIT;
	mc.pwc.entries[2] = 32;
	mc.pwc.entries[3] = 4;
	mc.pwc.entries[4] = 2;
	rig_up(&r, &mc, OS_PAGE_4K);
	for (unsigned i = 0; i < 8; i++)
		run1(&r, 0x60000000 + (uint64_t)i * 4096, 8, XLAT_WRITE);
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	uint64_t refs = st->walk_refs, walks = st->walks;
	for (unsigned i = 0; i < 8; i++)   /* all mapped now; the 1-entry TLB misses each */
		run1(&r, 0x60000000 + (uint64_t)i * 4096, 8, XLAT_READ);
	assert_int_equal(st->walks - walks, 8);
	assert_int_equal(st->walk_refs - refs, 8);   /* PDE cache hit: one reference each */
	assert_true(st->walk_start[1] >= 8);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequential_scan_misses),
		cmocka_unit_test(test_straddle_counts_both_pages),
		cmocka_unit_test(test_fast_path_matches_reference_lru),
		cmocka_unit_test(test_dirty_walk_on_clean_hit),
		cmocka_unit_test(test_walk_causes_counted_apart),
		cmocka_unit_test(test_fetch_side_and_no_fetch),
		cmocka_unit_test(test_pwc_shortens_walks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
