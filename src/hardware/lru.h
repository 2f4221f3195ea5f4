/*
 * hardware/lru.h — exact LRU for the sets of a cache array, O(1) per
 * operation. Internal to src/hardware (TLBs, paging-structure caches).
 *
 * The slots of one set form a doubly linked list, most recently used
 * first, threaded through per-slot links; each set keeps its two ends.
 * Invalid slots are kept at the LRU end, so the victim of a fill is always
 * the tail: an invalid slot if the set has one, else the least recently
 * used. That is the LRU a clock stamp per slot would give, with invalid
 * slots filled first, without scanning the set. A hit moves its slot to
 * the front, nothing to do when it is there already (repeated hits).
 *
 * Slots are numbered across the whole array (set s owns the slots
 * [s * ways, (s + 1) * ways)); LRU_NONE ends a list.
 */
#ifndef XLAT_HARDWARE_LRU_H
#define XLAT_HARDWARE_LRU_H

#include <stdint.h>

#define LRU_NONE UINT32_MAX

struct lru_link {
	uint32_t newer, older;   /* neighbours in the set's list, or LRU_NONE */
};

struct lru_ends {
	uint32_t mru, lru;       /* the set's most and least recently used slots */
};

/* Puts the `ways` slots from `first` in one list, in slot order. */
static inline void lru_init_set(struct lru_link *l, struct lru_ends *e, uint32_t first, uint32_t ways)
{
	for (uint32_t w = 0; w < ways; w++)
		l[first + w] = (struct lru_link){
			.newer = w ? first + w - 1 : LRU_NONE,
			.older = w + 1 < ways ? first + w + 1 : LRU_NONE,
		};
	*e = (struct lru_ends){ first, first + ways - 1 };
}

static inline void lru_unlink(struct lru_link *l, struct lru_ends *e, uint32_t s)
{
	struct lru_link *x = &l[s];

	if (x->newer != LRU_NONE)
		l[x->newer].older = x->older;
	else
		e->mru = x->older;
	if (x->older != LRU_NONE)
		l[x->older].newer = x->newer;
	else
		e->lru = x->newer;
}

/* Makes slot s the most recently used of its set. */
static inline void lru_to_front(struct lru_link *l, struct lru_ends *e, uint32_t s)
{
	if (e->mru == s)
		return;
	lru_unlink(l, e, s);
	l[s] = (struct lru_link){ .newer = LRU_NONE, .older = e->mru };
	l[e->mru].newer = s;
	e->mru = s;
}

/* Makes slot s, just made invalid, the least recently used of its set. */
static inline void lru_to_back(struct lru_link *l, struct lru_ends *e, uint32_t s)
{
	if (e->lru == s)
		return;
	lru_unlink(l, e, s);
	l[s] = (struct lru_link){ .newer = e->lru, .older = LRU_NONE };
	l[e->lru].older = s;
	e->lru = s;
}

#endif
