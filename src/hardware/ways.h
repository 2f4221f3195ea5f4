/*
 * hardware/ways.h — the bookkeeping of a set-associative array's sets:
 * which ways may hold a key, and which way is least recently used.
 * Internal to src/hardware; every cache-like structure of the model (TLB
 * arrays, paging-structure caches, the page-table line cache) keeps its
 * keys and payload in arrays of its own and its sets in one struct ways.
 *
 * Finding a key. Hardware compares every way of a set at once. The model
 * keeps one signature byte per way (a hash of the key, never 0; 0 marks an
 * invalid way) and compares eight ways per 64-bit word with the classic
 * zero-byte test, so a lookup that misses, the common case on the
 * simulator's hot path, reads one small header and no keys at all; a
 * candidate way is then checked against its full key by the caller, so
 * exactness never rests on the hash.
 *
 * Recency. Exact LRU, with invalid ways kept at the LRU end: the way a
 * fill takes is always the tail of the recency order, an invalid way if
 * the set has one, else the least recently used: what a clock stamp per
 * way would give, without stamps or scans. Every operation is O(1):
 *
 *  - up to 16 ways, the order is one 64-bit word of 4-bit way numbers,
 *    most recent first; a way's position is found by the zero-nibble test
 *    and moved with shifts and masks;
 *  - wider sets (fully associative TLBs and caches) link their ways in a
 *    doubly linked list of 16-bit way numbers.
 *
 * Invariant: the set's `used` valid ways are the first `used` in recency
 * order; the others are invalid and have signature 0.
 *
 * One set's header (signatures, order, count) is contiguous: 24 or 32
 * bytes for up to 16 ways, so a lookup touches one host cache line.
 */
#ifndef XLAT_HARDWARE_WAYS_H
#define XLAT_HARDWARE_WAYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAYS_SMALL 16                 /* most ways of the nibble order */
#define WAYS_MAX 65535                /* most ways of any set */
#define WAYS_NONE UINT16_MAX

struct ways {
	unsigned n;                   /* ways per set, 1..WAYS_MAX */
	unsigned words;               /* signature words per set: ceil(n / 8) */
	uint64_t last_mask;           /* the last word's bytes that are ways */
	size_t stride;                /* header bytes per set */
	size_t sig_off;               /* offset of the signatures in a header */
	size_t sets;
	uint8_t *hdr;                 /* sets * stride */
};

/* Header of a set of up to 16 ways. */
struct ways_small {
	uint64_t order;               /* nibble k: the way at recency k (0 = most recent) */
	uint32_t used;
	uint32_t pad;
};

/* Header of a wider set, followed by its links. */
struct ways_wide {
	uint16_t mru, lru;            /* the ends of the recency list */
	uint32_t used;
};

struct ways_link {
	uint16_t newer, older;        /* neighbours in the list, or WAYS_NONE */
};

#define WAYS_ONES 0x0101010101010101ULL
#define WAYS_HIGH 0x8080808080808080ULL

/* A key's signature: 8 bits of its 64-bit hash, never 0. */
static inline uint8_t ways_sig(uint64_t hash)
{
	uint8_t s = (uint8_t)(hash >> 56);

	return (uint8_t)(s + (s == 0));
}

/* A cheap, good 64-bit mix for the callers' hashes. */
static inline uint64_t ways_hash(uint64_t key)
{
	key ^= key >> 31;
	key *= 0xbf58476d1ce4e5b9ULL;
	return key ^ (key >> 29);
}

static inline uint8_t *ways_header(const struct ways *x, size_t set)
{
	return x->hdr + set * x->stride;
}

static inline uint8_t *ways_sigs(const struct ways *x, size_t set)
{
	return ways_header(x, set) + x->sig_off;
}

/* Candidate ways k*8 .. k*8+7 of a set for signature sig: bit 8*i+7 is
 * set for way k*8+i if its signature may equal sig (every way whose
 * signature does is flagged; a flagged way may not match, see
 * ways_is_sig). Iterate with ways_next_candidate. */
static inline uint64_t ways_candidates(const struct ways *x, const uint8_t *sigs, unsigned k, uint8_t sig)
{
	uint64_t word;

	memcpy(&word, sigs + 8 * k, 8);
	uint64_t v = word ^ (WAYS_ONES * sig);
	uint64_t m = (v - WAYS_ONES) & ~v & WAYS_HIGH;
	return k + 1 == x->words ? m & x->last_mask : m;
}

/* The way of the lowest flag in m (nonzero), word k. */
static inline unsigned ways_candidate_way(uint64_t m, unsigned k)
{
	return 8 * k + (unsigned)(__builtin_ctzll(m) >> 3);
}

static inline bool ways_is_sig(const uint8_t *sigs, unsigned way, uint8_t sig)
{
	return sigs[way] == sig;
}

/* ---- the nibble order (up to 16 ways) ------------------------------------- */

/* The low k nibbles of a word (k <= 16). */
static inline uint64_t ways_nibbles(unsigned k)
{
	return k >= 16 ? ~0ULL : (1ULL << (4 * k)) - 1;
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

/* Moves the way at position p to the front. */
static inline uint64_t ways_order_front(uint64_t order, unsigned p)
{
	uint64_t w = (order >> (4 * p)) & 15;

	return (order & ~ways_nibbles(p + 1)) | ((order & ways_nibbles(p)) << 4) | w;
}

/* Moves the way at position p to position last (p <= last). */
static inline uint64_t ways_order_back(uint64_t order, unsigned p, unsigned last)
{
	uint64_t w = (order >> (4 * p)) & 15;
	uint64_t mid = p + 1 <= 15 ? (order >> (4 * (p + 1))) & ways_nibbles(last - p) : 0;

	return (order & ways_nibbles(p)) | (mid << (4 * p)) | (w << (4 * last)) |
	       (order & ~ways_nibbles(last + 1));
}

/* ---- the linked order (wider sets) ----------------------------------------- */

static inline struct ways_link *ways_links(const struct ways *x, size_t set)
{
	return (struct ways_link *)(void *)(ways_header(x, set) + sizeof(struct ways_wide));
}

static inline void ways_unlink(struct ways_wide *h, struct ways_link *l, unsigned w)
{
	if (l[w].newer != WAYS_NONE)
		l[l[w].newer].older = l[w].older;
	else
		h->mru = l[w].older;
	if (l[w].older != WAYS_NONE)
		l[l[w].older].newer = l[w].newer;
	else
		h->lru = l[w].newer;
}

static inline void ways_link_front(struct ways_wide *h, struct ways_link *l, unsigned w)
{
	if (h->mru == w)
		return;
	ways_unlink(h, l, w);
	l[w] = (struct ways_link){ .newer = WAYS_NONE, .older = h->mru };
	l[h->mru].newer = (uint16_t)w;
	h->mru = (uint16_t)w;
}

static inline void ways_link_back(struct ways_wide *h, struct ways_link *l, unsigned w)
{
	if (h->lru == w)
		return;
	ways_unlink(h, l, w);
	l[w] = (struct ways_link){ .newer = h->lru, .older = WAYS_NONE };
	l[h->lru].older = (uint16_t)w;
	h->lru = (uint16_t)w;
}

/* ---- the operations --------------------------------------------------------- */

static inline bool ways_small_set(const struct ways *x)
{
	return x->n <= WAYS_SMALL;
}

/* Valid ways in the set. */
static inline unsigned ways_used(const struct ways *x, size_t set)
{
	const uint8_t *h = ways_header(x, set);

	return ways_small_set(x) ? ((const struct ways_small *)(const void *)h)->used
				 : ((const struct ways_wide *)(const void *)h)->used;
}

/* The way a fill of the set takes: the tail of the recency order, invalid
 * if the set has an invalid way, else the least recently used. */
static inline unsigned ways_tail(const struct ways *x, size_t set)
{
	const uint8_t *h = ways_header(x, set);

	if (ways_small_set(x))
		return (unsigned)(((const struct ways_small *)(const void *)h)->order >> (4 * (x->n - 1))) & 15;
	return ((const struct ways_wide *)(const void *)h)->lru;
}

/* Way w (valid) was used: it becomes the most recent. */
static inline void ways_touch(const struct ways *x, size_t set, unsigned w)
{
	uint8_t *h = ways_header(x, set);

	if (ways_small_set(x)) {
		struct ways_small *s = (struct ways_small *)(void *)h;
		if ((s->order & 15) != w)
			s->order = ways_order_front(s->order, ways_position(s->order, w));
	} else {
		ways_link_front((struct ways_wide *)(void *)h, ways_links(x, set), w);
	}
}

/* Way w now holds a key with signature sig and is the most recent. It
 * was valid (a victim refilled, or the same key refreshed) or invalid. */
static inline void ways_take(const struct ways *x, size_t set, unsigned w, uint8_t sig, bool was_valid)
{
	uint8_t *h = ways_header(x, set);

	ways_sigs(x, set)[w] = sig;
	if (ways_small_set(x)) {
		struct ways_small *s = (struct ways_small *)(void *)h;
		s->used += !was_valid;
		if ((s->order & 15) != w)
			s->order = ways_order_front(s->order, ways_position(s->order, w));
	} else {
		struct ways_wide *s = (struct ways_wide *)(void *)h;
		s->used += !was_valid;
		ways_link_front(s, ways_links(x, set), w);
	}
}

/* Way w (valid) becomes invalid and moves to the LRU end. */
static inline void ways_drop(const struct ways *x, size_t set, unsigned w)
{
	uint8_t *h = ways_header(x, set);

	ways_sigs(x, set)[w] = 0;
	if (ways_small_set(x)) {
		struct ways_small *s = (struct ways_small *)(void *)h;
		s->order = ways_order_back(s->order, ways_position(s->order, w), x->n - 1);
		s->used--;
	} else {
		struct ways_wide *s = (struct ways_wide *)(void *)h;
		ways_link_back(s, ways_links(x, set), w);
		s->used--;
	}
}

/* The lowest-numbered invalid way, or -1 (for policies that fill by way
 * number rather than recency). */
static inline int ways_first_invalid(const struct ways *x, size_t set)
{
	const uint8_t *sigs = ways_sigs(x, set);

	for (unsigned k = 0; k < x->words; k++) {
		uint64_t m = ways_candidates(x, sigs, k, 0);
		if (m)
			return (int)ways_candidate_way(m, k);
	}
	return -1;
}

/* Every way invalid, the order by way number. */
static inline void ways_clear(struct ways *x)
{
	for (size_t set = 0; set < x->sets; set++) {
		uint8_t *h = ways_header(x, set);
		memset(h, 0, x->stride);
		if (ways_small_set(x)) {
			struct ways_small *s = (struct ways_small *)(void *)h;
			for (unsigned w = 0; w < x->n; w++)
				s->order |= (uint64_t)w << (4 * w);
		} else {
			struct ways_wide *s = (struct ways_wide *)(void *)h;
			struct ways_link *l = ways_links(x, set);
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
	x->sig_off = n <= WAYS_SMALL ? sizeof(struct ways_small)
				     : (sizeof(struct ways_wide) + n * sizeof(struct ways_link) + 7) / 8 * 8;
	x->stride = x->sig_off + 8 * x->words;
	x->hdr = malloc(sets * x->stride);
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
