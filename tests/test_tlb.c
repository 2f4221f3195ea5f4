/*
 * xlat/tlb.h: exact replacement against a brute-force reference, every
 * geometry boundary (power-of-two and not), tags, globals, flushes,
 * splintering and the --tlb syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/tlb.h"

#define K4 (1ULL << 12)
#define M2 (1ULL << 21)
#define G1 (1ULL << 30)

static const unsigned shifts[3] = { 12, 21, 30 };

static uint32_t mktag(uint32_t vpid, uint32_t pcid)
{
	return vpid << 12 | pcid;
}

static struct tlb *mk1(unsigned entries, unsigned ways, enum tlb_repl repl, unsigned sizes)
{
	struct tlb_config c = {
		.name = "test", .narrays = 1,
		.array = { { .entries = entries, .ways = ways, .repl = repl, .sizes = sizes } },
		.seed = 42,
	};
	struct tlb *t = tlb_create(&c);
	if (!t)
		print_error("tlb_create: %s\n", xlat_error());
	assert_non_null(t);
	return t;
}

static struct tlb_xlat xl(xlat_pa pa, unsigned shift)
{
	struct tlb_xlat x = { .pa = pa, .shift = (uint8_t)shift, .perms = 0x7 };
	return x;
}

/* Looks up and, on a miss, inserts (what the mmu does). Returns hit. */
static bool touch(struct tlb *t, uint32_t tag, xlat_va va, unsigned shift)
{
	if (tlb_lookup(t, tag, va, NULL))
		return true;
	struct tlb_xlat x = xl((va & ~((1ULL << shift) - 1)) + 0x100000000ULL, shift);
	tlb_insert(t, tag, va, &x);
	return false;
}

/* ---- sequential scans --------------------------------------------------- */

static void seq_scan_misses_exactly_n(void **state)
{
	(void)state;
	struct tlb *t = mk1(64, 0, TLB_LRU, TLB_ALL_SIZES);
	const unsigned n = 10000;
	unsigned misses = 0;

	for (unsigned i = 0; i < n; i++)
		misses += !touch(t, 1, 0x400000000ULL + i * K4, 12);
	assert_int_equal(misses, n);
	assert_int_equal(tlb_get_stats(t)->misses, n);
	assert_int_equal(tlb_get_stats(t)->fills, n);
	assert_int_equal(tlb_get_stats(t)->evictions, n - 64);

	/* 64 pages fit: the second scan hits every time. */
	tlb_flush_all(t);
	tlb_reset_stats(t);
	for (unsigned i = 0; i < 64; i++)
		assert_false(touch(t, 1, i * K4, 12));
	for (unsigned i = 0; i < 64; i++)
		assert_true(touch(t, 1, i * K4 + 123, 12));
	assert_int_equal(tlb_get_stats(t)->hits, 64);
	assert_int_equal(tlb_get_stats(t)->hits_by_size[0], 64);

	/* 65 pages scanned cyclically: exact LRU misses every time. */
	tlb_flush_all(t);
	misses = 0;
	for (unsigned r = 0; r < 5; r++)
		for (unsigned i = 0; i < 65; i++)
			misses += !touch(t, 1, i * K4, 12);
	assert_int_equal(misses, 5 * 65);
	tlb_destroy(t);
}

/* ---- the reference model ------------------------------------------------
 * Per set, a list of entries ordered by recency (index 0 = most recent);
 * the same contract as tlb.h, written the slow obvious way. */

struct ref_ent {
	uint64_t vpn;
	unsigned szi;
	uint32_t tag;
	bool global;
	xlat_pa pa;
};

struct ref_array {
	unsigned sets, ways, sizes;
	unsigned *n;                    /* per set */
	struct ref_ent *e;              /* sets * ways */
};

struct ref {
	unsigned narrays;
	struct ref_array a[TLB_MAX_ARRAYS];
};

static void ref_init(struct ref *r, const struct tlb_config *c)
{
	memset(r, 0, sizeof *r);
	r->narrays = c->narrays;
	for (unsigned i = 0; i < c->narrays; i++) {
		struct ref_array *a = &r->a[i];
		a->ways = c->array[i].ways ? c->array[i].ways : c->array[i].entries;
		a->sets = c->array[i].entries / a->ways;
		a->sizes = c->array[i].sizes;
		a->n = calloc(a->sets, sizeof *a->n);
		a->e = calloc((size_t)a->sets * a->ways, sizeof *a->e);
	}
}

static void ref_free(struct ref *r)
{
	for (unsigned i = 0; i < r->narrays; i++) {
		free(r->a[i].n);
		free(r->a[i].e);
	}
}

static bool ref_match(const struct ref_ent *e, uint32_t tag)
{
	return e->tag == tag || (e->global && e->tag >> 12 == tag >> 12);
}

static void ref_remove(struct ref_array *a, unsigned set, unsigned i)
{
	struct ref_ent *s = &a->e[(size_t)set * a->ways];
	memmove(&s[i], &s[i + 1], (a->n[set] - i - 1) * sizeof *s);
	a->n[set]--;
}

static bool ref_lookup(struct ref *r, uint32_t tag, xlat_va va, xlat_pa *pa)
{
	for (unsigned k = 0; k < r->narrays; k++) {
		struct ref_array *a = &r->a[k];
		for (unsigned s = 0; s < 3; s++) {
			if (!(a->sizes & (1u << s)))
				continue;
			uint64_t vpn = va >> shifts[s];
			unsigned set = (unsigned)(vpn % a->sets);
			struct ref_ent *e = &a->e[(size_t)set * a->ways];
			for (unsigned i = 0; i < a->n[set]; i++) {
				if (e[i].vpn == vpn && e[i].szi == s && ref_match(&e[i], tag)) {
					struct ref_ent hit = e[i];
					memmove(&e[1], &e[0], i * sizeof *e);
					e[0] = hit;
					*pa = hit.pa;
					return true;
				}
			}
		}
	}
	return false;
}

static void ref_insert(struct ref *r, uint32_t tag, xlat_va va, xlat_pa pa, unsigned shift, bool global)
{
	int szi = shift == 12 ? 0 : shift == 21 ? 1 : 2;
	struct ref_array *a = NULL;

	for (; szi >= 0 && !a; szi--)
		for (unsigned k = 0; k < r->narrays && !a; k++)
			if (r->a[k].sizes & (1u << szi))
				a = &r->a[k];
	if (!a)
		return;
	szi++;
	uint64_t vpn = va >> shifts[szi];
	unsigned set = (unsigned)(vpn % a->sets);
	struct ref_ent *e = &a->e[(size_t)set * a->ways];
	for (unsigned i = a->n[set]; i-- > 0;)
		if (e[i].vpn == vpn && e[i].szi == (unsigned)szi &&
		    (e[i].tag == tag || ((e[i].global || global) && e[i].tag >> 12 == tag >> 12)))
			ref_remove(a, set, i);
	if (a->n[set] == a->ways)
		a->n[set]--;            /* evict the least recent */
	memmove(&e[1], &e[0], a->n[set] * sizeof *e);
	e[0] = (struct ref_ent){
		.vpn = vpn, .szi = (unsigned)szi, .tag = tag, .global = global,
		.pa = pa + (va & ((1ULL << shift) - 1) & ~((1ULL << shifts[szi]) - 1)),
	};
	a->n[set]++;
}

static void ref_invlpg(struct ref *r, uint32_t tag, xlat_va va)
{
	for (unsigned k = 0; k < r->narrays; k++) {
		struct ref_array *a = &r->a[k];
		for (unsigned set = 0; set < a->sets; set++) {
			struct ref_ent *e = &a->e[(size_t)set * a->ways];
			for (unsigned i = a->n[set]; i-- > 0;)
				if (e[i].vpn == va >> shifts[e[i].szi] && ref_match(&e[i], tag))
					ref_remove(a, set, i);
		}
	}
}

static void ref_flush_tag(struct ref *r, uint32_t tag, bool keep_global)
{
	for (unsigned k = 0; k < r->narrays; k++) {
		struct ref_array *a = &r->a[k];
		for (unsigned set = 0; set < a->sets; set++) {
			struct ref_ent *e = &a->e[(size_t)set * a->ways];
			for (unsigned i = a->n[set]; i-- > 0;)
				if (ref_match(&e[i], tag) && !(keep_global && e[i].global))
					ref_remove(a, set, i);
		}
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Page size of a va: a function of its 1 GiB region, so no two sizes ever
 * cover one va (the case tlb.h leaves to the implementation). Region 3 is
 * global. */
static unsigned stream_shift(xlat_va va)
{
	switch ((va >> 30) & 3) {
	case 0: case 3: return 12;
	case 1: return 21;
	default: return 30;
	}
}

/* A random stream with locality: mostly a hot working set a bit larger
 * than the TLB, sometimes far pages, four tags over two VPIDs, and the
 * occasional invlpg / flush. Compares hit/miss and pa on every access. */
static void against_reference(const struct tlb_config *c, uint64_t seed, unsigned n, bool maint)
{
	struct tlb *t = tlb_create(c);
	struct ref r;
	uint64_t s = seed;
	unsigned hits = 0, misses = 0;

	assert_non_null(t);
	ref_init(&r, c);
	/* Hot pages: a bit more than the TLB holds, so both outcomes occur. */
	unsigned span = tlb_entries(t) * 3 / 2 + 8;
	for (unsigned i = 0; i < n; i++) {
		uint64_t x = rnd(&s);
		uint64_t p = (x >> 8) % ((x & 7) == 0 ? 1000000 : span);
		/* Mostly one tag per page; sometimes any of the four. */
		uint64_t tsel = (x & 0xf0) == 0 ? x >> 60 : p >> 3;
		uint32_t tag = mktag((uint32_t)tsel & 1, (uint32_t)(tsel >> 1) & 1);
		unsigned region = (unsigned)(p % 4);
		uint64_t idx = p / 4;
		xlat_va va;
		switch (region) {
		case 0: case 3: va = (uint64_t)region << 30 | (idx % (1u << 18)) << 12; break;
		case 1: va = 1ULL << 30 | (idx % 512) << 21 | (x & 0x1ff000); break;
		default: va = (2 + 4 * (idx % 4096)) * G1 | (x & 0x3ffff000); break;
		}
		va |= x >> 20 & 0xfff;

		if (maint && (x & 0xfff) == 7) {
			tlb_invlpg(t, tag, va);
			ref_invlpg(&r, tag, va);
			continue;
		}
		if (maint && (x & 0x3fff) == 9) {
			bool kg = x >> 20 & 1;
			tlb_flush_tag(t, tag, kg);
			ref_flush_tag(&r, tag, kg);
			continue;
		}

		unsigned shift = stream_shift(va);
		bool global = (va >> 30 & 3) == 3;
		struct tlb_xlat got;
		xlat_pa want_pa = 0;
		bool h = tlb_lookup(t, tag, va, &got);
		bool rh = ref_lookup(&r, tag, va, &want_pa);
		if (h != rh)
			print_error("access %u: va 0x%llx tag 0x%x: tlb %s, reference %s\n", i,
				    (unsigned long long)va, tag, h ? "hit" : "miss", rh ? "hit" : "miss");
		assert_int_equal(h, rh);
		if (h) {
			assert_int_equal(got.pa, want_pa);
			hits++;
			continue;
		}
		misses++;
		/* Each (page, VPID) has its own frame so splintering is checked. */
		xlat_pa pa = ((va >> shift) << shift) ^ ((uint64_t)(tag >> 12) << 40) ^ (1ULL << 45);
		struct tlb_xlat ins = { .pa = pa, .shift = (uint8_t)shift, .global = global, .perms = 1 };
		tlb_insert(t, tag, va, &ins);
		ref_insert(&r, tag, va, pa, shift, global);
	}
	/* The stream must exercise both outcomes to prove anything. */
	assert_true(hits > n / 10);
	assert_true(misses > n / 20);
	assert_int_equal(tlb_get_stats(t)->hits, hits);
	assert_int_equal(tlb_get_stats(t)->misses, misses);
	ref_free(&r);
	tlb_destroy(t);
}

static struct tlb_config unified(unsigned entries, unsigned ways, unsigned sizes)
{
	struct tlb_config c = {
		.name = "u", .narrays = 1,
		.array = { { .entries = entries, .ways = ways, .repl = TLB_LRU, .sizes = sizes } },
	};
	return c;
}

static void lru_matches_reference(void **state)
{
	(void)state;
	static const unsigned geo[][2] = {
		{ 64, 0 }, { 64, 64 }, { 64, 4 }, { 64, 1 }, { 72, 0 }, { 48, 12 }, { 32, 4 },
		{ 1536, 12 }, { 1536, 6 }, { 1536, 4 }, { 2048, 16 }, { 3072, 24 }, { 24, 3 }, { 7, 7 },
	};
	for (unsigned g = 0; g < sizeof geo / sizeof geo[0]; g++) {
		struct tlb_config c = unified(geo[g][0], geo[g][1], TLB_ALL_SIZES);
		against_reference(&c, 0x1234567 + g, 200000, g & 1);
		c = unified(geo[g][0], geo[g][1], TLB_4K | TLB_2M);   /* 1G splintered */
		against_reference(&c, 0x7654321 + g, 100000, !(g & 1));
	}

	/* A split L1 (Skylake-like) and a two-array STLB. */
	struct tlb_config l1 = {
		.name = "L1", .narrays = 3,
		.array = {
			{ .entries = 64, .ways = 4, .repl = TLB_LRU, .sizes = TLB_4K },
			{ .entries = 32, .ways = 4, .repl = TLB_LRU, .sizes = TLB_2M },
			{ .entries = 4, .ways = 0, .repl = TLB_LRU, .sizes = TLB_1G },
		},
	};
	against_reference(&l1, 99, 300000, true);
	struct tlb_config l2 = {
		.name = "STLB", .narrays = 2,
		.array = {
			{ .entries = 1536, .ways = 12, .repl = TLB_LRU, .sizes = TLB_4K | TLB_2M },
			{ .entries = 16, .ways = 4, .repl = TLB_LRU, .sizes = TLB_1G },
		},
	};
	against_reference(&l2, 100, 300000, true);
	/* Only small pages: 2M and 1G translations are splintered to 4K. */
	struct tlb_config only4k = unified(64, 4, TLB_4K);
	against_reference(&only4k, 101, 200000, true);
}

/* ---- PLRU and random ------------------------------------------------------ */

static void plru_tree_victim(void **state)
{
	(void)state;
	/* One 4-way set. Fill A B C D (ways 0..3), touch A: tree-PLRU evicts
	 * C (the right pair's older way), exact LRU would evict B. */
	struct tlb *p = mk1(4, 4, TLB_PLRU, TLB_4K);
	struct tlb *l = mk1(4, 4, TLB_LRU, TLB_4K);
	struct tlb *both[2] = { p, l };

	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 4; i++)
			assert_false(touch(both[k], 0, i * K4, 12));
		assert_true(touch(both[k], 0, 0, 12));
		assert_false(touch(both[k], 0, 4 * K4, 12));     /* E */
	}
	assert_true(tlb_lookup(p, 0, 1 * K4, NULL));     /* B kept */
	assert_false(tlb_lookup(p, 0, 2 * K4, NULL));    /* C gone */
	assert_false(tlb_lookup(l, 0, 1 * K4, NULL));    /* LRU: B gone */
	assert_true(tlb_lookup(l, 0, 2 * K4, NULL));
	tlb_destroy(p);
	tlb_destroy(l);

	/* Three ways: the tree is [0] | [1 2]. Fill A B C, touch A then C:
	 * the root points at the lower half, so PLRU evicts A where LRU
	 * evicts B. */
	p = mk1(3, 3, TLB_PLRU, TLB_4K);
	l = mk1(3, 3, TLB_LRU, TLB_4K);
	both[0] = p;
	both[1] = l;
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 3; i++)
			assert_false(touch(both[k], 0, i * K4, 12));
		assert_true(touch(both[k], 0, 0, 12));
		assert_true(touch(both[k], 0, 2 * K4, 12));
		assert_false(touch(both[k], 0, 3 * K4, 12));
	}
	assert_false(tlb_lookup(p, 0, 0, NULL));
	assert_true(tlb_lookup(p, 0, 1 * K4, NULL));
	assert_true(tlb_lookup(l, 0, 0, NULL));
	assert_false(tlb_lookup(l, 0, 1 * K4, NULL));
	tlb_destroy(p);
	tlb_destroy(l);
}

/* Runs a random stream; records the hit/miss sequence. */
static void run_stream(struct tlb *t, uint64_t seed, unsigned n, uint8_t *out)
{
	uint64_t s = seed;
	for (unsigned i = 0; i < n; i++) {
		uint64_t x = rnd(&s);
		out[i] = touch(t, (uint32_t)(x >> 62), (x % 300) * K4, 12);
	}
}

static void repl_reproducible(void **state)
{
	(void)state;
	enum { N = 50000 };
	static uint8_t a[N], b[N], c[N];
	static const enum tlb_repl pol[] = { TLB_PLRU, TLB_RANDOM, TLB_PLRU };

	for (unsigned k = 0; k < 3; k++) {
		/* The third run: 12-way PLRU (an unbalanced tree). */
		struct tlb_config cfg = unified(k == 2 ? 192 : 256, k == 2 ? 12 : 8, TLB_4K);
		cfg.array[0].repl = pol[k];
		cfg.seed = 7;
		struct tlb *t1 = tlb_create(&cfg), *t2 = tlb_create(&cfg);
		run_stream(t1, 5, N, a);
		run_stream(t2, 5, N, b);
		assert_memory_equal(a, b, N);
		/* Flushing and rerunning the same TLB gives the same again for
		 * PLRU (state is only the tree), and a different seed gives a
		 * different sequence for random. */
		if (pol[k] == TLB_RANDOM) {
			cfg.seed = 8;
			struct tlb *t3 = tlb_create(&cfg);
			run_stream(t3, 5, N, c);
			assert_true(memcmp(a, c, N) != 0);
			tlb_destroy(t3);
		}
		/* Neither is LRU on this stream. */
		struct tlb_config lc = cfg;
		lc.array[0].repl = TLB_LRU;
		struct tlb *t4 = tlb_create(&lc);
		run_stream(t4, 5, N, c);
		assert_true(memcmp(a, c, N) != 0);
		tlb_destroy(t1);
		tlb_destroy(t2);
		tlb_destroy(t4);
	}
}

static void random_fills_invalid_first(void **state)
{
	(void)state;
	/* Whatever the seed, 8 pages fill an 8-way set without an eviction. */
	for (uint64_t seed = 1; seed < 20; seed++) {
		struct tlb_config cfg = unified(8, 8, TLB_4K);
		cfg.array[0].repl = TLB_RANDOM;
		cfg.seed = seed;
		struct tlb *t = tlb_create(&cfg);
		for (unsigned i = 0; i < 8; i++)
			touch(t, 0, i * K4, 12);
		assert_int_equal(tlb_get_stats(t)->evictions, 0);
		for (unsigned i = 0; i < 8; i++)
			assert_true(tlb_lookup(t, 0, i * K4, NULL));
		touch(t, 0, 8 * K4, 12);
		assert_int_equal(tlb_get_stats(t)->evictions, 1);
		assert_int_equal(tlb_live(t), 8);
		tlb_destroy(t);
	}
}

/* ---- geometry ---------------------------------------------------------- */

static void non_power_of_two_sets(void **state)
{
	(void)state;
	/* 1536 x 4 = 384 sets: pages 384 apart share a set, 256 apart do not. */
	struct tlb *t = mk1(1536, 4, TLB_LRU, TLB_4K);
	for (unsigned i = 0; i < 5; i++)
		assert_false(touch(t, 0, i * 384 * K4, 12));
	assert_int_equal(tlb_get_stats(t)->evictions, 1);
	assert_false(tlb_lookup(t, 0, 0, NULL));
	assert_true(tlb_lookup(t, 0, 4 * 384 * K4, NULL));
	tlb_destroy(t);

	t = mk1(1536, 4, TLB_LRU, TLB_4K);
	for (unsigned i = 0; i < 64; i++)
		assert_false(touch(t, 0, i * 256 * K4, 12));
	/* 256 mod 384 spreads these over 3 sets... x mod 384 for multiples of
	 * 256 takes 3 values, so 64 pages over 3 sets of 4 ways: 12 fit. */
	assert_int_equal(tlb_live(t), 12);
	tlb_destroy(t);

	/* 1536 x 12 = 128 sets and 1536 x 6 = 256 sets (powers of two). */
	t = mk1(1536, 12, TLB_LRU, TLB_4K);
	for (unsigned i = 0; i < 13; i++)
		touch(t, 0, i * 128 * K4, 12);
	assert_int_equal(tlb_get_stats(t)->evictions, 1);
	tlb_destroy(t);
	t = mk1(1536, 6, TLB_LRU, TLB_4K);
	for (unsigned i = 0; i < 7; i++)
		touch(t, 0, i * 256 * K4, 12);
	assert_int_equal(tlb_get_stats(t)->evictions, 1);
	for (unsigned i = 0; i < 6; i++)
		touch(t, 0, (2 * i + 1) * 128 * K4, 12); /* odd multiples of 128: set 128 */
	assert_int_equal(tlb_get_stats(t)->evictions, 1);
	tlb_destroy(t);

	/* Large pages index by their own page number: 2M pages 384 x 2M apart
	 * collide in a 384-set array. */
	t = mk1(1536, 4, TLB_LRU, TLB_2M);
	for (unsigned i = 0; i < 5; i++)
		touch(t, 0, i * 384 * M2, 21);
	assert_int_equal(tlb_get_stats(t)->evictions, 1);
	tlb_destroy(t);
}

static void bad_geometry_rejected(void **state)
{
	(void)state;
	struct tlb_config c = unified(1536, 12, TLB_ALL_SIZES);
	struct tlb *t = tlb_create(&c);
	assert_non_null(t);
	tlb_destroy(t);

	c = unified(100, 12, TLB_ALL_SIZES);
	assert_null(tlb_create(&c));
	assert_non_null(strstr(xlat_error(), "multiple"));
	c = unified(0, 0, TLB_ALL_SIZES);
	assert_null(tlb_create(&c));
	c = unified(64, 128, TLB_ALL_SIZES);
	assert_null(tlb_create(&c));
	c = unified(64, 4, 0);
	assert_null(tlb_create(&c));
	c = unified(64, 4, 8);
	assert_null(tlb_create(&c));
	/* PLRU over any number of ways, fully associative included. */
	static const unsigned pw[][2] = { { 48, 12 }, { 48, 0 }, { 64, 0 }, { 3, 3 }, { 5, 1 } };
	for (unsigned i = 0; i < 5; i++) {
		c = unified(pw[i][0], pw[i][1], TLB_4K);
		c.array[0].repl = TLB_PLRU;
		t = tlb_create(&c);
		assert_non_null(t);
		tlb_destroy(t);
	}
	c = unified(64, 4, TLB_4K);
	c.array[0].repl = (enum tlb_repl)7;
	assert_null(tlb_create(&c));
	c = unified(64, 4, TLB_4K);
	c.narrays = 0;
	assert_null(tlb_create(&c));
	c.narrays = TLB_MAX_ARRAYS + 1;
	assert_null(tlb_create(&c));
	assert_null(tlb_create(NULL));
}

/* ---- tags, globals, flushes ----------------------------------------------- */

static void insert_at(struct tlb *t, uint32_t tag, xlat_va va, xlat_pa pa, unsigned shift, bool global)
{
	struct tlb_xlat x = { .pa = pa, .shift = (uint8_t)shift, .global = global, .perms = 3 };
	tlb_insert(t, tag, va, &x);
}

static void pcid_isolation(void **state)
{
	(void)state;
	struct tlb *t = mk1(64, 4, TLB_LRU, TLB_ALL_SIZES);
	struct tlb_xlat x;

	insert_at(t, mktag(1, 1), 0x5000, 0xa000, 12, false);
	assert_false(tlb_lookup(t, mktag(1, 2), 0x5000, NULL));
	assert_false(tlb_lookup(t, mktag(2, 1), 0x5000, NULL));
	assert_false(tlb_lookup(t, mktag(0, 1), 0x5000, NULL));
	assert_true(tlb_lookup(t, mktag(1, 1), 0x5fff, &x));
	assert_int_equal(x.pa, 0xa000);
	assert_false(tlb_lookup(t, mktag(1, 1), 0x6000, NULL));
	assert_false(tlb_lookup(t, mktag(1, 1), 0x4fff, NULL));
	/* Every tag bit matters. */
	for (unsigned b = 0; b < 32; b++)
		assert_false(tlb_lookup(t, mktag(1, 1) ^ (1u << b), 0x5000, NULL));

	/* Same va, two PCIDs: two entries, each its own pa. */
	insert_at(t, mktag(1, 2), 0x5000, 0xb000, 12, false);
	assert_true(tlb_lookup(t, mktag(1, 1), 0x5000, &x));
	assert_int_equal(x.pa, 0xa000);
	assert_true(tlb_lookup(t, mktag(1, 2), 0x5000, &x));
	assert_int_equal(x.pa, 0xb000);
	assert_int_equal(tlb_live(t), 2);

	/* Re-inserting the same page under the same tag replaces it. */
	insert_at(t, mktag(1, 2), 0x5123, 0xc000, 12, false);
	assert_int_equal(tlb_live(t), 2);
	assert_true(tlb_lookup(t, mktag(1, 2), 0x5000, &x));
	assert_int_equal(x.pa, 0xc000);
	tlb_destroy(t);
}

static void globals(void **state)
{
	(void)state;
	struct tlb *t = mk1(64, 4, TLB_LRU, TLB_ALL_SIZES);
	struct tlb_xlat x;

	insert_at(t, mktag(3, 1), 0x7000, 0x1000, 12, true);
	insert_at(t, mktag(3, 1), 0x8000, 0x2000, 12, false);
	for (uint32_t pcid = 0; pcid < 4096; pcid += 273)
		assert_true(tlb_lookup(t, mktag(3, pcid), 0x7000, &x));
	assert_true(x.global);
	assert_false(tlb_lookup(t, mktag(4, 1), 0x7000, NULL));   /* other VPID */
	assert_false(tlb_lookup(t, mktag(3, 2), 0x8000, NULL));

	/* MOV CR3 to PCID 1 keeping globals. */
	tlb_flush_tag(t, mktag(3, 1), true);
	assert_true(tlb_lookup(t, mktag(3, 1), 0x7000, NULL));
	assert_false(tlb_lookup(t, mktag(3, 1), 0x8000, NULL));
	/* Flushing another PCID without keep_global drops the VPID's globals. */
	insert_at(t, mktag(3, 1), 0x8000, 0x2000, 12, false);
	tlb_flush_tag(t, mktag(3, 9), false);
	assert_false(tlb_lookup(t, mktag(3, 1), 0x7000, NULL));
	assert_true(tlb_lookup(t, mktag(3, 1), 0x8000, NULL));
	/* ... but not another VPID's. */
	insert_at(t, mktag(5, 1), 0x7000, 0x1000, 12, true);
	tlb_flush_tag(t, mktag(3, 1), false);
	assert_true(tlb_lookup(t, mktag(5, 0), 0x7000, NULL));
	assert_false(tlb_lookup(t, mktag(3, 1), 0x8000, NULL));

	/* flush_vpid: every PCID of one VPID, globals too. */
	insert_at(t, mktag(5, 2), 0x9000, 0x1000, 12, false);
	insert_at(t, mktag(6, 2), 0x9000, 0x1000, 12, false);
	tlb_flush_vpid(t, 5);
	assert_false(tlb_lookup(t, mktag(5, 0), 0x7000, NULL));
	assert_false(tlb_lookup(t, mktag(5, 2), 0x9000, NULL));
	assert_true(tlb_lookup(t, mktag(6, 2), 0x9000, NULL));

	/* A global insert replaces a non-global entry of another PCID for the
	 * same page (it would otherwise shadow it). */
	insert_at(t, mktag(6, 3), 0x9000, 0x5000, 12, true);
	assert_int_equal(tlb_live(t), 1);
	assert_true(tlb_lookup(t, mktag(6, 2), 0x9000, &x));
	assert_int_equal(x.pa, 0x5000);

	tlb_flush_all(t);
	assert_int_equal(tlb_live(t), 0);
	assert_false(tlb_lookup(t, mktag(6, 2), 0x9000, NULL));
	assert_int_equal(tlb_get_stats(t)->flushes, 5);
	tlb_destroy(t);
}

static struct tlb *split_l1(void)
{
	struct tlb_config c = {
		.name = "L1 DTLB", .narrays = 3,
		.array = {
			{ .entries = 64, .ways = 4, .repl = TLB_LRU, .sizes = TLB_4K },
			{ .entries = 32, .ways = 4, .repl = TLB_LRU, .sizes = TLB_2M },
			{ .entries = 4, .ways = 0, .repl = TLB_LRU, .sizes = TLB_1G },
		},
	};
	struct tlb *t = tlb_create(&c);
	assert_non_null(t);
	return t;
}

static void invlpg_exact(void **state)
{
	(void)state;
	struct tlb *t = split_l1();
	const xlat_va va = 5 * G1 + 3 * M2 + 7 * K4;
	const uint32_t tag = mktag(1, 1);

	/* Software changed page sizes without invalidating: 4K, 2M and 1G
	 * entries all cover va. */
	insert_at(t, tag, va, 0x1000, 12, false);
	insert_at(t, tag, va, 0x200000, 21, false);
	insert_at(t, tag, va, 0x40000000, 30, true);
	insert_at(t, tag, va + K4, 0x2000, 12, false);         /* neighbour */
	insert_at(t, tag, va + M2, 0x400000, 21, false);       /* neighbour */
	insert_at(t, mktag(1, 2), va, 0x3000, 12, false);      /* other PCID */
	insert_at(t, mktag(2, 1), va, 0x40000000, 30, true);   /* other VPID, global */
	assert_int_equal(tlb_live(t), 7);

	tlb_invlpg(t, tag, va + 0x123);
	assert_int_equal(tlb_live(t), 4);
	assert_false(tlb_lookup(t, tag, va, NULL));
	assert_true(tlb_lookup(t, tag, va + K4, NULL));
	assert_true(tlb_lookup(t, tag, va + M2, NULL));
	assert_true(tlb_lookup(t, mktag(1, 2), va, NULL));
	assert_true(tlb_lookup(t, mktag(2, 0), va, NULL));
	assert_int_equal(tlb_get_stats(t)->invlpgs, 1);

	/* A global covering va is dropped by an invlpg under any PCID of
	 * its VPID. */
	insert_at(t, tag, va, 0x40000000, 30, true);
	tlb_invlpg(t, mktag(1, 77), va + 100 * M2);
	assert_false(tlb_lookup(t, tag, va, NULL));
	tlb_destroy(t);
}

static void split_levels_and_sizes(void **state)
{
	(void)state;
	struct tlb *t = split_l1();
	struct tlb_xlat x;

	/* Each size goes to its own array: 64 + 32 + 4 entries all live. */
	for (unsigned i = 0; i < 64; i++)
		insert_at(t, 0, i * K4, i * K4, 12, false);
	for (unsigned i = 0; i < 32; i++)
		insert_at(t, 0, G1 + i * M2, i * M2, 21, false);
	for (unsigned i = 0; i < 4; i++)
		insert_at(t, 0, (8 + i) * G1, i * G1, 30, false);
	assert_int_equal(tlb_live(t), 100);
	assert_int_equal(tlb_get_stats(t)->evictions, 0);
	assert_true(tlb_lookup(t, 0, G1 + 5 * M2 + 0x1234, &x));
	assert_int_equal(x.shift, 21);
	assert_int_equal(x.pa, 5 * M2);
	assert_true(tlb_lookup(t, 0, 9 * G1 + 0x123456, &x));
	assert_int_equal(x.shift, 30);
	assert_int_equal(x.pa, G1);
	assert_int_equal(tlb_get_stats(t)->hits_by_size[1], 1);
	assert_int_equal(tlb_get_stats(t)->hits_by_size[2], 1);
	assert_int_equal(tlb_get_stats(t)->hits_by_size[0], 0);
	/* A 5th 1G page evicts from the 1G array only. */
	insert_at(t, 0, 20 * G1, 0, 30, false);
	assert_int_equal(tlb_get_stats(t)->evictions, 1);
	assert_int_equal(tlb_live(t), 100);
	assert_int_equal(tlb_entries(t), 100);
	tlb_destroy(t);
}

static void splintering(void **state)
{
	(void)state;
	struct tlb_xlat x;

	/* Only 4K: a 2M translation becomes the 4K page holding va. */
	struct tlb *t = mk1(64, 4, TLB_LRU, TLB_4K);
	insert_at(t, 0, 0x40000000 + 0x12345, 0x800000, 21, false);
	assert_true(tlb_lookup(t, 0, 0x40012000, &x));
	assert_int_equal(x.shift, 12);
	assert_int_equal(x.pa, 0x812000);
	assert_false(tlb_lookup(t, 0, 0x40013000, NULL));
	assert_false(tlb_lookup(t, 0, 0x40011fff, NULL));
	/* A 1G translation too. */
	insert_at(t, 0, 0x80000000 + 0x3456789, 0x40000000, 30, false);
	assert_true(tlb_lookup(t, 0, 0x83456000, &x));
	assert_int_equal(x.pa, 0x43456000);
	assert_int_equal(x.shift, 12);
	tlb_destroy(t);

	/* 4K + 2M: a 1G translation becomes a 2M entry (not 4K). */
	t = mk1(64, 4, TLB_LRU, TLB_4K | TLB_2M);
	insert_at(t, 0, 0x80000000 + 0x3456789, 0x40000000, 30, false);
	assert_true(tlb_lookup(t, 0, 0x83400000, &x));
	assert_int_equal(x.shift, 21);
	assert_int_equal(x.pa, 0x43400000);
	assert_false(tlb_lookup(t, 0, 0x83600000, NULL));
	assert_int_equal(tlb_get_stats(t)->hits_by_size[1], 1);
	tlb_destroy(t);

	/* 4K + 1G (no 2M): a 2M translation falls to 4K. */
	t = mk1(64, 4, TLB_LRU, TLB_4K | TLB_1G);
	insert_at(t, 0, 0x200000 + 0x5000, 0x600000, 21, false);
	assert_true(tlb_lookup(t, 0, 0x205000, &x));
	assert_int_equal(x.shift, 12);
	assert_int_equal(x.pa, 0x605000);
	tlb_destroy(t);

	/* Only 2M: a 4K translation cannot be held. */
	t = mk1(64, 4, TLB_LRU, TLB_2M);
	insert_at(t, 0, 0x5000, 0x5000, 12, false);
	assert_int_equal(tlb_live(t), 0);
	assert_int_equal(tlb_get_stats(t)->fills, 0);
	assert_false(tlb_lookup(t, 0, 0x5000, NULL));
	tlb_destroy(t);

	/* A split level: the 1G translation goes to the 2M array when the 1G
	 * array is missing. */
	struct tlb_config c = {
		.name = "s", .narrays = 2,
		.array = {
			{ .entries = 64, .ways = 4, .sizes = TLB_4K },
			{ .entries = 32, .ways = 4, .sizes = TLB_2M },
		},
	};
	t = tlb_create(&c);
	insert_at(t, 0, G1 + 0x300000, 0, 30, false);
	assert_true(tlb_lookup(t, 0, G1 + 0x200000, &x));
	assert_int_equal(x.shift, 21);
	assert_int_equal(x.pa, 0x200000);
	tlb_destroy(t);
}

static void xlat_fields_and_dirty(void **state)
{
	(void)state;
	struct tlb *t = mk1(64, 0, TLB_LRU, TLB_ALL_SIZES);
	struct tlb_xlat in = { .pa = 0x123456000, .shift = 12, .global = 0, .dirty = 0, .perms = 0x1b }, out;

	tlb_insert(t, 9, 0x7000, &in);
	memset(&out, 0xee, sizeof out);
	assert_true(tlb_lookup(t, 9, 0x7000, &out));
	assert_int_equal(out.pa, in.pa);
	assert_int_equal(out.shift, 12);
	assert_int_equal(out.global, 0);
	assert_int_equal(out.dirty, 0);
	assert_int_equal(out.perms, 0x1b);

	tlb_set_dirty(t, 10, 0x7000);          /* other tag: no effect */
	assert_true(tlb_lookup(t, 9, 0x7000, &out));
	assert_int_equal(out.dirty, 0);
	tlb_set_dirty(t, 9, 0x8000);           /* other page: no effect */
	assert_true(tlb_lookup(t, 9, 0x7000, &out));
	assert_int_equal(out.dirty, 0);
	tlb_set_dirty(t, 9, 0x7fff);
	assert_true(tlb_lookup(t, 9, 0x7000, &out));
	assert_int_equal(out.dirty, 1);
	tlb_destroy(t);
}

/* ---- the --tlb syntax -------------------------------------------------------- */

static void parse_ok(const char *s, unsigned entries, unsigned ways, enum tlb_repl repl)
{
	struct tlb_config c;
	memset(&c, 0xcc, sizeof c);
	int rc = tlb_parse_level(s, &c);
	if (rc)
		print_error("tlb_parse_level(\"%s\"): %s\n", s, xlat_error());
	assert_int_equal(rc, 0);
	assert_int_equal(c.narrays, 1);
	assert_int_equal(c.array[0].entries, entries);
	assert_int_equal(c.array[0].ways, ways);
	assert_int_equal(c.array[0].repl, repl);
	assert_int_equal(c.array[0].sizes, TLB_ALL_SIZES);
	struct tlb *t = tlb_create(&c);
	assert_non_null(t);
	assert_int_equal(tlb_entries(t), entries);
	tlb_destroy(t);
}

static void parse_bad(const char *s, const char *msg)
{
	struct tlb_config c;
	memset(&c, 0xcc, sizeof c);
	int rc = tlb_parse_level(s, &c);
	assert_int_equal(rc, -EINVAL);
	if (!strstr(xlat_error(), msg))
		print_error("tlb_parse_level(\"%s\"): message '%s' lacks '%s'\n", s, xlat_error(), msg);
	assert_non_null(strstr(xlat_error(), msg));
	assert_int_equal(c.narrays, 0xcccccccc);
}

static void parse_levels(void **state)
{
	(void)state;
	parse_ok("64", 64, 0, TLB_LRU);
	parse_ok("64x4", 64, 4, TLB_LRU);
	parse_ok("64X4", 64, 4, TLB_LRU);
	parse_ok("1536x12:plru", 1536, 12, TLB_PLRU);
	parse_ok("1536x12", 1536, 12, TLB_LRU);
	parse_ok("1536x4:lru", 1536, 4, TLB_LRU);
	parse_ok("2048x16:random", 2048, 16, TLB_RANDOM);
	parse_ok("64:plru", 64, 0, TLB_PLRU);
	parse_ok("1", 1, 0, TLB_LRU);
	parse_ok("64x64", 64, 64, TLB_LRU);

	parse_bad("", "empty");
	parse_bad(NULL, "empty");
	parse_bad("x4", "number of entries");
	parse_bad("-64", "number of entries");
	parse_bad("0", "entries must be > 0");
	parse_bad("64x", "number of ways");
	parse_bad("64x0", "ways must be > 0");
	parse_bad("64x5", "not a multiple");
	parse_bad("64x128", "more than");
	parse_bad("64x4:fifo", "unknown replacement 'fifo'");
	parse_bad("64x4:", "unknown replacement");
	parse_bad("64x4:LRU ", "unknown replacement");
	parse_bad("64 ", "unexpected ' '");
	parse_bad("64y4", "unexpected 'y4'");
	parse_bad("64x4x2", "unexpected 'x2'");
	parse_bad("99999999999", "entries above");
	parse_bad("64x99999999999", "ways above");
}

/* A hashed set index: contiguous pages no longer fill the sets evenly, so
 * a cycle through exactly as many pages as entries misses in the sets that
 * got more than their ways (and without the hash, never); every entry
 * still found, replaced and invalidated where it is. */
static void hashed_index(void **state)
{
	(void)state;
	for (int hash = 0; hash < 2; hash++) {
		struct tlb_config c = {
			.name = "test", .narrays = 1,
			.array = { { .entries = 2048, .ways = 16, .repl = TLB_LRU, .sizes = TLB_4K, .hash = hash } },
			.seed = 42,
		};
		struct tlb *t = tlb_create(&c);
		struct tlb_xlat x = { .shift = 12, .perms = 1 };
		assert_non_null(t);
		uint64_t misses = 0;
		for (int pass = 0; pass < 3; pass++)
			for (uint64_t i = 0; i < 2048; i++) {
				uint64_t va = 0x40000000 + i * 4096;
				if (!tlb_lookup(t, 1, va, NULL)) {
					misses += pass > 0;
					x.pa = i * 4096;
					tlb_insert(t, 1, va, &x);
				}
			}
		if (hash)
			assert_true(misses > 2 * 2048 / 10);
		else
			assert_int_equal(misses, 0);
		/* The last page inserted is found with its frame, and invlpg
		 * finds it too. */
		struct tlb_xlat got;
		assert_true(tlb_lookup(t, 1, 0x40000000 + 2047 * 4096, &got));
		assert_int_equal(got.pa, 2047 * 4096);
		tlb_invlpg(t, 1, 0x40000000 + 2047 * 4096);
		assert_false(tlb_lookup(t, 1, 0x40000000 + 2047 * 4096, NULL));
		tlb_destroy(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seq_scan_misses_exactly_n),
		cmocka_unit_test(lru_matches_reference),
		cmocka_unit_test(plru_tree_victim),
		cmocka_unit_test(repl_reproducible),
		cmocka_unit_test(random_fills_invalid_first),
		cmocka_unit_test(non_power_of_two_sets),
		cmocka_unit_test(bad_geometry_rejected),
		cmocka_unit_test(pcid_isolation),
		cmocka_unit_test(globals),
		cmocka_unit_test(invlpg_exact),
		cmocka_unit_test(split_levels_and_sizes),
		cmocka_unit_test(splintering),
		cmocka_unit_test(xlat_fields_and_dirty),
		cmocka_unit_test(parse_levels),
		cmocka_unit_test(hashed_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
