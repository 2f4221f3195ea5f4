/*
 * xlat/cache.h: where a line hits, what it costs, LRU and inclusion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "xlat/cache.h"

/* A tiny hierarchy whose sets are easy to reason about:
 * L1 2 sets x 2 ways, L2 4 sets x 2 ways, LLC 8 sets x 4 ways (64 B lines). */
static struct pcache_config tiny(void)
{
	struct pcache_config c = {
		.level = {
			{ .bytes = 2 * 2 * 64, .ways = 2, .latency = 4 },
			{ .bytes = 4 * 2 * 64, .ways = 2, .latency = 12 },
			{ .bytes = 8 * 4 * 64, .ways = 4, .latency = 40 },
		},
		.mem_latency = 200,
		.line_bytes = 64,
	};
	return c;
}

static struct pcache *mk(const struct pcache_config *c)
{
	struct pcache *p = pcache_create(c);
	if (!p)
		print_error("pcache_create: %s\n", xlat_error());
	assert_non_null(p);
	return p;
}

static void expect(struct pcache *c, uint64_t pa, unsigned where, unsigned lat)
{
	unsigned w = 99;
	unsigned got = pcache_access(c, pa, &w);
	if (w != where)
		print_error("pa 0x%llx: hit at %u, expected %u\n", (unsigned long long)pa, w, where);
	assert_int_equal(w, where);
	assert_int_equal(got, lat);
}

static void hit_levels_and_latencies(void **state)
{
	(void)state;
	struct pcache_config cfg = tiny();
	struct pcache *c = mk(&cfg);

	expect(c, 0x1000, 3, 200);      /* cold: memory */
	expect(c, 0x1008, 0, 4);        /* same line: L1 */
	expect(c, 0x103f, 0, 4);
	expect(c, 0x1040, 3, 200);      /* next line */

	/* Evict 0x1000 from L1 (set 0 of 2: lines 0x40, 0x80 apart = even
	 * line numbers) but not from L2 (4 sets). */
	expect(c, 0x1080, 3, 200);      /* line 0x42: L1 set 0 */
	expect(c, 0x1100, 3, 200);      /* line 0x44: L1 set 0, evicts 0x40 */
	expect(c, 0x1000, 1, 12);       /* L2 hit, refills L1 */
	expect(c, 0x1000, 0, 4);

	/* Evict from L1 and L2 but not the LLC: lines 4 apart share an L2
	 * set (4 sets), 8 apart an LLC set. */
	expect(c, 0x2000, 3, 200);      /* line 0x80 */
	expect(c, 0x2100, 3, 200);      /* line 0x84: L2 set 0 */
	expect(c, 0x2300, 3, 200);      /* line 0x8c: L2 set 0, evicts 0x80 from L2 and L1 */
	expect(c, 0x2000, 2, 40);       /* LLC */
	expect(c, 0x2000, 0, 4);

	const struct pcache_stats *st = pcache_get_stats(c);
	assert_int_equal(st->accesses, 13);
	assert_int_equal(st->hits[0], 4);
	assert_int_equal(st->hits[1], 1);
	assert_int_equal(st->hits[2], 1);
	assert_int_equal(st->hits[3], 7);
	assert_int_equal(st->cycles, 4 * 4 + 12 + 40 + 7 * 200);
	pcache_reset_stats(c);
	assert_int_equal(pcache_get_stats(c)->accesses, 0);

	pcache_flush(c);
	expect(c, 0x2000, 3, 200);
	assert_int_equal(pcache_access(c, 0x2000, NULL), 4);
	pcache_destroy(c);
}

static void lru_within_a_set(void **state)
{
	(void)state;
	/* L1 only, 1 set x 2 ways: A B, touch A, C evicts B. */
	struct pcache_config cfg = { .level = { { .bytes = 128, .ways = 2, .latency = 1 } },
				     .mem_latency = 100, .line_bytes = 64 };
	struct pcache *c = mk(&cfg);
	expect(c, 0, 3, 100);
	expect(c, 64, 3, 100);
	expect(c, 0, 0, 1);
	expect(c, 128, 3, 100);
	expect(c, 0, 0, 1);
	expect(c, 64, 3, 100);
	pcache_destroy(c);
}

static void inclusive_back_invalidation(void **state)
{
	(void)state;
	/* L1 2 ways x 1 set, LLC 2 ways x 1 set: when the LLC evicts a line,
	 * the L1 loses it too, even though the L1 used it last. */
	struct pcache_config cfg = {
		.level = {
			{ .bytes = 128, .ways = 2, .latency = 1 },
			{ 0 },
			{ .bytes = 128, .ways = 2, .latency = 10 },
		},
		.mem_latency = 100, .line_bytes = 64,
	};
	struct pcache *c = mk(&cfg);
	expect(c, 0, 3, 100);           /* A in L1, LLC */
	expect(c, 64, 3, 100);          /* B */
	expect(c, 0, 0, 1);             /* A hot in L1; the LLC's LRU is still A */
	expect(c, 128, 3, 100);         /* C: LLC evicts A, so L1 drops A too */
	expect(c, 0, 3, 100);           /* A gone everywhere */
	/* The absent L2 is skipped, never reported. */
	assert_int_equal(pcache_get_stats(c)->hits[1], 0);
	pcache_destroy(c);
}

static void non_power_of_two_sets_and_lines(void **state)
{
	(void)state;
	/* 3 sets x 1 way: lines 3 apart collide, 2 apart do not. */
	struct pcache_config cfg = { .level = { { .bytes = 3 * 64, .ways = 1, .latency = 2 } },
				     .mem_latency = 50, .line_bytes = 64 };
	struct pcache *c = mk(&cfg);
	expect(c, 0, 3, 50);
	expect(c, 2 * 64, 3, 50);
	expect(c, 0, 0, 2);
	expect(c, 3 * 64, 3, 50);
	expect(c, 0, 3, 50);
	pcache_destroy(c);

	/* 128-byte lines: 0x00 and 0x7f share one. */
	cfg = (struct pcache_config){ .level = { { .bytes = 1024, .ways = 2, .latency = 3 } },
				      .mem_latency = 50, .line_bytes = 128 };
	c = mk(&cfg);
	expect(c, 0, 3, 50);
	expect(c, 0x7f, 0, 3);
	expect(c, 0x80, 3, 50);
	pcache_destroy(c);

	/* No level at all: every access costs memory. */
	cfg = (struct pcache_config){ .mem_latency = 77, .line_bytes = 64 };
	c = mk(&cfg);
	expect(c, 0, 3, 77);
	expect(c, 0, 3, 77);
	pcache_destroy(c);
}

/* ---- a brute-force reference ------------------------------------------
 * The model's rules written the slow, obvious way: per level, sets of ways
 * holding (line, last use); a read finds the first level holding the line,
 * refreshes it there, then fills every level above it, deepest first; a
 * fill takes an empty way, else the least recently used, and a line that
 * leaves a level leaves every level above it too. */

#define REF_MAX_LINES 4096

struct ref_level {
	uint64_t sets;
	unsigned ways, latency;
	bool present;
	uint64_t line[REF_MAX_LINES];   /* sets * ways; 0 = empty, else line + 1 */
	uint64_t used[REF_MAX_LINES];   /* last use */
};

struct ref_cache {
	struct ref_level lv[PCACHE_LEVELS];
	unsigned mem, shift;
	uint64_t now;
};

static void ref_init(struct ref_cache *r, const struct pcache_config *c)
{
	memset(r, 0, sizeof *r);
	r->mem = c->mem_latency;
	while ((1u << r->shift) < c->line_bytes)
		r->shift++;
	for (int i = 0; i < PCACHE_LEVELS; i++) {
		struct ref_level *v = &r->lv[i];
		v->present = c->level[i].bytes != 0;
		if (!v->present)
			continue;
		v->ways = c->level[i].ways;
		v->latency = c->level[i].latency;
		v->sets = c->level[i].bytes / ((uint64_t)v->ways * c->line_bytes);
		assert_true(v->sets * v->ways <= REF_MAX_LINES);
	}
}

static int ref_find(const struct ref_level *v, uint64_t line)
{
	uint64_t set = line % v->sets;
	for (unsigned w = 0; w < v->ways; w++)
		if (v->line[set * v->ways + w] == line + 1)
			return (int)(set * v->ways + w);
	return -1;
}

static void ref_drop_above(struct ref_cache *r, int level, uint64_t line)
{
	for (int i = 0; i < level; i++) {
		struct ref_level *v = &r->lv[i];
		int s = v->present ? ref_find(v, line) : -1;
		if (s >= 0)
			v->line[s] = 0;
	}
}

static void ref_fill(struct ref_cache *r, int level, uint64_t line)
{
	struct ref_level *v = &r->lv[level];
	uint64_t set = line % v->sets;
	int victim = -1;
	for (unsigned w = 0; w < v->ways; w++) {
		int s = (int)(set * v->ways + w);
		if (v->line[s] == 0) {
			victim = s;
			break;
		}
		if (victim < 0 || v->used[s] < v->used[victim])
			victim = s;
	}
	if (v->line[victim])
		ref_drop_above(r, level, v->line[victim] - 1);
	v->line[victim] = line + 1;
	v->used[victim] = ++r->now;
}

static unsigned ref_access(struct ref_cache *r, uint64_t pa, int first, unsigned *where)
{
	uint64_t line = pa >> r->shift;
	int i, s = -1;
	for (i = first; i < PCACHE_LEVELS; i++)
		if (r->lv[i].present && (s = ref_find(&r->lv[i], line)) >= 0)
			break;
	if (i < PCACHE_LEVELS)
		r->lv[i].used[s] = ++r->now;
	for (int j = i - 1; j >= first; j--)
		if (r->lv[j].present)
			ref_fill(r, j, line);
	*where = (unsigned)i;
	return i < PCACHE_LEVELS ? r->lv[i].latency : r->mem;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random streams over a few geometries, each access checked against the
 * reference: the level that hit and the latency. One access in four
 * starts at the L2 (an instruction fetch: no L1I), one in eight repeats
 * the one before (the model's shortcut for the latest line). */
static void matches_reference(void **state)
{
	(void)state;
	static const struct pcache_config cfgs[] = {
		{ .level = { { 2 * 2 * 64, 2, 4 }, { 4 * 2 * 64, 2, 12 }, { 8 * 4 * 64, 4, 40 } },
		  .mem_latency = 200, .line_bytes = 64 },
		{ .level = { { 4 * 8 * 64, 8, 4 }, { 16 * 4 * 64, 4, 12 }, { 32 * 16 * 64, 16, 44 } },
		  .mem_latency = 250, .line_bytes = 64 },
		{ .level = { { 3 * 1 * 64, 1, 2 }, { 0 }, { 5 * 3 * 64, 3, 30 } },
		  .mem_latency = 90, .line_bytes = 64 },
		{ .level = { { 0 }, { 7 * 5 * 128, 5, 9 }, { 11 * 11 * 128, 11, 50 } },
		  .mem_latency = 120, .line_bytes = 128 },
		{ .level = { { 1 * 8 * 64, 8, 4 }, { 2 * 16 * 64, 16, 14 }, { 4 * 64 * 64, 64, 70 } },
		  .mem_latency = 300, .line_bytes = 64 },
	};
	static struct ref_cache ref;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (size_t k = 0; k < sizeof cfgs / sizeof cfgs[0]; k++) {
		struct pcache *c = mk(&cfgs[k]);
		ref_init(&ref, &cfgs[k]);
		for (int span = 16; span <= 4096; span *= 4) {
			for (int n = 0; n < 20000; n++) {
				/* Mostly a small hot set, sometimes far lines. */
				static uint64_t pa;
				static int first;
				uint64_t x = rng_next(&seed);
				uint64_t line = (x & 3) ? (x >> 8) % (uint64_t)span : (x >> 8) % (64ull * span);
				if ((x >> 4 & 7) != 0 || n == 0) {
					pa = line * cfgs[k].line_bytes + ((x >> 40) % cfgs[k].line_bytes);
					first = (x >> 2 & 3) == 0;
				}
				unsigned w_ref, w_got;
				unsigned l_ref = ref_access(&ref, pa, first, &w_ref);
				unsigned l_got = first ? pcache_access_from(c, pa, first, &w_got) : pcache_access(c, pa, &w_got);
				if (w_ref != w_got || l_ref != l_got)
					print_error("config %zu span %d access %d (pa 0x%llx): model level %u "
						    "latency %u, reference level %u latency %u\n",
						    k, span, n, (unsigned long long)pa, w_got, l_got, w_ref, l_ref);
				assert_int_equal(w_got, w_ref);
				assert_int_equal(l_got, l_ref);
			}
		}
		pcache_destroy(c);
	}
}

static void bad_geometry(void **state)
{
	(void)state;
	struct pcache_config c = tiny();
	c.line_bytes = 48;
	assert_null(pcache_create(&c));
	assert_non_null(strstr(xlat_error(), "power of two"));
	c = tiny();
	c.line_bytes = 0;
	assert_null(pcache_create(&c));
	c = tiny();
	c.level[1].ways = 0;
	assert_null(pcache_create(&c));
	assert_non_null(strstr(xlat_error(), "L2"));
	c = tiny();
	c.level[2].bytes = 1000;
	assert_null(pcache_create(&c));
	assert_non_null(strstr(xlat_error(), "LLC"));
	c = tiny();
	c.level[0].bytes = 1ULL << 50;
	assert_null(pcache_create(&c));
	assert_null(pcache_create(NULL));
	pcache_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_levels_and_latencies),
		cmocka_unit_test(lru_within_a_set),
		cmocka_unit_test(inclusive_back_invalidation),
		cmocka_unit_test(non_power_of_two_sets_and_lines),
		cmocka_unit_test(matches_reference),
		cmocka_unit_test(bad_geometry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
