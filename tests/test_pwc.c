/*
 * xlat/pwc.h: deepest hit, per-level sizes and LRU, the unified array,
 * tags and flushes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "xlat/pwc.h"

#define G1 (1ULL << 30)
#define M2 (1ULL << 21)
#define G512 (1ULL << 39)

static struct pwc *split(unsigned pml5e, unsigned pml4e, unsigned pdpte, unsigned pde)
{
	struct pwc_config c = { .style = PWC_SPLIT, .entries = { 0, 0, pde, pdpte, pml4e, pml5e } };
	struct pwc *p = pwc_create(&c);
	if (!p)
		print_error("pwc_create: %s\n", xlat_error());
	assert_non_null(p);
	return p;
}

static struct pwc *unified(unsigned entries, unsigned ways)
{
	struct pwc_config c = { .style = PWC_UNIFIED, .unified_entries = entries, .unified_ways = ways };
	struct pwc *p = pwc_create(&c);
	if (!p)
		print_error("pwc_create: %s\n", xlat_error());
	assert_non_null(p);
	return p;
}

/* Fills the entries a 4-level walk of va reads on its way down. */
static void fill_walk(struct pwc *p, uint32_t tag, uint64_t va, int top)
{
	for (int l = top; l >= 2; l--)
		pwc_fill(p, tag, va, l, 0x1000ULL * (uint64_t)l + (va >> xlat_level_shift(l) << 20), 0x10u | (unsigned)l);
}

static void deepest_hit(void **state)
{
	(void)state;
	struct pwc *caches[2] = { split(1, 2, 4, 32), unified(64, 0) };

	for (int k = 0; k < 2; k++) {
		struct pwc *p = caches[k];
		struct pwc_hit h;
		const uint64_t va = 3 * G512 + 5 * G1 + 7 * M2 + 0x1234;

		assert_false(pwc_lookup(p, 1, va, 4, &h));
		fill_walk(p, 1, va, 4);
		memset(&h, 0, sizeof h);
		assert_true(pwc_lookup(p, 1, va, 4, &h));
		assert_int_equal(h.level, 2);
		assert_int_equal(h.table, 0x2000 + (va >> 21 << 20));
		assert_int_equal(h.perms, 0x12);
		/* Same 1 GiB, other 2 MiB: the PDPTE entry is the deepest. */
		assert_true(pwc_lookup(p, 1, va + M2, 4, &h));
		assert_int_equal(h.level, 3);
		assert_int_equal(h.table, 0x3000 + (va >> 30 << 20));
		assert_int_equal(h.perms, 0x13);
		/* Same 512 GiB, other 1 GiB: PML4E. */
		assert_true(pwc_lookup(p, 1, va + G1, 4, &h));
		assert_int_equal(h.level, 4);
		/* top_level bounds the search: a 3-level lookup cannot use it. */
		assert_false(pwc_lookup(p, 1, va + G1, 3, &h));
		assert_true(pwc_lookup(p, 1, va, 3, &h));
		assert_int_equal(h.level, 2);
		assert_false(pwc_lookup(p, 1, va + M2 + G1, 1, &h));
		/* Other 512 GiB: nothing. */
		assert_false(pwc_lookup(p, 1, va + G512, 4, &h));
		/* Other tag: nothing. */
		assert_false(pwc_lookup(p, 2, va, 4, &h));
		/* The PDE cache covers exactly one 2 MiB region. */
		assert_true(pwc_lookup(p, 1, (va & ~(M2 - 1)), 4, &h));
		assert_int_equal(h.level, 2);
		assert_true(pwc_lookup(p, 1, (va | (M2 - 1)), 4, &h));
		assert_int_equal(h.level, 2);
		assert_true(pwc_lookup(p, 1, (va & ~(M2 - 1)) - 1, 4, &h));
		assert_int_equal(h.level, 3);

		const struct pwc_stats *st = pwc_get_stats(p);
		assert_int_equal(st->hits_at[2], 4);
		assert_int_equal(st->hits_at[3], 2);
		assert_int_equal(st->hits_at[4], 1);
		assert_int_equal(st->misses, 5);
		assert_int_equal(st->lookups, 12);
		assert_int_equal(st->fills, 3);
		pwc_reset_stats(p);
		assert_int_equal(pwc_get_stats(p)->lookups, 0);
		pwc_destroy(p);
	}
}

static void split_level_sizes_and_lru(void **state)
{
	(void)state;
	/* 32 PDE entries: 33 distinct 2 MiB regions evict the oldest. */
	struct pwc *p = split(0, 0, 0, 32);
	struct pwc_hit h;

	for (unsigned i = 0; i < 32; i++)
		pwc_fill(p, 0, i * M2, 2, i, 7);
	for (unsigned i = 0; i < 32; i++)
		assert_true(pwc_lookup(p, 0, i * M2, 4, &h));
	assert_true(pwc_lookup(p, 0, 0, 4, &h));        /* region 0 most recent */
	pwc_fill(p, 0, 32 * M2, 2, 32, 7);
	assert_true(pwc_lookup(p, 0, 0, 4, &h));
	assert_false(pwc_lookup(p, 0, 1 * M2, 4, &h));  /* LRU victim */
	assert_true(pwc_lookup(p, 0, 32 * M2, 4, &h));
	/* No PDPTE/PML4E cache: fills there are dropped. */
	pwc_fill(p, 0, 0, 3, 0x9000, 7);
	pwc_fill(p, 0, 0, 4, 0x9000, 7);
	assert_true(pwc_lookup(p, 0, 0, 4, &h));
	assert_int_equal(h.level, 2);
	assert_false(pwc_lookup(p, 0, 100 * M2, 4, &h));
	/* Refilling an existing entry replaces it without evicting. */
	pwc_fill(p, 0, 5, 2, 0xabc000, 1);
	assert_true(pwc_lookup(p, 0, 0, 4, &h));
	assert_int_equal(h.table, 0xabc000);
	assert_int_equal(h.perms, 1);
	for (unsigned i = 2; i <= 32; i++)
		assert_true(pwc_lookup(p, 0, i * M2, 4, &h));
	pwc_destroy(p);

	/* Each level counts on its own: 2 PML4E entries, 4 PDPTE entries. */
	p = split(0, 2, 4, 0);
	for (unsigned i = 0; i < 3; i++)
		pwc_fill(p, 0, i * G512, 4, i, 7);
	for (unsigned i = 0; i < 5; i++)
		pwc_fill(p, 0, i * G1, 3, i, 7);
	unsigned l4 = 0, l3 = 0;
	for (unsigned i = 0; i < 3; i++)
		l4 += pwc_lookup(p, 0, i * G512 + 100 * G1, 4, &h) && h.level == 4;
	for (unsigned i = 0; i < 5; i++)
		l3 += pwc_lookup(p, 0, i * G1, 3, &h) && h.level == 3;
	assert_int_equal(l4, 2);
	assert_int_equal(l3, 4);
	/* PML5E cache: level 5 is used only when top_level is 5. */
	pwc_destroy(p);
	p = split(1, 0, 0, 0);
	pwc_fill(p, 0, 1ULL << 48, 5, 0x5000, 7);
	assert_false(pwc_lookup(p, 0, 1ULL << 48, 4, &h));
	assert_true(pwc_lookup(p, 0, (1ULL << 48) + G512, 5, &h));
	assert_int_equal(h.level, 5);
	assert_int_equal(h.table, 0x5000);
	assert_false(pwc_lookup(p, 0, 2ULL << 48, 5, &h));
	pwc_destroy(p);
}

static void unified_sets(void **state)
{
	(void)state;
	/* 8 entries, 2 ways: 4 sets; entries of every level compete. */
	struct pwc *p = unified(8, 2);
	struct pwc_hit h;

	/* (prefix + level) % 4 == 0: PDE prefixes 2, 6, 10 share a set with
	 * PDPTE prefix 1. */
	pwc_fill(p, 0, 2 * M2, 2, 0x2, 7);
	pwc_fill(p, 0, 6 * M2, 2, 0x6, 7);
	pwc_fill(p, 0, 1 * G1 + 100 * M2, 3, 0x1, 7);    /* evicts PDE 2 */
	assert_false(pwc_lookup(p, 0, 2 * M2, 2, &h));
	assert_true(pwc_lookup(p, 0, 6 * M2, 2, &h));
	assert_true(pwc_lookup(p, 0, 1 * G1, 3, &h));
	assert_int_equal(h.level, 3);
	/* Other sets are untouched. */
	pwc_fill(p, 0, 3 * M2, 2, 0x3, 7);
	pwc_fill(p, 0, 4 * M2, 2, 0x4, 7);
	pwc_fill(p, 0, 5 * M2, 2, 0x5, 7);
	assert_true(pwc_lookup(p, 0, 6 * M2, 2, &h));
	assert_true(pwc_lookup(p, 0, 1 * G1, 3, &h));
	pwc_destroy(p);
}

static void flushes(void **state)
{
	(void)state;
	struct pwc *caches[2] = { split(0, 2, 4, 32), unified(32, 4) };

	for (int k = 0; k < 2; k++) {
		struct pwc *p = caches[k];
		struct pwc_hit h;
		fill_walk(p, 1, 0, 4);
		fill_walk(p, 2, 0, 4);
		fill_walk(p, 3, 0, 4);

		/* INVLPG drops every entry of its tag, whatever the va. */
		pwc_invlpg(p, 1, 0x7fff00000000ULL);
		assert_false(pwc_lookup(p, 1, 0, 4, &h));
		assert_true(pwc_lookup(p, 2, 0, 4, &h));
		assert_int_equal(h.level, 2);

		pwc_flush_tag(p, 2);
		assert_false(pwc_lookup(p, 2, 0, 4, &h));
		assert_true(pwc_lookup(p, 3, 0, 4, &h));

		pwc_flush_all(p);
		assert_false(pwc_lookup(p, 3, 0, 4, &h));
		assert_int_equal(pwc_get_stats(p)->flushes, 3);
		pwc_destroy(p);
	}
}

static void none_and_bad_configs(void **state)
{
	(void)state;
	struct pwc_config c = { .style = PWC_NONE };
	struct pwc *p = pwc_create(&c);
	struct pwc_hit h;

	assert_non_null(p);
	pwc_fill(p, 0, 0, 2, 0x1000, 7);
	assert_false(pwc_lookup(p, 0, 0, 4, &h));
	assert_int_equal(pwc_get_config(p)->style, PWC_NONE);
	pwc_destroy(p);
	assert_false(pwc_lookup(NULL, 0, 0, 4, &h));
	pwc_destroy(NULL);

	c = (struct pwc_config){ .style = PWC_UNIFIED, .unified_entries = 0 };
	assert_null(pwc_create(&c));
	c = (struct pwc_config){ .style = PWC_UNIFIED, .unified_entries = 10, .unified_ways = 4 };
	assert_null(pwc_create(&c));
	assert_non_null(strstr(xlat_error(), "multiple"));
	c = (struct pwc_config){ .style = PWC_UNIFIED, .unified_entries = 4, .unified_ways = 8 };
	assert_null(pwc_create(&c));
	c = (struct pwc_config){ .style = PWC_SPLIT, .entries = { 0, 4 } };
	assert_null(pwc_create(&c));
	assert_non_null(strstr(xlat_error(), "levels 2..5"));
	c = (struct pwc_config){ .style = (enum pwc_style)9 };
	assert_null(pwc_create(&c));
	assert_null(pwc_create(NULL));
	/* A split config with no level cached is valid and never hits. */
	c = (struct pwc_config){ .style = PWC_SPLIT };
	p = pwc_create(&c);
	assert_non_null(p);
	pwc_fill(p, 0, 0, 2, 0x1000, 7);
	assert_false(pwc_lookup(p, 0, 0, 4, &h));
	pwc_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deepest_hit),
		cmocka_unit_test(split_level_sizes_and_lru),
		cmocka_unit_test(unified_sets),
		cmocka_unit_test(flushes),
		cmocka_unit_test(none_and_bad_configs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
