/*
 * hardware/cache_impl.h — the page-table line cache model's state and its
 * hot path, inline, for cache.c and the mmu (which charges every walk
 * reference through it). Internal to src/hardware.
 *
 * Each level is a set-associative array of line numbers with exact LRU,
 * invalid ways filled first. A way's line stays where it was put; which
 * ways may hold a line (a signature byte per way) and their recency order
 * are the set's bookkeeping in hardware/ways.h, so a lookup that misses a
 * level reads that set's small header and no line numbers, and a hit, a
 * fill or an invalidation is O(1) whatever the associativity. (The
 * previous model kept each set's lines in recency order and moved them on
 * every access; the order, and so every figure, is the same.)
 *
 * Set index = line number mod sets (sets need not be a power of two: an
 * 11-way 1.375 MiB LLC slice has 2048 sets, but a 12 MiB 12-way LLC has
 * 16384, and a 30 MiB 15-way one 32768). A power of two takes a mask;
 * other counts (some server LLCs) keep the division, one per access (it
 * measured ~1.5 ns of a ~45 ns access, not worth a cleverer reduction).
 *
 * Inclusion: a read that hits at level k fills every level above it; a
 * miss everywhere fills every level. When a line leaves a level, it is
 * also removed from every level above it (back-invalidation), so each level
 * always holds a subset of the next: strictly inclusive, the simplest
 * hierarchy to reason about. (Real AMD L3s are victim caches; Intel's
 * server L3 is non-inclusive since Skylake-SP: docs/model.md.)
 *
 * The latency returned is the preset's load-to-use latency of the level
 * that hit (not a sum over the levels that missed), or mem_latency.
 */
#ifndef XLAT_HARDWARE_CACHE_IMPL_H
#define XLAT_HARDWARE_CACHE_IMPL_H

#include "xlat/cache.h"
#include "hardware/ways.h"

struct plevel {
	uint64_t *line;       /* sets * ways line numbers, set by set (a way's is
			       * meaningful only while the way is valid); NULL = level absent */
	struct ways ways;     /* the sets' signatures and recency */
	uint64_t sets;
	uint64_t set_mask;    /* sets - 1, used when sets is a power of two */
	bool pow2;
	unsigned n;           /* ways */
	unsigned latency;     /* cycles */
};

struct pcache {
	struct pcache_config cfg;
	unsigned line_shift;
	struct plevel lv[PCACHE_LEVELS];
	const struct plevel *deepest;   /* the last level present, or NULL */
	struct pcache_stats st;
};

static inline uint64_t pcache_set_of(const struct plevel *v, uint64_t line)
{
	return v->pow2 ? line & v->set_mask : line % v->sets;
}

/* The way of `set` holding line, or -1. */
static inline int pcache_find(const struct plevel *v, uint64_t set, uint64_t line, uint8_t sig)
{
	const uint8_t *sigs = ways_sigs(&v->ways, set);
	const uint64_t *s = v->line + set * v->n;

	for (unsigned k = 0; k < v->ways.words; k++)
		for (uint64_t m = ways_candidates(&v->ways, sigs, k, sig); m; m &= m - 1) {
			unsigned w = ways_candidate_way(m, k);
			if (ways_is_sig(sigs, w, sig) && s[w] == line)
				return (int)w;
		}
	return -1;
}

/* Back-invalidation: line has left `level`, so it leaves every level above. */
static inline void pcache_drop_above(struct pcache *c, int level, uint64_t line)
{
	uint8_t sig = ways_sig(ways_hash(line));

	for (int i = 0; i < level; i++) {
		struct plevel *v = &c->lv[i];
		if (!v->line)
			continue;
		uint64_t set = pcache_set_of(v, line);
		int w = pcache_find(v, set, line, sig);
		if (w >= 0)
			ways_drop(&v->ways, set, (unsigned)w);
	}
}

/* Puts line, which is not in level i's set, in the set's fill way (an
 * invalid one, else the LRU line, which leaves the level). */
static inline void pcache_fill(struct pcache *c, int i, uint64_t set, uint64_t line, uint8_t sig)
{
	struct plevel *v = &c->lv[i];
	unsigned w = ways_tail(&v->ways, set);
	bool full = ways_used(&v->ways, set) == v->n;
	uint64_t *slot = &v->line[set * v->n + w];
	uint64_t victim = *slot;

	*slot = line;
	ways_take(&v->ways, set, w, sig, full);
	if (full)
		pcache_drop_above(c, i, victim);
}

/* pcache_access (xlat/cache.h), inline. */
static inline __attribute__((always_inline)) unsigned
pcache_access_inline(struct pcache *c, xlat_pa pa, unsigned *where)
{
	uint64_t line = pa >> c->line_shift;
	uint8_t sig = ways_sig(ways_hash(line));
	uint64_t set[PCACHE_LEVELS];
	unsigned lat = c->cfg.mem_latency;
	int i;

	/* The deepest level's set is the one least likely to be in the host's
	 * caches (it is the largest array): start fetching it now, while the
	 * levels above are searched. */
	if (c->deepest) {
		const struct plevel *v = c->deepest;
		__builtin_prefetch(ways_header(&v->ways, pcache_set_of(v, line)));
	}
	for (i = 0; i < PCACHE_LEVELS; i++) {
		struct plevel *v = &c->lv[i];
		if (!v->line)
			continue;
		set[i] = pcache_set_of(v, line);
		int w = pcache_find(v, set[i], line, sig);
		if (w >= 0) {
			ways_touch(&v->ways, set[i], (unsigned)w);
			lat = v->latency;
			break;
		}
	}
	/* Fill the levels above the one that hit (all of them on a miss),
	 * deepest first. A victim's back-invalidation never removes the new
	 * line: it is not yet in the levels above the one whose victim is
	 * chosen. */
	for (int j = i - 1; j >= 0; j--)
		if (c->lv[j].line)
			pcache_fill(c, j, set[j], line, sig);
	c->st.accesses++;
	c->st.hits[i]++;
	c->st.cycles += lat;
	if (where)
		*where = (unsigned)i;
	return lat;
}

#endif
