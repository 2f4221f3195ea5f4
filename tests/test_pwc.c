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
#include <stdbool.h>
#include <string.h>

#include "xlat/pwc.h"
#include "xlat/tlb.h"
#include "hardware/pwc_impl.h"

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
		assert_int_equal(h.rights, 0x12);
		/* Same 1 GiB, other 2 MiB: the PDPTE entry is the deepest. */
		assert_true(pwc_lookup(p, 1, va + M2, 4, &h));
		assert_int_equal(h.level, 3);
		assert_int_equal(h.table, 0x3000 + (va >> 30 << 20));
		assert_int_equal(h.rights, 0x13);
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
	assert_int_equal(h.rights, 1);
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

/* ---- a brute-force reference ------------------------------------------
 * The contract of xlat/pwc.h written the obvious way: arrays of (tag,
 * level, prefix, table, perms, last use); lookup scans levels 2..top for
 * the deepest hit and refreshes it; a fill refreshes an existing entry or
 * takes an invalid way, else the least recently used of its set. */

#define REF_MAX 256

struct ref_entry {
	bool valid;
	uint32_t tag, perms;
	int level;
	uint64_t prefix, table, used;
};

struct ref_pwc {
	struct pwc_config cfg;
	struct ref_entry e[XLAT_MAX_LEVELS + 1][REF_MAX];   /* split: by level; unified: [0] */
	uint64_t now;
};

/* The array for level l and the range [*lo, *hi) of its set. */
static struct ref_entry *ref_array(struct ref_pwc *r, int l, uint64_t prefix, unsigned *lo, unsigned *hi)
{
	if (r->cfg.style == PWC_SPLIT) {
		*lo = 0;
		*hi = r->cfg.entries[l];
		return *hi ? r->e[l] : NULL;
	}
	unsigned n = r->cfg.unified_entries, w = r->cfg.unified_ways ? r->cfg.unified_ways : n;
	unsigned set = (unsigned)((prefix + (uint64_t)l) % (n / w));
	*lo = set * w;
	*hi = *lo + w;
	return r->e[0];
}

static bool ref_lookup(struct ref_pwc *r, uint32_t tag, uint64_t va, int top, struct pwc_hit *h)
{
	for (int l = 2; l <= top && l <= XLAT_MAX_LEVELS; l++) {
		uint64_t prefix = va >> xlat_level_shift(l);
		unsigned lo, hi;
		struct ref_entry *a = ref_array(r, l, prefix, &lo, &hi);
		for (unsigned i = lo; a && i < hi; i++)
			if (a[i].valid && a[i].tag == tag && a[i].level == l && a[i].prefix == prefix) {
				a[i].used = ++r->now;
				*h = (struct pwc_hit){ .level = l, .table = a[i].table, .rights = a[i].perms };
				return true;
			}
	}
	return false;
}

static void ref_fill(struct ref_pwc *r, uint32_t tag, uint64_t va, int l, uint64_t table, uint32_t perms)
{
	uint64_t prefix = va >> xlat_level_shift(l);
	unsigned lo, hi;
	struct ref_entry *a = ref_array(r, l, prefix, &lo, &hi);
	int v = -1;
	if (!a)
		return;
	for (unsigned i = lo; i < hi && v < 0; i++)
		if (a[i].valid && a[i].tag == tag && a[i].level == l && a[i].prefix == prefix)
			v = (int)i;
	for (unsigned i = lo; i < hi && v < 0; i++)
		if (!a[i].valid)
			v = (int)i;
	if (v < 0) {
		v = (int)lo;
		for (unsigned i = lo; i < hi; i++)
			if (a[i].used < a[v].used)
				v = (int)i;
	}
	a[v] = (struct ref_entry){ true, tag, perms, l, prefix, table, ++r->now };
}

static void ref_flush(struct ref_pwc *r, bool all, uint32_t tag)
{
	for (int l = 0; l <= XLAT_MAX_LEVELS; l++)
		for (unsigned i = 0; i < REF_MAX; i++)
			if (all || r->e[l][i].tag == tag)
				r->e[l][i].valid = false;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random walks' lookups and fills, with flushes, over several geometries:
 * every lookup must agree with the reference (hit, level, table, perms). */
static void matches_reference(void **state)
{
	(void)state;
	static const struct pwc_config cfgs[] = {
		{ .style = PWC_SPLIT, .entries = { 0, 0, 32, 4, 2, 0 } },
		{ .style = PWC_SPLIT, .entries = { 0, 0, 8, 0, 3, 2 } },
		{ .style = PWC_SPLIT, .entries = { 0, 0, 1, 1, 1, 1 } },
		{ .style = PWC_UNIFIED, .unified_entries = 64 },
		{ .style = PWC_UNIFIED, .unified_entries = 24, .unified_ways = 4 },
		{ .style = PWC_UNIFIED, .unified_entries = 7, .unified_ways = 1 },
	};
	static struct ref_pwc ref;
	uint64_t seed = 0x243f6a8885a308d3ULL;

	for (size_t k = 0; k < sizeof cfgs / sizeof cfgs[0]; k++) {
		struct pwc *p = pwc_create(&cfgs[k]);
		assert_non_null(p);
		memset(&ref, 0, sizeof ref);
		ref.cfg = cfgs[k];
		for (int n = 0; n < 200000; n++) {
			uint64_t x = rng_next(&seed);
			/* A few hundred 2 MiB regions in a few 1 GiB and 512 GiB ones,
			 * 4- or 5-level walks, two tags. */
			uint64_t va = ((x & 3) << 48) | (((x >> 2) & 7) << 39) | (((x >> 5) & 7) << 30) |
				      (((x >> 8) & 31) << 21) | ((x >> 20) & 0xfff);
			uint32_t tag = (uint32_t)(x >> 40) & 1;
			int top = (x >> 45) & 1 ? 5 : 4;
			if ((x >> 50) % 4096 == 0) {
				bool all = (x >> 62) & 1;
				if (all)
					pwc_flush_all(p);
				else
					pwc_flush_tag(p, tag);
				ref_flush(&ref, all, tag);
				continue;
			}
			struct pwc_hit h = { 0 }, g = { 0 };
			bool hr = ref_lookup(&ref, tag, va, top, &h);
			bool hp = pwc_lookup(p, tag, va, top, &g);
			if (hr != hp || h.level != g.level || h.table != g.table || h.rights != g.rights)
				print_error("config %zu step %d va 0x%llx tag %u: pwc %d L%d 0x%llx %llx, reference %d L%d 0x%llx %llx\n",
					    k, n, (unsigned long long)va, tag, hp, g.level,
					    (unsigned long long)g.table, (unsigned long long)g.rights, hr, h.level,
					    (unsigned long long)h.table, (unsigned long long)h.rights);
			assert_int_equal(hp, hr);
			assert_int_equal(g.level, h.level);
			assert_int_equal(g.table, h.table);
			assert_int_equal(g.rights, h.rights);
			/* The walk fills the levels below the hit. */
			for (int l = hr ? h.level - 1 : top; l >= 2; l--) {
				uint64_t table = (x * (uint64_t)l) & 0xfffffff000ULL;
				uint32_t perms = (uint32_t)(x >> (l * 3)) & 0x1f;
				pwc_fill(p, tag, va, l, table, perms);
				ref_fill(&ref, tag, va, l, table, perms);
			}
		}
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

/* ---- AMD: a page directory cache of PML4Es and PDPEs, PDEs in the L2 TLB -- */

static struct pwc *amd(unsigned entries)
{
	struct pwc_config c = { .style = PWC_AMD, .unified_entries = entries };
	struct pwc *p = pwc_create(&c);
	if (!p)
		print_error("pwc_create: %s\n", xlat_error());
	assert_non_null(p);
	return p;
}

#define MARK 0x80000000u

static void amd_levels_and_pdes_in_the_tlb(void **state)
{
	(void)state;
	const uint64_t va = 3 * G512 + 5 * G1 + 7 * M2 + 0x1234;
	struct pwc_hit h;

	/* Alone (no TLB attached): PDEs are not cached, the upper levels are. */
	struct pwc *p = amd(64);
	fill_walk(p, 1, va, 4);
	assert_true(pwc_lookup(p, 1, va, 4, &h));
	assert_int_equal(h.level, 3);
	assert_int_equal(pwc_get_stats(p)->hits_at[2], 0);

	/* With a 2-entry, 2-way L2 TLB holding 4K and 2M pages: the PDE goes
	 * there, and comes back with its table and rights word (bits 11:0 and
	 * 63:32 exact, 31:12 ones). */
	struct tlb_config tc = { "L2", 1, { { 2, 2, TLB_LRU, TLB_4K | TLB_2M, false } }, 1 };
	struct tlb *t = tlb_create(&tc);
	assert_non_null(t);
	pwc_attach_pde_tlb(p, t, MARK);
	const uint64_t rights = 0x8000000500000fa6ULL;
	pwc_fill(p, 1, va, 2, 0x7654000, rights);
	assert_int_equal(tlb_live(t), 1);
	memset(&h, 0, sizeof h);
	assert_true(pwc_lookup(p, 1, va + M2 - 1 - 0x1234, 4, &h));
	assert_int_equal(h.level, 2);
	assert_int_equal(h.table, 0x7654000);
	assert_int_equal(h.rights, 0x80000005ffffffa6ULL);
	assert_int_equal(pwc_get_stats(p)->hits_at[2], 1);
	/* Another tag, or the next 2 MiB, misses the PDE (the PDPE is found). */
	assert_true(pwc_lookup(p, 1, va + M2, 4, &h));
	assert_int_equal(h.level, 3);
	assert_false(pwc_lookup(p, 2, va, 4, &h));
	/* No translation sees it: a lookup under the tag misses. */
	assert_false(tlb_lookup(t, 1, va, NULL));

	/* Translations and PDEs compete: two translations evict it (LRU, one
	 * set of two ways); a PDE fill evicts a translation in turn. */
	struct tlb_xlat x = { .pa = 0x100000, .shift = 12, .perms = 1 };
	tlb_insert(t, 1, 0x1000, &x);
	tlb_insert(t, 1, 0x2000, &x);
	assert_true(pwc_lookup(p, 1, va, 4, &h));
	assert_int_equal(h.level, 3);
	pwc_fill(p, 1, va, 2, 0x7654000, rights);
	assert_false(tlb_lookup(t, 1, 0x1000, NULL));
	assert_true(tlb_lookup(t, 1, 0x2000, NULL));

	/* Flushes: the tag's PDEs go with pwc_flush_tag and pwc_invlpg, every
	 * PDE with pwc_flush_all; translations stay. */
	pwc_flush_tag(p, 2);
	assert_true(pwc_lookup(p, 1, va, 4, &h) && h.level == 2);
	pwc_invlpg(p, 1, va);
	assert_false(pwc_lookup(p, 1, va, 4, &h));
	assert_true(tlb_lookup(t, 1, 0x2000, NULL));
	fill_walk(p, 3, va, 4);
	assert_true(pwc_lookup(p, 3, va, 4, &h) && h.level == 2);
	pwc_flush_all(p);
	assert_false(pwc_lookup(p, 3, va, 4, &h));
	assert_true(tlb_lookup(t, 1, 0x2000, NULL));
	tlb_destroy(t);

	/* A TLB that cannot hold 2 MiB entries is not used for PDEs. */
	struct tlb_config t4 = { "L2", 1, { { 16, 4, TLB_LRU, TLB_4K, false } }, 1 };
	t = tlb_create(&t4);
	pwc_attach_pde_tlb(p, t, MARK);
	fill_walk(p, 1, va, 4);
	assert_int_equal(tlb_live(t), 0);
	assert_true(pwc_lookup(p, 1, va, 4, &h) && h.level == 3);
	tlb_destroy(t);
	pwc_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deepest_hit),
		cmocka_unit_test(split_level_sizes_and_lru),
		cmocka_unit_test(unified_sets),
		cmocka_unit_test(flushes),
		cmocka_unit_test(matches_reference),
		cmocka_unit_test(none_and_bad_configs),
		cmocka_unit_test(amd_levels_and_pdes_in_the_tlb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
