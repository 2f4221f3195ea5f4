/*
 * hardware/slot_index.h — which slots of a cache array hold a key, in
 * O(1): a chained hash table over slot numbers. Internal to src/hardware
 * (TLBs, paging-structure caches).
 *
 * Hardware compares every way of a set at once; a model that scans them
 * pays for each, and for the wide arrays of real CPUs (a 1536-entry STLB
 * with 12 ways, a 72-entry fully associative L1, a 64-entry unified page
 * walk cache) the scan was most of the cost of a TLB miss. The index
 * finds the candidates for a key directly: a lookup hashes the key, reads
 * one bucket and the slot or two chained to it, and the caller compares
 * its full key there, so exactness never rests on the hash.
 *
 * Valid slots only are indexed; each sits in the chain of its key's
 * bucket, doubly linked through per-slot links so that it leaves in O(1).
 * The table has at least two buckets per slot. The caller supplies the
 * hash (slot_index_hash mixes a 64-bit key) and must pass the same one to
 * add and remove.
 */
#ifndef XLAT_HARDWARE_SLOT_INDEX_H
#define XLAT_HARDWARE_SLOT_INDEX_H

#include <stdint.h>
#include <stdlib.h>

#define SLOT_NONE UINT32_MAX

struct slot_chain {
	uint32_t next, prev;     /* neighbours in the bucket's chain, or SLOT_NONE */
};

struct slot_index {
	uint32_t *head;          /* per bucket: first slot, or SLOT_NONE */
	struct slot_chain *link; /* per slot */
	unsigned shift;          /* 64 - log2(buckets) */
	uint32_t nslots;
};

static inline uint64_t slot_index_hash(uint64_t key)
{
	key ^= key >> 29;
	return key * 0xbf58476d1ce4e5b9ULL;
}

/* Empties the index. */
static inline void slot_index_clear(struct slot_index *x)
{
	size_t buckets = (size_t)1 << (64 - x->shift);

	for (size_t b = 0; b < buckets; b++)
		x->head[b] = SLOT_NONE;
	for (uint32_t s = 0; s < x->nslots; s++)
		x->link[s] = (struct slot_chain){ SLOT_NONE, SLOT_NONE };
}

/* 0, or -1 when out of memory (then nothing is left allocated). */
static inline int slot_index_init(struct slot_index *x, uint32_t nslots)
{
	unsigned bits = 1;

	while ((1ULL << bits) < 2ULL * nslots)
		bits++;
	x->shift = 64 - bits;
	x->nslots = nslots;
	x->head = malloc(sizeof *x->head << bits);
	x->link = malloc(sizeof *x->link * nslots);
	if (!x->head || !x->link) {
		free(x->head);
		free(x->link);
		x->head = NULL;
		x->link = NULL;
		return -1;
	}
	slot_index_clear(x);
	return 0;
}

static inline void slot_index_fini(struct slot_index *x)
{
	free(x->head);
	free(x->link);
}

/* The first slot in the chain of hash h (then follow slot_index_next). */
static inline uint32_t slot_index_first(const struct slot_index *x, uint64_t h)
{
	return x->head[h >> x->shift];
}

static inline uint32_t slot_index_next(const struct slot_index *x, uint32_t s)
{
	return x->link[s].next;
}

static inline void slot_index_add(struct slot_index *x, uint32_t s, uint64_t h)
{
	uint32_t *b = &x->head[h >> x->shift];

	x->link[s] = (struct slot_chain){ .next = *b, .prev = SLOT_NONE };
	if (*b != SLOT_NONE)
		x->link[*b].prev = s;
	*b = s;
}

static inline void slot_index_remove(struct slot_index *x, uint32_t s, uint64_t h)
{
	struct slot_chain *c = &x->link[s];

	if (c->prev != SLOT_NONE)
		x->link[c->prev].next = c->next;
	else
		x->head[h >> x->shift] = c->next;
	if (c->next != SLOT_NONE)
		x->link[c->next].prev = c->prev;
}

#endif
