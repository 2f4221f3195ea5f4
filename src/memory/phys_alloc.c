/*
 * The frame allocator of a space: which frames of [0, ram_frames) are free,
 * allocated or reserved. It knows nothing of frame contents.
 *
 * State lives in a hierarchy shaped like the page sizes it serves:
 *
 *   chunk directory   one word per 1 GiB chunk (2^18 frames)
 *     struct fa_mid   one word per 2 MiB chunk of a split 1 GiB chunk
 *       struct fa_small  alloc + reserved bitmaps of a split 2 MiB chunk
 *
 * A word is ST_FREE, ST_ALLOC or ST_RSVD when the whole chunk is in that
 * state, otherwise a pointer to the split form. A split chunk whose frames
 * all become free again collapses back to ST_FREE, so freed memory serves
 * large requests again.
 *
 * Fast paths (O(1)): 4 KiB takes the first free bit of the first small on
 * the partial-small list (splitting a FREE 2 MiB entry if there is none);
 * 2 MiB takes the first FREE entry of the first mid on the partial-mid list
 * (splitting a free 1 GiB chunk if there is none); 1 GiB pops a freed chunk
 * or advances the frontier over never-used chunks. Any other request, or a
 * fast path that finds nothing, scans the state for the lowest fitting
 * aligned range, skipping uniform chunks whole.
 *
 * Frames past ram_frames inside the last chunk are marked ST_RSVD without
 * being counted as reserved, so no path needs a bounds check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory/phys_internal.h"

#define ST_FREE  ((uintptr_t)0)
#define ST_ALLOC ((uintptr_t)1)
#define ST_RSVD  ((uintptr_t)2)

#define GNODE_LEN (1ULL << FA_GNODE_SHIFT)
#define WORDS     (FA_M_FRAMES / 64)   /* bitmap words per 2 MiB chunk */

struct fa_small {                /* a split 2 MiB chunk */
	struct fa_list link;     /* on fa->smalls while nfree > 0 */
	uint64_t base;           /* first pfn */
	uint32_t nfree;          /* frames neither allocated nor reserved */
	uint64_t alloc[WORDS];
	uint64_t rsvd[WORDS];
};

struct fa_mid {                  /* a split 1 GiB chunk */
	struct fa_list link;     /* on fa->mids while nfree > 0 */
	uint64_t g;              /* chunk index */
	uint32_t nfree;          /* ST_FREE entries */
	uint64_t freemap[WORDS]; /* bit i: ent[i] == ST_FREE */
	uintptr_t ent[FA_M_FRAMES];
};

enum fa_op {
	FA_OP_ALLOC,    /* FREE -> ALLOC */
	FA_OP_FREE,     /* ALLOC -> FREE, anything else is a bug */
	FA_OP_RSVD,     /* FREE/RSVD -> RSVD, counted */
	FA_OP_OUT,      /* FREE -> RSVD, not counted: beyond ram */
};

static inline bool st_uniform(uintptr_t s) { return s <= ST_RSVD; }

/* ---- intrusive lists -------------------------------------------------- */

static void list_init(struct fa_list *h) { h->prev = h->next = h; }
static bool list_empty(const struct fa_list *h) { return h->next == h; }

static void list_add(struct fa_list *h, struct fa_list *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void list_del(struct fa_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#define list_entry(p, type) ((type *)(void *)((char *)(p) - offsetof(type, link)))

/* ---- bit helpers over WORDS-word bitmaps ------------------------------ */

/* Mask of bits [lo, hi) of word w (bit indices over the whole bitmap). */
static inline uint64_t word_mask(unsigned w, unsigned lo, unsigned hi)
{
	unsigned wlo = w * 64, whi = wlo + 64;
	unsigned a = lo > wlo ? lo - wlo : 0;
	unsigned b = hi < whi ? hi - wlo : 64;
	if (a >= b)
		return 0;
	uint64_t m = b == 64 ? ~0ULL : (1ULL << b) - 1;
	return m & ~((1ULL << a) - 1);
}

static int first_set(const uint64_t *map)
{
	for (unsigned w = 0; w < WORDS; w++)
		if (map[w])
			return (int)(w * 64 + (unsigned)__builtin_ctzll(map[w]));
	return -1;
}

/* ---- the chunk directory ------------------------------------------------ */

static inline uintptr_t gget(const struct falloc *fa, uint64_t g)
{
	uintptr_t *node = fa->gdir[g >> FA_GNODE_SHIFT];
	return node ? node[g & (GNODE_LEN - 1)] : ST_FREE;
}

/* The node holding chunk g's word must exist unless v is ST_FREE. */
static inline void gset(struct falloc *fa, uint64_t g, uintptr_t v)
{
	uintptr_t *node = fa->gdir[g >> FA_GNODE_SHIFT];
	if (!node) {
		if (v == ST_FREE)
			return;
		XLAT_BUG("chunk %llu has no directory node", (unsigned long long)g);
	}
	node[g & (GNODE_LEN - 1)] = v;
}

static int gnode_ensure(struct falloc *fa, uint64_t g)
{
	uintptr_t **slot = &fa->gdir[g >> FA_GNODE_SHIFT];
	if (*slot)
		return 0;
	*slot = calloc(GNODE_LEN, sizeof(uintptr_t));
	if (!*slot)
		return -ENOMEM;
	fa->gnodes++;
	return 0;
}

/* Remembers that chunk g became FREE below the frontier. If the list cannot
 * grow, the chunk is still found by the general scan. */
static void gfree_push(struct falloc *fa, uint64_t g)
{
	if (g >= fa->frontier)
		return;
	if (fa->ngfree == fa->gfree_cap) {
		size_t cap = fa->gfree_cap ? 2 * fa->gfree_cap : 16;
		uint64_t *p = realloc(fa->gfree, cap * sizeof(*p));
		if (!p)
			return;
		fa->gfree = p;
		fa->gfree_cap = cap;
	}
	fa->gfree[fa->ngfree++] = g;
}

/* A FREE 1 GiB chunk whose directory node exists, or -ENOMEM. */
static int take_free_chunk(struct falloc *fa, uint64_t *g)
{
	while (fa->ngfree) {
		uint64_t c = fa->gfree[--fa->ngfree];
		if (gget(fa, c) == ST_FREE) {   /* else stale: taken by a scan since */
			*g = c;
			return 0;
		}
	}
	while (fa->frontier < fa->nchunks) {
		uint64_t c = fa->frontier;
		if (gget(fa, c) == ST_FREE) {
			if (gnode_ensure(fa, c))
				return -ENOMEM;
			fa->frontier++;
			*g = c;
			return 0;
		}
		fa->frontier++;
	}
	return -ENOMEM;
}

/* ---- split and collapse ---------------------------------------------- */

/* Splits uniform chunk g into a mid of 512 entries in the same state. */
static struct fa_mid *split_chunk(struct falloc *fa, uint64_t g)
{
	uintptr_t s = gget(fa, g);
	XLAT_ASSERT(st_uniform(s));
	if (gnode_ensure(fa, g))
		return NULL;
	struct fa_mid *mid = fa->spare_mid;
	if (mid)
		fa->spare_mid = NULL;
	else if (!(mid = malloc(sizeof(*mid))))
		return NULL;
	mid->g = g;
	for (unsigned i = 0; i < FA_M_FRAMES; i++)
		mid->ent[i] = s;
	memset(mid->freemap, s == ST_FREE ? 0xff : 0, sizeof(mid->freemap));
	mid->nfree = s == ST_FREE ? FA_M_FRAMES : 0;
	list_init(&mid->link);
	if (mid->nfree)
		list_add(&fa->mids, &mid->link);
	gset(fa, g, (uintptr_t)mid);
	fa->nmids++;
	return mid;
}

/* Splits uniform entry i of mid into a small in the same state. */
static struct fa_small *split_mid_entry(struct falloc *fa, struct fa_mid *mid, unsigned i)
{
	uintptr_t s = mid->ent[i];
	XLAT_ASSERT(st_uniform(s));
	struct fa_small *sm = fa->spare_small;
	if (sm)
		fa->spare_small = NULL;
	else if (!(sm = malloc(sizeof(*sm))))
		return NULL;
	sm->base = (mid->g << FA_G_SHIFT) + ((uint64_t)i << FA_M_SHIFT);
	memset(sm->alloc, s == ST_ALLOC ? 0xff : 0, sizeof(sm->alloc));
	memset(sm->rsvd, s == ST_RSVD ? 0xff : 0, sizeof(sm->rsvd));
	sm->nfree = s == ST_FREE ? FA_M_FRAMES : 0;
	list_init(&sm->link);
	if (sm->nfree)
		list_add(&fa->smalls, &sm->link);
	if (s == ST_FREE) {
		mid->freemap[i / 64] &= ~(1ULL << (i % 64));
		if (--mid->nfree == 0)
			list_del(&mid->link);
	}
	mid->ent[i] = (uintptr_t)sm;
	fa->nsmalls++;
	return sm;
}

static void mid_entry_freed(struct falloc *fa, struct fa_mid *mid, unsigned i)
{
	mid->ent[i] = ST_FREE;
	mid->freemap[i / 64] |= 1ULL << (i % 64);
	if (mid->nfree++ == 0)
		list_add(&fa->mids, &mid->link);
}

static void collapse_small(struct falloc *fa, struct fa_mid *mid, unsigned i, struct fa_small *sm)
{
	list_del(&sm->link);
	if (!fa->spare_small)
		fa->spare_small = sm;
	else
		free(sm);
	fa->nsmalls--;
	mid_entry_freed(fa, mid, i);
}

static void collapse_mid(struct falloc *fa, struct fa_mid *mid)
{
	uint64_t g = mid->g;
	list_del(&mid->link);
	if (!fa->spare_mid)
		fa->spare_mid = mid;
	else
		free(mid);
	fa->nmids--;
	gset(fa, g, ST_FREE);
	gfree_push(fa, g);
}

/* Makes pfn a boundary of the representation: the 1 GiB chunk and 2 MiB
 * entry it falls inside are split if uniform. 0 or -ENOMEM; splitting
 * changes no frame's state, so a failure leaves everything consistent. */
static int split_at(struct falloc *fa, uint64_t pfn)
{
	if (pfn % FA_G_FRAMES == 0 || pfn >= fa->nchunks << FA_G_SHIFT)
		return 0;
	uint64_t g = pfn >> FA_G_SHIFT;
	uintptr_t s = gget(fa, g);
	struct fa_mid *mid = st_uniform(s) ? split_chunk(fa, g) : (struct fa_mid *)s;
	if (!mid)
		return -ENOMEM;
	if (pfn % FA_M_FRAMES == 0)
		return 0;
	unsigned i = (pfn >> FA_M_SHIFT) & (FA_M_FRAMES - 1);
	if (st_uniform(mid->ent[i]) && !split_mid_entry(fa, mid, i))
		return -ENOMEM;
	return 0;
}

/* Everything marking [start, end) may need: directory nodes and splits at
 * both ends. After it, mark_range cannot fail. */
static int prepare_range(struct falloc *fa, uint64_t start, uint64_t end)
{
	for (uint64_t g = start >> FA_G_SHIFT; g <= (end - 1) >> FA_G_SHIFT; g += GNODE_LEN) {
		if (gnode_ensure(fa, g))
			return -ENOMEM;
		g = xlat_align_down(g, GNODE_LEN);
	}
	if (gnode_ensure(fa, (end - 1) >> FA_G_SHIFT))
		return -ENOMEM;
	if (split_at(fa, start) || split_at(fa, end))
		return -ENOMEM;
	return 0;
}

/* ---- marking ---------------------------------------------------------- */

static _Noreturn void bad_free(uint64_t pfn)
{
	XLAT_BUG("frame %#llx is not allocated", (unsigned long long)pfn);
}

/* Applies op to a uniform chunk of n frames at pfn whose state is *s. */
static void mark_uniform(struct falloc *fa, uintptr_t *s, uint64_t pfn, uint64_t n, enum fa_op op)
{
	switch (op) {
	case FA_OP_ALLOC:
		if (*s != ST_FREE)
			XLAT_BUG("frame %#llx is not free", (unsigned long long)pfn);
		*s = ST_ALLOC;
		fa->allocated += n;
		break;
	case FA_OP_FREE:
		if (*s != ST_ALLOC)
			bad_free(pfn);
		*s = ST_FREE;
		fa->allocated -= n;
		break;
	case FA_OP_RSVD:
	case FA_OP_OUT:
		if (*s == ST_ALLOC)
			XLAT_BUG("frame %#llx is allocated", (unsigned long long)pfn);
		if (*s == ST_FREE && op == FA_OP_RSVD)
			fa->reserved += n;
		*s = ST_RSVD;
		break;
	}
}

/* Applies op to frames [lo, hi) (indices inside the chunk) of a small. */
static void mark_small(struct falloc *fa, struct fa_small *sm, unsigned lo, unsigned hi, enum fa_op op)
{
	uint32_t before = sm->nfree;
	for (unsigned w = lo / 64; w < (hi + 63) / 64; w++) {
		uint64_t m = word_mask(w, lo, hi);
		unsigned cnt;
		switch (op) {
		case FA_OP_ALLOC:
			if ((sm->alloc[w] | sm->rsvd[w]) & m)
				XLAT_BUG("frame %#llx is not free", (unsigned long long)sm->base + w * 64);
			sm->alloc[w] |= m;
			cnt = (unsigned)__builtin_popcountll(m);
			sm->nfree -= cnt;
			fa->allocated += cnt;
			break;
		case FA_OP_FREE:
			if (~sm->alloc[w] & m)
				bad_free(sm->base + w * 64 + (unsigned)__builtin_ctzll(~sm->alloc[w] & m));
			sm->alloc[w] &= ~m;
			cnt = (unsigned)__builtin_popcountll(m);
			sm->nfree += cnt;
			fa->allocated -= cnt;
			break;
		case FA_OP_RSVD:
		case FA_OP_OUT:
			if (sm->alloc[w] & m)
				XLAT_BUG("frame %#llx is allocated", (unsigned long long)sm->base + w * 64);
			cnt = (unsigned)__builtin_popcountll(m & ~sm->rsvd[w]);
			sm->rsvd[w] |= m;
			sm->nfree -= cnt;
			if (op == FA_OP_RSVD)
				fa->reserved += cnt;
			break;
		}
	}
	if (before == 0 && sm->nfree > 0)
		list_add(&fa->smalls, &sm->link);
	else if (before > 0 && sm->nfree == 0)
		list_del(&sm->link);
}

/* Applies op to [start, end); prepare_range must have succeeded on it. */
static void mark_range(struct falloc *fa, uint64_t start, uint64_t end, enum fa_op op)
{
	uint64_t p = start;
	while (p < end) {
		uint64_t g = p >> FA_G_SHIFT;
		uint64_t gend = (g + 1) << FA_G_SHIFT;
		if (gend > end)
			gend = end;
		uintptr_t s = gget(fa, g);
		if (st_uniform(s)) {
			XLAT_ASSERT(p % FA_G_FRAMES == 0 && gend - p == FA_G_FRAMES);
			mark_uniform(fa, &s, p, FA_G_FRAMES, op);
			gset(fa, g, s);
			if (s == ST_FREE)
				gfree_push(fa, g);
			p = gend;
			continue;
		}
		struct fa_mid *mid = (struct fa_mid *)s;
		while (p < gend) {
			unsigned i = (p >> FA_M_SHIFT) & (FA_M_FRAMES - 1);
			uint64_t mend = xlat_align_down(p, FA_M_FRAMES) + FA_M_FRAMES;
			if (mend > gend)
				mend = gend;
			uintptr_t e = mid->ent[i];
			if (st_uniform(e)) {
				XLAT_ASSERT(p % FA_M_FRAMES == 0 && mend - p == FA_M_FRAMES);
				uintptr_t was = e;
				mark_uniform(fa, &e, p, FA_M_FRAMES, op);
				if (e == ST_FREE && was != ST_FREE) {
					mid_entry_freed(fa, mid, i);
				} else if (was == ST_FREE && e != ST_FREE) {
					mid->ent[i] = e;
					mid->freemap[i / 64] &= ~(1ULL << (i % 64));
					if (--mid->nfree == 0)
						list_del(&mid->link);
				} else {
					mid->ent[i] = e;
				}
			} else {
				struct fa_small *sm = (struct fa_small *)e;
				mark_small(fa, sm, (unsigned)(p & (FA_M_FRAMES - 1)),
					   (unsigned)(((mend - 1) & (FA_M_FRAMES - 1)) + 1), op);
				if (sm->nfree == FA_M_FRAMES)
					collapse_small(fa, mid, i, sm);
			}
			p = mend;
		}
		if (mid->nfree == FA_M_FRAMES)
			collapse_mid(fa, mid);
	}
}

/* ---- the general scan ------------------------------------------------- */

/* State of frame p and the end of the run of frames known to share it. */
static uintptr_t frame_state(const struct falloc *fa, uint64_t p, uint64_t *run_end)
{
	uint64_t g = p >> FA_G_SHIFT;
	uintptr_t s = gget(fa, g);
	if (st_uniform(s)) {
		*run_end = (g + 1) << FA_G_SHIFT;
		return s;
	}
	const struct fa_mid *mid = (const struct fa_mid *)s;
	unsigned i = (p >> FA_M_SHIFT) & (FA_M_FRAMES - 1);
	uintptr_t e = mid->ent[i];
	if (st_uniform(e)) {
		*run_end = xlat_align_down(p, FA_M_FRAMES) + FA_M_FRAMES;
		return e;
	}
	const struct fa_small *sm = (const struct fa_small *)e;
	unsigned b = (unsigned)(p & (FA_M_FRAMES - 1));
	uint64_t bit = 1ULL << (b % 64);
	uintptr_t st = (sm->alloc[b / 64] & bit) ? ST_ALLOC : (sm->rsvd[b / 64] & bit) ? ST_RSVD : ST_FREE;
	*run_end = sm->base + FA_M_FRAMES;
	for (unsigned w = b / 64; w < WORDS; w++) {
		uint64_t same = st == ST_ALLOC ? sm->alloc[w] : st == ST_RSVD ? sm->rsvd[w]
						       : ~(sm->alloc[w] | sm->rsvd[w]);
		uint64_t diff = ~same & (w == b / 64 ? ~0ULL << (b % 64) : ~0ULL);
		if (diff) {
			*run_end = sm->base + w * 64 + (unsigned)__builtin_ctzll(diff);
			break;
		}
	}
	return st;
}

/* Lowest align-aligned range of n free frames. 0 or -ENOMEM. */
static int find_range(const struct falloc *fa, uint64_t n, uint64_t align, uint64_t *out)
{
	uint64_t p = 0;
	for (;;) {
		uint64_t cand = xlat_align_up(p, align);
		if (cand < p || cand >= fa->ram_frames || n > fa->ram_frames - cand)
			return -ENOMEM;
		uint64_t q = cand;
		bool fits = true;
		while (q < cand + n) {
			uint64_t re;
			if (frame_state(fa, q, &re) != ST_FREE) {
				p = re;
				fits = false;
				break;
			}
			q = re;
		}
		if (fits) {
			*out = cand;
			return 0;
		}
	}
}

static bool any_allocated(const struct falloc *fa, uint64_t start, uint64_t end)
{
	for (uint64_t p = start, re; p < end; p = re)
		if (frame_state(fa, p, &re) == ST_ALLOC)
			return true;
	return false;
}

/* ---- fast paths --------------------------------------------------------- */

static struct fa_mid *partial_mid(struct falloc *fa)
{
	if (!list_empty(&fa->mids))
		return list_entry(fa->mids.next, struct fa_mid);
	uint64_t g;
	if (take_free_chunk(fa, &g))
		return NULL;
	return split_chunk(fa, g);
}

static int alloc_4k(struct falloc *fa, uint64_t *pfn)
{
	struct fa_small *sm;
	if (!list_empty(&fa->smalls)) {
		sm = list_entry(fa->smalls.next, struct fa_small);
	} else {
		struct fa_mid *mid = partial_mid(fa);
		if (!mid)
			return -ENOMEM;
		sm = split_mid_entry(fa, mid, (unsigned)first_set(mid->freemap));
		if (!sm)
			return -ENOMEM;
	}
	for (unsigned w = 0; w < WORDS; w++) {
		uint64_t free_bits = ~(sm->alloc[w] | sm->rsvd[w]);
		if (!free_bits)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(free_bits);
		sm->alloc[w] |= 1ULL << b;
		if (--sm->nfree == 0)
			list_del(&sm->link);
		fa->allocated++;
		*pfn = sm->base + w * 64 + b;
		return 0;
	}
	XLAT_BUG("small chunk on the partial list has no free frame");
}

static int alloc_2m(struct falloc *fa, uint64_t *pfn)
{
	struct fa_mid *mid = partial_mid(fa);
	if (!mid)
		return -ENOMEM;
	unsigned i = (unsigned)first_set(mid->freemap);
	mid->ent[i] = ST_ALLOC;
	mid->freemap[i / 64] &= ~(1ULL << (i % 64));
	if (--mid->nfree == 0)
		list_del(&mid->link);
	fa->allocated += FA_M_FRAMES;
	*pfn = (mid->g << FA_G_SHIFT) + ((uint64_t)i << FA_M_SHIFT);
	return 0;
}

static int alloc_1g(struct falloc *fa, uint64_t *pfn)
{
	uint64_t g;
	if (take_free_chunk(fa, &g))
		return -ENOMEM;
	gset(fa, g, ST_ALLOC);
	fa->allocated += FA_G_FRAMES;
	*pfn = g << FA_G_SHIFT;
	return 0;
}

/* ---- API -------------------------------------------------------------- */

int falloc_init(struct falloc *fa, uint64_t ram_frames)
{
	memset(fa, 0, sizeof(*fa));
	list_init(&fa->mids);
	list_init(&fa->smalls);
	fa->ram_frames = ram_frames;
	fa->nchunks = (ram_frames + FA_G_FRAMES - 1) >> FA_G_SHIFT;
	fa->gdir_len = (fa->nchunks + GNODE_LEN - 1) >> FA_GNODE_SHIFT;
	if (fa->gdir_len == 0)
		return 0;
	fa->gdir = calloc(fa->gdir_len, sizeof(*fa->gdir));
	if (!fa->gdir)
		return -ENOMEM;
	uint64_t top = fa->nchunks << FA_G_SHIFT;
	if (top > ram_frames) {
		if (prepare_range(fa, ram_frames, top)) {
			falloc_fini(fa);
			return -ENOMEM;
		}
		mark_range(fa, ram_frames, top, FA_OP_OUT);
	}
	return 0;
}

void falloc_fini(struct falloc *fa)
{
	for (uint64_t n = 0; n < fa->gdir_len; n++) {
		uintptr_t *node = fa->gdir[n];
		if (!node)
			continue;
		for (uint64_t i = 0; i < GNODE_LEN; i++) {
			if (st_uniform(node[i]))
				continue;
			struct fa_mid *mid = (struct fa_mid *)node[i];
			for (unsigned j = 0; j < FA_M_FRAMES; j++)
				if (!st_uniform(mid->ent[j]))
					free((void *)mid->ent[j]);
			free(mid);
		}
		free(node);
	}
	free(fa->gdir);
	free(fa->gfree);
	free(fa->spare_mid);
	free(fa->spare_small);
	memset(fa, 0, sizeof(*fa));
}

int falloc_alloc(struct falloc *fa, uint64_t npages, uint64_t align, uint64_t *pfn)
{
	if (npages == 0 || align == 0 || (align & (align - 1)))
		return xlat_fail(-EINVAL, "phys_alloc: %llu pages aligned to %llu: need pages > 0 and a power-of-two alignment",
				 (unsigned long long)npages, (unsigned long long)align);
	int err = -ENOMEM;
	if (npages == 1 && align == 1)
		err = alloc_4k(fa, pfn);
	else if (npages == FA_M_FRAMES && align == FA_M_FRAMES)
		err = alloc_2m(fa, pfn);
	else if (npages == FA_G_FRAMES && align == FA_G_FRAMES)
		err = alloc_1g(fa, pfn);
	if (err == 0)
		return 0;

	uint64_t start;
	if (find_range(fa, npages, align, &start) || prepare_range(fa, start, start + npages))
		return xlat_fail(-ENOMEM, "phys_alloc: no %llu free frames aligned to %llu (%llu of %llu allocated)",
				 (unsigned long long)npages, (unsigned long long)align,
				 (unsigned long long)fa->allocated, (unsigned long long)fa->ram_frames);
	mark_range(fa, start, start + npages, FA_OP_ALLOC);
	*pfn = start;
	return 0;
}

void falloc_free(struct falloc *fa, uint64_t pfn, uint64_t npages)
{
	if (npages == 0)
		return;
	if (pfn >= fa->ram_frames || npages > fa->ram_frames - pfn)
		bad_free(pfn >= fa->ram_frames ? pfn : fa->ram_frames);
	if (prepare_range(fa, pfn, pfn + npages))
		XLAT_BUG("out of host memory splitting the allocator state");
	mark_range(fa, pfn, pfn + npages, FA_OP_FREE);
}

int falloc_reserve(struct falloc *fa, uint64_t pfn, uint64_t npages)
{
	if (pfn >= fa->ram_frames || npages == 0)
		return 0;
	if (npages > fa->ram_frames - pfn)
		npages = fa->ram_frames - pfn;
	if (any_allocated(fa, pfn, pfn + npages))
		return xlat_fail(-EBUSY, "phys_reserve: frames in [%#llx, %#llx) are allocated",
				 (unsigned long long)pfn << XLAT_PAGE_SHIFT,
				 (unsigned long long)(pfn + npages) << XLAT_PAGE_SHIFT);
	if (prepare_range(fa, pfn, pfn + npages))
		return xlat_fail(-ENOMEM, "phys_reserve: out of host memory");
	mark_range(fa, pfn, pfn + npages, FA_OP_RSVD);
	return 0;
}

uint64_t falloc_host_bytes(const struct falloc *fa)
{
	return fa->gdir_len * sizeof(*fa->gdir) +
	       fa->gnodes * GNODE_LEN * sizeof(uintptr_t) +
	       fa->nmids * sizeof(struct fa_mid) +
	       fa->nsmalls * sizeof(struct fa_small) +
	       (fa->spare_mid ? sizeof(struct fa_mid) : 0) +
	       (fa->spare_small ? sizeof(struct fa_small) : 0) +
	       fa->gfree_cap * sizeof(uint64_t);
}
