/*
 * hardware/ways.h — the bookkeeping of a set-associative array's sets:
 * which ways may hold a key, and which way is least recently used.
 * Internal to src/hardware; every cache-like structure of the model (TLB
 * arrays, paging-structure caches, the page-table line cache) keeps its
 * keys and payload in arrays of its own and its sets in one struct ways.
 *
 * Finding a key. Hardware compares every way of a set at once. The model
 * keeps one signature byte per way (8 bits of a hash of the key, never 0;
 * 0 marks an invalid way) and compares eight ways per 64-bit word with an
 * exact zero-byte test, so a lookup that misses, the common case on the
 * simulator's hot path, reads one small header and no keys at all; a
 * candidate way is then checked against its full key by the caller, so
 * exactness never rests on the hash.
 *
 * Recency. Exact LRU, with invalid ways kept at the LRU end: the way a
 * fill takes is always the tail of the recency order, an invalid way if
 * the set has one, else the least recently used: what a clock stamp per
 * way would give, without stamps or scans. Every operation is O(1):
 *
 *  - small sets, up to 16 ways (struct ways_small, ways_s_*): the order is
 *    one 64-bit word of 4-bit way numbers, most recent first; a way's
 *    position is found by the zero-nibble test and moved with shifts and
 *    masks; the whole header is 32 bytes, half a host cache line;
 *  - wide sets (ways_w_*: fully associative TLBs and caches) link their
 *    ways in a doubly linked list of 16-bit way numbers.
 *
 * Invariant: the set's `used` valid ways are the first `used` in recency
 * order; the others are invalid and have signature 0.
 *
 * A structure decides once whether its sets are small (ways_small_sets)
 * and calls one family; the small family is what the hot paths of real
 * CPU presets run, so it is written for few instructions: the caller
 * hashes a key once (ways_rep) and each operation reads and writes the
 * header's words once.
 */
#ifndef XLAT_HARDWARE_WAYS_H
#define XLAT_HARDWARE_WAYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAYS_SMALL 16                 /* most ways of a small set */
#define WAYS_MAX 65535                /* most ways of any set */
#define WAYS_NONE UINT16_MAX

struct ways {
	uint8_t *hdr;                 /* sets * stride bytes */
	size_t stride;                /* header bytes per set */
	size_t sets;
	unsigned n;                   /* ways per set, 1..WAYS_MAX */
	unsigned words;               /* signature words per set: ceil(n / 8) */
	uint64_t last_mask;           /* the last word's flag bits that are ways */
	size_t sig_off;               /* wide sets: offset of the signature words */
};

/* Header of a small set (up to 16 ways). */
struct ways_small {
	uint64_t order;               /* nibble k: the way at recency k (0 = most recent) */
	uint64_t used;                /* valid ways */
	uint64_t sig[2];              /* byte i of sig[j]: signature of way 8j + i */
};

/* Header of a wide set: then n links, then the signature words. */
struct ways_wide {
	uint16_t mru, lru;            /* the ends of the recency list */
	uint32_t used;
};

struct ways_link {
	uint16_t newer, older;        /* neighbours in the list, or WAYS_NONE */
};

#define WAYS_ONES 0x0101010101010101ULL
#define WAYS_LOW7 0x7f7f7f7f7f7f7f7fULL
#define WAYS_HIGH 0x8080808080808080ULL

/* A cheap, good 64-bit mix for the callers' hashes. */
static inline uint64_t ways_hash(uint64_t key)
{
	key ^= key >> 31;
	key *= 0xbf58476d1ce4e5b9ULL;
	return key ^ (key >> 29);
}

/* A key's signature: 8 bits of its hash, never 0. */
static inline uint8_t ways_sig(uint64_t hash)
{
	uint8_t s = (uint8_t)(hash >> 56);

	return (uint8_t)(s + (s == 0));
}

/* The signature repeated in every byte, what the match tests compare. */
static inline uint64_t ways_rep(uint8_t sig)
{
	return WAYS_ONES * sig;
}

/* Bit 7 of every byte of a signature word that equals the repeated
 * signature rep (exact: no borrow between bytes). */
static inline uint64_t ways_match_word(uint64_t word, uint64_t rep)
{
	uint64_t v = word ^ rep;

	return ~(((v & WAYS_LOW7) + WAYS_LOW7) | v) & WAYS_HIGH;
}

static inline bool ways_small_sets(const struct ways *x)
{
	return x->n <= WAYS_SMALL;
}

static inline uint8_t *ways_header(const struct ways *x, size_t set)
{
	return x->hdr + set * x->stride;
}

/* ---- small sets ------------------------------------------------------------ */

/* nibble_mask[k]: the low k nibbles of a word. */
static const uint64_t ways_nibble_mask[17] = {
	0, 0xf, 0xff, 0xfff, 0xffff, 0xfffff, 0xffffff, 0xfffffff, 0xffffffffULL,
	0xfffffffffULL, 0xffffffffffULL, 0xfffffffffffULL, 0xffffffffffffULL,
	0xfffffffffffffULL, 0xffffffffffffffULL, 0xfffffffffffffffULL, ~0ULL,
};

static inline struct ways_small *ways_s(const struct ways *x, size_t set)
{
	return (struct ways_small *)(void *)ways_header(x, set);
}

/* The ways of a small set of n ways whose signature is the repeated rep,
 * as bit w for way w. */
static inline unsigned ways_s_match(const struct ways_small *h, unsigned n, uint64_t rep)
{
	uint64_t m = ways_match_word(h->sig[0], rep);
	unsigned ways = (unsigned)((((m >> 7) * 0x0102040810204080ULL) >> 56));

	if (n > 8) {
		m = ways_match_word(h->sig[1], rep);
		ways |= (unsigned)((((m >> 7) * 0x0102040810204080ULL) >> 56)) << 8;
	}
	return ways & ((1u << n) - 1);
}

/* The recency position of way w in the order. */
static inline unsigned ways_position(uint64_t order, unsigned w)
{
	uint64_t v = order ^ (0x1111111111111111ULL * w);
	uint64_t m = (v - 0x1111111111111111ULL) & ~v & 0x8888888888888888ULL;

	/* The lowest flagged nibble is a true zero: a borrow only ever
	 * flags nibbles above one. */
	return (unsigned)__builtin_ctzll(m) >> 2;
}

/* The order with the way at position p moved to the front. */
static inline uint64_t ways_order_front(uint64_t order, unsigned p)
{
	uint64_t w = (order >> (4 * p)) & 15;

	return (order & ~ways_nibble_mask[p + 1]) | ((order & ways_nibble_mask[p]) << 4) | w;
}

/* The order with the way at position p moved to position last (p <= last). */
static inline uint64_t ways_order_back(uint64_t order, unsigned p, unsigned last)
{
	uint64_t w = (order >> (4 * p)) & 15;
	uint64_t mid = p < 15 ? (order >> (4 * (p + 1))) & ways_nibble_mask[last - p] : 0;

	return (order & ways_nibble_mask[p]) | (mid << (4 * p)) | (w << (4 * last)) |
	       (order & ~ways_nibble_mask[last + 1]);
}

/* The way a fill takes: the order's tail. */
static inline unsigned ways_s_tail(const struct ways_small *h, unsigned n)
{
	return (unsigned)(h->order >> (4 * (n - 1))) & 15;
}

/* Way w (valid) was used: it becomes the most recent. */
static inline void ways_s_touch(struct ways_small *h, unsigned w)
{
	uint64_t o = h->order;

	if ((o & 15) != w)
		h->order = ways_order_front(o, ways_position(o, w));
}

static inline void ways_s_set_sig(struct ways_small *h, unsigned w, uint8_t sig)
{
	unsigned sh = 8 * (w & 7);

	h->sig[w >> 3] = (h->sig[w >> 3] & ~(0xffULL << sh)) | ((uint64_t)sig << sh);
}

/* The tail way (ways_s_tail) now holds a key with signature sig and is the
 * most recent; `full`: it was valid (the set had no invalid way). */
static inline void ways_s_fill_tail(struct ways_small *h, unsigned n, unsigned w, uint8_t sig, bool full)
{
	ways_s_set_sig(h, w, sig);
	h->used += !full;
	h->order = ways_order_front(h->order, n - 1);
}

/* Way w now holds a key with signature sig and is the most recent; it was
 * valid (the same key refreshed, a chosen victim) or invalid. */
static inline void ways_s_take(struct ways_small *h, unsigned w, uint8_t sig, bool was_valid)
{
	ways_s_set_sig(h, w, sig);
	h->used += !was_valid;
	ways_s_touch(h, w);
}

/* Way w (valid) becomes invalid and moves to the LRU end. */
static inline void ways_s_drop(struct ways_small *h, unsigned n, unsigned w)
{
	ways_s_set_sig(h, w, 0);
	h->order = ways_order_back(h->order, ways_position(h->order, w), n - 1);
	h->used--;
}

/* ---- wide sets ------------------------------------------------------------- */

static inline struct ways_wide *ways_w(const struct ways *x, size_t set)
{
	return (struct ways_wide *)(void *)ways_header(x, set);
}

static inline struct ways_link *ways_w_links(struct ways_wide *h)
{
	return (struct ways_link *)(void *)(h + 1);
}

/* Signature word k of a wide set. */
static inline uint64_t *ways_w_sigword(const struct ways *x, struct ways_wide *h, unsigned k)
{
	return (uint64_t *)(void *)((uint8_t *)h + x->sig_off) + k;
}

/* The flags (bit 7 of byte i for way 8k + i) of the ways of word k whose
 * signature is the repeated rep. Iterate with ways_flag_way, m &= m - 1. */
static inline uint64_t ways_w_match(const struct ways *x, struct ways_wide *h, unsigned k, uint64_t rep)
{
	uint64_t m = ways_match_word(*ways_w_sigword(x, h, k), rep);

	return k + 1 == x->words ? m & x->last_mask : m;
}

/* The way of the lowest flag of m (nonzero) in word k. */
static inline unsigned ways_flag_way(uint64_t m, unsigned k)
{
	return 8 * k + ((unsigned)__builtin_ctzll(m) >> 3);
}

static inline void ways_w_set_sig(const struct ways *x, struct ways_wide *h, unsigned w, uint8_t sig)
{
	uint64_t *word = ways_w_sigword(x, h, w >> 3);
	unsigned sh = 8 * (w & 7);

	*word = (*word & ~(0xffULL << sh)) | ((uint64_t)sig << sh);
}

static inline void ways_unlink(struct ways_wide *s, struct ways_link *l, unsigned w)
{
	if (l[w].newer != WAYS_NONE)
		l[l[w].newer].older = l[w].older;
	else
		s->mru = l[w].older;
	if (l[w].older != WAYS_NONE)
		l[l[w].older].newer = l[w].newer;
	else
		s->lru = l[w].newer;
}

static inline unsigned ways_w_tail(const struct ways_wide *h)
{
	return h->lru;
}

static inline void ways_w_touch(struct ways_wide *h, unsigned w)
{
	struct ways_link *l = ways_w_links(h);

	if (h->mru == w)
		return;
	ways_unlink(h, l, w);
	l[w] = (struct ways_link){ .newer = WAYS_NONE, .older = h->mru };
	l[h->mru].newer = (uint16_t)w;
	h->mru = (uint16_t)w;
}

static inline void ways_w_take(const struct ways *x, struct ways_wide *h, unsigned w, uint8_t sig,
			       bool was_valid)
{
	ways_w_set_sig(x, h, w, sig);
	h->used += !was_valid;
	ways_w_touch(h, w);
}

static inline void ways_w_drop(const struct ways *x, struct ways_wide *h, unsigned w)
{
	struct ways_link *l = ways_w_links(h);

	ways_w_set_sig(x, h, w, 0);
	h->used--;
	if (h->lru == w)
		return;
	ways_unlink(h, l, w);
	l[w] = (struct ways_link){ .newer = h->lru, .older = WAYS_NONE };
	l[h->lru].older = (uint16_t)w;
	h->lru = (uint16_t)w;
}

/* ---- either kind ------------------------------------------------------------- */

/* Valid ways of a set. */
static inline unsigned ways_used(const struct ways *x, size_t set)
{
	return ways_small_sets(x) ? (unsigned)ways_s(x, set)->used : ways_w(x, set)->used;
}

/* The lowest-numbered invalid way of a set, or -1 (for policies that fill
 * by way number rather than recency). */
static inline int ways_first_invalid(const struct ways *x, size_t set)
{
	if (ways_small_sets(x)) {
		unsigned m = ways_s_match(ways_s(x, set), x->n, 0);
		return m ? __builtin_ctz(m) : -1;
	}
	for (unsigned k = 0; k < x->words; k++) {
		uint64_t m = ways_w_match(x, ways_w(x, set), k, 0);
		if (m)
			return (int)ways_flag_way(m, k);
	}
	return -1;
}

/* Every way invalid, the order by way number. */
static inline void ways_clear(struct ways *x)
{
	for (size_t set = 0; set < x->sets; set++) {
		uint8_t *h = ways_header(x, set);
		memset(h, 0, x->stride);
		if (ways_small_sets(x)) {
			struct ways_small *s = (struct ways_small *)(void *)h;
			for (unsigned w = 0; w < x->n; w++)
				s->order |= (uint64_t)w << (4 * w);
		} else {
			struct ways_wide *s = (struct ways_wide *)(void *)h;
			struct ways_link *l = ways_w_links(s);
			for (unsigned w = 0; w < x->n; w++)
				l[w] = (struct ways_link){
					.newer = w ? (uint16_t)(w - 1) : WAYS_NONE,
					.older = w + 1 < x->n ? (uint16_t)(w + 1) : WAYS_NONE,
				};
			s->mru = 0;
			s->lru = (uint16_t)(x->n - 1);
		}
	}
}

/* 0, or -1 when out of memory or n is not 1..WAYS_MAX. */
static inline int ways_init(struct ways *x, size_t sets, unsigned n)
{
	memset(x, 0, sizeof *x);
	if (n == 0 || n > WAYS_MAX || sets == 0)
		return -1;
	x->n = n;
	x->sets = sets;
	x->words = (n + 7) / 8;
	x->last_mask = n % 8 ? (1ULL << (8 * (n % 8))) - 1 : ~0ULL;
	if (n <= WAYS_SMALL) {
		x->stride = sizeof(struct ways_small);
	} else {
		x->sig_off = (sizeof(struct ways_wide) + n * sizeof(struct ways_link) + 7) / 8 * 8;
		x->stride = x->sig_off + 8 * x->words;
	}
	x->hdr = aligned_alloc(32, (sets * x->stride + 31) / 32 * 32);
	if (!x->hdr)
		return -1;
	ways_clear(x);
	return 0;
}

static inline void ways_fini(struct ways *x)
{
	free(x->hdr);
	x->hdr = NULL;
}

#endif
