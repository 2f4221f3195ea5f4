/*
 * pt: exact table accounting, splitting, all-or-nothing maps, iteration,
 * A/D clearing, and the same bytes on every backing of struct phys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/format.h"
#include "xlat/phys.h"
#include "xlat/pt.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

#define RW (XLAT_R | XLAT_W)
#define RO XLAT_R

static struct pt_stats st_of(const struct pt *pt)
{
	struct pt_stats st;
	pt_get_stats(pt, &st);
	return st;
}

static uint64_t allocated(const struct phys *mem)
{
	struct phys_stats ps;
	phys_get_stats(mem, &ps);
	return ps.allocated_frames;
}

static struct phys *mem_new(void)
{
	struct phys *mem = phys_create(52, 0);
	assert_non_null(mem);
	return mem;
}

/* Checks that va maps to pa with a leaf of `shift`. */
static void expect_map(struct pt *pt, xlat_va va, xlat_pa pa, unsigned shift, uint32_t perms)
{
	struct pt_leaf l;
	assert_int_equal(pt_lookup(pt, va, &l), 0);
	assert_int_equal(l.shift, shift);
	assert_int_equal(l.va, xlat_align_down(va, 1ULL << shift));
	assert_int_equal(l.pa + (va - l.va), pa);
	assert_int_equal(l.perms & (XLAT_RWX | XLAT_U | XLAT_G), perms);
}

/* The table's accounting equals `want`, field by field. */
static void expect_stats(const struct pt *pt, const struct pt_stats *want)
{
	struct pt_stats st = st_of(pt);
	for (int l = 1; l <= XLAT_MAX_LEVELS; l++) {
		assert_int_equal(st.table_pages[l], want->table_pages[l]);
		assert_int_equal(st.leaves[l], want->leaves[l]);
	}
	assert_int_equal(st.total_pages, want->total_pages);
	assert_int_equal(st.table_bytes, want->table_bytes);
	assert_int_equal(st.mapped_bytes, want->mapped_bytes);
}

static void expect_unmapped(struct pt *pt, xlat_va va)
{
	struct pt_leaf l;
	assert_int_equal(pt_lookup(pt, va, &l), -ENOENT);
}

/* ---- the seed's figures ------------------------------------------------ */

static void test_64m_on_4k(void **state)
{
	(void)state;
	for (int levels = 4; levels <= 5; levels++) {
		struct phys *mem = mem_new();
		struct pt pt;
		assert_int_equal(pt_init(&pt, mem, fmt_x86(levels), 52), 0);
		assert_int_equal(pt_map(&pt, 16 * GiB, 4 * GiB, 64 * MiB, RW, PT_PAGE_4K), 0);
		struct pt_stats st = st_of(&pt);
		assert_int_equal(st.total_pages, levels == 4 ? 35 : 36);
		assert_int_equal(st.table_bytes, levels == 4 ? 143360 : 147456);
		assert_int_equal(st.table_pages[1], 32);
		assert_int_equal(st.table_pages[2], 1);
		assert_int_equal(st.table_pages[3], 1);
		assert_int_equal(st.table_pages[levels], 1);
		assert_int_equal(st.leaves[1], 16384);
		assert_int_equal(st.mapped_bytes, 64 * MiB);
		assert_int_equal(allocated(mem), st.total_pages);
		expect_map(&pt, 16 * GiB + 64 * MiB - 1, 4 * GiB + 64 * MiB - 1, 12, XLAT_R | XLAT_W);
		expect_unmapped(&pt, 16 * GiB + 64 * MiB);
		expect_unmapped(&pt, 16 * GiB - 1);
		pt_destroy(&pt);
		assert_int_equal(allocated(mem), 0);
		phys_destroy(mem);
	}
}

static void test_256m_on_2m_and_4k(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 256 * MiB, RW, PT_PAGE_2M), 0);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.total_pages, 3);
	assert_int_equal(st.table_bytes, 12288);
	assert_int_equal(st.leaves[2], 128);
	pt_destroy(&pt);

	/* The largest-page policy picks the same 2 MiB leaves. */
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 2 * GiB, 6 * MiB, 256 * MiB, RW, PT_PAGE_LARGEST), 0);
	assert_int_equal(st_of(&pt).table_bytes, 12288);
	pt_destroy(&pt);

	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 256 * MiB, RW, PT_PAGE_4K), 0);
	st = st_of(&pt);
	assert_int_equal(st.total_pages, 131);
	assert_int_equal(st.table_bytes, 536576);
	assert_int_equal(st.leaves[1], 65536);
	pt_destroy(&pt);

	/* A pa that is not 2 MiB aligned forces 4 KiB leaves. */
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0, 4 * KiB, 256 * MiB, RW, PT_PAGE_LARGEST), 0);
	assert_int_equal(st_of(&pt).total_pages, 131);
	pt_destroy(&pt);
	assert_int_equal(allocated(mem), 0);
	phys_destroy(mem);
}

static void test_1g_page(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 5 * GiB, 7 * GiB, GiB, RW, PT_PAGE_1G), 0);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.total_pages, 2);
	assert_int_equal(st.table_pages[4], 1);
	assert_int_equal(st.table_pages[3], 1);
	assert_int_equal(st.leaves[3], 1);
	assert_int_equal(st.mapped_bytes, GiB);
	expect_map(&pt, 5 * GiB + 12345, 7 * GiB + 12345, 30, RW);
	pt_destroy(&pt);

	/* Without the 1 GiB capability the largest leaf is 2 MiB. */
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	pt.ctl &= ~FMT_CTL_1G;
	assert_int_equal(pt_map(&pt, 5 * GiB, 7 * GiB, GiB, RW, PT_PAGE_1G), -EINVAL);
	assert_int_equal(pt_map(&pt, 5 * GiB, 7 * GiB, GiB, RW, PT_PAGE_LARGEST), 0);
	st = st_of(&pt);
	assert_int_equal(st.leaves[3], 0);
	assert_int_equal(st.leaves[2], 512);
	assert_int_equal(st.total_pages, 3);
	pt_destroy(&pt);
	phys_destroy(mem);
}

static void test_largest_mix(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	xlat_va va = GiB - 8 * KiB;
	uint64_t size = 8 * KiB + GiB + 2 * MiB + 4 * KiB;
	assert_int_equal(pt_map(&pt, va, va + 4 * GiB, size, RW, PT_PAGE_LARGEST), 0);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.leaves[1], 3);
	assert_int_equal(st.leaves[2], 1);
	assert_int_equal(st.leaves[3], 1);
	assert_int_equal(st.mapped_bytes, size);
	/* root, PDPT, 2 PDs (below and above 1 GiB), 2 PTs */
	assert_int_equal(st.total_pages, 6);
	expect_map(&pt, va, va + 4 * GiB, 12, RW);
	expect_map(&pt, GiB, 5 * GiB, 30, RW);
	expect_map(&pt, 2 * GiB, 6 * GiB, 21, RW);
	expect_map(&pt, 2 * GiB + 2 * MiB, 6 * GiB + 2 * MiB, 12, RW);
	expect_unmapped(&pt, 2 * GiB + 2 * MiB + 4 * KiB);
	pt_destroy(&pt);
	phys_destroy(mem);
}

/* Two pages straddling each level boundary cost exactly one more table per
 * level below it. */
static void test_level_boundaries(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	for (int levels = 4; levels <= 5; levels++) {
		for (int boundary = 2; boundary <= levels; boundary++) {
			struct pt pt;
			assert_int_equal(pt_init(&pt, mem, fmt_x86(levels), 52), 0);
			/* an edge between two level-`boundary` entries (and no higher) */
			xlat_va b = xlat_level_size(boundary) * 3;
			assert_int_equal(pt_map(&pt, b - 4 * KiB, 0, 8 * KiB, RW, PT_PAGE_4K), 0);
			struct pt_stats st = st_of(&pt);
			for (int l = 1; l < levels; l++)
				assert_int_equal(st.table_pages[l], l < boundary ? 2 : 1);
			assert_int_equal(st.total_pages, 1 + (uint64_t)(levels - 1) + (uint64_t)(boundary - 1));
			/* and one byte either side of the edge is one page apart */
			expect_map(&pt, b - 1, 4 * KiB - 1, 12, RW);
			expect_map(&pt, b, 4 * KiB, 12, RW);
			pt_destroy(&pt);
		}
	}
	assert_int_equal(allocated(mem), 0);
	phys_destroy(mem);
}

/* ---- splitting ----------------------------------------------------------- */

static void test_protect_splits_1g(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	xlat_va va = 3 * GiB;
	xlat_pa pa = 9 * GiB;
	assert_int_equal(pt_map(&pt, va, pa, GiB, RW | XLAT_U, PT_PAGE_1G), 0);
	assert_int_equal(st_of(&pt).total_pages, 2);

	/* Mark the leaf accessed and dirty, as a CPU would. */
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt, va, &l), 0);
	assert_int_equal(phys_write64(mem, l.entry_pa, l.entry | FMT_X86_A | FMT_X86_D), 0);

	/* Protecting with the perms it has already splits nothing. */
	xlat_va page = va + 5 * 2 * MiB + 7 * 4 * KiB;
	assert_int_equal(pt_protect(&pt, page, 4 * KiB, RW | XLAT_U), 0);
	assert_int_equal(st_of(&pt).total_pages, 2);

	assert_int_equal(pt_protect(&pt, page, 4 * KiB, RO | XLAT_U), 0);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.leaves[3], 0);
	assert_int_equal(st.leaves[2], 511);
	assert_int_equal(st.leaves[1], 512);
	assert_int_equal(st.total_pages, 4);
	assert_int_equal(st.table_pages[2], 1);
	assert_int_equal(st.table_pages[1], 1);
	assert_int_equal(st.mapped_bytes, GiB);
	assert_int_equal(allocated(mem), 4);

	expect_map(&pt, page, pa + (page - va), 12, RO | XLAT_U);
	expect_map(&pt, page + 4 * KiB, pa + (page - va) + 4 * KiB, 12, RW | XLAT_U);
	expect_map(&pt, page - 4 * KiB, pa + (page - va) - 4 * KiB, 12, RW | XLAT_U);
	expect_map(&pt, va, pa, 21, RW | XLAT_U);
	expect_map(&pt, va + GiB - 1, pa + GiB - 1, 21, RW | XLAT_U);
	/* every pieces keeps A and D */
	assert_int_equal(pt_lookup(&pt, page, &l), 0);
	assert_true(l.accessed && l.dirty);
	assert_int_equal(pt_lookup(&pt, va + 700 * MiB, &l), 0);
	assert_true(l.accessed && l.dirty);
	assert_int_equal(l.level, 2);

	/* Protecting the whole range needs no further split. */
	assert_int_equal(pt_protect(&pt, va, GiB, RO), 0);
	assert_int_equal(st_of(&pt).total_pages, 4);
	expect_map(&pt, page + 4 * KiB, pa + (page - va) + 4 * KiB, 12, RO);
	expect_map(&pt, va, pa, 21, RO);
	pt_destroy(&pt);
	assert_int_equal(allocated(mem), 0);
	phys_destroy(mem);
}

static void test_unmap_splits_and_frees(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	xlat_va va = 3 * GiB;
	assert_int_equal(pt_map(&pt, va, 0, GiB, RW, PT_PAGE_1G), 0);
	xlat_va page = va + 77 * MiB + 12 * KiB;
	assert_int_equal(pt_unmap(&pt, page, 4 * KiB), 0);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.leaves[2], 511);
	assert_int_equal(st.leaves[1], 511);
	assert_int_equal(st.total_pages, 4);
	assert_int_equal(st.mapped_bytes, GiB - 4 * KiB);
	expect_unmapped(&pt, page);
	expect_map(&pt, page + 4 * KiB, page + 4 * KiB - va, 12, RW);

	/* Unmapping holes is not an error. */
	assert_int_equal(pt_unmap(&pt, page, 4 * KiB), 0);
	assert_int_equal(pt_unmap(&pt, 100 * GiB, GiB), 0);
	assert_int_equal(pt_unmap(&pt, 0, 0), 0);

	/* Unmapping the rest frees every table but the root. */
	assert_int_equal(pt_unmap(&pt, va, GiB), 0);
	st = st_of(&pt);
	assert_int_equal(st.total_pages, 1);
	assert_int_equal(st.leaves[1] + st.leaves[2] + st.leaves[3], 0);
	assert_int_equal(st.mapped_bytes, 0);
	assert_int_equal(allocated(mem), 1);

	/* Mixed sizes in many places, unmapped piecewise. */
	assert_int_equal(pt_map(&pt, 0, 0, 64 * MiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 4 * GiB, 0, 3 * GiB, RW, PT_PAGE_LARGEST), 0);
	assert_int_equal(pt_map(&pt, 600 * GiB + 8 * KiB, 0, 4 * MiB, RW, PT_PAGE_LARGEST), 0);
	assert_int_equal(pt_map(&pt, 0xffff800000000000ULL, 0, 4 * MiB, RW, PT_PAGE_2M), 0);
	assert_true(st_of(&pt).total_pages > 40);
	assert_int_equal(pt_unmap(&pt, 0, 32 * MiB), 0);
	assert_int_equal(pt_unmap(&pt, 32 * MiB, 32 * MiB), 0);
	for (xlat_va a = 4 * GiB; a < 7 * GiB; a += 256 * MiB + 4 * KiB)
		assert_int_equal(pt_unmap(&pt, a, 4 * KiB), 0);
	assert_int_equal(pt_unmap(&pt, 4 * GiB, 3 * GiB), 0);
	assert_int_equal(pt_unmap(&pt, 600 * GiB, 5 * MiB), 0);
	assert_int_equal(pt_unmap(&pt, 0xffff800000000000ULL, 4 * MiB), 0);
	st = st_of(&pt);
	assert_int_equal(st.total_pages, 1);
	assert_int_equal(st.mapped_bytes, 0);
	assert_int_equal(allocated(mem), 1);

	pt_destroy(&pt);
	struct phys_stats ps;
	phys_get_stats(mem, &ps);
	assert_int_equal(ps.allocated_frames, 0);
	assert_int_equal(ps.touched_frames, 0);
	pt_destroy(&pt);   /* twice is harmless */
	phys_destroy(mem);
}

/* Every permission bit, cache attribute and key survives a split. */
static void test_split_keeps_every_perm_bit(void **state)
{
	(void)state;
	static const uint32_t perms[] = {
		XLAT_R, XLAT_R | XLAT_W, XLAT_R | XLAT_X, XLAT_R | XLAT_U, XLAT_R | XLAT_G,
		XLAT_R | XLAT_CACHE(1), XLAT_R | XLAT_CACHE(2), XLAT_R | XLAT_CACHE(4),
		XLAT_R | XLAT_PKEY(1), XLAT_R | XLAT_PKEY(8),
		XLAT_RWX | XLAT_U | XLAT_G | XLAT_CACHE(7) | XLAT_PKEY(15),
	};
	struct phys *mem = mem_new();
	for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++) {
		for (unsigned big = PT_PAGE_2M; big <= PT_PAGE_1G; big += 9) {
			struct pt pt;
			assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
			assert_int_equal(pt_map(&pt, GiB, 2 * GiB, 1ULL << big, perms[i], big), 0);
			struct pt_leaf before, after;
			assert_int_equal(pt_lookup(&pt, GiB, &before), 0);
			assert_int_equal(before.perms, perms[i]);
			assert_int_equal(pt_unmap(&pt, GiB + 4 * KiB, 4 * KiB), 0);
			assert_int_equal(pt_lookup(&pt, GiB, &after), 0);
			assert_int_equal(after.perms, perms[i]);
			assert_int_equal(after.level, 1);
			assert_int_equal(after.pa, 2 * GiB);
			xlat_va last = GiB + (1ULL << big) - 4 * KiB;
			assert_int_equal(pt_lookup(&pt, last, &after), 0);
			assert_int_equal(after.perms, perms[i]);
			assert_int_equal(after.pa + (last - after.va), 2 * GiB + (1ULL << big) - 4 * KiB);
			pt_destroy(&pt);
		}
	}
	phys_destroy(mem);
}

/* ---- errors -------------------------------------------------------------- */

static void test_map_errors(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 40), 0);
	/* misaligned va, pa, size for each page size */
	assert_int_equal(pt_map(&pt, 0x800, 0, 4 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0x800, 4 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 6 * KiB, RW, PT_PAGE_LARGEST), -EINVAL);
	assert_int_equal(pt_map(&pt, 4 * KiB, 0, 2 * MiB, RW, PT_PAGE_2M), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 4 * KiB, 2 * MiB, RW, PT_PAGE_2M), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 3 * MiB, RW, PT_PAGE_2M), -EINVAL);
	assert_int_equal(pt_map(&pt, 2 * MiB, 0, GiB, RW, PT_PAGE_1G), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 2 * MiB, GiB, RW, PT_PAGE_1G), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 0, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 4 * KiB, RW, 13), -EINVAL);
	/* non-canonical, crossing the hole, wrapping */
	assert_int_equal(pt_map(&pt, 0x0000800000000000ULL, 0, 4 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0xffff7ffffffff000ULL, 0, 4 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x00007ffffffff000ULL, 0, 8 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0xfffffffffffff000ULL, 0, 8 * KiB, RW, PT_PAGE_4K), -EINVAL);
	/* beyond MAXPHYADDR (40 bits here) */
	assert_int_equal(pt_map(&pt, 0, TiB, 4 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, TiB - 4 * KiB, 8 * KiB, RW, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, TiB - 4 * KiB, 4 * KiB, RW, PT_PAGE_4K), 0);
	/* the edges that are fine */
	assert_int_equal(pt_map(&pt, 0x00007ffffffff000ULL, 0, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 0xffff800000000000ULL, 0, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 0xfffffffffffff000ULL, 0, 4 * KiB, RW, PT_PAGE_4K), 0);
	expect_map(&pt, 0xffffffffffffffffULL, 4 * KiB - 1, 12, RW);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.leaves[1], 4);

	/* other calls check their ranges too */
	assert_int_equal(pt_unmap(&pt, 0x800, 4 * KiB), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0, 100), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0x0000800000000000ULL, 4 * KiB), -EINVAL);
	assert_int_equal(pt_protect(&pt, 0x0000800000000000ULL, 4 * KiB, RO), -EINVAL);
	assert_int_equal(pt_clear_ad(&pt, 0x0000800000000000ULL, 4 * KiB, NULL, NULL), -EINVAL);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt, 0x0000800000000000ULL, &l), -EINVAL);
	/* the top page can be unmapped with va + size == 2^64 */
	assert_int_equal(pt_unmap(&pt, 0xfffffffffffff000ULL, 4 * KiB), 0);
	expect_unmapped(&pt, 0xfffffffffffff000ULL);
	pt_destroy(&pt);

	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 11), -EINVAL);
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 53), -EINVAL);
	assert_int_equal(pt_init(&pt, NULL, &fmt_x86_4, 52), -EINVAL);
	assert_int_equal(pt_init(&pt, mem, NULL, 52), -EINVAL);
	pt_destroy(&pt);   /* after a failed init: harmless */
	assert_int_equal(allocated(mem), 0);
	phys_destroy(mem);
}

static void test_map_eexist_is_all_or_nothing(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 3 * GiB + 4 * KiB, 0, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 8 * GiB + 2 * MiB, 0, 2 * MiB, RW, PT_PAGE_2M), 0);
	struct pt_stats before = st_of(&pt);
	uint64_t frames = allocated(mem);

	/* Three 1 GiB leaves go in before the clash at 3G. */
	assert_int_equal(pt_map(&pt, 0, 0, 4 * GiB, RW, PT_PAGE_LARGEST), -EEXIST);
	expect_stats(&pt, &before);
	assert_int_equal(allocated(mem), frames);
	expect_unmapped(&pt, 0);
	expect_unmapped(&pt, 3 * GiB);
	expect_map(&pt, 3 * GiB + 4 * KiB, 0, 12, RW);

	/* A page inside a huge leaf, a huge leaf over a table, a range that
	 * creates a PD and a PT before it reaches the existing page, and one
	 * that fills a new PT before it reaches a huge leaf. */
	assert_int_equal(pt_map(&pt, 8 * GiB + 3 * MiB, 0, 4 * KiB, RW, PT_PAGE_4K), -EEXIST);
	assert_int_equal(pt_map(&pt, 3 * GiB, 0, 2 * MiB, RW, PT_PAGE_2M), -EEXIST);
	assert_int_equal(pt_map(&pt, 3 * GiB, 0, GiB, RW, PT_PAGE_LARGEST), -EEXIST);
	assert_int_equal(pt_map(&pt, 3 * GiB - 8 * KiB, 0, 16 * KiB, RW, PT_PAGE_4K), -EEXIST);
	assert_int_equal(pt_map(&pt, 8 * GiB, 0, 4 * MiB, RW, PT_PAGE_4K), -EEXIST);
	expect_stats(&pt, &before);
	assert_int_equal(allocated(mem), frames);
	expect_unmapped(&pt, 3 * GiB - 8 * KiB);
	expect_unmapped(&pt, 8 * GiB);
	pt_destroy(&pt);
	phys_destroy(mem);
}

static void test_map_enomem_rolls_back(void **state)
{
	(void)state;
	/* 16 frames of RAM: the root and 15 more. */
	struct phys *mem = phys_create(40, 64 * KiB);
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 40), 0);
	assert_int_equal(pt_map(&pt, GiB, 0, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(st_of(&pt).total_pages, 4);
	struct pt_stats before = st_of(&pt);

	/* 20 page tables (plus a PD) do not fit in 12 free frames. */
	assert_int_equal(pt_map(&pt, 0, 0, 40 * MiB, RW, PT_PAGE_4K), -ENOMEM);
	expect_stats(&pt, &before);
	assert_int_equal(allocated(mem), 4);
	expect_unmapped(&pt, 0);
	expect_map(&pt, GiB, 0, 12, RW);
	/* Same in the PD that exists already: its page table survives. */
	assert_int_equal(pt_map(&pt, GiB + 2 * MiB, 0, 40 * MiB, RW, PT_PAGE_4K), -ENOMEM);
	expect_stats(&pt, &before);
	assert_int_equal(allocated(mem), 4);

	/* What fits, fits: 12 more tables. */
	assert_int_equal(pt_map(&pt, GiB + 2 * MiB, 0, 12 * 2 * MiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(allocated(mem), 16);
	/* A 2M leaf needs no frame; splitting it does, and fails cleanly. */
	assert_int_equal(pt_map(&pt, GiB + 100 * MiB, 0, 2 * MiB, RW, PT_PAGE_2M), 0);
	assert_int_equal(pt_unmap(&pt, GiB + 100 * MiB, 4 * KiB), -ENOMEM);
	assert_int_equal(pt_protect(&pt, GiB + 100 * MiB, 4 * KiB, RO), -ENOMEM);
	expect_map(&pt, GiB + 100 * MiB, 0, 21, RW);
	assert_int_equal(st_of(&pt).leaves[2], 1);
	pt_destroy(&pt);
	assert_int_equal(allocated(mem), 0);

	/* pt_init itself with no frame left. */
	uint64_t pfn;
	assert_int_equal(phys_alloc(mem, 16, 1, &pfn), 0);
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 40), -ENOMEM);
	phys_free(mem, pfn, 16);

	/* Table frames must be addressable by the entries (MAXPHYADDR). */
	struct phys *big = phys_create(40, 0);
	assert_int_equal(phys_reserve(big, 0, 1ULL << 36), 0);
	assert_int_equal(pt_init(&pt, big, &fmt_x86_4, 36), -ENOMEM);
	assert_int_equal(allocated(big), 0);
	phys_destroy(big);
	phys_destroy(mem);
}

/* A table page freed by unmap and handed out again must not be reached
 * through the remembered level-1 table. */
static void test_hint_survives_reuse(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_unmap(&pt, 0, 4 * KiB), 0);      /* frees PT, PD, PDPT */
	assert_int_equal(pt_map(&pt, 512 * GiB, 0, 2 * MiB, RW, PT_PAGE_2M), 0);
	assert_int_equal(pt_map(&pt, 4 * KiB, 8 * KiB, 4 * KiB, RW, PT_PAGE_4K), 0);
	expect_map(&pt, 512 * GiB + 5, 5, 21, RW);
	expect_map(&pt, 4 * KiB, 8 * KiB, 12, RW);
	expect_unmapped(&pt, 0);
	assert_int_equal(st_of(&pt).total_pages, 1 + 2 + 3);

	/* Unmapping through the remembered table, to empty and beyond. */
	for (xlat_va a = 0; a < 4 * MiB; a += 4 * KiB)
		assert_int_equal(pt_map(&pt, 64 * GiB + a, a, 4 * KiB, RW, PT_PAGE_4K), 0);
	for (xlat_va a = 0; a < 4 * MiB; a += 4 * KiB)
		assert_int_equal(pt_unmap(&pt, 64 * GiB + a, 4 * KiB), 0);
	assert_int_equal(st_of(&pt).total_pages, 1 + 2 + 3);
	for (xlat_va a = 0; a < 4 * MiB; a += 4 * KiB)
		assert_int_equal(pt_map(&pt, 64 * GiB + a, a, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(st_of(&pt).total_pages, 1 + 2 + 3 + 3);
	expect_map(&pt, 64 * GiB + 3 * MiB, 3 * MiB, 12, RW);
	pt_destroy(&pt);
	assert_int_equal(allocated(mem), 0);
	phys_destroy(mem);
}

/* ---- lookup, iteration, A/D ------------------------------------------ */

static void test_lookup_fields(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	uint32_t perms = XLAT_R | XLAT_W | XLAT_U | XLAT_CACHE(3) | XLAT_PKEY(5);
	assert_int_equal(pt_map(&pt, 0xffffc00000200000ULL, 0x40200000, 2 * MiB, perms, PT_PAGE_2M), 0);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt, 0xffffc000002abcdeULL, &l), 0);
	assert_int_equal(l.va, 0xffffc00000200000ULL);
	assert_int_equal(l.pa, 0x40200000);
	assert_int_equal(l.level, 2);
	assert_int_equal(l.shift, 21);
	assert_int_equal(l.perms, perms);
	assert_false(l.accessed);
	assert_false(l.dirty);
	assert_int_equal(l.entry, fmt_make_leaf(&fmt_x86_4, 2, 0x40200000, perms));
	uint64_t e;
	assert_int_equal(phys_read64(mem, l.entry_pa, &e), 0);
	assert_int_equal(e, l.entry);
	/* the entry sits at the PD index of the address */
	assert_int_equal(l.entry_pa & 4095, 8 * xlat_index(2, 0xffffc00000200000ULL));
	expect_unmapped(&pt, 0xffffc00000400000ULL);
	expect_unmapped(&pt, 0xffffc00000000000ULL);
	pt_destroy(&pt);
	phys_destroy(mem);
}

struct collect {
	struct pt_leaf leaf[16];
	int n;
	int stop_after;   /* return stop_ret once n reaches it */
	int stop_ret;
};

static int collect_leaf(const struct pt_leaf *leaf, void *priv)
{
	struct collect *c = priv;
	if (c->n < 16)
		c->leaf[c->n] = *leaf;
	c->n++;
	return c->n == c->stop_after ? c->stop_ret : 0;
}

static void test_for_each(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0xfffffffffffff000ULL, 0x1000, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 0xffff800000000000ULL, 0x2000, 4 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, GiB, 0, GiB, RW, PT_PAGE_1G), 0);
	assert_int_equal(pt_map(&pt, 2 * MiB, 0, 2 * MiB, RW, PT_PAGE_2M), 0);
	assert_int_equal(pt_map(&pt, 4 * KiB, 0, 8 * KiB, RW, PT_PAGE_4K), 0);

	struct collect c = { 0 };
	assert_int_equal(pt_for_each(&pt, 0, 0, collect_leaf, &c), 0);
	assert_int_equal(c.n, 6);
	static const xlat_va order[] = { 4 * KiB, 8 * KiB, 2 * MiB, GiB, 0xffff800000000000ULL,
					 0xfffffffffffff000ULL };
	static const int level[] = { 1, 1, 2, 3, 1, 1 };
	for (int i = 0; i < 6; i++) {
		assert_int_equal(c.leaf[i].va, order[i]);
		assert_int_equal(c.leaf[i].level, level[i]);
	}
	assert_int_equal(c.leaf[5].pa, 0x1000);

	/* Overlap, not containment: the 2M and 1G leaves start before. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(pt_for_each(&pt, 3 * MiB, GiB + 1, collect_leaf, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.leaf[0].va, 2 * MiB);
	assert_int_equal(c.leaf[1].va, GiB);
	/* end is exclusive */
	memset(&c, 0, sizeof(c));
	assert_int_equal(pt_for_each(&pt, 12 * KiB, 2 * MiB, collect_leaf, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(pt_for_each(&pt, 5, 5, collect_leaf, &c), 0);
	assert_int_equal(c.n, 0);
	/* UINT64_MAX as the end still reaches the top page */
	memset(&c, 0, sizeof(c));
	assert_int_equal(pt_for_each(&pt, 0xffff000000000000ULL, UINT64_MAX, collect_leaf, &c), 0);
	assert_int_equal(c.n, 2);

	/* >0 stops and is returned; <0 is an error, returned too. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 3;
	c.stop_ret = 7;
	assert_int_equal(pt_for_each(&pt, 0, 0, collect_leaf, &c), 7);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof(c));
	c.stop_after = 5;
	c.stop_ret = -EIO;
	assert_int_equal(pt_for_each(&pt, 0, 0, collect_leaf, &c), -EIO);
	assert_int_equal(c.n, 5);
	pt_destroy(&pt);
	phys_destroy(mem);
}

static void test_clear_ad(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 16 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 2 * MiB, 0, 2 * MiB, RW, PT_PAGE_2M), 0);
	/* A on pages 0, 1; D on 1, 3 and the 2M leaf */
	static const struct { xlat_va va; uint64_t bits; } set[] = {
		{ 0, FMT_X86_A }, { 4 * KiB, FMT_X86_A | FMT_X86_D }, { 12 * KiB, FMT_X86_D }, { 2 * MiB, FMT_X86_A | FMT_X86_D },
	};
	for (size_t i = 0; i < 4; i++) {
		struct pt_leaf l;
		assert_int_equal(pt_lookup(&pt, set[i].va, &l), 0);
		assert_int_equal(phys_write64(mem, l.entry_pa, l.entry | set[i].bits), 0);
	}
	/* Only leaves overlapping the range; the 2M leaf is cleared whole. */
	assert_int_equal(pt_clear_ad(&pt, 8 * KiB, 3 * MiB - 8 * KiB, NULL, NULL), 2);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt, 12 * KiB, &l), 0);
	assert_false(l.dirty);
	assert_int_equal(pt_lookup(&pt, 2 * MiB + 5 * KiB, &l), 0);
	assert_false(l.dirty);
	assert_false(l.accessed);
	assert_int_equal(pt_lookup(&pt, 4 * KiB, &l), 0);
	assert_true(l.accessed && l.dirty);
	assert_int_equal(pt_clear_ad(&pt, 0, 4 * MiB, NULL, NULL), 1);
	assert_int_equal(pt_clear_ad(&pt, 0, 4 * MiB, NULL, NULL), 0);
	assert_int_equal(pt_lookup(&pt, 0, &l), 0);
	assert_false(l.accessed);
	assert_int_equal(l.entry, fmt_make_leaf(&fmt_x86_4, 1, 0, RW));
	assert_int_equal(pt_clear_ad(&pt, 0, 0, NULL, NULL), 0);
	pt_destroy(&pt);
	phys_destroy(mem);
}

/* pt_clear_ad says which leaves were dirty, each as it was, once. */
struct dirty_list {
	unsigned n;
	xlat_va va[8];
	unsigned shift[8];
};

static int collect_dirty(const struct pt_leaf *leaf, void *priv)
{
	struct dirty_list *d = priv;

	assert_true(leaf->dirty);
	if (d->n < 8) {
		d->va[d->n] = leaf->va;
		d->shift[d->n] = leaf->shift;
	}
	d->n++;
	return 0;
}

static int stop_at_once(const struct pt_leaf *leaf, void *priv)
{
	(void)leaf;
	(void)priv;
	return -EINTR;
}

static void test_clear_ad_reports_dirty(void **state)
{
	struct phys *mem = phys_create(40, 0);
	struct pt pt;
	struct dirty_list d = { 0 };
	(void)state;

	assert_int_equal(pt_init(&pt, mem, &fmt_x86_4, 40), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 16 * KiB, RW, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 2 * MiB, 0, 2 * MiB, RW, PT_PAGE_2M), 0);
	static const xlat_va dirty[] = { 4 * KiB, 12 * KiB, 2 * MiB };
	for (size_t i = 0; i < 3; i++) {
		struct pt_leaf l;
		assert_int_equal(pt_lookup(&pt, dirty[i], &l), 0);
		assert_int_equal(phys_write64(mem, l.entry_pa, l.entry | FMT_X86_A | FMT_X86_D), 0);
	}
	assert_int_equal(pt_clear_ad(&pt, 0, 4 * MiB, collect_dirty, &d), 3);
	assert_int_equal(d.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(d.va[i], dirty[i]);
		assert_int_equal(d.shift[i], i < 2 ? 12 : 21);
	}
	d.n = 0;
	assert_int_equal(pt_clear_ad(&pt, 0, 4 * MiB, collect_dirty, &d), 0);
	assert_int_equal(d.n, 0);
	/* A callback error stops the walk and is returned. */
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt, 0, &l), 0);
	assert_int_equal(phys_write64(mem, l.entry_pa, l.entry | FMT_X86_D), 0);
	assert_int_equal(pt_clear_ad(&pt, 0, 4 * MiB, stop_at_once, NULL), -EINTR);
	pt_destroy(&pt);
	phys_destroy(mem);
}

/* ---- formats, backings ------------------------------------------------- */

static void test_ept_tables(void **state)
{
	(void)state;
	struct phys *mem = mem_new();
	struct pt pt;
	assert_int_equal(pt_init(&pt, mem, &fmt_ept_4, 52), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 64 * MiB, XLAT_RWX, PT_PAGE_4K), 0);
	assert_int_equal(st_of(&pt).table_bytes, 143360);
	assert_int_equal(pt_map(&pt, GiB, 0, 256 * MiB, XLAT_RWX, PT_PAGE_2M), 0);
	assert_int_equal(pt_map(&pt, 2 * GiB, 0, GiB, XLAT_R, PT_PAGE_1G), 0);
	struct pt_stats st = st_of(&pt);
	assert_int_equal(st.total_pages, 35 + 1);
	struct pt_leaf l;
	assert_int_equal(pt_lookup(&pt, 2 * GiB + 5, &l), 0);
	assert_int_equal(l.entry & 7, FMT_EPT_R);
	assert_true(l.entry & FMT_EPT_PS);

	/* Inputs are zero-extended: the x86 high half does not exist. */
	assert_int_equal(pt_map(&pt, 0xffff800000000000ULL, 0, 4 * KiB, XLAT_R, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_map(&pt, (1ULL << 48) - 4 * KiB, 0, 4 * KiB, XLAT_R, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(&pt, 0x0000800000000000ULL, 0, 4 * KiB, XLAT_R, PT_PAGE_4K), 0);
	/* No R, W or X: the entry would not be present. */
	assert_int_equal(pt_map(&pt, 4 * GiB, 0, 4 * KiB, 0, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_protect(&pt, 0, 4 * KiB, 0), -EINVAL);

	/* Split a 1G EPT leaf by protecting one page. */
	assert_int_equal(pt_protect(&pt, 2 * GiB + 4 * KiB, 4 * KiB, XLAT_R | XLAT_W), 0);
	assert_int_equal(pt_lookup(&pt, 2 * GiB + 4 * KiB, &l), 0);
	assert_int_equal(l.entry & 7, FMT_EPT_R | FMT_EPT_W);
	assert_int_equal(l.level, 1);
	assert_int_equal(pt_lookup(&pt, 2 * GiB + 8 * KiB, &l), 0);
	assert_int_equal(l.entry & 7, FMT_EPT_R);
	pt_destroy(&pt);

	for (int levels = 4; levels <= 5; levels++) {
		assert_int_equal(pt_init(&pt, mem, fmt_ept(levels), 52), 0);
		assert_int_equal(pt_map(&pt, 0, 0, 64 * MiB, XLAT_RWX, PT_PAGE_LARGEST), 0);
		assert_int_equal(st_of(&pt).total_pages, (uint64_t)levels - 1);
		assert_int_equal(pt_unmap(&pt, 0, 64 * MiB), 0);
		assert_int_equal(st_of(&pt).total_pages, 1);
		pt_destroy(&pt);
	}
	assert_int_equal(allocated(mem), 0);
	phys_destroy(mem);
}

/* A fixed mix of operations: maps of every size, splits, unmaps that free
 * tables (so frames get reused), protects. */
static void build_tables(struct pt *pt)
{
	assert_int_equal(pt_map(pt, 0, 0x100000, 3 * MiB, RW | XLAT_X, PT_PAGE_LARGEST), 0);
	assert_int_equal(pt_map(pt, GiB, 4 * GiB, GiB, RW, PT_PAGE_1G), 0);
	assert_int_equal(pt_map(pt, 8 * GiB, 6 * MiB, 6 * MiB, RW | XLAT_U, PT_PAGE_2M), 0);
	assert_int_equal(pt_map(pt, 0xffff800000000000ULL, 0, 64 * KiB, RW | XLAT_G, PT_PAGE_4K), 0);
	assert_int_equal(pt_protect(pt, GiB + 3 * MiB, 4 * KiB, RO), 0);
	assert_int_equal(pt_unmap(pt, 8 * GiB + 2 * MiB + 8 * KiB, 4 * KiB), 0);
	assert_int_equal(pt_unmap(pt, 0, 3 * MiB), 0);
	assert_int_equal(pt_map(pt, 300 * GiB, 0, 40 * KiB, RO, PT_PAGE_4K), 0);
	assert_int_equal(pt_map(pt, 4 * MiB, 0x100000, 1 * MiB, RW, PT_PAGE_4K), 0);
}

struct offset_view {
	uint64_t offset;
};

static int offset_resolve(void *ctx, xlat_pa pa, bool write, uint64_t *lower_pfn)
{
	(void)write;
	*lower_pfn = (pa >> 12) + ((struct offset_view *)ctx)->offset;
	return 0;
}

static void test_backings_identical(void **state)
{
	(void)state;
	const uint64_t ram = 8 * MiB;
	uint8_t *buf = calloc(1, ram);
	struct phys *on_buf = phys_create_buffer(buf, ram);
	struct phys *host = phys_create(40, 0);
	struct offset_view ov = { .offset = 12345 };
	struct phys *view = phys_create_view(host, 36, ram, offset_resolve, &ov);
	struct phys *sparse = phys_create(40, ram);
	struct phys *spaces[3] = { on_buf, view, sparse };
	struct pt pts[3];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pt_init(&pts[i], spaces[i], &fmt_x86_4, 40), 0);
		build_tables(&pts[i]);
	}
	struct pt_stats s0 = st_of(&pts[0]);
	assert_true(s0.total_pages > 8);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(pts[i].root, pts[0].root);
		expect_stats(&pts[i], &s0);
	}
	/* Byte for byte, every frame of the three spaces. */
	static uint8_t a[4096], b[4096];
	for (uint64_t pfn = 0; pfn < ram >> 12; pfn++) {
		assert_int_equal(phys_read(on_buf, pfn << 12, a, 4096), 0);
		for (int i = 1; i < 3; i++) {
			assert_int_equal(phys_read(spaces[i], pfn << 12, b, 4096), 0);
			assert_memory_equal(a, b, 4096);
		}
	}
	/* and the view's bytes are really in the host space */
	uint64_t e0, e1;
	assert_int_equal(phys_read64(on_buf, pts[0].root, &e0), 0);
	assert_int_equal(phys_read64(host, pts[0].root + (ov.offset << 12), &e1), 0);
	assert_int_equal(e0, e1);
	assert_true(e0 != 0);
	for (int i = 0; i < 3; i++) {
		pt_destroy(&pts[i]);
		assert_int_equal(allocated(spaces[i]), 0);
		phys_destroy(spaces[i]);
	}
	phys_destroy(host);
	free(buf);
}

static void test_flat_and_valid_va(void **state)
{
	(void)state;
	assert_int_equal(pt_flat_table_bytes(48, 12, 8), 512 * GiB);
	assert_int_equal(pt_flat_table_bytes(57, 12, 8), 1ULL << 48);
	assert_int_equal(pt_flat_table_bytes(32, 12, 4), 4 * MiB);
	assert_int_equal(pt_flat_table_bytes(48, 21, 8), GiB);
	assert_int_equal(pt_flat_table_bytes(12, 12, 8), 8);
	assert_int_equal(pt_flat_table_bytes(64, 0, 8), UINT64_MAX);

	static const struct { const struct xlat_format *fmt; xlat_va va; bool ok; } cases[] = {
		{ &fmt_x86_4, 0, true },
		{ &fmt_x86_4, 0x00007fffffffffffULL, true },
		{ &fmt_x86_4, 0x0000800000000000ULL, false },
		{ &fmt_x86_4, 0xffff7fffffffffffULL, false },
		{ &fmt_x86_4, 0xffff800000000000ULL, true },
		{ &fmt_x86_4, 0xffffffffffffffffULL, true },
		{ &fmt_x86_4, 0x0100000000000000ULL, false },
		{ &fmt_x86_5, 0x00ffffffffffffffULL, true },
		{ &fmt_x86_5, 0x0100000000000000ULL, false },
		{ &fmt_x86_5, 0xff00000000000000ULL, true },
		{ &fmt_x86_5, 0xfeffffffffffffffULL, false },
		{ &fmt_x86_5, 0x0000800000000000ULL, true },
		{ &fmt_ept_4, 0x0000ffffffffffffULL, true },
		{ &fmt_ept_4, 0x0001000000000000ULL, false },
		{ &fmt_ept_4, 0xffff800000000000ULL, false },
		{ &fmt_ept_5, 0x01ffffffffffffffULL, true },
		{ &fmt_ept_5, 0x0200000000000000ULL, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(pt_valid_va(cases[i].fmt, cases[i].va), cases[i].ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64m_on_4k),
		cmocka_unit_test(test_256m_on_2m_and_4k),
		cmocka_unit_test(test_1g_page),
		cmocka_unit_test(test_largest_mix),
		cmocka_unit_test(test_level_boundaries),
		cmocka_unit_test(test_protect_splits_1g),
		cmocka_unit_test(test_unmap_splits_and_frees),
		cmocka_unit_test(test_split_keeps_every_perm_bit),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_map_eexist_is_all_or_nothing),
		cmocka_unit_test(test_map_enomem_rolls_back),
		cmocka_unit_test(test_hint_survives_reuse),
		cmocka_unit_test(test_lookup_fields),
		cmocka_unit_test(test_for_each),
		cmocka_unit_test(test_clear_ad),
		cmocka_unit_test(test_clear_ad_reports_dirty),
		cmocka_unit_test(test_ept_tables),
		cmocka_unit_test(test_backings_identical),
		cmocka_unit_test(test_flat_and_valid_va),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
