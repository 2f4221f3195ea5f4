/*
 * gc: a managed heap and one mark-sweep collection of it, as an access
 * stream (options in xlat/workload.h, the model in docs/gc.md).
 *
 * Nothing of the heap is stored. The heap is `blocks` blocks of 4 KiB;
 * block b is filled by bump allocation with objects whose sizes are drawn
 * from a stream seeded by hash(seed, b), so any block's layout can be
 * regenerated at any time. An object is known by its heap word w (its
 * address - base, / 8) and is live iff hash(seed, w) < live * 2^64. The live objects, ranked in
 * address order, sit at positions of a forest: the object at position p is
 * live object number P(p), P a seeded permutation of [0, L); positions
 * 0..R-1 are the roots, and position p's first two reference fields point
 * at positions R + 2p and R + 2p + 1 (null at or beyond L), so every live
 * object is reachable and no dead one is. Further reference fields point at
 * positions drawn from hash(seed, p, field).
 *
 * Host memory: the number of live objects before each block (mark only, 4
 * bytes a block), one mark bit per live object and the mark stack (4 bytes
 * per entry, L at most, touched only as deep as it grows).
 *
 * Regions of the address space (1 GiB apart, so each has its own 1 GiB page
 * under a 1g policy):
 *
 *   base     heap: blocks * 4 KiB
 *   bitmap   side mark bitmap, one bit per 8-byte heap word (marks=bitmap)
 *   meta     free-list heads (GC_CLASSES * 8 bytes), then at +4 KiB the
 *            roots array (R * 8 bytes)
 *   stack    the mark stack, 8 bytes per entry, growing up
 *
 * Every count of the stream is a function of the heap alone, not of the
 * order the mark visits it in, which is how the records are counted up
 * front (heap_tally); gc_fill checks the stream ends exactly there:
 *   fill  = GC_CLASSES + R + bitmap pages + blocks
 *   mark  = R + 3L + 2 * (reference fields of live objects)
 *   sweep = N + (bitmap: blocks) + free chunks + free lists changed per block
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/gen.h"

#define GC_BLOCK        4096u                 /* bytes: objects never cross a block */
#define GC_WORD         8u                    /* bytes */
#define GC_BLOCK_WORDS  (GC_BLOCK / GC_WORD)  /* 512 */
#define GC_MIN_WORDS    3u                    /* header + the two tree references */
#define GC_MAX_OBJS     (GC_BLOCK_WORDS / GC_MIN_WORDS)   /* 170 */
#define GC_EXTRA_MAX    (GC_BLOCK_WORDS - GC_MIN_WORDS)   /* largest extra-word draw */
#define GC_GUIDE_BITS   12                    /* guide table: the size draw rarely searches */
#define GC_CLASSES      64                    /* free lists, by floor(log2(chunk bytes)) */
#define GC_ROOTS_OFF    4096u                 /* bytes: the roots array, from meta */
#define GC_PEND         4096u                 /* records one step may produce, at most */
#define GC_REGION_ALIGN (1ULL << 30)

/* The heap's shape: a pure function of the options. */
struct gc_heap {
	uint64_t blocks, objects, live, roots;
	uint64_t heap, bitmap, meta, stack;   /* region starts */
	uint64_t bitmap_bytes;
	bool header_marks;
	uint64_t live_thresh;                 /* live iff hash < this (all live: 0 and live_all) */
	bool live_all;
	uint64_t cdf[GC_EXTRA_MAX + 1];       /* P(extra words <= k) * 2^64 */
	uint16_t guide[1u << GC_GUIDE_BITS];  /* first k whose cdf exceeds j * 2^(64 - bits) */
	uint16_t refs_base[GC_BLOCK_WORDS];   /* by field count: floor(ptrs * fields) ... */
	uint64_t refs_frac[GC_BLOCK_WORDS];   /* ... + 1 if hash < this */
	struct perm perm;                     /* position -> live rank */
	uint64_t k_block, k_live, k_refs, k_ptr;   /* hash keys */
	uint32_t *live_before;                /* live objects before block b (mark only) */
	/* heap_tally */
	uint64_t live_bytes, live_refs, chunks, head_writes;
	uint64_t rec[3];                      /* records of fill, mark, sweep */
};

/* One decoded block: offs[k] is object k's first word, offs[n] = 512. */
struct gc_block {
	uint64_t b;
	unsigned n;
	uint16_t offs[GC_MAX_OBJS + 1];
};

enum gc_stage { ST_FILL_META, ST_FILL_ROOTS, ST_FILL_BITMAP, ST_FILL_HEAP,
		ST_MARK_ROOTS, ST_MARK_DRAIN, ST_SWEEP, ST_DONE };

struct gc_state {
	struct gc_heap h;
	uint8_t phases;
	enum gc_stage stage;
	uint64_t cur;                  /* index in the stage: block, root or page */
	uint8_t *marked;               /* one bit per live position */
	uint32_t *stack;               /* positions; L entries at most */
	uint64_t sp;
	struct xlat_access pend[GC_PEND];
	size_t np, pp;                 /* pending records, next to hand out */
};

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t below(uint64_t r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)r * n) >> 64);
}

/* ---- the heap's shape ---- */

/* The size draws of block b come from this stream. */
static inline uint64_t block_stream(const struct gc_heap *h, uint64_t b)
{
	return h->k_block ^ (b * 0x9e3779b97f4a7c15ULL);
}

/* The next object of a block being laid out from `pos` words: its size in
 * words (inverse CDF through the guide table). */
static inline unsigned next_size(const struct gc_heap *h, uint64_t *x, unsigned pos)
{
	uint64_t u = splitmix64(x);
	unsigned k = h->guide[u >> (64 - GC_GUIDE_BITS)];
	while (k < GC_EXTRA_MAX && u >= h->cdf[k])
		k++;
	unsigned rem = GC_BLOCK_WORDS - pos, s = GC_MIN_WORDS + k;
	if (s > rem || rem - s < GC_MIN_WORDS)
		s = rem;   /* the last object of a block takes the rest */
	return s;
}

static void block_decode(const struct gc_heap *h, uint64_t b, struct gc_block *out)
{
	uint64_t x = block_stream(h, b);
	unsigned pos = 0, n = 0;
	while (pos < GC_BLOCK_WORDS) {
		out->offs[n++] = (uint16_t)pos;
		pos += next_size(h, &x, pos);
	}
	out->offs[n] = GC_BLOCK_WORDS;
	out->n = n;
	out->b = b;
}

/* Object k of a decoded block: its heap word, which names it. */
static inline uint64_t obj_word(const struct gc_block *blk, unsigned k)
{
	return blk->b * GC_BLOCK_WORDS + blk->offs[k];
}

static inline bool obj_live(const struct gc_heap *h, uint64_t word)
{
	return h->live_all || mix64(h->k_live + word * 0xd1b54a32d192ed03ULL) < h->live_thresh;
}

/* Reference fields of the live object at `word` with `fields` fields after
 * its header: ptrs * fields rounded stochastically, at least the two tree
 * fields. */
static inline unsigned obj_refs(const struct gc_heap *h, uint64_t word, unsigned fields)
{
	return h->refs_base[fields] + (mix64(h->k_refs + word * 0x8cb92ba72f3d8dd7ULL) < h->refs_frac[fields]);
}

/* Position of the target of position p's reference field f >= 2. */
static inline uint64_t pos_extra(const struct gc_heap *h, uint64_t p, unsigned f)
{
	return below(mix64(h->k_ptr + p * 0x9e3779b97f4a7c15ULL + f * 0xc2b2ae3d27d4eb4fULL), h->live);
}

static int heap_init(struct gc_heap *h, const struct xlat_workload *w)
{
	memset(h, 0, sizeof *h);
	if (w->size < GC_BLOCK || w->size % GC_BLOCK)
		return xlat_fail(-EINVAL, "workload gc: size must be a non-zero multiple of 4 KiB, not %llu",
				 (unsigned long long)w->size);
	if (w->base % GC_BLOCK)
		return xlat_fail(-EINVAL, "workload gc: base 0x%llx is not 4 KiB aligned", (unsigned long long)w->base);
	if (w->obj < GC_MIN_WORDS * GC_WORD || w->obj > 2048)
		return xlat_fail(-EINVAL, "workload gc: obj must be 24..2048 bytes");
	if (!(w->live > 0 && w->live <= 1) || !(w->roots > 0 && w->roots <= 1) || !(w->ptrs >= 0 && w->ptrs <= 1))
		return xlat_fail(-EINVAL, "workload gc: live and roots must be in (0, 1], ptrs in [0, 1]");
	if (!w->phases || w->phases & ~XLAT_GC_ALL)
		return xlat_fail(-EINVAL, "workload gc: no phase to run");
	h->blocks = w->size / GC_BLOCK;
	if (h->blocks > UINT32_MAX / GC_MAX_OBJS)
		return xlat_fail(-EINVAL, "workload gc: size %llu may hold more than 2^32 objects (at most 96 GiB)",
				 (unsigned long long)w->size);
	h->header_marks = w->marks == XLAT_GC_MARKS_HEADER;

	/* Regions, 1 GiB apart, none past the end of the address space. */
	unsigned __int128 at = (unsigned __int128)w->base + w->size, align = GC_REGION_ALIGN;
	h->heap = w->base;
	h->bitmap_bytes = h->header_marks ? 0 : w->size / 64;
	at = (at + align - 1) / align * align;
	h->bitmap = h->header_marks ? 0 : (uint64_t)at;
	at = (at + h->bitmap_bytes + align - 1) / align * align;
	h->meta = (uint64_t)at;
	at += GC_ROOTS_OFF + (unsigned __int128)h->blocks * GC_MAX_OBJS * 8;   /* roots <= objects */
	at = (at + align - 1) / align * align;
	h->stack = (uint64_t)at;
	at += (unsigned __int128)h->blocks * GC_MAX_OBJS * 8;                 /* depth <= objects */
	if (at > (unsigned __int128)UINT64_MAX + 1)
		return xlat_fail(-EINVAL, "workload gc: base 0x%llx + the heap's regions overflow the address space",
				 (unsigned long long)w->base);

	/* Extra words beyond the minimum ~ Geometric, mean obj/8 - 3: the CDF
	 * by repeated multiplication (IEEE-exact, the same everywhere). */
	double mean = (double)w->obj / GC_WORD - GC_MIN_WORDS, q = 1 / (mean + 1), surv = 1;
	for (unsigned k = 0; k <= GC_EXTRA_MAX; k++) {
		surv *= 1 - q;
		double c = 1 - surv;
		h->cdf[k] = k == GC_EXTRA_MAX || c >= 1 ? UINT64_MAX : (uint64_t)ldexp(c, 64);
	}
	unsigned k = 0;
	for (unsigned j = 0; j < (1u << GC_GUIDE_BITS); j++) {
		uint64_t u = (uint64_t)j << (64 - GC_GUIDE_BITS);
		while (k < GC_EXTRA_MAX && h->cdf[k] <= u)
			k++;
		h->guide[j] = (uint16_t)k;
	}
	for (unsigned f = 0; f < GC_BLOCK_WORDS; f++) {
		double r = w->ptrs * f;
		unsigned n = (unsigned)r;
		h->refs_frac[f] = r - n > 0 ? (uint64_t)ldexp(r - n, 64) : 0;
		if (n < 2) {   /* the tree's two, whatever the density */
			n = 2;
			h->refs_frac[f] = 0;
		}
		if (n >= f) {
			n = f;
			h->refs_frac[f] = 0;
		}
		h->refs_base[f] = (uint16_t)n;
	}
	h->live_all = w->live >= 1;
	h->live_thresh = h->live_all ? 0 : (uint64_t)ldexp(w->live, 64);
	uint64_t x = w->seed ^ 0x6763686561703031ULL;   /* "gcheap01" */
	h->k_block = splitmix64(&x);
	h->k_live = splitmix64(&x);
	h->k_refs = splitmix64(&x);
	h->k_ptr = splitmix64(&x);
	return 0;
}

/* What the pass over every object finds. */
struct gc_tally {
	uint64_t objects, live, live_bytes, live_refs, chunks, head_writes;
};

/* The last heap counted without a block index, by its options (phase
 * aside): the study asks for the heap's figures, then opens a source on
 * it, and an 8 GiB heap takes a second to count. */
static struct {
	pthread_mutex_t lock;
	bool valid;
	char key[512];
	struct gc_tally t;
} memo = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The free-list class of a chunk of `words` words: floor(log2(bytes)). */
static inline unsigned chunk_class(unsigned words)
{
	return 63u - (unsigned)__builtin_clzll((uint64_t)words * GC_WORD);
}

static void tally_pass(const struct gc_heap *h, struct gc_tally *t, uint32_t *live_before)
{
	struct gc_block blk;
	uint64_t n = 0, live = 0, live_bytes = 0, live_refs = 0, chunks = 0, heads = 0;
	for (uint64_t b = 0; b < h->blocks; b++) {
		if (live_before)
			live_before[b] = (uint32_t)live;
		block_decode(h, b, &blk);
		n += blk.n;
		uint64_t classes = 0;
		int run = -1;   /* first object of the current dead run */
		for (unsigned k = 0; k <= blk.n; k++) {
			uint64_t l = 1;
			if (k < blk.n) {
				unsigned words = blk.offs[k + 1] - blk.offs[k];
				uint64_t word = obj_word(&blk, k);
				l = obj_live(h, word);
				live += l;
				live_bytes += l * words * GC_WORD;
				live_refs += l * obj_refs(h, word, words - 1);
			}
			if (!l && run < 0)
				run = (int)k;
			if (l && run >= 0) {
				chunks++;
				classes |= 1ULL << chunk_class(blk.offs[k] - blk.offs[run]);
				run = -1;
			}
		}
		heads += (uint64_t)__builtin_popcountll(classes);
	}
	if (live_before)
		live_before[h->blocks] = (uint32_t)live;
	t->objects = n;
	t->live = live;
	t->live_bytes = live_bytes;
	t->live_refs = live_refs;
	t->chunks = chunks;
	t->head_writes = heads;
}

/* The numbers of the heap (objects, live ones, their bytes and references,
 * the free chunks and head writes of the sweep), the roots, the permutation and
 * the record counts of the three phases; with live_before non-NULL, the
 * live objects before each block. One pass over every object. */
static int heap_tally(struct gc_heap *h, const struct xlat_workload *w, uint32_t *live_before)
{
	struct xlat_workload key_w = *w;
	struct gc_tally t;
	char key[sizeof memo.key];
	bool hit = false;

	key_w.phases = XLAT_GC_ALL;
	xlat_workload_format(&key_w, key, sizeof key);
	if (!live_before) {
		pthread_mutex_lock(&memo.lock);
		if ((hit = memo.valid && !strcmp(memo.key, key)))
			t = memo.t;
		pthread_mutex_unlock(&memo.lock);
	}
	if (!hit) {
		tally_pass(h, &t, live_before);
		pthread_mutex_lock(&memo.lock);
		memo.valid = true;
		memcpy(memo.key, key, sizeof key);
		memo.t = t;
		pthread_mutex_unlock(&memo.lock);
	}
	if (!t.live)
		return xlat_fail(-EINVAL, "workload gc: no object of the heap is live (raise live or size)");
	h->objects = t.objects;
	h->live = t.live;
	h->live_bytes = t.live_bytes;
	h->live_refs = t.live_refs;
	h->chunks = t.chunks;
	h->head_writes = t.head_writes;
	uint64_t R = (uint64_t)llround(w->roots * (double)t.live);
	h->roots = R < 1 ? 1 : R > t.live ? t.live : R;
	perm_init(&h->perm, t.live, w->seed);
	uint64_t bm_pages = (h->bitmap_bytes + XLAT_PAGE_SIZE - 1) / XLAT_PAGE_SIZE;
	h->rec[0] = GC_CLASSES + h->roots + bm_pages + h->blocks;
	h->rec[1] = h->roots + 3 * h->live + 2 * h->live_refs;
	h->rec[2] = h->objects + (h->header_marks ? 0 : h->blocks) + h->chunks + h->head_writes;
	return 0;
}

/* The heap's figures into *info: the layout (no pass), and with count the
 * numbers of a pass over every object. */
static int gc_describe(const struct xlat_workload *w, struct xlat_gc_info *info, bool count)
{
	memset(info, 0, sizeof *info);
	if (strcmp(w->name, "gc"))
		return xlat_fail(-EINVAL, "workload %s is not a gc heap", w->name);
	struct gc_heap *h = malloc(sizeof *h);
	if (!h)
		return xlat_fail(-ENOMEM, "out of memory");
	int rc = heap_init(h, w);
	if (rc == 0) {
		info->blocks = h->blocks;
		info->heap = h->heap;
		info->bitmap = h->bitmap;
		info->meta = h->meta;
		info->stack = h->stack;
		info->bitmap_bytes = h->bitmap_bytes;
	}
	if (rc == 0 && count)
		rc = heap_tally(h, w, NULL);
	if (rc == 0 && count) {
		info->objects = h->objects;
		info->live = h->live;
		info->roots = h->roots;
		info->live_bytes = h->live_bytes;
		info->live_refs = h->live_refs;
		info->chunks = h->chunks;
		memcpy(info->records, h->rec, sizeof h->rec);
		info->meta_bytes = GC_ROOTS_OFF + h->roots * 8;
	}
	free(h);
	return rc;
}

int xlat_workload_gc_info(const struct xlat_workload *w, struct xlat_gc_info *info)
{
	return gc_describe(w, info, true);
}

int xlat_workload_gc_layout(const struct xlat_workload *w, struct xlat_gc_info *info)
{
	return gc_describe(w, info, false);
}

static uint64_t gc_records(const struct xlat_workload *w)
{
	struct xlat_gc_info info;
	uint64_t n = 0;
	if (xlat_workload_gc_info(w, &info))
		return 0;
	for (int p = 0; p < 3; p++)
		if (w->phases & (1u << p))
			n += info.records[p];
	return n;
}

/* ---- the stream ---- */

static inline void put(struct gc_state *s, uint64_t va, uint32_t size, uint8_t kind)
{
	XLAT_ASSERT(s->np < GC_PEND);
	gen_put(&s->pend[s->np++], va, size, kind, 0, 0);
}

static inline uint64_t obj_va(const struct gc_heap *h, const struct gc_block *blk, unsigned k)
{
	return h->heap + blk->b * GC_BLOCK + (uint64_t)blk->offs[k] * GC_WORD;
}

/* The block holding live object number `rank` (address order): lb[b] <=
 * rank < lb[b + 1]. The live counts grow about linearly, so the search
 * starts at the proportional guess and gallops out from it. */
static uint64_t rank_block(const struct gc_heap *h, uint64_t rank)
{
	const uint32_t *lb = h->live_before;
	uint64_t n = h->blocks, lo, hi, step = 1;   /* lb[lo] <= rank < lb[hi] */
	uint64_t g = (uint64_t)(((unsigned __int128)rank * n) / h->live);
	if (lb[g] <= rank) {
		lo = g;
		hi = g + 1;
		while (lb[hi] <= rank) {
			lo = hi;
			step *= 2;
			hi = lo + step < n ? lo + step : n;
		}
	} else {
		hi = g;
		lo = g - 1;   /* g > 0: lb[0] = 0 <= rank */
		while (lb[lo] > rank) {
			hi = lo;
			step *= 2;
			lo = lo > step ? lo - step : 0;
		}
	}
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (lb[mid] <= rank)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The object at live position q (live object number P(q) in address
 * order): its heap word; *words its size. Lays its block out only as far
 * as the object. */
static uint64_t pos_object(const struct gc_heap *h, uint64_t q, unsigned *words)
{
	uint64_t rank = perm_at(&h->perm, q), b = rank_block(h, rank);
	uint64_t left = rank - h->live_before[b], x = block_stream(h, b);
	unsigned pos = 0;
	while (pos < GC_BLOCK_WORDS) {
		unsigned sz = next_size(h, &x, pos);
		uint64_t word = b * GC_BLOCK_WORDS + pos;
		if (obj_live(h, word) && left-- == 0) {
			*words = sz;
			return word;
		}
		pos += sz;
	}
	XLAT_BUG("gc: live object %llu is not in block %llu", (unsigned long long)rank, (unsigned long long)b);
}

/* The 8-byte word holding the mark of the object at va: its bitmap word
 * (one bit per heap word) or its header. */
static inline uint64_t mark_va(const struct gc_heap *h, uint64_t va)
{
	if (h->header_marks)
		return va;
	return h->bitmap + (va - h->heap) / (64 * GC_WORD) * 8;
}

/* Live position q, reached: test its mark (a read); if clear, set it (a
 * write) and push q (a write to the mark stack). */
static void mark_ref(struct gc_state *s, uint64_t q)
{
	unsigned words;
	uint64_t mva = mark_va(&s->h, s->h.heap + pos_object(&s->h, q, &words) * GC_WORD);
	put(s, mva, 8, XLAT_READ);
	if (s->marked[q / 8] & (1u << (q % 8)))
		return;
	s->marked[q / 8] |= (uint8_t)(1u << (q % 8));
	put(s, mva, 8, XLAT_WRITE);
	put(s, s->h.stack + s->sp * 8, 8, XLAT_WRITE);
	s->stack[s->sp++] = (uint32_t)q;
}

/* Pops one object: its header (size and reference map), then each
 * reference field and what it points at. */
static void mark_scan(struct gc_state *s)
{
	const struct gc_heap *h = &s->h;
	unsigned words;
	uint64_t p = s->stack[--s->sp];
	put(s, h->stack + s->sp * 8, 8, XLAT_READ);
	uint64_t word = pos_object(h, p, &words);
	uint64_t va = h->heap + word * GC_WORD;
	unsigned refs = obj_refs(h, word, words - 1);
	put(s, va, 8, XLAT_READ);
	for (unsigned f = 0; f < refs; f++) {
		put(s, va + GC_WORD * (1 + f), 8, XLAT_READ);
		uint64_t q = f < 2 ? h->roots + 2 * p + f : pos_extra(h, p, f);
		if (q < h->live)
			mark_ref(s, q);
	}
}

/* Sweeps the next block: its 64 bytes of mark bitmap read (one cache
 * line: 512 heap words), every header read, each run of dead objects made
 * one free chunk with its header and link written (16 bytes) and pushed on
 * its size class's free list; the heads live in locals while the sweeper is
 * in the block and are stored when it leaves (one write per list changed). */
static void sweep_block(struct gc_state *s)
{
	const struct gc_heap *h = &s->h;
	struct gc_block blk;
	uint64_t classes = 0;
	int run = -1;
	block_decode(h, s->cur, &blk);
	if (!h->header_marks)
		put(s, h->bitmap + s->cur * (GC_BLOCK_WORDS / 8), GC_BLOCK_WORDS / 8, XLAT_READ);
	for (unsigned k = 0; k <= blk.n; k++) {
		bool live = true;
		if (k < blk.n) {
			put(s, obj_va(h, &blk, k), 8, XLAT_READ);
			live = obj_live(h, obj_word(&blk, k));
		}
		if (!live && run < 0)
			run = (int)k;
		if (live && run >= 0) {
			classes |= 1ULL << chunk_class(blk.offs[k] - blk.offs[run]);
			put(s, obj_va(h, &blk, (unsigned)run), 16, XLAT_WRITE);
			run = -1;
		}
	}
	for (; classes; classes &= classes - 1)
		put(s, h->meta + (unsigned)__builtin_ctzll(classes) * 8, 8, XLAT_WRITE);
}

static const uint8_t stage_phase[] = {
	[ST_FILL_META] = XLAT_GC_FILL, [ST_FILL_ROOTS] = XLAT_GC_FILL,
	[ST_FILL_BITMAP] = XLAT_GC_FILL, [ST_FILL_HEAP] = XLAT_GC_FILL,
	[ST_MARK_ROOTS] = XLAT_GC_MARK, [ST_MARK_DRAIN] = XLAT_GC_MARK,
	[ST_SWEEP] = XLAT_GC_SWEEP, [ST_DONE] = XLAT_GC_ALL,
};

/* The next stage of a selected phase (ST_DONE at the end). */
static void next_stage(struct gc_state *s)
{
	do
		s->stage++;
	while (s->stage < ST_DONE && !(stage_phase[s->stage] & s->phases));
	s->cur = 0;
}

/* Adds the records of the next step (at most GC_PEND) to the pending ones. */
static void step(struct gc_state *s)
{
	const struct gc_heap *h = &s->h;
	uint64_t n, bm_pages = (h->bitmap_bytes + XLAT_PAGE_SIZE - 1) / XLAT_PAGE_SIZE;

	while (!s->np) {
		switch (s->stage) {
		case ST_FILL_META:   /* free-list heads cleared */
			for (unsigned c = 0; c < GC_CLASSES; c++)
				put(s, h->meta + c * 8, 8, XLAT_WRITE);
			next_stage(s);
			break;
		case ST_FILL_ROOTS:  /* the roots array written */
			for (n = 0; n < 1024 && s->cur < h->roots; n++, s->cur++)
				put(s, h->meta + GC_ROOTS_OFF + s->cur * 8, 8, XLAT_WRITE);
			if (s->cur == h->roots)
				next_stage(s);
			break;
		case ST_FILL_BITMAP: /* the bitmap cleared: a write per page */
			for (n = 0; n < 1024 && s->cur < bm_pages; n++, s->cur++)
				put(s, h->bitmap + s->cur * XLAT_PAGE_SIZE, 8, XLAT_WRITE);
			if (s->cur == bm_pages)
				next_stage(s);
			break;
		case ST_FILL_HEAP:   /* allocation's first touch of each block: its first header */
			for (n = 0; n < 1024 && s->cur < h->blocks; n++, s->cur++)
				put(s, h->heap + s->cur * GC_BLOCK, 8, XLAT_WRITE);
			if (s->cur == h->blocks)
				next_stage(s);
			break;
		case ST_MARK_ROOTS:  /* each root read and its object marked */
			put(s, h->meta + GC_ROOTS_OFF + s->cur * 8, 8, XLAT_READ);
			mark_ref(s, s->cur);
			if (++s->cur == h->roots)
				next_stage(s);
			break;
		case ST_MARK_DRAIN:
			if (s->sp)
				mark_scan(s);
			else
				next_stage(s);
			break;
		case ST_SWEEP:
			sweep_block(s);
			if (++s->cur == h->blocks)
				next_stage(s);
			break;
		case ST_DONE:
			XLAT_BUG("gc: records asked for past the end of the stream");
		}
	}
}

static void gc_fill(struct gen *g, struct xlat_access *out, size_t n)
{
	struct gc_state *s = g->priv;
	bool last = g->i + n == g->total;
	while (n) {
		if (s->pp == s->np) {
			s->np = s->pp = 0;
			step(s);
		}
		size_t m = s->np - s->pp < n ? s->np - s->pp : n;
		memcpy(out, s->pend + s->pp, m * sizeof *out);
		s->pp += m;
		out += m;
		n -= m;
	}
	/* The counts of heap_tally are the stream's: nothing may be left. */
	if (last && (s->pp != s->np || !(s->stage == ST_DONE || (s->stage == ST_MARK_DRAIN && !s->sp &&
								    !(s->phases & XLAT_GC_SWEEP)))))
		XLAT_BUG("gc: the stream outlives its counted records (stage %d)", (int)s->stage);
}

static void gc_free(void *priv)
{
	struct gc_state *s = priv;
	free(s->h.live_before);
	free(s->marked);
	free(s->stack);
	free(s);
}

static int gc_setup(struct gen *g)
{
	struct gc_state *s = calloc(1, sizeof *s);
	if (!s)
		return xlat_fail(-ENOMEM, "out of memory");
	g->priv = s;
	g->priv_free = gc_free;
	int rc = heap_init(&s->h, &g->w);
	if (rc)
		return rc;
	s->phases = g->w.phases;
	bool mark = s->phases & XLAT_GC_MARK;
	if (mark && !(s->h.live_before = malloc((s->h.blocks + 1) * sizeof *s->h.live_before)))
		return xlat_fail(-ENOMEM, "workload gc: out of memory (block index)");
	rc = heap_tally(&s->h, &g->w, s->h.live_before);
	if (rc)
		return rc;
	if (mark) {
		/* every live object is pushed once: L entries at most (pages the
		 * traversal never reaches are never touched) */
		s->marked = calloc((s->h.live + 7) / 8, 1);
		s->stack = malloc(s->h.live * sizeof *s->stack);
		if (!s->marked || !s->stack)
			return xlat_fail(-ENOMEM, "workload gc: out of memory (mark state)");
	}
	g->total = 0;
	for (int p = 0; p < 3; p++)
		if (s->phases & (1u << p))
			g->total += s->h.rec[p];
	s->stage = ST_FILL_META;
	if (!(stage_phase[s->stage] & s->phases))
		next_stage(s);
	return 0;
}

static void gc_defaults(struct xlat_workload *w)
{
	w->obj = 80;
	w->live = 0.5;
	w->ptrs = 0.25;
	w->roots = 0.001;
	w->marks = XLAT_GC_MARKS_BITMAP;
	w->phases = XLAT_GC_ALL;
}

static const char *const phase_names[] = { "fill", "mark", "sweep" };

int gen_gc_phases_parse(const char *str, uint8_t *phases)
{
	if (!strcmp(str, "all")) {
		*phases = XLAT_GC_ALL;
		return 0;
	}
	uint8_t set = 0;
	const char *p = str;
	for (;;) {
		size_t len = strcspn(p, "+");
		unsigned i;
		for (i = 0; i < 3; i++)
			if (len == strlen(phase_names[i]) && !strncmp(p, phase_names[i], len))
				break;
		if (i == 3 || set & (1u << i))
			return -EINVAL;
		set |= (uint8_t)(1u << i);
		if (!p[len])
			break;
		p += len + 1;
	}
	*phases = set;
	return 0;
}

void gen_gc_phases_format(uint8_t phases, char *buf, size_t len)
{
	size_t o = 0;
	if (phases == XLAT_GC_ALL) {
		snprintf(buf, len, "all");
		return;
	}
	buf[0] = 0;
	for (unsigned i = 0; i < 3; i++)
		if (phases & (1u << i))
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? "+" : "", phase_names[i]);
}

const struct gen_def gen_gc = {
	"gc", "a managed heap: fill, mark from roots, sweep [obj, live, ptrs, roots, marks, phase]",
	K_SIZE | K_SEED | K_BASE | K_OBJ | K_LIVE | K_PTRS | K_ROOTS | K_MARKS | K_PHASE,
	gc_defaults, gc_setup, gc_fill, gc_records,
};
