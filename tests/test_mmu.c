/* The MMU model: TLB-miss counting rules, page splitting, the L1 fast path's
 * exactness against a reference LRU, and walk accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "xlat/mmu.h"
#include "xlat/os.h"
#include "xlat/phys.h"
#include "xlat/pt.h"

struct rig {
	struct phys *mem;
	struct mmu *mmu;
	struct os *os;
};

static void rig_up(struct rig *r, const struct mmu_config *mc, enum os_page_policy pol)
{
	struct os_config oc = { .fmt = &fmt_x86_4, .policy = pol, .pcid = true };
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
	uint64_t refs = st->walk_refs, walks = st->walks, at1 = st->walk_start[1];
	for (unsigned i = 0; i < 8; i++)   /* all mapped now; the 1-entry TLB misses each */
		run1(&r, 0x60000000 + (uint64_t)i * 4096, 8, XLAT_READ);
	assert_int_equal(st->walks - walks, 8);
	assert_int_equal(st->walk_refs - refs, 8);   /* PDE cache hit: one reference each */
	/* Read through the pointer taken before the loop: the counters are
	 * live, walk_start included. */
	assert_int_equal(st->walk_start[1] - at1, 8);
	rig_down(&r);
}

/* ---- stage owners, TLB maintenance, validation ------------------------- */

/* An mmu over one space with the OS's stage set by hand: a 4-level x86
 * table in `mem`, two PWC levels, and `ntag` tags' worth of pages. */
struct bare {
	struct phys *mem;
	struct pt pt;
	struct mmu *mmu;
};

#define BARE_TAG 5u

static void bare_up(struct bare *b, unsigned l1_entries)
{
	struct mmu_config mc;

	test_mmu_config(&mc, l1_entries, 0);
	mc.pwc.style = PWC_SPLIT;
	mc.pwc.entries[2] = 8;
	mc.pwc.entries[3] = 4;
	mc.pwc.entries[4] = 2;
	b->mem = phys_create(40, 0);
	assert_non_null(b->mem);
	assert_int_equal(pt_init(&b->pt, b->mem, &fmt_x86_4, 40), 0);
	assert_int_equal(mmu_new(&mc, b->mem, &b->mmu), 0);
	struct walk_stage s = { .fmt = &fmt_x86_4, .root = b->pt.root, .maxphyaddr = 40,
				.ctl = WALK_X86_DEFAULT, .tag = BARE_TAG };
	assert_int_equal(mmu_set_stage(b->mmu, MMU_STAGE_OS, &s), 0);
	mmu_set_tag(b->mmu, BARE_TAG);
	/* Page i at 0x400000 + i * 4 KiB; page 3 global. */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pt_map(&b->pt, 0x400000 + i * 4096ull, 0x1000000 + i * 4096ull, 4096,
					XLAT_R | XLAT_W | XLAT_U | (i == 3 ? XLAT_G : 0), PT_PAGE_4K), 0);
}

static void bare_down(struct bare *b)
{
	mmu_destroy(b->mmu);
	pt_destroy(&b->pt);
	phys_destroy(b->mem);
}

/* Did a read of page i miss every TLB (and walk)? */
static bool bare_misses(struct bare *b, unsigned i)
{
	const struct mmu_stats *st = mmu_get_stats(b->mmu);
	uint64_t misses = st->tlb_misses;
	struct mmu_outcome o;

	assert_int_equal(mmu_translate(b->mmu, 0x400000 + i * 4096ull, XLAT_READ, false, &o), 0);
	assert_int_equal(o.pa, 0x1000000 + i * 4096ull);
	return st->tlb_misses != misses;
}

static void warm_all(struct bare *b)
{
	for (unsigned i = 0; i < 4; i++)
		bare_misses(b, i);
	for (unsigned i = 0; i < 4; i++)
		assert_false(bare_misses(b, i));
}

static void test_invlpg_drops_one_page(void **state)
{
	struct bare b;
	(void)state;
	bare_up(&b, 16);
	warm_all(&b);
	mmu_invlpg(b.mmu, BARE_TAG + 1, 0x401000);   /* another tag: nothing goes */
	assert_false(bare_misses(&b, 1));
	mmu_invlpg(b.mmu, BARE_TAG, 0x401000);
	assert_false(bare_misses(&b, 0));
	assert_false(bare_misses(&b, 2));
	uint64_t refs = mmu_get_stats(b.mmu)->walk_refs;
	assert_true(bare_misses(&b, 1));
	/* INVLPG also drops the tag's PWC entries (SDM 4.10.4.1): a full walk. */
	assert_int_equal(mmu_get_stats(b.mmu)->walk_refs - refs, 4);
	mmu_invlpg(b.mmu, BARE_TAG, 0x403000);       /* globals too */
	assert_true(bare_misses(&b, 3));
	bare_down(&b);
}

static void test_flush_tag_keeps_globals(void **state)
{
	struct bare b;
	(void)state;
	bare_up(&b, 16);
	warm_all(&b);
	mmu_flush_tag(b.mmu, BARE_TAG + 1, true);
	for (unsigned i = 0; i < 4; i++)
		assert_false(bare_misses(&b, i));
	mmu_flush_tag(b.mmu, BARE_TAG, true);
	assert_true(bare_misses(&b, 0));
	assert_true(bare_misses(&b, 2));
	assert_false(bare_misses(&b, 3));             /* global: kept */
	mmu_flush_tag(b.mmu, BARE_TAG, false);
	assert_true(bare_misses(&b, 3));
	assert_true(bare_misses(&b, 1));
	bare_down(&b);
}

static void test_flush_all(void **state)
{
	struct bare b;
	(void)state;
	bare_up(&b, 16);
	warm_all(&b);
	mmu_flush_all(b.mmu);
	uint64_t refs = mmu_get_stats(b.mmu)->walk_refs;
	for (unsigned i = 0; i < 4; i++)
		assert_true(bare_misses(&b, i));
	/* The first walk finds no PWC entry either: 4 + 1 + 1 + 1. */
	assert_int_equal(mmu_get_stats(b.mmu)->walk_refs - refs, 7);
	bare_down(&b);
}

/* Owners: a secure monitor's stage is an addition below the OS's, and the
 * OS's CR3 loads leave it alone. The monitor's EPT maps the first 64 MiB of
 * the machine 1:1 with 2 MiB pages, so the OS's table, built there, reads
 * the same; each of its 4 entries and the output go through the 3 EPT
 * levels, the first time in full and then from the monitor stage's own
 * PWC (PDPTE cached, one reference): 4 + 3 + 4 * 1 = 11 references. */
static void test_monitor_stage_is_an_addition(void **state)
{
	struct bare b;
	struct pt ept;
	(void)state;
	bare_up(&b, 1);
	assert_int_equal(pt_init(&ept, b.mem, &fmt_ept_4, 40), 0);
	assert_int_equal(pt_map(&ept, 0, 0, 64ull << 20, XLAT_R | XLAT_W | XLAT_X, PT_PAGE_2M), 0);
	assert_int_equal(mmu_chain(b.mmu)->n, 1);
	struct walk_stage mon = { .fmt = &fmt_ept_4, .root = ept.root, .maxphyaddr = 40,
				  .ctl = WALK_EPT_DEFAULT, .tag = tlb_tag(2, 0) };
	assert_int_equal(mmu_set_stage(b.mmu, MMU_STAGE_MONITOR, &mon), 0);
	const struct walk_chain *c = mmu_chain(b.mmu);
	assert_int_equal(c->n, 2);
	assert_ptr_equal(c->stage[1].fmt, &fmt_ept_4);
	assert_ptr_equal(mmu_stage(b.mmu, MMU_STAGE_MONITOR)->fmt, &fmt_ept_4);
	assert_null(mmu_stage(b.mmu, MMU_STAGE_HV));
	mmu_flush_all(b.mmu);
	uint64_t refs = mmu_get_stats(b.mmu)->walk_refs;
	assert_true(bare_misses(&b, 0));
	assert_int_equal(mmu_get_stats(b.mmu)->walk_refs - refs, 11);
	assert_int_equal(c->stats.pwc_hits[1], 4);
	/* The OS reloads CR3 (same table): the monitor's stage stays. */
	struct walk_stage os = *mmu_stage(b.mmu, MMU_STAGE_OS);
	assert_int_equal(mmu_set_stage(b.mmu, MMU_STAGE_OS, &os), 0);
	assert_int_equal(mmu_chain(b.mmu)->n, 2);
	mmu_clear_stage(b.mmu, MMU_STAGE_MONITOR);
	assert_int_equal(mmu_chain(b.mmu)->n, 1);
	assert_int_equal(mmu_set_stage(b.mmu, MMU_STAGE_OWNERS, &mon), -EINVAL);
	struct walk_stage none = { 0 };
	assert_int_equal(mmu_set_stage(b.mmu, MMU_STAGE_HV, &none), -EINVAL);
	pt_destroy(&ept);
	bare_down(&b);
}

/* Bad configurations are refused by mmu_new with the reason, and never
 * give an mmu that silently lacks a cache. */
/* ---- data lines in the cache model ------------------------------------------
 *
 * A hand-computable case. One TLB entry and no PWC: every access to A or B,
 * alternating, misses and walks PML4E, PDPTE, PDE and its PTE, four lines
 * (A and B sit 8 pages apart: their PTEs are in different lines). A
 * one-set, 4-way LRU L1D, no L2:
 *  - page-table lines only: 5 distinct lines (L4, L3, L2, PTE-A, PTE-B);
 *    per access L4, L3, L2 hit (their reuse distance is 3 distinct lines)
 *    and the PTE line misses (it was evicted by the other PTE line);
 *  - with data lines: 7 distinct lines, each reused after 4 others, so in
 *    a 4-way LRU every reference misses, and so does the data line;
 *  - with an 8-line LLC behind it, the same 7 lines fit the LLC: every
 *    reference and data line is served by the LLC.
 * A fetch's line enters at the L2 (no L1I): never counted at the L1D. */
static void data_lines_rig(struct rig *r, bool data, uint64_t llc_bytes)
{
	struct mmu_config mc;

	test_mmu_config(&mc, 1, 0);
	mc.costs.walk_overhead_cycles = data ? 0 : 3;
	mc.costs.walk_ref_cycles = data ? 0 : 2;
	mc.cache_enabled = true;
	mc.cache_data = data;
	mc.cache.line_bytes = 64;
	mc.cache.level[0] = (struct pcache_level_config){ .bytes = 4 * 64, .ways = 4, .latency = 4 };
	mc.cache.level[2] = (struct pcache_level_config){ .bytes = llc_bytes, .ways = 8, .latency = 40 };
	mc.cache.mem_latency = 100;
	rig_up(r, &mc, OS_PAGE_4K);
}

/* n alternations of A, B after a warm-up; the counters' deltas in *d. */
static void alternate(struct rig *r, unsigned n, struct mmu_stats *d)
{
	const uint64_t a = 0x70000000, b = a + 8 * 4096;
	const struct mmu_stats *st = mmu_get_stats(r->mmu);

	for (unsigned i = 0; i < 8; i++)
		run1(r, i & 1 ? b : a, 8, XLAT_READ);
	*d = *st;
	for (unsigned i = 0; i < 2 * n; i++)
		run1(r, i & 1 ? b : a, 8, XLAT_READ);
	for (size_t i = 0; i < sizeof *d / sizeof(uint64_t); i++)
		((uint64_t *)d)[i] = ((const uint64_t *)st)[i] - ((uint64_t *)d)[i];
}

static void test_data_lines_compete(void **state)
{
	struct rig r;
	struct mmu_stats d;
	const unsigned n = 50, acc = 2 * n;

	(void)state;
	data_lines_rig(&r, false, 0);
	alternate(&r, n, &d);
	assert_int_equal(d.walks, acc);
	assert_int_equal(d.walk_refs, 4 * acc);
	assert_int_equal(d.ref_where[0], 3 * acc);
	assert_int_equal(d.ref_where[3], acc);
	/* Per walk: 3 fixed, 2 per reference, and the references' latencies. */
	assert_int_equal(d.walk_cycles, acc * (3 + 4 * 2 + 3 * 4 + 100));
	for (int i = 0; i <= PCACHE_LEVELS; i++)
		assert_int_equal(d.line_where[0][i], 0);
	rig_down(&r);

	data_lines_rig(&r, true, 0);
	alternate(&r, n, &d);
	assert_int_equal(d.walk_refs, 4 * acc);
	assert_int_equal(d.ref_where[0], 0);
	assert_int_equal(d.ref_where[3], 4 * acc);
	assert_int_equal(d.line_where[0][3], acc);
	assert_int_equal(d.line_where[0][0], 0);
	/* The data lines' own latency is not translation cost. */
	assert_int_equal(d.walk_cycles, acc * 4 * 100);
	rig_down(&r);

	data_lines_rig(&r, true, 8 * 64);
	alternate(&r, n, &d);
	assert_int_equal(d.ref_where[2], 4 * acc);
	assert_int_equal(d.line_where[0][2], acc);
	assert_int_equal(d.walk_cycles, acc * 4 * 40);
	/* A fetch: its line goes to the LLC, not the L1D; again, it hits
	 * there. */
	const struct mmu_stats *st = mmu_get_stats(r.mmu);
	run1(&r, 0x71000000, 4, XLAT_FETCH);
	run1(&r, 0x71000000, 4, XLAT_FETCH);
	assert_int_equal(st->line_where[1][0], 0);
	assert_int_equal(st->line_where[1][3], 1);
	assert_int_equal(st->line_where[1][2], 1);
	/* An access across a line boundary touches both lines; across a
	 * page boundary, the lines of both pages. */
	uint64_t lines = st->line_where[0][0] + st->line_where[0][1] + st->line_where[0][2] + st->line_where[0][3];
	run1(&r, 0x70000000 + 60, 8, XLAT_READ);
	run1(&r, 0x70000000 + 4096 - 4, 8, XLAT_READ);
	assert_int_equal(st->line_where[0][0] + st->line_where[0][1] + st->line_where[0][2] + st->line_where[0][3],
			 lines + 4);
	/* mmu_translate says where its line was: the L1D on a second read. */
	struct mmu_outcome o;
	assert_int_equal(mmu_translate(r.mmu, 0x70000000 + 128, XLAT_READ, false, &o), 0);
	assert_int_equal(mmu_translate(r.mmu, 0x70000000 + 128, XLAT_READ, false, &o), 0);
	assert_int_equal(o.line_where, 0);
	rig_down(&r);

	/* Without a cache model, cache_data does nothing. */
	struct mmu_config mc;
	test_mmu_config(&mc, 1, 0);
	mc.cache_data = true;
	rig_up(&r, &mc, OS_PAGE_4K);
	run1(&r, 0x70000000, 8, XLAT_READ);
	assert_int_equal(mmu_get_stats(r.mmu)->line_where[0][3], 0);
	assert_int_equal(mmu_translate(r.mmu, 0x70000000, XLAT_READ, false, &o), 0);
	assert_int_equal(o.line_where, -1);
	rig_down(&r);
}

static void test_create_validates(void **state)
{
	struct phys *mem = phys_create(40, 0);
	struct mmu_config mc;
	struct mmu *m = (struct mmu *)1;
	(void)state;

	test_mmu_config(&mc, 16, 0);
	mc.pwc.style = PWC_UNIFIED;
	mc.pwc.unified_entries = 0;
	assert_int_equal(mmu_new(&mc, mem, &m), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(xlat_error(), "paging-structure cache"));
	assert_null(mmu_create(&mc, mem));
	assert_int_equal(xlat_error_code(), -EINVAL);

	test_mmu_config(&mc, 16, 0);
	mc.dtlb[0].array[0].entries = 0;
	assert_int_equal(mmu_new(&mc, mem, &m), -EINVAL);
	assert_non_null(strstr(xlat_error(), "data TLB"));

	test_mmu_config(&mc, 16, 0);
	mc.ndtlb = 0;
	assert_int_equal(mmu_new(&mc, mem, &m), -EINVAL);

	test_mmu_config(&mc, 16, 0);
	mc.ntlb_enabled = true;
	mc.ntlb.narrays = 0;
	assert_int_equal(mmu_new(&mc, mem, &m), -EINVAL);
	assert_non_null(strstr(xlat_error(), "nested TLB"));

	test_mmu_config(&mc, 16, 0);
	mc.pwc.style = PWC_UNIFIED;
	mc.pwc.unified_entries = 32;
	assert_int_equal(mmu_new(&mc, mem, &m), 0);
	assert_non_null(m);
	mmu_destroy(m);
	phys_destroy(mem);
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
		cmocka_unit_test(test_invlpg_drops_one_page),
		cmocka_unit_test(test_flush_tag_keeps_globals),
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_monitor_stage_is_an_addition),
		cmocka_unit_test(test_data_lines_compete),
		cmocka_unit_test(test_create_validates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
