/*
 * hardware/ways.h: signatures find every way that may hold a key, and the
 * recency order is exact LRU with invalid ways first, for the nibble order
 * (1..16 ways) and the linked one (wider), against a brute-force reference
 * on random streams of fills, hits and invalidations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "hardware/ways.h"

#define MAX_WAYS 80
#define SETS 3

/* The reference: per way, valid, signature and last use. */
struct ref_set {
	bool valid[MAX_WAYS];
	uint8_t sig[MAX_WAYS];
	uint64_t used[MAX_WAYS];
};

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Either family, as a structure using it would call it. */
static bool t_flagged(const struct ways *x, size_t set, unsigned w, uint8_t sig)
{
	if (ways_small_sets(x))
		return (ways_s_match(ways_s(x, set), x->n, ways_rep(sig)) >> w) & 1;
	return (ways_w_match(x, ways_w(x, set), w / 8, ways_rep(sig)) >> (8 * (w % 8) + 7)) & 1;
}

static unsigned t_tail(const struct ways *x, size_t set)
{
	return ways_small_sets(x) ? ways_s_tail(ways_s(x, set), x->n) : ways_w_tail(ways_w(x, set));
}

static void t_touch(const struct ways *x, size_t set, unsigned w)
{
	if (ways_small_sets(x))
		ways_s_touch(ways_s(x, set), w);
	else
		ways_w_touch(ways_w(x, set), w);
}

static void t_take(const struct ways *x, size_t set, unsigned w, uint8_t sig, bool valid)
{
	if (ways_small_sets(x)) {
		if (w == ways_s_tail(ways_s(x, set), x->n) && !(sig & 1))
			ways_s_fill_tail(ways_s(x, set), x->n, w, sig, valid);
		else
			ways_s_take(ways_s(x, set), w, sig, valid);
	} else {
		ways_w_take(x, ways_w(x, set), w, sig, valid);
	}
}

static void t_drop(const struct ways *x, size_t set, unsigned w)
{
	if (ways_small_sets(x))
		ways_s_drop(ways_s(x, set), x->n, w);
	else
		ways_w_drop(x, ways_w(x, set), w);
}

/* The ways flagged for sig are exactly the valid ways whose signature is
 * sig. */
static void check_candidates(const struct ways *x, size_t set, const struct ref_set *r, uint8_t sig)
{
	bool seen[MAX_WAYS] = { false };

	for (unsigned w = 0; w < x->n; w++)
		seen[w] = t_flagged(x, set, w, sig);
	for (unsigned w = 0; w < x->n; w++) {
		bool want = r->valid[w] && r->sig[w] == sig;
		if (seen[w] != want)
			print_error("%u ways: way %u sig %u: candidate %d, reference %d\n", x->n, w, sig,
				    seen[w], want);
		assert_int_equal(seen[w], want);
	}
}

/* The tail is invalid if any way is, else the least recently used. */
static void check_tail(const struct ways *x, size_t set, const struct ref_set *r)
{
	unsigned tail = t_tail(x, set), nvalid = 0, lru = 0;
	bool any_invalid = false;

	for (unsigned w = 0; w < x->n; w++) {
		if (!r->valid[w])
			any_invalid = true;
		else if (nvalid++ == 0 || r->used[w] < r->used[lru])
			lru = w;
	}
	assert_int_equal(ways_used(x, set), nvalid);
	assert_true(tail < x->n);
	if (any_invalid) {
		assert_false(r->valid[tail]);
	} else {
		if (tail != lru)
			print_error("%u ways: tail %u, reference LRU %u\n", x->n, tail, lru);
		assert_int_equal(tail, lru);
	}
	int fi = ways_first_invalid(x, set);
	int want = -1;
	for (unsigned w = 0; w < x->n && want < 0; w++)
		if (!r->valid[w])
			want = (int)w;
	assert_int_equal(fi, want);
}

static void run(unsigned n, uint64_t seed, int steps)
{
	struct ways x;
	static struct ref_set ref[SETS];
	uint64_t now = 0;

	assert_int_equal(ways_init(&x, SETS, n), 0);
	memset(ref, 0, sizeof ref);
	for (int i = 0; i < steps; i++) {
		uint64_t r = rng(&seed);
		size_t set = r % SETS;
		struct ref_set *rs = &ref[set];
		unsigned op = (r >> 8) % 10;
		/* Few signatures, so that candidates collide often. */
		uint8_t sig = (uint8_t)(1 + (r >> 16) % 5);

		check_candidates(&x, set, rs, sig);
		check_candidates(&x, set, rs, (uint8_t)(1 + (r >> 24) % 255));
		check_tail(&x, set, rs);
		if (op < 4) {                   /* a fill: the tail */
			unsigned w = t_tail(&x, set);
			t_take(&x, set, w, sig, rs->valid[w]);
			rs->valid[w] = true;
			rs->sig[w] = sig;
			rs->used[w] = ++now;
		} else if (op < 7) {            /* a hit on a valid way */
			unsigned w = (unsigned)((r >> 32) % n);
			if (!rs->valid[w])
				continue;
			t_touch(&x, set, w);
			rs->used[w] = ++now;
		} else if (op < 9) {            /* an invalidation */
			unsigned w = (unsigned)((r >> 32) % n);
			if (!rs->valid[w])
				continue;
			t_drop(&x, set, w);
			rs->valid[w] = false;
		} else {                        /* a fill of a given way (PLRU, random) */
			unsigned w = (unsigned)((r >> 32) % n);
			t_take(&x, set, w, sig, rs->valid[w]);
			rs->valid[w] = true;
			rs->sig[w] = sig;
			rs->used[w] = ++now;
		}
	}
	ways_clear(&x);
	memset(ref, 0, sizeof ref);
	for (size_t set = 0; set < SETS; set++)
		check_tail(&x, set, &ref[set]);
	ways_fini(&x);
}

static void every_width(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= MAX_WAYS; n++)
		run(n, 0x9e3779b97f4a7c15ULL + n, n <= 17 ? 40000 : 8000);
}

static void order_helpers(void **state)
{
	(void)state;
	/* 16 ways, order 0..15: way 9 to the front, then to the back. */
	uint64_t o = 0xfedcba9876543210ULL;
	assert_int_equal(ways_position(o, 9), 9);
	assert_int_equal(ways_position(o, 0), 0);
	assert_int_equal(ways_position(o, 15), 15);
	o = ways_order_front(o, 9);
	assert_true(o == 0xfedcba8765432109ULL);
	o = ways_order_back(o, 0, 15);
	assert_true(o == 0x9fedcba876543210ULL);
	o = ways_order_back(o, 15, 15);
	assert_true(o == 0x9fedcba876543210ULL);
	o = ways_order_front(o, 15);
	assert_true(o == 0xfedcba8765432109ULL);
	assert_int_equal(ways_sig(0), 1);
	assert_int_equal(ways_sig(0xab00000000000000ULL), 0xab);
}

static void bad_init(void **state)
{
	(void)state;
	struct ways x;
	assert_int_equal(ways_init(&x, 1, 0), -1);
	assert_int_equal(ways_init(&x, 1, WAYS_MAX + 1), -1);
	assert_int_equal(ways_init(&x, 0, 4), -1);
	assert_int_equal(ways_init(&x, 1, WAYS_MAX), 0);
	ways_fini(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_helpers),
		cmocka_unit_test(every_width),
		cmocka_unit_test(bad_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
